/**
 * The validated, typed description of one search, built once by the config layer (from CLI flags,
 * a config file or the Action's inputs) and read by everything below it.
 */
import type { QueryNode } from './query/ast.js';
import type { RulePack, SigmaLevel } from './sigma/types.js';
import type { DeliveryRange } from './state/cursor.js';

/** Half-open window `[since, until)` on `eventTime`, exact to the second. */
export interface TimeWindow {
  since: Date;
  until: Date;
}

export type SourceSpec =
  /** A local folder (or single file) holding CloudTrail logs at any depth. */
  | { kind: 'local'; path: string }
  /** `s3://bucket[/prefix]`; prefix without leading/trailing slashes, may be empty. */
  | { kind: 's3'; bucket: string; prefix: string }
  /** Trail names or ARNs, resolved through cloudtrail:DescribeTrails (Athena issue). */
  | { kind: 'trail'; trails: string[] };

export type EngineName = 'scan' | 'athena' | 'auto';
export type OutputFormat = 'jsonl' | 'json' | 'csv';

export interface Credentials {
  profile?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Region for API calls when the location does not say (e.g. DescribeTrails). */
  region?: string;
}

export interface AthenaOptions {
  database: string;
  workgroup: string;
  /** s3:// location for query results; undefined = the workgroup's. */
  outputLocation?: string;
  cleanup: boolean;
  /** Regions queried at once. */
  concurrency: number;
  /** Overall timeout for the run's queries. */
  timeoutMs: number;
  maxScanBytes?: number;
}

export interface Investigation {
  source: SourceSpec;
  query: QueryNode;
  /** The filter as the user gave it, for summaries. `undefined` = no filter (export). */
  filterText?: string;
  /** True when a `resources.*` field is tested: matches carry `filtered_resource`. */
  usesResources: boolean;
  window: TimeWindow;
  /** Region names, or 'all' = every region present in the location. */
  regions: string[] | 'all';
  /** 12-digit account ids, or 'all'. */
  accounts: string[] | 'all';
  engine: EngineName;
  output: {
    dir: string;
    format: OutputFormat;
    /** Prefix for output file names (`<testId>-results.jsonl`), may be empty. */
    testId: string;
  };
  failOnMatch: boolean;
  dryRun: boolean;
  /** Objects fetched and parsed at once (scan engine); the first limit when adaptive. */
  concurrency: number;
  /** The scan engine adapts `concurrency` while it reads (`--concurrency auto`, the default). */
  adaptiveConcurrency?: boolean;
  /** Worker threads for the scan engine; 0 = parse on the main thread. */
  workers: number;
  credentials: Credentials;
  athena: AthenaOptions;
  /**
   * Sigma rules to detect with (`--rules`), compiled: when set, a record is a match when it
   * passes `query` (the filter narrows) and at least one rule (the rules detect).
   */
  rules?: RulePack;
  /** With rules: the lowest rule level that trips fail-on-match (default: any level). */
  minLevel?: SigmaLevel;
  /**
   * Incremental mode (`--state`): where the cursor lives, how far back the first run looks and the
   * margin re-listed each run. The search then reads what was delivered since the previous run.
   */
  incremental?: IncrementalOptions;
  /** Set by the search in incremental mode: the log files to read, by delivery (not the window). */
  delivery?: DeliveryRange;
  /** A location whose newest log file is older than this is blind (`no-logs`); default 3 hours. */
  maxDeliveryDelayMs?: number;
  /** Whether `no-logs` fails the run; default: when fail-on-match is set (a gate). */
  failOnNoLogs?: boolean;
}

export interface IncrementalOptions {
  /** A file path or `s3://bucket/key`. */
  state: string;
  /** First run (no state yet): how far back to read deliveries. */
  lookBackMs: number;
  /** Deliveries re-listed before the previous run's end, for files that appear late. */
  marginMs: number;
}
