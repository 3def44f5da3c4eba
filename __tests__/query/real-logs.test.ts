/**
 * The predicate over genuine CloudTrail logs (Invictus dataset: 55 delivered files), checked
 * against the same question asked with jq over the same files. Events are counted once per
 * eventID across files, as the product reports them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/query/parse-filter.js';
import { compilePredicate, matchedResources } from '../../src/query/predicate.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const logDir = path.resolve(repoRoot, '../shared/data/invictus-aws-dataset/CloudTrail');
const files = readdirSync(logDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => path.join(logDir, f));

type Rec = Record<string, unknown>;
let records: Rec[] = [];

beforeAll(() => {
  records = files.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { Records: Rec[] }).Records);
});

/** jq helpers: text of a scalar (as JSON text for numbers/booleans), lowercased. */
const JQ_PRELUDE = `
def txt: if type == "string" then . elif type == "number" or type == "boolean" then tojson else null end;
def lc: txt | if . == null then null else ascii_downcase end;
def lcjson: if . == null then null elif type == "string" then ascii_downcase else tojson | ascii_downcase end;
`;

function jq(program: string): string {
  return execFileSync('jq', ['-r', `${JQ_PRELUDE} ${program}`, ...files], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Unique eventIDs of the records jq selects. */
function jqEventIds(select: string): string[] {
  const out = jq(`.Records[] | select(${select}) | .eventID`);
  return [...new Set(out.split('\n').filter(Boolean))].sort();
}

function ourEventIds(filter: unknown): string[] {
  const predicate = compilePredicate(parseFilter(filter).query);
  return [...new Set(records.filter(predicate).map((r) => r.eventID as string))].sort();
}

describe('predicate over the Invictus logs agrees with jq', () => {
  it('the files hold the expected records', () => {
    const count = Number(
      jq('.Records | length')
        .split('\n')
        .filter(Boolean)
        .reduce((a, b) => a + Number(b), 0),
    );
    expect(records.length).toBe(count);
    expect(files.length).toBe(55);
  });

  it.each<[string, unknown, string, number?]>([
    ['event name, any case', { eventname: 'consolelogin' }, '(.eventName | lc) == "consolelogin"', 2],
    [
      'Root identity (none in this data)',
      { 'useridentity.type': 'Root' },
      '(.userIdentity.type? | lc) == "root"',
      0,
    ],
    [
      'AssumedRole identity, Athena spelling upper-cased',
      { 'USERIDENTITY.TYPE': 'assumedrole' },
      '(.userIdentity.type? | lc) == "assumedrole"',
      76,
    ],
    [
      'source IP in 10.0.0.0/12',
      { 'sourceipaddress|cidr': '10.0.0.0/12' },
      '(.sourceIPAddress | type == "string" and test("^[0-9]+\\\\.[0-9]+\\\\.[0-9]+\\\\.[0-9]+$")) and ((.sourceIPAddress | split(".") | map(tonumber)) as $o | $o[0] == 10 and $o[1] < 16)',
    ],
    [
      'source IP in one of two networks',
      { 'sourceIPAddress|cidr': ['192.168.0.0/16', '3.0.0.0/8'] },
      '(.sourceIPAddress | type == "string" and test("^(192\\\\.168|3)\\\\.[0-9.]+$"))',
    ],
    ['errorCode exists', { 'errorcode|exists': true }, '.errorCode != null', 300],
    ['errorCode absent (null)', { errorcode: null }, '.errorCode == null'],
    [
      'bucket name prefix',
      { 'requestParameters.bucketName|startswith': 'Stratus-Red-Team' },
      '(.requestParameters?.bucketName? | lc // "") | startswith("stratus-red-team")',
    ],
    [
      'any resource ARN contains',
      { 'resources.ARN|contains': 'stratus' },
      '[.resources[]?.ARN? | lc | select(. != null) | contains("stratus")] | any',
    ],
    [
      'resource type and event name prefix',
      { 'resources.type': 'AWS::S3::Bucket', 'eventName|startswith': 'get' },
      '([.resources[]?.type? | lc] | index("aws::s3::bucket") != null) and (.eventName | lc | startswith("get"))',
    ],
    [
      'S3 calls that succeeded (not)',
      { eventSource: 's3.amazonaws.com', not: { 'errorcode|exists': true } },
      '(.eventSource | lc) == "s3.amazonaws.com" and .errorCode == null',
    ],
    [
      'any of two maps, and a boolean as text',
      { any: [{ 'eventName|startswith': 'Delete' }, { 'userAgent|contains': 'stratus' }], readonly: 'FALSE' },
      '((.eventName | lc | startswith("delete")) or (.userAgent | lc // "" | contains("stratus"))) and .readOnly == false',
    ],
    [
      'regex on the user agent',
      { 'userAgent|re': '^stratus-red-team_[0-9a-f-]{36}$' },
      '.userAgent | type == "string" and test("^stratus-red-team_[0-9a-f-]{36}$"; "i")',
    ],
    [
      'path through an array (instancesSet.items)',
      { 'requestParameters.instancesSet.items.instanceId|startswith': 'i-0d' },
      '[.requestParameters?.instancesSet?.items? | if type == "array" then .[] else . end | .instanceId? | lc | select(. != null) | startswith("i-0d")] | any',
    ],
    [
      'array at the end of the path is tested as JSON text',
      { 'requestParameters.bucketPolicy.Statement.Resource|endswith': '/*' },
      '[.requestParameters?.bucketPolicy?.Statement? | if type == "array" then .[] else . end | .Resource? | lcjson | select(. != null) | endswith("/*")] | any',
    ],
    [
      'contains on a whole JSON object',
      { 'requestParameters|contains': '"bucketName":"stratus-red-team-bdbp' },
      '(.requestParameters | lcjson // "") | contains("\\"bucketname\\":\\"stratus-red-team-bdbp")',
    ],
    [
      'cased user name (exact)',
      { 'useridentity.username|cased': 'bert-jan' },
      '.userIdentity.userName? == "bert-jan"',
      2642,
    ],
    [
      'cased user name (other case)',
      { 'useridentity.username|cased': 'Bert-Jan' },
      '.userIdentity.userName? == "Bert-Jan"',
      0,
    ],
    [
      'contains all',
      { 'errorCode|contains|all': ['client.', 'notfound'] },
      '(.errorCode | lc // "") as $e | ($e | contains("client.")) and ($e | contains("notfound"))',
    ],
  ])('%s', (_name, filter, select, knownCount) => {
    const expected = jqEventIds(select);
    if (knownCount !== undefined) expect(expected.length).toBe(knownCount);
    expect(ourEventIds(filter)).toEqual(expected);
  });
});

describe('filtered_resource over the Invictus logs agrees with jq', () => {
  it.each([['stratus-red-team/credentials-1'], ['instance/i-0']])('resources.ARN|contains %s', (needle) => {
    const lines = jq(
      `.Records[] | [.eventID, ([.resources[]?.ARN? | select(type == "string" and (ascii_downcase | contains("${needle}")))] | unique)] | select(.[1] | length > 0) | tojson`,
    );
    const expected = new Map<string, string[]>();
    for (const line of lines.split('\n').filter(Boolean)) {
      const [id, arns] = JSON.parse(line) as [string, string[]];
      expected.set(id, arns);
    }
    const parsed = parseFilter({ 'resources.ARN|contains': needle });
    expect(parsed.usesResources).toBe(true);
    const predicate = compilePredicate(parsed.query);
    const ours = new Map<string, string[]>();
    for (const record of records.filter(predicate)) {
      ours.set(record.eventID as string, [...matchedResources(parsed.query, record)].sort());
    }
    expect(expected.size).toBeGreaterThan(0);
    expect(ours).toEqual(expected);
  });
});
