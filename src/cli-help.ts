/**
 * The CLI's help beyond the flag list: usage, examples, the filter's modifiers and the exit codes
 * (the codes come from src/outcome.ts, so the help cannot drift from what the CLI returns).
 */
import { ExitCodes, type RunResult } from './outcome.js';

const NAME = 'cloudtrail-investigate';

export const USAGE =
  '[cloudtrail] --source <folder|s3://bucket[/prefix]> | --trail <name> [--filter <map|@file>] [options]';

const EXAMPLES = `Examples:
  # Console sign-ins on one day, in a local folder of CloudTrail logs
  ${NAME} --source ./logs --filter '{"eventName":"ConsoleLogin"}' --since 2023-07-10T00:00:00Z --until 2023-07-11T00:00:00Z

  # Who stopped or deleted a trail in the last 7 days (S3, default AWS credentials)
  ${NAME} --source s3://my-trail-bucket --days 7 --filter '{"eventName":["StopLogging","DeleteTrail"]}'

  # The filter in a file (JSON or YAML)
  ${NAME} --source s3://my-trail-bucket --since 24h --filter @filter.yml

  # Sigma rules (built-in packs or your files); exit 1 when a high or critical rule matches
  ${NAME} --source s3://my-trail-bucket --since 3d --rules builtin:all --min-level high --fail-on-match

  # Plan only: which objects or queries a search would read
  ${NAME} --source s3://my-trail-bucket --days 90 --dry-run`;

const FILTER = `Filter (--filter, JSON or YAML): keys are ANDed, a list of values is ORed; case-insensitive.
  {"eventSource": "s3.amazonaws.com", "eventName|startswith": ["PutBucket", "DeleteBucket"],
   "not": {"errorCode|exists": true}}
  Modifiers after "|":
    contains, startswith, endswith  substring tests
    re                              regular expression (RE2: no lookaround or backreferences)
    cidr                            IPv4 or IPv6 network, e.g. 10.0.0.0/8
    exists                          true: present and not null; false: absent or null
    all                             with a list: every value must match
    cased                           exact case
  Grouping: "not": {map} and "any": [{map}, {map}]. No filter: every event in the window.`;

const MEANING: Record<RunResult, string> = {
  clean: 'done: complete (also when matches were found without --fail-on-match)',
  matched: 'matches found, with --fail-on-match',
  'invalid-input': 'invalid input or usage (also: no arguments); nothing was searched',
  incomplete: 'something could not be read, or the run was cancelled: matches may be missing',
  'no-logs': 'no logs where logs were expected, with --fail-on-no-logs (default with --fail-on-match)',
  error: 'the search could not run (e.g. no AWS credentials) or its results could not be written',
};

const EXIT_CODES = `Exit codes:\n${(Object.keys(ExitCodes) as RunResult[])
  .map((r) => `  ${ExitCodes[r]}  ${r.padEnd(13)}  ${MEANING[r]}`)
  .join('\n')}`;

/** Printed after the flag list by --help. */
export const HELP_AFTER = `\n${EXAMPLES}\n\n${FILTER}\n\n${EXIT_CODES}\n\nOutputs: <out-dir>/results.jsonl (or .json, .csv) and summary.json. More: README.md and docs/.`;

/** What a run with no arguments prints (on stderr, exit 2): how to start. */
export const SHORT_USAGE = `Usage: ${NAME} ${USAGE}

${EXAMPLES}

Run '${NAME} --help' for every flag, the filter's modifiers and the exit codes.`;
