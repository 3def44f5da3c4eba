/**
 * Command-line flags -> RawOptions (merged over `--file`). Accepts the original tool's flag
 * spellings (--assetIds, --actionParams, --outputType, --outDir, --testId, --logLevel,
 * --awsAccessKey, --awsSecret, --awsSessionToken) as hidden aliases.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigurationError } from './errors.js';
import type { RawOptions } from './config/options.js';
import { readConfigFile } from './config/config-file.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface CliSettings {
  raw: RawOptions;
  logLevel: LogLevel;
  /** Rows of the terminal table. */
  maxRows: number;
  progress: boolean;
  color: boolean;
}

const list = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

export function buildProgram(version: string): Command {
  const program = new Command('cloudtrail-investigate')
    .description(
      'Find the AWS CloudTrail events matching a query in trail logs stored in S3 or a local folder.',
    )
    .version(version)
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .option('-s, --source <location>', 'where the logs are: a local folder or s3://bucket[/prefix]')
    .option('-t, --trail <name...>', 'trail name(s) or ARN(s), resolved with cloudtrail:DescribeTrails', list)
    .option(
      '-f, --filter <map>',
      'filter map (JSON or YAML), e.g. \'{"eventname":"ConsoleLogin"}\'; keys ANDed, list values ORed',
    )
    .option('--days <n>', 'window: the N days before --until (fractional, min 0.01; default 90)')
    .option('--since <time>', 'window start: ISO-8601 (2023-07-10T00:00:00Z) or a duration ago (15m, 6h, 3d)')
    .option('--until <time>', 'window end, exclusive (default now)')
    .option('-r, --regions <list>', 'comma-separated regions, or "all" (default all present)')
    .option('-a, --accounts <list>', 'comma-separated account ids, or "all" (default all present)')
    .addOption(new Option('-e, --engine <engine>', 'search engine').choices(['scan', 'athena', 'auto']))
    .option('-o, --out-dir <dir>', 'output folder (default ./cloudtrail-investigation)')
    .addOption(
      new Option('--format <format>', 'results file format (default jsonl)').choices([
        'jsonl',
        'json',
        'csv',
      ]),
    )
    .option('--test-id <id>', 'prefix for the output file names')
    .option('--fail-on-match', 'exit 1 when anything matched (exit 3 if the search was incomplete)')
    .option(
      '--state <location>',
      'incremental mode: the cursor file or s3://bucket/key; reads what was delivered since the last run',
    )
    .option(
      '--state-margin <duration>',
      'incremental mode: deliveries listed again for late files (default 1h)',
    )
    .option('--max-delivery-delay <duration>', 'newest log file older than this = no-logs (default 3h)')
    .option(
      '--fail-on-no-logs',
      'exit 4 when no logs were found where expected (default: with --fail-on-match)',
    )
    .option('--no-fail-on-no-logs', 'only warn when no logs were found where expected')
    .option('--dry-run', 'print and write the plan (plan.json) without reading any log data')
    .option('--file <config>', 'config file (YAML or JSON); flags override it')
    .option(
      '--concurrency <n>',
      'objects fetched at once: auto (default; adapts to latency and throttling) or a number',
    )
    .option('--workers <n>', 'parser threads; 0 = main thread (default: one per core)')
    .option('--profile <name>', 'AWS shared-config profile')
    .option('--aws-access-key-id <id>', 'AWS access key id (prefer the default credential chain)')
    .option('--aws-secret-access-key <secret>', 'AWS secret access key')
    .option('--aws-session-token <token>', 'AWS session token')
    .option('--aws-region <region>', 'region for API calls when the location does not say')
    .option('--athena-database <name>', 'Athena database (default cloudtrail_investigate)')
    .option('--athena-workgroup <name>', 'Athena workgroup (default primary)')
    .option('--athena-output <s3url>', "Athena result location (default: the workgroup's)")
    .option('--athena-concurrency <n>', 'regions queried at once (default 5)')
    .option('--athena-timeout <duration>', 'overall Athena timeout, e.g. 30m (default 30m)')
    .option('--max-scan-bytes <size>', 'refuse Athena scans above this size, e.g. 50GB')
    .option('--cleanup', "delete this run's Athena results and any table it created")
    .option('--rules <spec...>', 'Sigma rules: files, folders, globs or builtin:<pack> (repeatable)')
    .option('--strict', 'with --rules: unsupported rules are an error instead of a notice')
    .option('--min-level <level>', 'with --rules: lowest rule level that trips --fail-on-match')
    .option('--max-rows <n>', 'matches shown in the terminal table (default 20)')
    .option('--no-progress', 'no progress bar')
    .option('--no-color', 'no colours')
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']))
    // The original tool's spellings.
    .addOption(new Option('--assetIds <ids>').hideHelp().argParser(list))
    .addOption(new Option('--actionParams <map>').hideHelp())
    .addOption(new Option('--outputType <format>').hideHelp())
    .addOption(new Option('--outDir <dir>').hideHelp())
    .addOption(new Option('--testId <id>').hideHelp())
    .addOption(new Option('--logLevel <level>').hideHelp())
    .addOption(new Option('--awsAccessKey <id>').hideHelp())
    .addOption(new Option('--awsSecret <secret>').hideHelp())
    .addOption(new Option('--awsSessionToken <token>').hideHelp());
  return program;
}

type Flags = Record<string, unknown>;

function pick<T>(...values: Array<T | undefined>): T | undefined {
  return values.find((v) => v !== undefined);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Parses argv (without node and script) into settings. Throws ConfigurationError on bad flags. */
export function parseCliArgs(argv: string[], version: string, isTty: boolean): CliSettings | 'exit' {
  const program = buildProgram(version);
  let printed = false;
  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => {
      printed = true;
      process.stdout.write(s);
    },
    writeErr: () => {},
  });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || printed)
        return 'exit';
      throw new ConfigurationError(
        `${err.message.replace(/^error: /, '')}. Run with --help for the flags.`,
        'arguments',
      );
    }
    throw err;
  }
  const f = program.opts<Flags>();
  const file = typeof f.file === 'string' ? readConfigFile(f.file) : { raw: {} as RawOptions };
  const base = file.raw;
  const trails = (f.trail as string[] | undefined) ?? (f.assetIds as string[] | undefined);
  const raw: RawOptions = {
    ...base,
    ...defined({
      source: str(f.source),
      trails,
      filter: pick(str(f.filter), str(f.actionParams)),
      days: str(f.days),
      since: str(f.since),
      until: str(f.until),
      regions: str(f.regions),
      accounts: str(f.accounts),
      engine: str(f.engine),
      outDir: pick(str(f.outDir)),
      format: pick(str(f.format), str(f.outputType)),
      testId: pick(str(f.testId)),
      failOnMatch: f.failOnMatch === true ? true : undefined,
      dryRun: f.dryRun === true ? true : undefined,
      concurrency: str(f.concurrency),
      workers: str(f.workers),
      profile: str(f.profile),
      accessKeyId: pick(str(f.awsAccessKeyId), str(f.awsAccessKey)),
      secretAccessKey: pick(str(f.awsSecretAccessKey), str(f.awsSecret)),
      sessionToken: pick(str(f.awsSessionToken)),
      awsRegion: str(f.awsRegion),
      athenaDatabase: str(f.athenaDatabase),
      athenaWorkgroup: str(f.athenaWorkgroup),
      athenaOutput: str(f.athenaOutput),
      athenaConcurrency: str(f.athenaConcurrency),
      athenaTimeout: str(f.athenaTimeout),
      maxScanBytes: str(f.maxScanBytes),
      cleanup: f.cleanup === true ? true : undefined,
      rules: f.rules as string[] | undefined,
      strict: f.strict === true ? true : undefined,
      minLevel: str(f.minLevel),
      state: str(f.state),
      stateMargin: str(f.stateMargin),
      maxDeliveryDelay: str(f.maxDeliveryDelay),
      failOnNoLogs: typeof f.failOnNoLogs === 'boolean' ? f.failOnNoLogs : undefined,
    }),
  };
  // The original flags --days in the filter and --since/--until on the command line: flags win.
  if (
    (raw.since !== undefined || raw.until !== undefined) &&
    str(f.days) === undefined &&
    base.days !== undefined
  ) {
    delete raw.days;
  }
  const level = pick(str(f.logLevel), file.logLevel) ?? 'info';
  const logLevel = level.toLowerCase() === 'warning' ? 'warn' : level.toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigurationError(
      `log level must be one of ${LOG_LEVELS.join(', ')}; got "${level}".`,
      '--log-level',
    );
  }
  const maxRows = str(f.maxRows) === undefined ? 20 : Number(f.maxRows);
  if (!Number.isInteger(maxRows) || maxRows < 0) {
    throw new ConfigurationError(
      `--max-rows must be a whole number (0 hides the table); got "${String(f.maxRows)}".`,
      '--max-rows',
    );
  }
  return {
    raw,
    logLevel: logLevel as LogLevel,
    maxRows,
    progress: f.progress !== false && isTty,
    color: f.color !== false && isTty && !process.env.NO_COLOR,
  };
}

function defined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
