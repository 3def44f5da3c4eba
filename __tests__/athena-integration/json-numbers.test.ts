/**
 * Numbers and object text inside the JSON-text fields (requestParameters, responseElements,
 * additionalEventData), issue 16 part 2. One documented semantics for both engines:
 *
 * - a number in a record equals the query values written as numbers, by value
 *   (`243.0` = 243 = "243" = "243.0" = "2.43E2"); a string in a record compares as text;
 * - substring tests see one canonical text: integral numbers as integer digits, objects as
 *   compact JSON with sorted keys.
 *
 * The logs are written here as text by hand (so `243.0` and `0.0` are in the file as CloudTrail
 * writes them), and every expected set of events is worked out by hand from that semantics. The
 * scan engine runs over them for real (prefilter on the raw bytes included); for Athena, the SQL
 * sent for the same filters must use the documented Trino functions that implement the same
 * rules (numeric CAST, json_parse's sorted keys, the canonical-number rewrite), which the tests
 * check on the exact text, and the number-token pattern it sends is run here on Trino-style JSON
 * texts (Java and JavaScript read this pattern alike).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionQuery } from '../../src/engines/athena/query-text.js';
import { ScanEngine } from '../../src/engines/scan/engine.js';
import { silentLogger } from '../../src/logger.js';
import { parseFilter } from '../../src/query/parse-filter.js';
import { executionParameters } from '../../src/query/sql-literal.js';
import { openScanPlan } from '../../src/source/open.js';
import { investigation } from '../athena/fake-athena.js';
import { trino } from '../athena/grammar.js';
import { checkAthenaQuery } from '../athena/plan-check.js';
import { removeTempDirs, tempDir } from './fixture.js';

const event = (id: string, field: string, json: string): string =>
  `{"eventVersion":"1.09","eventTime":"2024-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject",` +
  `"awsRegion":"us-east-1","eventID":"${id}","recipientAccountId":"111122223333","${field}":${json}}`;

/** Written as CloudTrail writes them: doubles keep their `.0`. */
const LOG = `{"Records":[${[
  event(
    'e1',
    'additionalEventData',
    '{"bytesTransferredIn":0.0,"bytesTransferredOut":243.0,"x-amz-id-2":"a"}',
  ),
  event('e2', 'additionalEventData', '{"bytesTransferredIn":0,"bytesTransferredOut":243,"x-amz-id-2":"b"}'),
  event('e3', 'additionalEventData', '{"bytesTransferredOut":"243","bytesTransferredIn":"0"}'),
  event('e4', 'additionalEventData', '{"bytesTransferredIn":10.0,"bytesTransferredOut":2430.0}'),
  event('e5', 'requestParameters', '{"b":{"y":1.0,"x":"v"},"a":1}'),
  event('e6', 'requestParameters', '{"a":1,"b":{"x":"v","y":1}}'),
  event('e7', 'additionalEventData', '{"bytesTransferredOut":2.43E2}'),
  event('e8', 'additionalEventData', '{"bytesTransferredOut":243.5,"note":"243.0 bytes"}'),
].join(',')}]}`;

let folder: string;

beforeAll(async () => {
  folder = await tempDir('json-numbers');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'events.json'), LOG);
});
afterAll(removeTempDirs);

async function scanIds(filter: Record<string, unknown>): Promise<string[]> {
  const inv = {
    ...investigation(
      {},
      {
        query: parseFilter(filter).query,
        engine: 'scan' as const,
        workers: 0,
        window: { since: new Date('2024-03-01T00:00:00Z'), until: new Date('2024-03-02T00:00:00Z') },
      },
    ),
    source: { kind: 'local' as const, path: folder },
  };
  const ids: string[] = [];
  for await (const e of new ScanEngine(openScanPlan, silentLogger).run(inv).events)
    ids.push(e.eventID as string);
  return ids.sort();
}

function athenaQuery(filter: Record<string, unknown>) {
  const q = regionQuery({
    database: 'cloudtrail_investigate',
    table: 't_1',
    region: 'us-east-1',
    accounts: 'all',
    window: { since: new Date('2024-03-01T00:00:00Z'), until: new Date('2024-03-02T00:00:00Z') },
    query: parseFilter(filter).query,
  });
  expect(trino.validate(q.sql)).toEqual([]);
  expect(checkAthenaQuery(q.sql, executionParameters(q.parameters))).toEqual([]);
  return q;
}

/** The compiler's number-token pattern, read out of the SQL it sends (a Trino string literal). */
function tokenPattern(sql: string): RegExp {
  const m = /, '((?:[^']|'')*)', g -> coalesce\(g\[1\]/.exec(sql);
  expect(m, 'the SQL rewrites numbers with regexp_replace').not.toBeNull();
  return new RegExp((m?.[1] as string).replaceAll("''", "'"), 'g');
}

describe('numbers in JSON-text fields compare as numbers', () => {
  it.each([
    ['the number 243', 243, ['e1', 'e2', 'e3', 'e7']],
    ['the string "243"', '243', ['e1', 'e2', 'e3', 'e7']],
    ['the number 243.0 (JSON: the number 243)', 243.0, ['e1', 'e2', 'e3', 'e7']],
    // A string in the record compares as text: "243" is not "243.0".
    ['the string "243.0"', '243.0', ['e1', 'e2', 'e7']],
    ['the string "2.43E2"', '2.43E2', ['e1', 'e2', 'e7']],
    ['the number 243.5', 243.5, ['e8']],
  ])('additionalEventData.bytesTransferredOut = %s', async (_name, value, expected) => {
    const filter = { 'additionalEventData.bytesTransferredOut': value };
    expect(await scanIds(filter)).toEqual(expected);
    // Athena: a JSON number compares by CAST to DOUBLE against the value sent as a parameter.
    const { sql, parameters } = athenaQuery(filter);
    expect(sql).toContain(`CAST(j AS DOUBLE)) = CAST(? AS DOUBLE)`);
    expect(parameters).toContain(String(value));
  });

  it('a value that is not written as a JSON number compares as text only', async () => {
    expect(await scanIds({ 'additionalEventData.bytesTransferredOut': '0x10' })).toEqual([]);
    const { sql } = athenaQuery({ 'additionalEventData.bytesTransferredOut': ' 243' });
    expect(sql).not.toContain('AS DOUBLE) = CAST(');
  });
});

describe('substring tests on objects see one canonical text', () => {
  it.each([
    // 0.0 in the log is 0 in the canonical text; "0" (a string) stays quoted; 10.0 is 10.
    ['additionalEventData|contains', '"bytesTransferredIn":0,', ['e1', 'e2']],
    ['additionalEventData|contains', '"bytesTransferredOut":243}', ['e7']],
    ['additionalEventData|contains', '"bytesTransferredOut":243,', ['e1', 'e2']],
    // Keys sorted whatever order the log wrote them in.
    ['requestParameters.b|contains', '{"x":"v","y":1}', ['e5', 'e6']],
    ['requestParameters|startswith', '{"a":1,"b":{"x":"v","y":1}}', ['e5', 'e6']],
    // A number's own text: integral as integer digits, 243.5 as written.
    ['additionalEventData.bytesTransferredOut|endswith', '3', ['e1', 'e2', 'e3', 'e7']],
    ['additionalEventData.bytesTransferredOut|contains', '.5', ['e8']],
    // Text inside a string is not a number: "243.0 bytes" keeps its ".0".
    ['additionalEventData.note|contains', '243.0', ['e8']],
  ])('%s %s', async (key, value, expected) => {
    const filter = { [key]: value };
    expect(await scanIds(filter)).toEqual(expected);
    const { sql } = athenaQuery(filter);
    // Athena: the text comes from json_format (json_parse sorted the keys), numbers rewritten.
    expect(sql).toContain('json_format(');
    expect(sql).toMatch(
      /regexp_replace\(json_format\(.*g -> coalesce\(g\[1\], if\(CAST\(g\[3\] AS DOUBLE\) = floor/,
    );
    expect(sql).toContain("format('%s', CAST(g[3] AS DOUBLE))");
  });

  it('the SQL number pattern rewrites number tokens only, never digits inside strings', () => {
    const { sql } = athenaQuery({ 'additionalEventData|contains': 'x' });
    const pattern = tokenPattern(sql);
    // Trino-style texts (Jackson writes doubles as 243.0 and 1.5E-7): [string, number] per match.
    const text = String.raw`{"a":243.0,"b":"x 1.0 \"2.0\" \\","c":[0.0,-1.5E-7,12],"d 3":true}`;
    const numbers = [...text.matchAll(pattern)].filter((m) => m[3] !== undefined).map((m) => m[3]);
    expect(numbers).toEqual(['243.0', '0.0', '-1.5E-7', '12']);
    const strings = [...text.matchAll(pattern)].filter((m) => m[1] !== undefined).map((m) => m[1]);
    expect(strings).toEqual(['"a"', '"b"', String.raw`"x 1.0 \"2.0\" \\"`, '"c"', '"d 3"']);
  });
});
