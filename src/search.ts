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
  type EngineProgress,
  ownedEvent,
  type MatchedEvent,
  type SearchStats,
} from './engines/types.js';
import type { Summary } from './report/types.js';
import { ExitCode, SearchError, errorMessage } from './errors.js';
import { chooseEngine } from './engines/select.js';
import { createEngine } from './engines/create.js';
import { openResultWriter, type ResultWriter } from './report/writers.js';
import { SummaryBuilder, writeSummary } from './report/summary.js';
import { EventDeduper, type EventIdSetOptions } from './engines/dedupe.js';
import { emptySearchStats } from './engines/stats.js';
import { ruleIdsAtLeast } from './sigma/pack.js';
import { s3IdleTimeoutMs, s3ReadMode } from './aws/settings.js';
import { OutputWriteError, describeFsError } from './out-dir.js';

export interface SearchOptions {
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
  /** How many matches to keep in memory for tables and annotations. */
  keepFirst?: number;
  /** De-duplication's settings (tests spill seen ids to disk sooner, or somewhere unwritable). */
  dedupe?: EventIdSetOptions;
}

export interface SearchResult {
  summary: Summary;
  /** Absolute paths of the files written. */
  resultsPath: string;
  summaryPath: string;
  /** The first `keepFirst` unique matches, in output order. */
  firstMatches: MatchedEvent[];
  /** 0, 1 (matches + failOnMatch) or 3 (incomplete). */
  exitCode: ExitCode;
}

export function outputFileNames(inv: Investigation): { results: string; summary: string; plan: string } {
  const prefix = inv.output.testId ? `${inv.output.testId}-` : '';
  return {
    results: `${prefix}results.${inv.output.format}`,
    summary: `${prefix}summary.json`,
    plan: `${prefix}plan.json`,
  };
}

/** The exit code a finished search deserves: incomplete wins over matches (fail closed). */
export function exitCodeFor(
  summary: Pick<Summary, 'complete' | 'matches' | 'gateMatches'>,
  failOnMatch: boolean,
): ExitCode {
  if (!summary.complete) return ExitCode.Incomplete;
  if (failOnMatch && (summary.gateMatches ?? summary.matches) > 0) return ExitCode.Matched;
  return ExitCode.Ok;
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
  const choice = chooseEngine(inv);
  logger.info(`Engine: ${choice.engine} (${choice.reason})`);
  // Settings read from the environment are checked before anything is read (exit code 2).
  s3IdleTimeoutMs();
  s3ReadMode();
  const names = outputFileNames(inv);
  await writing(inv.output.dir, () => mkdir(inv.output.dir, { recursive: true }));
  const resultsPath = path.join(inv.output.dir, names.results);
  const summaryPath = path.join(inv.output.dir, names.summary);
  // A previous run's files must not outlive a failure of this one and be read as its result.
  await writing(resultsPath, () => rm(resultsPath, { force: true }));
  await writing(summaryPath, () => rm(summaryPath, { force: true }));

  const writer = await writing(resultsPath, () =>
    openResultWriter(inv.output.dir, names.results, inv.output.format),
  );
  const dedupe = new EventDeduper(options.dedupe);
  const builder = new SummaryBuilder();
  const firstMatches: MatchedEvent[] = [];
  // With rules and a minimum level, only matches of rules at that level or above trip the gate.
  const gateRules = inv.rules && inv.minLevel ? ruleIdsAtLeast(inv.rules.rules, inv.minLevel) : undefined;
  let gateMatches = 0;
  let stats: SearchStats;
  try {
    const engine = await createEngine(choice, logger);
    // Transient events: each is written, counted and dropped before the next is asked for.
    const run = engine.run(inv, {
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      transientEvents: true,
    });
    try {
      for await (const event of run.events) {
        if (!dedupe.isFirst(event.eventID, event.jsonBytes ?? event.json)) continue;
        const flushing = writeEvent(writer, event);
        if (flushing) await flushing;
        builder.add(event, event.ruleIds);
        if (gateRules && event.ruleIds?.some((id) => gateRules.has(id))) gateMatches++;
        if (firstMatches.length < keepFirst) firstMatches.push(ownedEvent(event));
      }
      stats = run.stats();
    } catch (err) {
      // The results cannot be written: nothing useful can come of this run.
      if (err instanceof OutputWriteError) throw err;
      // A failure that stops the whole search (credentials, a missing bucket): keep what was
      // found, but the run is incomplete and says why.
      const message = errorMessage(err);
      logger.error(message);
      stats = failedStats(choice.engine, choice.reason, message);
      if (!(err instanceof SearchError)) logger.debug(String((err as Error).stack ?? err));
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
    const warning = `${dedupe.conflicting} records repeated an earlier record's eventID with different content: the first was kept; the others may be forged or altered (summary.json: conflictingDuplicates).`;
    logger.warning(warning);
    stats.warnings.push(warning);
  }
  const built = builder.build({
    inv,
    stats,
    matches: dedupe.unique,
    duplicatesDropped: dedupe.dropped,
    conflictingDuplicates: dedupe.conflicting,
    files: { results: names.results, summary: names.summary },
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
  });
  const summary: Summary = gateRules ? { ...built, minLevel: inv.minLevel ?? null, gateMatches } : built;
  try {
    await writing(summaryPath, () => writeSummary(summaryPath, summary));
  } catch (err) {
    // Results without their summary would say nothing about completeness: neither file stays.
    await rm(resultsPath, { force: true }).catch(() => {});
    throw err;
  }
  return { summary, resultsPath, summaryPath, firstMatches, exitCode: exitCodeFor(summary, inv.failOnMatch) };
}
