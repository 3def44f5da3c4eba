/**
 * Raw options: what a user typed, before validation, in one shape for every front end. The CLI
 * (flags and `--file`) and the Action (inputs) each fill a RawOptions; `buildInvestigation` turns
 * it into a validated Investigation or throws a ConfigurationError naming the field.
 * Strings stay strings here so every front end shares one validator and one set of messages.
 */
export interface RawOptions {
  /** Local folder or s3://bucket/prefix. */
  source?: string;
  /** Trail names or ARNs (original tool: assetIds). */
  trails?: string[];
  /** The filter map: JSON or YAML text, or an already-parsed object (config files). */
  filter?: string | Record<string, unknown>;
  days?: string | number;
  since?: string;
  until?: string;
  /** Comma-separated list or 'all'. */
  regions?: string | string[];
  accounts?: string | string[];
  engine?: string;
  outDir?: string;
  format?: string;
  testId?: string;
  failOnMatch?: boolean | string;
  dryRun?: boolean;
  concurrency?: string | number;
  workers?: string | number;
  profile?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  awsRegion?: string;
  athenaDatabase?: string;
  athenaWorkgroup?: string;
  athenaOutput?: string;
  athenaConcurrency?: string | number;
  athenaTimeout?: string | number;
  maxScanBytes?: string | number;
  cleanup?: boolean | string;
  /** Sigma rule files, folders, globs or `builtin:<pack>`. */
  rules?: string[];
  /** Unsupported rules are an error instead of a notice. */
  strict?: boolean | string;
  /** Lowest rule level that trips fail-on-match. */
  minLevel?: string;
  /** Incremental mode: where the cursor state lives (file path or s3://bucket/key). */
  state?: string;
  /** Incremental mode: deliveries re-listed before the previous run's end (duration). */
  stateMargin?: string;
  /** A location whose newest log file is older than this is blind (duration). */
  maxDeliveryDelay?: string;
  /** Whether a blind location fails the run (default: with fail-on-match). */
  failOnNoLogs?: boolean | string;
}
