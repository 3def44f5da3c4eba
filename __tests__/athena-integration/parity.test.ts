/**
 * Engine parity (README, "Engines"): the same investigation over the same generated logs gives the same
 * events from the scan engine (over a local folder) and from the Athena engine (over the same
 * objects in an S3-protocol server, so discovery and folder listing are real), fed with result
 * rows shaped as Athena returns them.
 *
 * Which rows Athena returns is computed independently of both engines: jq over the local copy,
 * selecting by the filter's meaning written by hand in jq, reading only the files of each
 * region's partitions (region folder, account folders, the window's day folders as docs/athena.md
 * states them) and the window on eventTime; each selected record is rendered as Athena's SELECT
 * gives it back (render-row.ts) and served through the mocked Athena API (fake-athena.ts).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInvestigation } from '../../src/config/build.js';
import { attachRules } from '../../src/config/rules.js';
import type { RawOptions } from '../../src/config/options.js';
import { silentLogger } from '../../src/logger.js';
import type { Summary } from '../../src/report/types.js';
import { runSearch } from '../../src/search.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { harness, type Harness, type RegionScript } from '../athena/fake-athena.js';
import { hive, trino } from '../athena/grammar.js';
import { projectOntoTable, renderRow } from '../athena/render-row.js';
import { tableNameFor } from '../../src/engines/athena/table-name.js';
import { cloudTrailFiles } from '../helpers/jq.js';
import type { GenerateOptions } from '../../tools/generate/index.js';
import {
  ACCOUNT_TRAIL,
  ACCOUNTS,
  ORG_ID,
  ORG_TRAIL,
  REGIONS,
  jqEach,
  jqRecords,
  objectsOf,
  partitionDays,
  partitionFiles,
  readJson,
  readJsonl,
  removeTempDirs,
  tempDir,
  writeObjects,
} from './fixture.js';

const BUCKET = 'parity-trail';
const SOURCE = `s3://${BUCKET}/audit/ct`;
const FULL = { since: '2024-03-01T00:00:00Z', until: '2024-03-04T00:00:00Z' };
/** Starts mid-day and ends just before midnight: its last events sit in the next day's folder. */
const CUT = { since: '2024-03-01T13:17:00Z', until: '2024-03-02T23:53:00Z' };

interface Case {
  name: string;
  filter: Record<string, unknown>;
  window: { since: string; until: string };
  regions?: string[];
  accounts?: string[];
  /** The filter's meaning, in jq, over one delivered record. */
  jq: string;
  /** Values the user typed (values and JSON keys): never in the SQL text, each an ExecutionParameter. */
  values: string[];
  /** The case selects global events delivered into more than one region folder. */
  duplicates?: boolean;
  /** String literals the compiler writes itself for this filter's shape. */
  sqlConstants?: string[];
  /** jq giving the expected `filtered_resource` of a selected record: its ARNs, once each, in delivery order. */
  resources?: string;
}

/**
 * Literals of a JSON value's canonical text (docs/athena.md): JSON null, a string's opening
 * quote, the number-token pattern (strings | numbers) and Java's number format.
 */
const CANONICAL_TEXT_CONSTANTS = [
  "'null'",
  `'"'`,
  String.raw`'("[^"\\]*(\\.[^"\\]*)*")|(-{0,1}[0-9][-+.eE0-9]*)'`,
  "'%s'",
];

const CASES: Case[] = [
  {
    name: 'a list of values, in other cases than the logs',
    filter: { EventName: ['consolelogin', 'ASSUMEROLE', 'GetSecretValue', 'createaccesskey'] },
    window: FULL,
    jq: '(.eventName | lc) as $n | any(("consolelogin", "assumerole", "getsecretvalue", "createaccesskey"); . == $n)',
    values: ['consolelogin', 'ASSUMEROLE', 'GetSecretValue', 'createaccesskey'],
    duplicates: true,
  },
  {
    name: 'nested JSON fields through arrays (RunInstances items)',
    filter: {
      'requestParameters.instancesSet.items.imageId|startswith': 'AMI-0',
      'responseElements.instancesSet.items.instanceState.name': 'Pending',
    },
    window: FULL,
    jq:
      'any(.requestParameters | ci("instancesset") | ci("items") | ci("imageid"); type == "string" and (lc | startswith("ami-0"))) and ' +
      'any(.responseElements | ci("instancesset") | ci("items") | ci("instancestate") | ci("name"); lc == "pending")',
    values: ['AMI-0', 'Pending', 'instancesSet', 'imageId', 'instanceState'],
    // json_format(j) of a JSON null is the text null: compared as absent; a JSON value's
    // canonical text and, for equality, whether it is a number.
    sqlConstants: [...CANONICAL_TEXT_CONSTANTS, "'^-{0,1}[0-9]'"],
  },
  {
    name: 'a JSON key that needs bracket quoting, and contains on a nested value',
    filter: {
      'additionalEventData.x-amz-id-2|exists': true,
      'requestParameters.bucketName|contains': 'PUBLIC-ASSETS',
    },
    window: CUT,
    jq: 'any(.additionalEventData | ci("x-amz-id-2"); . != null) and any(.requestParameters | ci("bucketname"); type == "string" and (lc | contains("public-assets")))',
    values: ['x-amz-id-2', 'bucketName', 'PUBLIC-ASSETS'],
    sqlConstants: CANONICAL_TEXT_CONSTANTS,
  },
  {
    name: 'resources.* with filtered_resource (global events duplicated across regions)',
    filter: { 'resources.type|endswith': '::ROLE' },
    window: FULL,
    jq: 'any(.resources[]?; (.type // "") | lc | endswith("::role"))',
    values: ['::ROLE'],
    duplicates: true,
    resources:
      'reduce (.resources[]? | select((.type // "") | lc | endswith("::role")) | .ARN) as $a ([]; if index([$a]) then . else . + [$a] end)',
  },
  {
    name: 'resources.ARN|contains together with a list, in a window through a day',
    filter: { 'resources.ARN|contains': 'acme-public-assets', eventName: ['GetObject', 'PutObject'] },
    window: CUT,
    jq: 'any(.resources[]?; (.ARN // "") | lc | contains("acme-public-assets")) and ((.eventName | lc) == "getobject" or (.eventName | lc) == "putobject")',
    values: ['acme-public-assets', 'GetObject', 'PutObject'],
    resources:
      'reduce (.resources[]? | select((.ARN // "") | lc | contains("acme-public-assets")) | .ARN) as $a ([]; if index([$a]) then . else . + [$a] end)',
  },
  {
    name: 'not: none of the listed maps, including an absent field',
    filter: {
      eventSource: 'S3.AMAZONAWS.COM',
      not: [{ 'eventName|startswith': 'GetB' }, { 'errorCode|exists': true }],
    },
    window: FULL,
    jq: '(.eventSource | lc) == "s3.amazonaws.com" and (((.eventName | lc | startswith("getb")) or (.errorCode != null)) | not)',
    values: ['S3.AMAZONAWS.COM', 'GetB'],
  },
  {
    name: 'a boolean as text, an exact-case struct field and null, in a window through a day',
    filter: { readOnly: 'FALSE', 'userIdentity.type|cased': 'IAMUser', errorCode: null },
    window: CUT,
    jq: '.readOnly == false and .userIdentity.type == "IAMUser" and .errorCode == null',
    // (the boolean's text is a parameter too; the SQL holds no literal at all, see below)
    values: ['IAMUser'],
  },
  {
    name: 'a struct field deep in userIdentity, limited to some regions and one account',
    filter: {
      'userIdentity.sessionContext.sessionIssuer.userName': ['GITHUB-ACTIONS-DEPLOY', 'orders-processor'],
    },
    window: CUT,
    regions: ['us-east-1', 'ap-south-1'],
    accounts: ['222222222222'],
    jq: '((.userIdentity.sessionContext.sessionIssuer.userName // "") | lc) as $u | ($u == "github-actions-deploy" or $u == "orders-processor")',
    values: ['GITHUB-ACTIONS-DEPLOY', 'orders-processor'],
  },
  {
    name: 'regions without us-east-1: global events found only as copies delivered elsewhere, and the same warning',
    filter: { eventSource: ['iam.amazonaws.com', 'sts.amazonaws.com'] },
    window: FULL,
    regions: ['eu-west-1', 'ap-south-1'],
    jq: '(.eventSource | lc) as $s | ($s == "iam.amazonaws.com" or $s == "sts.amazonaws.com")',
    values: ['iam.amazonaws.com', 'sts.amazonaws.com'],
  },
];

let server: S3TestServer;
let logs: string;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  const objects = objectsOf(ACCOUNT_TRAIL);
  logs = await tempDir('parity-logs');
  await writeObjects(logs, objects);
  server = await startS3Server({ buckets: [BUCKET] });
  await server.seed(BUCKET, objects);
  // The product's S3 clients reach the server through the SDK's standard variable.
  for (const name of [
    'AWS_ENDPOINT_URL_S3',
    'AWS_REQUEST_CHECKSUM_CALCULATION',
    'AWS_RESPONSE_CHECKSUM_VALIDATION',
  ]) {
    savedEnv[name] = process.env[name];
    process.env[name] = server.env[name];
  }
});

afterAll(async () => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await server?.close();
  await removeTempDirs();
});

function rawOptions(c: Case, source: string, outDir: string, engine: 'scan' | 'athena') {
  return {
    source,
    filter: JSON.stringify(c.filter),
    since: c.window.since,
    until: c.window.until,
    engine,
    outDir,
    workers: 0,
    ...(c.regions ? { regions: c.regions.join(',') } : {}),
    ...(c.accounts ? { accounts: c.accounts.join(',') } : {}),
  };
}

/**
 * A search on the Athena engine over the S3-protocol server (discovery and listing are real), the
 * mocked Athena API serving `scripts`' rows.
 */
async function runAthena(
  options: Record<string, unknown>,
  scripts: Record<string, RegionScript>,
): Promise<{ h: Harness; result: Awaited<ReturnType<typeof runSearch>> }> {
  const h: Harness = harness({ scripts });
  h.s3.restore();
  try {
    const raw: RawOptions = {
      ...(options as RawOptions),
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      awsRegion: 'us-east-1',
      athenaOutput: 's3://athena-results/parity/',
    };
    const inv = await attachRules(buildInvestigation(raw), raw, process.cwd());
    return { h, result: await runSearch(inv, { logger: silentLogger }) };
  } finally {
    h.athena.restore();
  }
}

/** What Athena returns per region for the case: jq over the region's partitions, in the window. */
async function athenaRows(c: Case): Promise<Map<string, Record<string, unknown>[]>> {
  const days = partitionDays(c.window.since, c.window.until);
  const inWindow = `(.eventTime >= "${c.window.since}" and .eventTime < "${c.window.until}")`;
  const regions = c.regions ?? REGIONS;
  const records = await Promise.all(
    regions.map(async (region) =>
      jqRecords(await partitionFiles(logs, region, days, c.accounts ?? 'all'), `${inWindow} and (${c.jq})`),
    ),
  );
  return new Map(regions.map((region, i) => [region, records[i] as Record<string, unknown>[]]));
}

function withoutResource(record: Record<string, unknown>): Record<string, unknown> {
  const { filtered_resource: _ignored, ...rest } = record;
  return rest;
}

function byId(records: Record<string, unknown>[]): Map<string, Record<string, unknown>> {
  return new Map(records.map((r) => [r.eventID as string, r]));
}

/** A string as one SQL string literal, as Athena's ExecutionParameters take it. */
const literal = (v: string): string => `'${v.replace(/'/g, "''")}'`;

describe('engine parity: scan over a folder and Athena over S3 return the same events', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const perRegion = await athenaRows(c);
      const all = [...perRegion.values()].flat();
      const expectedIds = [...new Set(all.map((r) => r.eventID as string))].sort();
      const expectedDuplicates = all.length - expectedIds.length;
      expect(expectedIds.length, 'the case selects something').toBeGreaterThan(0);
      if (c.duplicates) expect(expectedDuplicates, 'the case meets duplicated events').toBeGreaterThan(0);

      // A: the scan engine over the local folder.
      const dirA = await tempDir('parity-scan');
      const a = await runSearch(buildInvestigation(rawOptions(c, logs, dirA, 'scan')), {
        logger: silentLogger,
      });
      expect(a.summary.engine).toBe('scan');
      expect(a.summary.complete).toBe(true);

      // B: the Athena engine over the same objects in S3, rows served by the mocked Athena API.
      const scripts: Record<string, RegionScript> = {};
      for (const [region, records] of perRegion) {
        scripts[region] = {
          states: ['RUNNING', 'SUCCEEDED'],
          rows: records.map(renderRow),
          bytesScanned: 10_000,
        };
      }
      const { h, result: b } = await runAthena(
        rawOptions(c, SOURCE, await tempDir('parity-athena'), 'athena'),
        scripts,
      );
      expect(b.summary.engine).toBe('athena');
      expect(b.summary.complete, JSON.stringify(b.summary.failures)).toBe(true);

      // Same events, same counts, same duplicates dropped — and what jq says — in the files written.
      const summaryA = await readJson<Summary>(a.summaryPath);
      const summaryB = await readJson<Summary>(b.summaryPath);
      const recordsA = await readJsonl(a.resultsPath);
      const recordsB = await readJsonl(b.resultsPath);
      const idsA = recordsA.map((r) => r.eventID as string).sort();
      const idsB = recordsB.map((r) => r.eventID as string).sort();
      expect(idsA).toEqual(expectedIds);
      expect(idsB).toEqual(expectedIds);
      // Both files in time order, whatever order each engine found the events in: jq's records
      // by eventTime (CloudTrail's form sorts as text), then eventID.
      const inTimeOrder = [...byId(all).values()]
        .map((r) => [r.eventTime as string, r.eventID as string] as const)
        .sort(([ta, ia], [tb, ib]) => (ta !== tb ? (ta < tb ? -1 : 1) : ia < ib ? -1 : ia > ib ? 1 : 0))
        .map(([, id]) => id);
      expect(recordsA.map((r) => r.eventID)).toEqual(inTimeOrder);
      expect(recordsB.map((r) => r.eventID)).toEqual(inTimeOrder);
      expect(summaryA.matches).toBe(expectedIds.length);
      expect(summaryB.matches).toBe(expectedIds.length);
      expect(summaryA.duplicatesDropped).toBe(expectedDuplicates);
      expect(summaryB.duplicatesDropped).toBe(expectedDuplicates);
      // Per region, matches before de-duplication are what each region's partitions hold.
      const perRegionCounts = Object.fromEntries([...perRegion].map(([r, records]) => [r, records.length]));
      const matchesByRegion = (s: Summary) =>
        Object.fromEntries(s.regionBreakdown.map((r) => [r.region, r.matches]));
      expect(matchesByRegion(summaryA)).toEqual(perRegionCounts);
      expect(matchesByRegion(summaryB)).toEqual(perRegionCounts);
      // The summaries tell the same story, warnings included.
      expect(summaryB.warnings).toEqual(summaryA.warnings);
      expect(summaryB.timeline).toEqual(summaryA.timeline);
      expect(summaryB.top).toEqual(summaryA.top);

      // Each record equal on the table's fields; filtered_resource equal (and as jq selects it).
      const mapB = byId(recordsB);
      for (const recordA of recordsA) {
        const recordB = mapB.get(recordA.eventID as string) as Record<string, unknown>;
        expect(withoutResource(recordB)).toEqual(projectOntoTable(withoutResource(recordA)));
        if (c.resources) {
          expect(recordB.filtered_resource).toEqual(recordA.filtered_resource);
        } else {
          expect('filtered_resource' in recordA || 'filtered_resource' in recordB).toBe(false);
        }
      }
      if (c.resources) {
        const expected = await expectedResources(c);
        for (const recordA of recordsA)
          expect(recordA.filtered_resource).toEqual(expected.get(recordA.eventID as string));
      }

      // What Athena was sent: one SELECT per region, values only as parameters.
      const selects = h.started.filter((s) => s.sql.startsWith('SELECT'));
      expect(selects.map((s) => s.parameters?.[0]).sort()).toEqual(
        (c.regions ?? REGIONS).map(literal).sort(),
      );
      const days = partitionDays(c.window.since, c.window.until);
      // The region is a parameter too: every region runs the same text, valid Trino.
      expect(new Set(selects.map((s) => s.sql)).size).toBe(1);
      expect(trino.validate(selects[0]?.sql as string)).toEqual([]);
      for (const s of selects) {
        // No string literal but the compiler's own constants: every value and JSON key is a parameter.
        expect(new Set(s.sql.match(/'(?:[^']|'')*'/g) ?? [])).toEqual(new Set(c.sqlConstants ?? []));
        const sqlLower = s.sql.toLowerCase();
        for (const v of c.values) expect(sqlLower).not.toContain(v.toLowerCase());
        for (const region of REGIONS) expect(s.sql).not.toContain(region);
        expect(s.sql).not.toMatch(/2024/);
        const params = s.parameters ?? [];
        for (const v of c.values)
          expect(
            params.some((p) => p.includes(v)),
            `${v} in ${params.join(' ')}`,
          ).toBe(true);
        expect(params).toContain(literal(new Date(c.window.since).toISOString()));
        expect(params).toContain(literal(new Date(c.window.until).toISOString()));
        expect(params).toContain(literal(days[0] as string));
        expect(params).toContain(literal(days[days.length - 1] as string));
        for (const account of c.accounts ?? []) expect(params).toContain(literal(account));
      }

      // The table: AWS's documented DDL over the prefix, projecting what the bucket holds.
      const ddl = h.started.map((s) => s.sql).filter((sql) => sql.startsWith('CREATE EXTERNAL TABLE'));
      expect(ddl).toHaveLength(1);
      expect(hive.validate(ddl[0] as string)).toEqual([]);
      expect(ddl[0]).toContain(
        `'storage.location.template'='s3://${BUCKET}/audit/ct/AWSLogs/\${account}/CloudTrail/\${region}/\${timestamp}'`,
      );
      expect(ddl[0]).toContain(
        `'projection.account.values'='${(c.accounts ?? ACCOUNTS).slice().sort().join(',')}'`,
      );
      expect(ddl[0]).toContain(`'projection.region.values'='${REGIONS.slice().sort().join(',')}'`);
      expect(summaryB.regionBreakdown.map((r) => [r.region, r.status]).sort()).toEqual(
        (c.regions ?? REGIONS).map((r) => [r, 'complete']).sort(),
      );
    });
  }
});

describe('engine parity over a bucket holding an account trail and an organization trail', () => {
  // Under one prefix: plain account folders (an account trail, before the organization took over)
  // and an organization's, with a region (us-west-2) only the organization's folders have.
  const MIXED_BUCKET = 'parity-mixed';
  const ORG_HERE: GenerateOptions = {
    ...ORG_TRAIL,
    prefix: 'audit/ct',
    accounts: ['111111111111', '333333333333'],
  };
  const FILTER = { eventName: ['ConsoleLogin', 'AssumeRole', 'GetObject', 'PutObject'] };
  const JQ =
    '(.eventName | lc) as $n | any(("consolelogin", "assumerole", "getobject", "putobject"); . == $n)';

  it('both engines read both layouts and return the same events; Athena queries one table per layout', async () => {
    const objects = [...objectsOf(ACCOUNT_TRAIL), ...objectsOf(ORG_HERE)];
    const mixed = await tempDir('parity-mixed');
    await writeObjects(mixed, objects);
    await server.createBucket(MIXED_BUCKET);
    await server.seed(MIXED_BUCKET, objects);
    const regions = [...new Set([...REGIONS, ...(ORG_HERE.regions as string[])])].sort();
    const window = { since: FULL.since, until: FULL.until };
    const inWindow = `(.eventTime >= "${window.since}" and .eventTime < "${window.until}")`;
    const days = partitionDays(window.since, window.until);

    // Expected, by jq: per layout (its table) and region, the records of its partitions.
    const tables = {
      plain: tableNameFor({ bucket: MIXED_BUCKET, prefix: 'audit/ct' }),
      org: tableNameFor({ bucket: MIXED_BUCKET, prefix: 'audit/ct', orgId: ORG_ID }),
    };
    const scripts: Record<string, RegionScript> = {};
    const all: Record<string, unknown>[] = [];
    const perRegion = new Map<string, number>();
    for (const region of regions) {
      const files = await partitionFiles(mixed, region, days, 'all');
      for (const [layout, table] of Object.entries(tables)) {
        const mine = files.filter((f) => f.includes('/AWSLogs/o-') === (layout === 'org'));
        if (mine.length === 0) continue;
        const records = await jqRecords(mine, `${inWindow} and (${JQ})`);
        scripts[`${table}:${region}`] = { states: ['SUCCEEDED'], rows: records.map(renderRow) };
        all.push(...records);
        perRegion.set(region, (perRegion.get(region) ?? 0) + records.length);
      }
    }
    const expectedIds = [...new Set(all.map((r) => r.eventID as string))].sort();
    const fromOrg = await jqRecords(
      (await cloudTrailFiles(mixed)).filter((f) => f.includes('/AWSLogs/o-')),
      `${inWindow} and (${JQ})`,
    );
    expect(fromOrg.length, 'the organization folders hold matches').toBeGreaterThan(0);

    const options = (source: string, outDir: string, engine: 'scan' | 'athena') => ({
      source,
      filter: JSON.stringify(FILTER),
      since: window.since,
      until: window.until,
      engine,
      outDir,
      workers: 0,
    });
    const a = await runSearch(
      buildInvestigation(options(mixed, await tempDir('parity-mixed-scan'), 'scan')),
      {
        logger: silentLogger,
      },
    );
    const { h, result: b } = await runAthena(
      options(`s3://${MIXED_BUCKET}/audit/ct`, await tempDir('parity-mixed-athena'), 'athena'),
      scripts,
    );
    expect(b.summary.complete, JSON.stringify(b.summary.failures)).toBe(true);
    const ids = async (file: string) => (await readJsonl(file)).map((r) => r.eventID as string).sort();
    expect(await ids(a.resultsPath)).toEqual(expectedIds);
    expect(await ids(b.resultsPath)).toEqual(expectedIds);
    const summaryA = await readJson<Summary>(a.summaryPath);
    const summaryB = await readJson<Summary>(b.summaryPath);
    const matchesByRegion = (x: Summary) =>
      Object.fromEntries(x.regionBreakdown.map((r) => [r.region, r.matches]));
    expect(matchesByRegion(summaryA)).toEqual(Object.fromEntries(perRegion));
    expect(matchesByRegion(summaryB)).toEqual(Object.fromEntries(perRegion));
    expect(summaryB.warnings).toEqual(summaryA.warnings);

    // One table per layout, each projecting its own folders; a query per table and region it has.
    const ddl = h.started.map((q) => q.sql).filter((sql) => sql.startsWith('CREATE EXTERNAL TABLE'));
    expect(ddl).toHaveLength(2);
    expect(ddl.some((d) => d.includes(`/audit/ct/AWSLogs/\${account}/`))).toBe(true);
    expect(ddl.some((d) => d.includes(`/audit/ct/AWSLogs/${ORG_ID}/\${account}/`))).toBe(true);
    const queried = h.started
      .filter((q) => q.sql.startsWith('SELECT'))
      .map((q) => h.scriptOf.get(q.id))
      .sort();
    expect(queried).toEqual(Object.keys(scripts).sort());
  });
});

describe('the fixture exercises what parity depends on', () => {
  it("a window end whose last events sit in the next day's folder", async () => {
    const nextDay = partitionDays(CUT.since, CUT.until).at(-1) as string;
    expect(nextDay).toBe('2024/03/03');
    const late = await Promise.all(
      REGIONS.map(async (r) =>
        jqRecords(
          await partitionFiles(logs, r, [nextDay], 'all'),
          `.eventTime >= "${CUT.since}" and .eventTime < "${CUT.until}"`,
        ),
      ),
    );
    expect(late.flat().length).toBeGreaterThan(0);
  });
});

/** The filtered_resource jq expects for each selected record, by eventID. */
async function expectedResources(c: Case): Promise<Map<string, unknown>> {
  const days = partitionDays(c.window.since, c.window.until);
  const inWindow = `(.eventTime >= "${c.window.since}" and .eventTime < "${c.window.until}")`;
  const out = new Map<string, unknown>();
  for (const region of c.regions ?? REGIONS) {
    const files = await partitionFiles(logs, region, days, c.accounts ?? 'all');
    const pairs = (await jqEach(
      files,
      `select(${inWindow} and (${c.jq})) | [.eventID, (${c.resources})]`,
    )) as [string, unknown][];
    for (const [id, resources] of pairs) out.set(id, resources);
  }
  return out;
}

describe('engine parity: a resource filter with rules decorates matches alike', () => {
  it('filtered_resource is what the filter selected, matched_rules what the rules matched, in one key order', async () => {
    const window = FULL;
    const rulesDir = await tempDir('parity-rules');
    const rulesFile = path.join(rulesDir, 'role.yml');
    await writeFile(
      rulesFile,
      [
        'title: Activity on an S3 bucket',
        'id: 6f1a3a52-0b8e-4d3f-9d2a-1c2b3d4e5f60',
        'level: medium',
        'logsource: { product: aws, service: cloudtrail }',
        'detection:',
        '  selection:',
        "    resources.type: 'AWS::S3::Bucket'",
        '  condition: selection',
        '',
      ].join('\n'),
    );
    const filter = { 'resources.ARN|contains': 'arn:aws:s3' };
    const jq =
      'any(.resources[]?; (.ARN // "") | lc | contains("arn:aws:s3")) and any(.resources[]?; (.type // "") | lc == "aws::s3::bucket")';
    const days = partitionDays(window.since, window.until);
    const inWindow = `(.eventTime >= "${window.since}" and .eventTime < "${window.until}")`;
    const scripts: Record<string, RegionScript> = {};
    const expected = new Map<string, unknown>();
    for (const region of REGIONS) {
      const files = await partitionFiles(logs, region, days, 'all');
      const records = await jqRecords(files, `${inWindow} and (${jq})`);
      scripts[region] = { states: ['SUCCEEDED'], rows: records.map(renderRow) };
      const pairs = (await jqEach(
        files,
        `select(${inWindow} and (${jq})) | [.eventID, reduce (.resources[]? | select((.ARN // "") | lc | contains("arn:aws:s3")) | .ARN) as $a ([]; if index([$a]) then . else . + [$a] end)]`,
      )) as [string, unknown][];
      for (const [id, arns] of pairs) expected.set(id, arns);
    }
    // The case means something: some matches hold resources the filter selects but the rule does not.
    const wider = [...expected.values()].filter((arns) =>
      (arns as string[]).some((a) => !a.includes(':role/')),
    );
    expect(expected.size, 'the case selects something').toBeGreaterThan(0);
    expect(wider.length, 'some matches hold other resources than the role').toBeGreaterThan(0);

    const options = (source: string, outDir: string, engine: 'scan' | 'athena') => ({
      source,
      filter: JSON.stringify(filter),
      rules: [rulesFile],
      since: window.since,
      until: window.until,
      engine,
      outDir,
      workers: 0,
    });
    const scanOptions = options(logs, await tempDir('parity-deco-scan'), 'scan');
    const a = await runSearch(
      await attachRules(buildInvestigation(scanOptions), scanOptions, process.cwd()),
      {
        logger: silentLogger,
      },
    );
    const { result: b } = await runAthena(
      options(SOURCE, await tempDir('parity-deco-athena'), 'athena'),
      scripts,
    );
    expect(b.summary.complete, JSON.stringify(b.summary.failures)).toBe(true);
    for (const file of [a.resultsPath, b.resultsPath]) {
      const records = await readJsonl(file);
      expect(new Set(records.map((r) => r.eventID as string))).toEqual(new Set(expected.keys()));
      for (const record of records) {
        expect(record.filtered_resource, file).toEqual(expected.get(record.eventID as string));
        expect(record.matched_rules, file).toEqual([
          { id: '6f1a3a52-0b8e-4d3f-9d2a-1c2b3d4e5f60', title: 'Activity on an S3 bucket', level: 'medium' },
        ]);
        expect(Object.keys(record).slice(-2)).toEqual(['matched_rules', 'filtered_resource']);
      }
    }
  });
});
