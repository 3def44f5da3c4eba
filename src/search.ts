/**
 * One search, front-end agnostic: pick the engine, stream its matches through de-duplication into
 * the results file, write summary.json, and say what the exit code should be. The CLI and the
 * Action call this and only decide how to show the result.
 */
import path from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import type { Investigation } from './investigation.js';
import type { Logger } from './logger.js';
import {
  SEARCH_FAILURE_KEY,
  UNNAMED_FILES_REGION,
  type EngineProgress,
  type MatchedEvent,
  type SearchStats,
} from './engines/types.js';
import type { Summary } from './report/types.js';
import { SearchError, asNoCredentialsError, errorMessage } from './errors.js';
import { chooseEngineForSearch } from './engines/choose-engine.js';
import { createEngine } from './engines/create.js';
import { openResultWriter, type ResultWriter } from './report/writers.js';
import { MatchPreview, levelOfRules } from './report/preview.js';
import { noun, plural } from './report/format.js';
import { csvColumnOptionsOf } from './report/csv-columns.js';
import { SummaryBuilder, correlationSummaries, describeSource, writeSummary } from './report/summary.js';
import { EventDeduper, type EventIdSetOptions } from './engines/dedupe.js';
import { emptySearchStats, isComplete } from './engines/stats.js';
import { levelAtLeast, ruleIdsAtLeast } from './sigma/pack.js';
import { levelRank } from './sigma/types.js';
import { CorrelationStage } from './correlation-stage.js';
import type { CorrelationLimits } from './sigma/correlator.js';
import { s3IdleTimeoutMs, s3ReadMode } from './aws/settings.js';
import { OutputWriteError, describeFsError, removeStaleOutputs } from './out-dir.js';
import { openIncremental, type IncrementalRun } from './state/incremental.js';
import type { CacheStoreFactory } from './state/store.js';
import { DeliveryLedger } from './state/deliveries.js';
import { DEFAULT_MAX_DELIVERY_DELAY_MS, noLogsFindings, outcomeOf, type RunResult } from './outcome.js';
import type { TrailStatusReport } from './report/types.js';

export interface SearchOptions {
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
  /** How many matches to keep in memory for tables and annotations (the preview, src/report/preview.ts). */
  keepFirst?: number;
  /** De-duplication's settings (tests spill seen ids to disk sooner, or somewhere unwritable). */
  dedupe?: EventIdSetOptions;
  /** Caps of correlation state (tests lower them). */
  correlationLimits?: Partial<CorrelationLimits>;
  /** `state: cache`: the Action's store in the GitHub Actions cache (without it, refused). */
  cacheState?: CacheStoreFactory;
}

export interface SearchResult {
  summary: Summary;
  /** Absolute paths of the files written. */
  resultsPath: string;
  summaryPath: string;
  /** The first `keepFirst` unique matches by level (rule runs), then eventTime, then eventID. */
  firstMatches: MatchedEvent[];
  /** How the run ended (src/outcome.ts) and the exit code that goes with it. */
  result: RunResult;
  exitCode: number;
}

export function outputFileNames(inv: Investigation): { results: string; summary: string; plan: string } {
  const prefix = outputPrefix(inv);
  return {
    results: `${prefix}results.${inv.output.format}`,
    summary: `${prefix}summary.json`,
    plan: `${prefix}plan.json`,
  };
}

/** What the names of a run's files start with: the test id and a hyphen, or nothing. */
function outputPrefix(inv: Investigation): string {
  return inv.output.testId ? `${inv.output.testId}-` : '';
}

/** Whether a blind location (no-logs) fails the run: asked, else whenever the run is a gate. */
export function failsOnNoLogs(inv: Pick<Investigation, 'failOnNoLogs' | 'failOnMatch'>): boolean {
  return inv.failOnNoLogs ?? inv.failOnMatch;
}

/**
 * Why the location looked blind: what listing saw (scan engine) and what the trails said. The
 * trails' status speaks of now, so it counts only when the searched range reaches the present.
 */
function blindness(
  inv: Investigation,
  stats: SearchStats,
  ledger: DeliveryLedger | undefined,
  incremental: IncrementalRun | undefined,
  trails: TrailStatusReport[],
  now: Date,
): string[] {
  const maxDelayMs = inv.maxDeliveryDelayMs ?? DEFAULT_MAX_DELIVERY_DELAY_MS;
  const reference = incremental ? now : new Date(Math.min(now.getTime(), inv.window.until.getTime()));
  const live = now.getTime() - reference.getTime() <= maxDelayMs;
  const range = incremental?.range ?? { from: inv.window.since, to: inv.window.until };
  // Files not named like CloudTrail's (exports, jq output) carry no delivery stamp: what was
  // listed says nothing of delivery when events came from them.
  const unnamed = stats.regions.some((r) => r.region === UNNAMED_FILES_REGION && r.objects > 0);
  const listed = unnamed ? undefined : ledger;
  return noLogsFindings({
    where: describeSource(inv.source),
    range,
    regions: inv.regions,
    accounts: inv.accounts,
    listing: listed && {
      perAccount: listed.perAccount,
      perRegion: listed.perRegion,
      newest: incremental ? incremental.newestDelivery() : listed.newest,
    },
    reference,
    maxDelayMs,
    live,
    trails,
  });
}

async function trailStatusOf(inv: Investigation, logger: Logger): Promise<TrailStatusReport[]> {
  if (inv.source.kind !== 'trail') return [];
  const { trailStatuses } = await import(/* webpackMode: "eager" */ './source/trail-status.js');
  const statuses = await trailStatuses(inv.source.trails, inv.credentials);
  for (const s of statuses) if (s.error) logger.warning(`Trail ${s.trail}: status unknown (${s.error}).`);
  return statuses;
}

/** Stats for a run that failed before or while listing: nothing, or not everything, was read. */
function failedStats(engine: 'scan' | 'athena', reason: string, message: string): SearchStats {
  return { ...emptySearchStats(engine, reason), failures: [{ key: SEARCH_FAILURE_KEY, reason: message }] };
}

/** A failed file operation as an OutputWriteError naming the file and the cause. */
function writeFailure(file: string, err: unknown): OutputWriteError {
  if (err instanceof OutputWriteError) return err;
  return new OutputWriteError(`Could not write ${file}: ${describeFsError(err)}. No results were kept.`, {
    cause: err,
  });
}

/** Runs a file operation; a failure becomes an OutputWriteError naming the file and the cause. */
async function writing<T>(file: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw writeFailure(file, err);
  }
}

/**
 * Writes one event: a promise only when a chunk of the file is being written, to await before the
 * next (no promise or closure per event: most events are only copied into memory). Failures
 * become OutputWriteErrors, as with `writing`.
 */
function writeEvent(writer: ResultWriter, event: MatchedEvent): Promise<void> | undefined {
  try {
    const flushing = writer.write(event);
    return flushing && writing(writer.path, () => flushing);
  } catch (err) {
    throw writeFailure(writer.path, err);
  }
}

export async function runSearch(inv: Investigation, options: SearchOptions): Promise<SearchResult> {
  const { logger, signal, onProgress } = options;
  const keepFirst = options.keepFirst ?? 50;
  const startedAt = new Date();
  // Incremental mode: the state decides which deliveries to read (refused before anything is read
  // when it belongs to another search).
  const incremental = await openIncremental(inv, startedAt, options.cacheState);
  const searched = incremental ? incremental.engineInvestigation() : inv;
  const choice = await chooseEngineForSearch(searched, logger, signal ? { signal } : {});
  logger.info(`Engine: ${choice.engine} (${choice.reason})`);
  // Settings read from the environment are checked before anything is read (exit code 2).
  s3IdleTimeoutMs();
  s3ReadMode();
  const names = outputFileNames(inv);
  await writing(inv.output.dir, () => mkdir(inv.output.dir, { recursive: true }));
  const resultsPath = path.join(inv.output.dir, names.results);
  const summaryPath = path.join(inv.output.dir, names.summary);
  // The run owns its files: an earlier run's (in any format) must not outlive a failure of this
  // one, nor sit beside a summary that does not describe them.
  const stale = await writing(inv.output.dir, () => removeStaleOutputs(inv.output.dir, outputPrefix(inv)));
  if (stale.length > 0) logger.info(`Removed an earlier run's ${stale.join(', ')} from ${inv.output.dir}.`);

  const writer = await writing(resultsPath, () =>
    openResultWriter(inv.output.dir, names.results, inv.output.format, csvColumnOptionsOf(inv)),
  );
  const dedupe = new EventDeduper(options.dedupe);
  const builder = new SummaryBuilder();
  const preview = new MatchPreview(keepFirst, inv.rules ? levelOfRules(inv.rules.rules) : undefined);
  // With rules and a minimum level, only matches of rules at that level or above trip the gate.
  const gateRules = inv.rules && inv.minLevel ? ruleIdsAtLeast(inv.rules.rules, inv.minLevel) : undefined;
  let gateMatches = 0;
  let stats: SearchStats;
  // What listing sees of deliveries (the scan engine; Athena in incremental mode, which lists the
  // range's day folders): for no-logs, and the next state.
  const ledger =
    choice.engine === 'scan' || incremental
      ? (incremental?.ledger ?? new DeliveryLedger({ from: inv.window.since, to: inv.window.until }))
      : undefined;
  // Correlation rules: their base rules' matches are held back until the stream ends.
  const stage = inv.rules?.correlations?.length
    ? new CorrelationStage(inv.rules, options.correlationLimits)
    : undefined;
  // Unique matches written: held-back base-rule matches outside any alert are not.
  let written = 0;
  const accept = async (event: MatchedEvent): Promise<void> => {
    written++;
    incremental?.noteReported(event.eventID, event.fields?.eventTime ?? eventTimeOf(event.record));
    const flushing = writeEvent(writer, event);
    if (flushing) await flushing;
    builder.add(event, event.ruleIds);
    if (gateRules && event.ruleIds?.some((id) => gateRules.has(id))) gateMatches++;
    preview.offer(event);
  };
  let correlated: ReturnType<CorrelationStage['finish']> | undefined;
  try {
    const engine = await createEngine(choice, logger);
    // Transient events: each is written, counted and dropped before the next is asked for.
    const run = engine.run(searched, {
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(ledger ? { onLogFile: ledger.observe } : {}),
      transientEvents: true,
    });
    try {
      for await (const event of run.events) {
        if (incremental && !incremental.isNew(event.eventID)) continue;
        if (!dedupe.isFirst(event.eventID, event.jsonBytes ?? event.json)) continue;
        const now = stage ? stage.admit(event) : event;
        if (now) await accept(now);
      }
      stats = run.stats();
    } catch (err) {
      // The results cannot be written: nothing useful can come of this run.
      if (err instanceof OutputWriteError) throw err;
      // No credentials before anything matched: nothing was searched, and no file may suggest
      // otherwise (an empty results file, a summary saying "0 matches").
      const noCredentials = written === 0 ? asNoCredentialsError(err) : undefined;
      if (noCredentials) throw noCredentials;
      // A failure that stops the whole search (credentials, a missing bucket): keep what was
      // found, but the run is incomplete and says why.
      const message = errorMessage(err);
      logger.error(message);
      stats = failedStats(choice.engine, choice.reason, message);
      if (!(err instanceof SearchError)) logger.debug(String((err as Error).stack ?? err));
    }
    if (stage) {
      correlated = stage.finish();
      for (const event of correlated.events) await accept(event);
      for (const problem of correlated.problems) {
        logger.warning(problem);
        stats.failures.push({ key: SEARCH_FAILURE_KEY, reason: problem });
      }
      if (inv.minLevel) {
        for (const c of correlated.outcomes)
          if (levelAtLeast(c.level ?? undefined, inv.minLevel)) gateMatches += c.alerts.length;
      }
    }
    await writing(resultsPath, () => writer.commit());
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    dedupe.close();
  }
  if (dedupe.spillFailure !== undefined) {
    logger.warning(
      `Could not spill seen eventIDs to a temporary folder (${describeFsError(dedupe.spillFailure)}); they were kept in memory instead. Set TMPDIR to a writable folder with space.`,
    );
  }
  if (dedupe.conflicting > 0) {
    const warning = `${plural(dedupe.conflicting, 'record')} repeated an earlier record's eventID with different content: the first was kept; the ${noun(dedupe.conflicting, 'other', 'others')} may be forged or altered (summary.json: conflictingDuplicates).`;
    logger.warning(warning);
    stats.warnings.push(warning);
  }
  let trails: TrailStatusReport[] = [];
  if (!signal?.aborted) {
    try {
      trails = await trailStatusOf(inv, logger);
    } catch (err) {
      logger.warning(`Could not check the trails' status: ${errorMessage(err)}`);
    }
  }
  const noLogs =
    stats.failures.length === 0 ? blindness(searched, stats, ledger, incremental, trails, new Date()) : [];
  for (const finding of noLogs) logger.warning(finding);
  const complete = isComplete(stats) && !signal?.aborted;
  const state = incremental ? await incremental.finish(complete, new Date()) : undefined;
  if (state?.conflict)
    stats = { ...stats, failures: [...stats.failures, { key: SEARCH_FAILURE_KEY, reason: state.conflict }] };
  const built = builder.build({
    inv: searched,
    stats,
    matches: written,
    duplicatesDropped: dedupe.dropped,
    conflictingDuplicates: dedupe.conflicting,
    files: { results: names.results, summary: names.summary },
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
  });
  const withGate: Summary = gateRules ? { ...built, minLevel: inv.minLevel ?? null, gateMatches } : built;
  const summary: Summary = {
    ...withGate,
    ...(correlated ? { correlations: correlationSummaries(correlated.outcomes) } : {}),
    noLogs,
    ...(inv.source.kind === 'trail' ? { trailStatus: trails } : {}),
    ...(state ? { incremental: state.report } : {}),
  };
  if (summary.rules) summary.highestLevel = highestLevelOf(summary);
  const outcome = outcomeOf(summary, { failOnMatch: inv.failOnMatch, failOnNoLogs: failsOnNoLogs(inv) });
  summary.result = outcome.result as Summary['result'];
  try {
    await writing(summaryPath, () => writeSummary(summaryPath, summary));
  } catch (err) {
    // Results without their summary would say nothing about completeness: neither file stays.
    await rm(resultsPath, { force: true }).catch(() => {});
    throw err;
  }
  return {
    summary,
    resultsPath,
    summaryPath,
    firstMatches: preview.rows(),
    result: outcome.result,
    exitCode: outcome.exitCode,
  };
}

function eventTimeOf(record: Record<string, unknown>): string | undefined {
  return typeof record.eventTime === 'string' ? record.eventTime : undefined;
}

/** The highest level among the rules that matched and the correlations that alerted; null: none. */
function highestLevelOf(summary: Summary): string | null {
  const levels = [
    ...(summary.rules ?? []).map((r) => r.level),
    ...(summary.correlations ?? []).filter((c) => c.alerts.length > 0).map((c) => c.level),
  ];
  let best: string | null = null;
  for (const level of levels) if (levelRank(level) > levelRank(best)) best = level;
  return best;
}
