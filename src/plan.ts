/**
 * `--dry-run`: what the search would do, without reading any log data. The scan engine lists the
 * prefixes and objects it would read; the Athena engine gives its DDL and per-region queries with
 * their parameters. Written to plan.json in the output folder.
 */
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Investigation } from './investigation.js';
import type { Logger } from './logger.js';
import { chooseEngineForSearch } from './engines/choose-engine.js';
import { openScanPlan } from './source/open.js';
import { openIncremental } from './state/incremental.js';
import { atomicWriteFile } from './report/writers.js';
import { outputFileNames } from './search.js';
import { isoSecond } from './config/window.js';
import { describeQuery } from './query/predicate.js';
import { describeSource } from './report/summary.js';
import { formatBytes, formatCount, plural } from './report/format.js';

export interface ScanDryRunPlan {
  engine: 'scan';
  engineReason: string;
  source: string;
  window: { since: string; until: string };
  query: string;
  prefixes: string[];
  objects: Array<{ key: string; size: number; store: string }>;
  stats: { listed: number; selected: number; skipped: number; bytes: number };
  warnings: string[];
}

export async function planScan(inv: Investigation, reason: string): Promise<ScanDryRunPlan> {
  const plan = await openScanPlan(inv);
  const objects: ScanDryRunPlan['objects'] = [];
  let bytes = 0;
  for await (const { store, object } of plan.objects) {
    objects.push({ key: object.key, size: object.size, store: store.description });
    bytes += object.size;
  }
  const stats = plan.stats();
  return {
    engine: 'scan',
    engineReason: reason,
    source: objects[0]?.store ?? describeSource(inv.source),
    window: { since: isoSecond(inv.window.since), until: isoSecond(inv.window.until) },
    query: describeQuery(inv.query),
    prefixes: stats.prefixes,
    objects,
    stats: { listed: stats.listed, selected: stats.selected, skipped: stats.skipped, bytes },
    warnings: plan.warnings(),
  };
}

/** The Athena engine's plan, its module imported only now (see engines/create.ts). */
async function athenaDryRunPlan(inv: Investigation, logger: Logger, reason: string) {
  const { planAthenaRun } = await import(/* webpackMode: "eager" */ './engines/athena/create.js');
  return planAthenaRun(inv, logger, reason);
}

/** Builds the plan, writes plan.json, and returns a short text for the terminal. */
export async function runDryRun(
  given: Investigation,
  logger: Logger,
): Promise<{ planPath: string; text: string }> {
  // Incremental mode: the plan is the deliveries the next run would read (the state is only read).
  const incremental = await openIncremental(given, new Date());
  const inv = incremental ? incremental.engineInvestigation() : given;
  const choice = await chooseEngineForSearch(inv, logger);
  const plan =
    choice.engine === 'scan'
      ? await planScan(inv, choice.reason)
      : await athenaDryRunPlan(inv, logger, choice.reason);
  await mkdir(inv.output.dir, { recursive: true });
  const planPath = path.join(inv.output.dir, outputFileNames(inv).plan);
  // With `auto` over S3: the estimate the choice was made from.
  const written = choice.estimate ? { ...plan, engineEstimate: choice.estimate } : plan;
  await atomicWriteFile(planPath, `${JSON.stringify(written, null, 2)}\n`);
  const text =
    plan.engine === 'scan'
      ? `Dry run (scan, ${choice.reason}): would read ${plural(plan.objects.length, 'object')} ` +
        `(${formatBytes(plan.stats.bytes)}) under ${plan.prefixes.length > 0 ? plural(plan.prefixes.length, 'prefix', 'prefixes') : 'every prefix'}; ${formatCount(plan.stats.skipped)} skipped.`
      : `Dry run (athena, ${choice.reason}): ${plural(plan.ddl.length, 'DDL statement')}, ${plural(plan.queries.length, 'query', 'queries')}.`;
  for (const w of plan.warnings ?? []) logger.warning(w);
  return { planPath, text };
}
