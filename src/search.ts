/**
 * One search, front-end agnostic: pick the engine, stream its matches through de-duplication into
 * the results file, write summary.json, and say what the exit code should be. The CLI and the
 * Action call this and only decide how to show the result.
 */
import type { Investigation } from './investigation.js';
import type { Logger } from './logger.js';
import type { EngineProgress, MatchedEvent } from './engines/types.js';
import type { Summary } from './report/types.js';
import type { ExitCode } from './errors.js';

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

export declare function runSearch(inv: Investigation, options: SearchOptions): Promise<SearchResult>;
