/**
 * The hostile and bad input corpus: one row per case, run against the CLI (every row) and the
 * Action (rows with `action`). Expected exit codes are the documented ones: 2 for invalid input
 * (nothing read, no AWS call), 3 for data that cannot be read, 0 when the input is odd but valid.
 *
 * Placeholders in `args`: `{data}` is the case's own data folder (its `data` files), `{config}`
 * its config file. A case without `--source` searches the shipped examples; without a window
 * flag it searches 2023-07-10 (UTC).
 */
import { createGzip, gzipSync } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

export interface HostileCase {
  name: string;
  args?: string[];
  /** Files of the case's data folder: name -> content (a path to write it to, for big files). */
  data?: Record<string, string | Buffer | ((file: string) => Promise<void>)>;
  /** A config file for `--file {config}`. */
  config?: string | Buffer;
  exit: 0 | 2 | 3;
  /** What stderr must say (the CLI); the Action's failure message for `action` rows. */
  message: RegExp;
  /** The same case as Action inputs (source and window are added like for the CLI). */
  action?: Record<string, string>;
  /** The Action's message when it words it differently (input names instead of flags). */
  actionMessage?: RegExp;
  /** An Action-only input: not run against the CLI. */
  actionOnly?: boolean;
  /** Extra expectations on the output folder (results, summary.json). */
  expectSummary?: Record<string, unknown>;
}

const EVENT_TIME = '2023-07-10T01:00:00Z';
const event = (id: string, extra: Record<string, unknown> = {}) => ({
  eventVersion: '1.08',
  eventTime: EVENT_TIME,
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateUser',
  awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.7',
  userAgent: 'aws-cli/2.13.0',
  eventID: id,
  recipientAccountId: '111122223333',
  ...extra,
});
const records = (...events: object[]): string => JSON.stringify({ Records: events });

/** A YAML "billion laughs": 10 levels of 10 aliases each = 10^10 strings if expanded. */
function aliasBomb(lastKey: string): string {
  const lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(',')}]`,
    );
  lines.push(`${lastKey}: [${Array(10).fill('*l8').join(',')}]`);
  return lines.join('\n');
}

/**
 * A gzip member of `bytes` zeros, streamed (never held in memory): zeros compress ~1000:1, so
 * 600 MB is ~600 KB on disk — over the scan engine's 512 MB decompression cap.
 */
export function gzipBomb(bytes: number): (file: string) => Promise<void> {
  return async (file) => {
    const chunk = Buffer.alloc(1024 * 1024);
    let left = bytes;
    const zeros = Readable.from(
      (function* () {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          yield n === chunk.length ? chunk : chunk.subarray(0, n);
        }
      })(),
    );
    await pipeline(zeros, createGzip({ level: 1 }), createWriteStream(file));
  };
}

const TEN_MB = 10 * 1024 * 1024;
const nested = (depth: number): string => '{"not":'.repeat(depth) + '{"eventName":"x"}' + '}'.repeat(depth);

export const CASES: HostileCase[] = [
  // ---- the filter: malformed JSON / YAML -----------------------------------------------------
  {
    name: 'filter: unclosed JSON object',
    args: ['--filter', '{"eventName": "ConsoleLogin"'],
    exit: 2,
    message: /filter is not valid JSON or YAML at line 1/,
    action: { filters: '{"eventName": "ConsoleLogin"' },
    actionMessage: /Invalid input `filters`: .*not valid JSON or YAML/,
  },
  {
    name: 'filter: unclosed YAML flow list',
    args: ['--filter', 'eventName: [a, b'],
    exit: 2,
    message: /filter is not valid JSON or YAML/,
  },
  {
    name: 'filter: YAML with a tab indent',
    args: ['--filter', 'eventName:\n\t- a'],
    exit: 2,
    message: /filter is not valid JSON or YAML/,
  },
  {
    name: 'filter: duplicate key',
    args: ['--filter', '{"eventName": "a", "eventName": "b"}'],
    exit: 2,
    message: /Map keys must be unique/,
  },
  {
    name: 'filter: YAML alias bomb (billion laughs)',
    args: ['--filter', aliasBomb('eventName')],
    exit: 2,
    message: /filter cannot be read: it expands YAML aliases/,
    action: { filters: aliasBomb('eventName') },
    actionMessage: /Invalid input `filters`: .*YAML aliases/,
  },
  {
    name: 'config: 2.6 MB document',
    args: ['--file', '{config}'],
    config: `filter:\n  eventName:\n${'    - CreateUserCreateUserCreateUser\n'.repeat(70_000)}`,
    exit: 2,
    message: /is 2\.\d MB, larger than the limit of 1 MiB/,
  },
  {
    name: 'filter: a list instead of a map',
    args: ['--filter', '["eventName", "ConsoleLogin"]'],
    exit: 2,
    message: /filter must be a map of field to a value or a list of values.*got a list/,
  },
  {
    name: 'filter: a bare word',
    args: ['--filter', 'ConsoleLogin'],
    exit: 2,
    message: /filter must be a map.*got a string/,
  },
  {
    name: 'filter: YAML binary tag',
    args: ['--filter', '!!binary aGVsbG8='],
    exit: 2,
    message: /filter must be a map/,
  },
  {
    name: 'filter: not/any nested 40 deep',
    args: ['--filter', nested(40)],
    exit: 2,
    message: /nest more than 32 levels deep/,
  },
  {
    name: 'filter: JSON nested 5000 deep',
    args: ['--filter', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    exit: 2,
    message: /filter (is not valid JSON or YAML|must be a map|cannot be read)/,
  },
  // ---- unknown and misspelled fields, modifiers ------------------------------------------------
  {
    name: 'field: misspelled, with a suggestion',
    args: ['--filter', '{"eventNmae": "ConsoleLogin"}'],
    exit: 2,
    message: /unknown field "eventNmae".*Did you mean "eventName"/,
    action: { filters: 'eventNmae: ConsoleLogin' },
    actionMessage: /Invalid input `filters`:.*Did you mean "eventName"/,
  },
  {
    name: 'field: misspelled sub-field',
    args: ['--filter', '{"userIdentity.usrName": "alice"}'],
    exit: 2,
    message: /unknown field "usrName".*Did you mean "userIdentity.userName"/,
  },
  {
    name: 'field: __proto__',
    args: ['--filter', '{"__proto__": {"eventName": "x"}}'],
    exit: 2,
    message: /unknown field "__proto__"/,
  },
  {
    name: 'field: constructor',
    args: ['--filter', '{"constructor": "x"}'],
    exit: 2,
    message: /unknown field "constructor"/,
  },
  {
    name: 'field: empty path segment',
    args: ['--filter', '{"userIdentity..arn": "x"}'],
    exit: 2,
    message: /is not a field path/,
  },
  {
    name: 'field: sub-field of a scalar',
    args: ['--filter', '{"eventName.length": 3}'],
    exit: 2,
    message: /single value and has no sub-field "length"/,
  },
  {
    name: 'modifier: misspelled',
    args: ['--filter', '{"eventName|startwith": "Get"}'],
    exit: 2,
    message: /unknown modifier "startwith" \(did you mean "startswith"\?\)/,
  },
  {
    name: 'modifier: repeated',
    args: ['--filter', '{"eventName|re|re": "x"}'],
    exit: 2,
    message: /modifier "re" is repeated/,
  },
  {
    name: 'modifier: two operators',
    args: ['--filter', '{"eventName|contains|re": "x"}'],
    exit: 2,
    message: /"contains" and "re" cannot be combined/,
  },
  {
    name: 'modifier: empty',
    args: ['--filter', '{"eventName|": "x"}'],
    exit: 2,
    message: /unknown modifier ""/,
  },
  // ---- wrong types ---------------------------------------------------------------------------
  {
    name: 'type: object value',
    args: ['--filter', '{"eventName": {"a": 1}}'],
    exit: 2,
    message: /values must be strings, numbers, booleans or null.*found an object/,
    action: { filters: '{"eventName": {"a": 1}}' },
    actionMessage: /Invalid input `filters`:.*found an object/,
  },
  {
    name: 'type: nested list',
    args: ['--filter', '{"eventName": [["a"]]}'],
    exit: 2,
    message: /found a list inside the list/,
  },
  {
    name: 'type: empty list',
    args: ['--filter', '{"eventName": []}'],
    exit: 2,
    message: /the list of values is empty/,
  },
  {
    name: 'type: exists with a word',
    args: ['--filter', '{"errorCode|exists": "maybe"}'],
    exit: 2,
    message: /"exists" takes true or false; got "maybe"/,
  },
  { name: 'type: NaN', args: ['--filter', '{"eventName": .nan}'], exit: 2, message: /found the number NaN/ },
  {
    name: 'type: null with contains',
    args: ['--filter', '{"eventName|contains": null}'],
    exit: 2,
    message: /null can only be compared for equality/,
  },
  {
    name: 'type: days in the filter is a word',
    args: ['--filter', '{"days": "many"}'],
    exit: 2,
    message: /"days" must be a positive number/,
  },
  {
    name: 'type: not with a string',
    args: ['--filter', '{"not": "x"}'],
    exit: 2,
    message: /"not" takes a map/,
  },
  {
    name: 'type: any with a map',
    args: ['--filter', '{"any": {"eventName": "x"}}'],
    exit: 2,
    message: /"any" takes a list of maps/,
  },
  // ---- regular expressions -------------------------------------------------------------------
  {
    name: 'regex: unbalanced parenthesis',
    args: ['--filter', '{"eventName|re": "("}'],
    exit: 2,
    message: /invalid regular expression "\(": .*Unterminated group/,
    action: { filters: '{"eventName|re": "("}' },
    actionMessage: /Invalid input `filters`:.*invalid regular expression/,
  },
  {
    name: 'regex: reversed range',
    args: ['--filter', '{"eventName|re": "[z-a]"}'],
    exit: 2,
    message: /invalid regular expression "\[z-a\]".*Range out of order/,
  },
  {
    name: 'regex: lookaround (RE2 cannot run it in linear time)',
    args: ['--filter', '{"userAgent|re": "(?=(a+)+b)"}'],
    exit: 2,
    message: /filter key "userAgent\|re": .*refused: lookaround .*drop the lookahead/,
    action: { filters: '{"userAgent|re": "(?=(a+)+b)"}' },
    actionMessage: /Invalid input `filters`:.*lookaround/,
  },
  {
    name: 'regex: backreference',
    args: ['--filter', '{"userAgent|re": "(a)\\\\1"}'],
    exit: 2,
    message: /refused: a backreference/,
  },
  {
    name: 'regex: a program too large for a linear bound',
    args: ['--filter', '{"userAgent|re": "x{0,999}x{0,999}y"}'],
    exit: 2,
    message: /refused: it compiles to \d+ steps per character, over the limit of 1000/,
  },
  {
    // Exponential in a backtracking engine; RE2 runs it in linear time on the hostile value.
    name: 'data: nested repetition (a+)+ against 30,000 a',
    args: ['--filter', '{"userAgent|re": "^(a+)+$"}'],
    data: {
      'ua.json': records(
        event('r1', { userAgent: `${'a'.repeat(30_000)}!` }),
        event('r2', { userAgent: 'aaa' }),
      ),
    },
    exit: 0,
    message: /1 match in 1 object/,
    expectSummary: { complete: true, matches: 1 },
  },
  {
    name: 'data: polynomial .*a.*a.*b and (?:a|a) x 40 against 30,000 a',
    args: ['--filter', JSON.stringify({ 'userAgent|re': ['.*a.*a.*b', '(?:a|a)'.repeat(40) + 'b'] })],
    data: { 'ua.json': records(event('r1', { userAgent: 'a'.repeat(30_000) })) },
    exit: 0,
    message: /0 matches in 1 object/,
    expectSummary: { complete: true, matches: 0 },
  },
  {
    name: 'regex: 1001 characters',
    args: ['--filter', JSON.stringify({ 'userAgent|re': 'a'.repeat(1001) })],
    exit: 2,
    message: /1001 characters long; the limit is 1000/,
  },
  {
    name: 'regex: not a string',
    args: ['--filter', '{"eventName|re": true}'],
    exit: 2,
    message: /a regular expression must be a string/,
  },
  // ---- networks ------------------------------------------------------------------------------
  {
    name: 'cidr: IPv4 prefix 33',
    args: ['--filter', '{"sourceIPAddress|cidr": "10.0.0.0/33"}'],
    exit: 2,
    message: /"\/33" must be a whole number from 0 to 32/,
    action: { filters: 'sourceIPAddress|cidr: 10.0.0.0/33' },
    actionMessage: /Invalid input `filters`:.*\/33/,
  },
  {
    name: 'cidr: IPv6 prefix 129',
    args: ['--filter', '{"sourceIPAddress|cidr": "2001:db8::/129"}'],
    exit: 2,
    message: /from 0 to 128/,
  },
  {
    name: 'cidr: not an address',
    args: ['--filter', '{"sourceIPAddress|cidr": "AWS Internal"}'],
    exit: 2,
    message: /"AWS Internal" is not an IPv4 or IPv6 address/,
  },
  {
    name: 'cidr: octet over 255',
    args: ['--filter', '{"sourceIPAddress|cidr": "10.0.0.256/8"}'],
    exit: 2,
    message: /is not an IPv4 or IPv6 address/,
  },
  {
    name: 'cidr: a number',
    args: ['--filter', '{"sourceIPAddress|cidr": 10}'],
    exit: 2,
    message: /a network must be a string/,
  },
  {
    name: 'cidr: with a zone id',
    args: ['--filter', '{"sourceIPAddress|cidr": "fe80::1%eth0/64"}'],
    exit: 2,
    message: /is not an IPv4 or IPv6 address/,
  },
  // ---- the window ----------------------------------------------------------------------------
  {
    name: 'window: reversed',
    args: ['--since', '2023-07-11T00:00:00Z', '--until', '2023-07-10T00:00:00Z'],
    exit: 2,
    message: /--since .* must be before --until/,
    action: { since: '2023-07-11T00:00:00Z', until: '2023-07-10T00:00:00Z' },
    actionMessage: /since .* must be before until/,
  },
  {
    name: 'window: empty',
    args: ['--since', '2023-07-10T00:00:00Z', '--until', '2023-07-10T00:00:00Z'],
    exit: 2,
    message: /must be before --until/,
  },
  {
    name: 'window: wholly in the future',
    args: ['--since', '2999-01-01T00:00:00Z', '--until', '2999-01-02T00:00:00Z'],
    exit: 2,
    message: /future/,
    action: { since: '2999-01-01T00:00:00Z', until: '2999-01-02T00:00:00Z' },
    actionMessage: /future/,
  },
  {
    name: 'window: not a time',
    args: ['--since', 'last tuesday'],
    exit: 2,
    message: /--since must be an ISO-8601 time/,
  },
  { name: 'window: month 13', args: ['--since', '2023-13-01T00:00:00Z'], exit: 2, message: /--since/ },
  { name: 'window: zero days', args: ['--days', '0'], exit: 2, message: /--days must be at least 0.01/ },
  {
    name: 'window: negative days',
    args: ['--days', '-3'],
    exit: 2,
    message: /--days must be at least 0.01/,
    action: { days: '-3', since: '', until: '' },
    actionMessage: /Invalid input `days`: must be at least 0.01/,
  },
  { name: 'window: days not a number', args: ['--days', 'ten'], exit: 2, message: /--days/ },
  // ---- scope ---------------------------------------------------------------------------------
  {
    name: 'scope: unknown region',
    args: ['--regions', 'us-east-1,narnia-1'],
    exit: 2,
    message: /--regions: "narnia-1" is not an AWS region/,
    action: { regions: 'us-east-1,narnia-1' },
    actionMessage: /Invalid input `regions`: "narnia-1" is not an AWS region/,
  },
  {
    name: 'scope: region with shell text',
    args: ['--regions', 'us-east-1;rm -rf /'],
    exit: 2,
    message: /--regions: "us-east-1;rm" is not an AWS region/,
  },
  {
    name: 'scope: 11-digit account',
    args: ['--accounts', '12345678901'],
    exit: 2,
    message: /--accounts: "12345678901"/,
    action: { accounts: '12345678901' },
    actionMessage: /Invalid input `accounts`: "12345678901"/,
  },
  {
    name: 'scope: account with a letter',
    args: ['--accounts', '11112222333a'],
    exit: 2,
    message: /--accounts: "11112222333a"/,
  },
  // ---- other flags and inputs ----------------------------------------------------------------
  {
    name: 'flag: unknown, with a suggestion',
    args: ['--regoins', 'us-east-1'],
    exit: 2,
    message: /unknown option '--regoins'.*--regions/s,
  },
  { name: 'flag: bad format', args: ['--format', 'xml'], exit: 2, message: /format/ },
  {
    name: 'flag: test id with a path',
    args: ['--test-id', '../escape'],
    exit: 2,
    message: /--test-id may hold letters, digits/,
  },
  {
    name: 'flag: concurrency zero',
    args: ['--concurrency', '0'],
    exit: 2,
    message: /--concurrency must be a whole number from 1 to 256/,
  },
  {
    name: 'flag: Athena output not on S3',
    args: ['--source', 's3://my-trail-bucket', '--athena-output', 'https://example.com/x'],
    exit: 2,
    message: /--athena-output must be an S3 location/,
  },
  {
    name: 'source: bucket name with capitals',
    args: ['--source', 's3://Bad_Bucket/x'],
    exit: 2,
    message: /--source/,
    action: { source: 's3://Bad_Bucket/x' },
    actionMessage: /Invalid input `source`/,
  },
  {
    name: 'source: inside AWSLogs/',
    args: ['--source', 's3://my-trail-bucket/AWSLogs/111122223333/CloudTrail'],
    exit: 2,
    message: /points inside AWSLogs\//,
  },
  {
    name: 'source: missing folder',
    args: ['--source', '/nonexistent/cloudtrail'],
    exit: 2,
    message: /nonexistent/,
  },
  {
    name: 'keys: access key without secret',
    args: ['--aws-access-key-id', 'AKIAIOSFODNN7EXAMPLE'],
    exit: 2,
    message: /secret access key/,
  },
  {
    name: 'action: fail-on-match maybe',
    actionOnly: true,
    exit: 2,
    message: /./,
    action: { 'fail-on-match': 'maybe' },
    actionMessage:
      /Invalid input `fail-on-match`: must be true or false \(true \| True \| TRUE \| false \| False \| FALSE\); got "maybe"/,
  },
  {
    name: 'action: summary-max-rows negative',
    actionOnly: true,
    exit: 2,
    message: /./,
    action: { 'summary-max-rows': '-1' },
    actionMessage: /Invalid input `summary-max-rows`: must be a whole number from 0 to 1000/,
  },
  {
    name: 'action: role-to-assume not an ARN',
    actionOnly: true,
    exit: 2,
    message: /./,
    action: { 'role-to-assume': 'admin' },
    actionMessage: /Invalid input `role-to-assume`: must be an IAM role ARN/,
  },
  {
    name: 'action: artifact name with a slash',
    actionOnly: true,
    exit: 2,
    message: /./,
    action: { 'artifact-name': 'a/b' },
    actionMessage: /Invalid input `artifact-name`: must not contain/,
  },
  // ---- config files --------------------------------------------------------------------------
  {
    name: 'config: unknown key with a suggestion',
    args: ['--file', '{config}'],
    config: 'regoins: [us-east-1]\n',
    exit: 2,
    message: /unknown key "regoins"\. Did you mean "regions"\?/,
  },
  {
    name: 'config: malformed YAML',
    args: ['--file', '{config}'],
    config: 'regions: [us-east-1\n',
    exit: 2,
    message: /is not valid YAML\/JSON/,
  },
  {
    name: 'config: alias bomb',
    args: ['--file', '{config}'],
    config: aliasBomb('regions'),
    exit: 2,
    message: /could not be read: it expands YAML aliases/,
  },
  {
    name: 'config: regions as a map',
    args: ['--file', '{config}'],
    config: 'regions: {a: 1}\n',
    exit: 2,
    message: /config key "regions" must be a list of strings/,
  },
  {
    name: 'config: a list, not a map',
    args: ['--file', '{config}'],
    config: '- regions\n',
    exit: 2,
    message: /must hold a map of settings/,
  },
  {
    name: 'config: not UTF-8',
    args: ['--file', '{config}'],
    config: Buffer.from([0x72, 0x65, 0x67, 0x69, 0x6f, 0x6e, 0x73, 0x3a, 0x20, 0xff, 0xfe, 0x0a]),
    exit: 2,
    message: /is not UTF-8 text/,
  },
  {
    name: 'config: /dev/zero',
    args: ['--file', '/dev/zero'],
    exit: 2,
    message: /\/dev\/zero is not a regular file/,
  },
  { name: 'config: a folder', args: ['--file', '/tmp'], exit: 2, message: /\/tmp is not a regular file/ },
  // ---- data that cannot be read: exit 3, the object named with its reason ------------------
  {
    name: 'data: gzip bomb over the 512 MB cap',
    data: { 'bomb.json.gz': gzipBomb(600 * 1024 * 1024), 'good.json': records(event('g1')) },
    exit: 3,
    message:
      /bomb\.json\.gz: decompressed size exceeds 536870912 bytes by its gzip trailer \(629145600 announced; possible gzip bomb\)/,
    expectSummary: { complete: false, matches: 1 },
  },
  {
    // A stray file (valid JSON, no CloudTrail shape, not named like a log) is skipped and listed.
    name: 'data: a stray JSON file that is not CloudTrail',
    data: { 'other.json': '{"Config": {"rules": []}}', 'good.json': records(event('g1')) },
    exit: 0,
    message: /Skipped other\.json: valid JSON, but not a CloudTrail log: no "Records" array/,
    expectSummary: {
      complete: true,
      matches: 1,
      skippedFiles: [
        {
          key: 'other.json',
          reason: 'valid JSON, but not a CloudTrail log: no "Records" array and not an event',
        },
      ],
    },
  },
  {
    // Named like a CloudTrail log, the same content is a gap in the logs.
    name: 'data: not CloudTrail JSON in a file named like a CloudTrail log',
    data: {
      '111122223333_CloudTrail_us-east-1_20230710T0100Z_AbCdEfGhIjKlMnOp.json': '{"Config": {"rules": []}}',
      'good.json': records(event('g1')),
    },
    exit: 3,
    message: /AbCdEfGhIjKlMnOp\.json: valid JSON, but not a CloudTrail log: no "Records" array/,
    expectSummary: { complete: false, matches: 1 },
    action: {},
    actionMessage: /The search was incomplete/,
  },
  {
    name: 'data: Records is not a list',
    data: { 'odd.json': '{"Records": "none"}' },
    exit: 3,
    message: /odd\.json: not a CloudTrail log/,
  },
  {
    name: 'data: plain text',
    data: { 'notes.json': 'hello, world' },
    exit: 3,
    message: /notes\.json: not a CloudTrail log: does not start with/,
  },
  {
    name: 'data: truncated JSON',
    data: { 'cut.json': '{"Records": [{"eventID": "a"' },
    exit: 3,
    message: /cut\.json: not valid JSON/,
  },
  {
    name: 'data: corrupt gzip',
    data: {
      'bad.json.gz': Buffer.concat([
        gzipSync(records(event('x'))).subarray(0, 10),
        Buffer.from('garbage-garbage-garbage'),
      ]),
    },
    exit: 3,
    message: /bad\.json\.gz: gzip data is corrupt or truncated/,
  },
  {
    name: 'data: truncated gzip',
    data: { 'short.json.gz': gzipSync(records(event('x'), event('y'))).subarray(0, 40) },
    exit: 3,
    message: /short\.json\.gz: gzip data is corrupt or truncated/,
  },
  {
    // Never delivered by CloudTrail: a copy cut short, or a log overwritten to hide what it held.
    name: 'data: empty gzip file',
    data: { 'wiped.json.gz': Buffer.alloc(0), 'good.json': records(event('g1')) },
    exit: 3,
    message: /wiped\.json\.gz: the object is empty \(0 bytes\)/,
  },
  {
    // Skipped with a count, an entry holding events (an array of them) would hide them.
    name: 'data: entries that are not events',
    data: {
      'mixed.json': JSON.stringify({ Records: [event('m1'), 1, 'x', null, []] }),
      'good.json': records(event('g1')),
    },
    exit: 3,
    message: /mixed\.json: entry 2 is a number, neither an event nor a \{"Records": \[\.\.\.\]\} document/,
    expectSummary: { complete: false, matches: 1 },
  },
  {
    name: 'data: not UTF-8',
    data: {
      'latin1.json': Buffer.concat([
        Buffer.from('{"Records":[{"eventID":"l1","eventTime":"2023-07-10T01:00:00Z","userAgent":"caf'),
        Buffer.from([0xe9]),
        Buffer.from('"}]}'),
      ]),
    },
    exit: 3,
    message: /latin1\.json: not valid UTF-8 text/,
    action: {},
    actionMessage: /The search was incomplete/,
  },
  {
    name: 'data: a value too long for a regex',
    args: ['--filter', '{"userAgent|re": "^x"}'],
    data: { 'long.json': records(event('big', { userAgent: 'A'.repeat(TEN_MB) })) },
    exit: 3,
    message: /long\.json: .*too long for a \|re test/,
  },
  // ---- odd but readable data: exit 0, said plainly --------------------------------------------
  {
    name: 'data: empty file',
    data: { 'empty.json': '', 'good.json': records(event('g1')) },
    exit: 0,
    message: /1 event in 2 objects/,
    expectSummary: { complete: true, matches: 1 },
  },
  {
    name: 'data: records without eventTime',
    data: {
      'notime.json': records(
        event('t1'),
        { ...event('t2'), eventTime: undefined },
        { ...event('t3'), eventTime: 'yesterday' },
      ),
    },
    exit: 0,
    message: /2 records had no readable eventTime and were not searched/,
    expectSummary: { complete: true, matches: 1 },
  },
  {
    name: 'data: records without eventID are all kept',
    data: {
      'noid.json': records(
        { ...event('x'), eventID: undefined },
        { ...event('x'), eventID: undefined },
        event('i3'),
      ),
    },
    exit: 0,
    message: /3 events in 1 object/,
    expectSummary: { complete: true, matches: 3, duplicatesDropped: 0 },
  },

  {
    name: 'data: a 10 MB value is matched and kept whole',
    args: ['--filter', '{"userAgent|startswith": "AAAA"}'],
    data: { 'big.json': records(event('big', { userAgent: 'A'.repeat(TEN_MB) })) },
    exit: 0,
    message: /1 match in 1 object/,
    expectSummary: { matches: 1 },
  },
  {
    name: 'data: a record whose __proto__ key holds the field',
    args: ['--filter', '{"eventName": "Evil"}'],
    data: {
      'proto.json':
        '{"Records":[{"eventID":"p1","eventTime":"2023-07-10T01:00:00Z","__proto__":{"eventName":"Evil"}}]}',
    },
    exit: 0,
    message: /0 matches in 1 object/,
    expectSummary: { matches: 0 },
  },
];
