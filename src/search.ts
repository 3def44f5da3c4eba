/**
 * One search, front-end agnostic: pick the engine, stream its matches through de-duplication into
 * the results file, write summary.json, and say what the exit code should be. The CLI and the
 * Action call this and only decide how to show the result.
 */
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Investigation } from './investigation.js';
import type { Logger } from './logger.js';
import { SEARCH_FAILURE_KEY, type EngineProgress, type MatchedEvent, type SearchStats } from './engines/types.js';
import type { Summary } from './report/types.js';
import { ExitCode, SearchError, errorMessage } from './errors.js';
import { chooseEngine } from './engines/select.js';
import { createEngine } from './engines/create.js';
import { openResultWriter } from './report/writers.js';
import { SummaryBuilder, writeSummary } from './report/summary.js';
import { EventDeduper } from './engines/dedupe.js';

export interface SearchOptions {
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
  /** How many matches to keep in memory for tables and annotations. */
  keepFirst?: number;
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
export function exitCodeFor(summary: Pick<Summary, 'complete' | 'matches'>, failOnMatch: boolean): ExitCode {
  if (!summary.complete) return ExitCode.Incomplete;
  if (failOnMatch && summary.matches > 0) return ExitCode.Matched;
  return ExitCode.Ok;
}

/** Stats for a run that failed before or while listing: nothing, or not everything, was read. */
function failedStats(engine: 'scan' | 'athena', reason: string, message: string): SearchStats {
  return {
    engine,
    engineReason: reason,
    objectsListed: 0,
    objectsRead: 0,
    objectsSkipped: 0,
    bytesRead: 0,
    bytesUncompressed: 0,
    recordsScanned: 0,
    recordsOutsideWindow: 0,
    failures: [{ key: SEARCH_FAILURE_KEY, reason: message }],
    regions: [],
    warnings: [],
  };
}

export async function runSearch(inv: Investigation, options: SearchOptions): Promise<SearchResult> {
  const { logger, signal, onProgress } = options;
  const keepFirst = options.keepFirst ?? 50;
  const startedAt = new Date();
  const choice = chooseEngine(inv);
  logger.info(`Engine: ${choice.engine} (${choice.reason})`);
  const names = outputFileNames(inv);
  await mkdir(inv.output.dir, { recursive: true });
  const resultsPath = path.join(inv.output.dir, names.results);
  const summaryPath = path.join(inv.output.dir, names.summary);

  const writer = await openResultWriter(inv.output.dir, names.results, inv.output.format);
  const dedupe = new EventDeduper();
  const builder = new SummaryBuilder();
  const firstMatches: MatchedEvent[] = [];
  let stats: SearchStats;
  try {
    const engine = createEngine(choice, logger);
    const run = engine.run(inv, { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
    try {
      for await (const event of run.events) {
        if (!dedupe.isFirst(event.eventID)) continue;
        await writer.write(event);
        builder.add(event);
        if (firstMatches.length < keepFirst) firstMatches.push(event);
      }
      stats = run.stats();
    } catch (err) {
      // A failure that stops the whole search (credentials, a missing bucket): keep what was
      // found, but the run is incomplete and says why.
      const message = errorMessage(err);
      logger.error(message);
      stats = failedStats(choice.engine, choice.reason, message);
      if (!(err instanceof SearchError)) logger.debug(String((err as Error).stack ?? err));
    }
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const summary = builder.build({
    inv,
    stats,
    matches: dedupe.unique,
    duplicatesDropped: dedupe.dropped,
    files: { results: names.results, summary: names.summary },
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
  });
  await writeSummary(summaryPath, summary);
  return { summary, resultsPath, summaryPath, firstMatches, exitCode: exitCodeFor(summary, inv.failOnMatch) };
}
