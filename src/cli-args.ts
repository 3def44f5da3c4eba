/**
 * Command-line flags -> RawOptions (merged over `--file`). Accepts the original tool's flag
 * spellings (--assetIds, --actionParams, --outputType, --outDir, --testId, --logLevel,
 * --awsAccessKey, --awsSecret, --awsSessionToken) as hidden aliases, and its `cloudtrail`
 * sub-command word.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigurationError } from './errors.js';
import type { RawOptions } from './config/options.js';
import { inConfigFileTerms, readConfigFile, readSmallTextFile } from './config/config-file.js';
import { parseFilterText } from './query/parse-filter.js';
import { HELP_AFTER, USAGE } from './cli-help.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface CliSettings {
  raw: RawOptions;
  logLevel: LogLevel;
  /** Rows of the terminal table. */
  maxRows: number;
  progress: boolean;
  color: boolean;
  /** Every column at full width (`--wide`). */
  wide: boolean;
  /**
   * Restates an error about an option set by the config file in the file's words (the key the
   * user wrote); other errors pass unchanged.
   */
  explain(err: ConfigurationError): ConfigurationError;
}

/** What parseCliArgs found instead of a search to run. */
export type CliStop = 'exit' | 'usage';

/** The original tool took a sub-command, `cloudtrail`; its only one, so it changes nothing here. */
const SUBCOMMAND_WORD = 'cloudtrail';

/** The flag that sets each option, for messages (config-file keys are restated with them). */
export const FLAG_OF: Partial<Record<keyof RawOptions, string>> = {
  source: '--source',
  trails: '--trail',
  filter: '--filter',
  days: '--days',
  since: '--since',
  until: '--until',
  regions: '--regions',
  accounts: '--accounts',
  engine: '--engine',
  outDir: '--out-dir',
  format: '--format',
  testId: '--test-id',
  failOnMatch: '--fail-on-match',
  concurrency: '--concurrency',
  workers: '--workers',
  profile: '--profile',
  accessKeyId: '--aws-access-key-id',
  secretAccessKey: '--aws-secret-access-key',
  sessionToken: '--aws-session-token',
  awsRegion: '--aws-region',
  athenaDatabase: '--athena-database',
  athenaWorkgroup: '--athena-workgroup',
  athenaOutput: '--athena-output',
  athenaConcurrency: '--athena-concurrency',
  athenaTimeout: '--athena-timeout',
  maxScanBytes: '--max-scan-bytes',
  cleanup: '--cleanup',
  rules: '--rules',
  strict: '--strict',
  minLevel: '--min-level',
  state: '--state',
  stateMargin: '--state-margin',
  maxDeliveryDelay: '--max-delivery-delay',
  failOnNoLogs: '--fail-on-no-logs',
};

/**
 * `--filter @file.yml`: the filter map read from a file (JSON or YAML), bounded like a config
 * file; a filter the file holds that cannot be parsed is refused naming the file.
 */
export function readFilterArgument(value: string | undefined, flag = '--filter'): string | undefined {
  if (value === undefined || !value.startsWith('@')) return value;
  const file = value.slice(1);
  if (file === '') {
    throw new ConfigurationError(`${flag} @ needs a file name, e.g. ${flag} @filter.yml.`, flag);
  }
  const text = readSmallTextFile(file, { noun: 'Filter file', field: flag });
  try {
    parseFilterText(text);
  } catch (err) {
    if (err instanceof ConfigurationError) {
      throw new ConfigurationError(`${flag} @${file}: ${err.message}`, flag);
    }
    throw err;
  }
  return text;
}

/** A commander message as one sentence: no line break, one full stop, and where to find help. */
export function commanderMessage(message: string): string {
  const oneLine = message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\((Did you mean)/g, '(did you mean')
    .trim()
    .replace(/\.+$/, '');
  return `${oneLine}. Run with --help for the flags.`;
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
    .usage(USAGE)
    .version(version)
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true)
    // Operands are checked after parsing: the original tool's `cloudtrail` word is accepted.
    .allowExcessArguments(true)
    .option('-s, --source <location>', 'where the logs are: a local folder or s3://bucket[/prefix]')
    .option('-t, --trail <name...>', 'trail names or ARNs, resolved with cloudtrail:DescribeTrails', list)
    .option(
      '-f, --filter <map>',
      'filter map (JSON or YAML), or @FILE to read it from a file; keys ANDed, list values ORed',
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
    .option('--wide', 'terminal table: every column at full width (default: fit the terminal)')
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
    .addOption(new Option('--awsSessionToken <token>').hideHelp())
    .addHelpText('after', HELP_AFTER);
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

/**
 * Parses argv (without node and script) into settings; 'exit' when help or the version was
 * printed, 'usage' when nothing was asked. Throws ConfigurationError on bad flags.
 */
export function parseCliArgs(argv: string[], version: string, isTty: boolean): CliSettings | CliStop {
  if (argv.length === 0 || (argv.length === 1 && argv[0] === SUBCOMMAND_WORD)) return 'usage';
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
      throw new ConfigurationError(commanderMessage(err.message), 'arguments');
    }
    throw err;
  }
  const operands = program.args[0] === SUBCOMMAND_WORD ? program.args.slice(1) : program.args;
  if (operands.length > 0) {
    throw new ConfigurationError(
      `unexpected argument "${operands[0]}": everything is given with flags, e.g. --source ./logs --filter '{"eventName":"DeleteTrail"}'. Run with --help for the flags.`,
      'arguments',
    );
  }
  const f = program.opts<Flags>();
  const file: ReturnType<typeof readConfigFile> =
    typeof f.file === 'string' ? readConfigFile(f.file) : { raw: {} as RawOptions };
  const base = file.raw;
  const trails = (f.trail as string[] | undefined) ?? (f.assetIds as string[] | undefined);
  const raw: RawOptions = {
    ...base,
    ...defined({
      source: str(f.source),
      trails,
      filter: pick(
        readFilterArgument(str(f.filter)),
        readFilterArgument(str(f.actionParams), '--actionParams'),
      ),
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
  // Options the file set and no flag overrode: errors about them use the file's key.
  const fileKeys = Object.fromEntries(
    Object.entries(file.keys ?? {}).filter(
      ([option]) => raw[option as keyof RawOptions] === base[option as keyof RawOptions],
    ),
  );
  const configFile = str(f.file);
  return {
    raw,
    logLevel: logLevel as LogLevel,
    maxRows,
    progress: f.progress !== false && isTty,
    color: f.color !== false && isTty && !process.env.NO_COLOR,
    wide: f.wide === true,
    explain: (err) => (configFile ? inConfigFileTerms(err, configFile, fileKeys, FLAG_OF) : err),
  };
}

function defined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
