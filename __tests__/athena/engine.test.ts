/**
 * The Athena flow against mocked AWS clients: table setup, start, poll, succeed, fail with reason,
 * time out, cancel, throttle, paginate, budget, cleanup in finally.
 */
import { readFileSync } from 'node:fs';
import { GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { afterEach, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../src/engines/athena/engine.js';
import { tableProperties } from '../../src/engines/athena/ddl.js';
import { tableNameFor } from '../../src/engines/athena/table-name.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import { ConfigurationError, SearchError } from '../../src/errors.js';
import { clientFactories, fakeClock, harness, investigation, LOCATION, type Harness } from './fake-athena.js';
import { trino } from './grammar.js';
import { compileRulePack } from '../../src/sigma/pack.js';
import { parseRuleSource } from '../../src/sigma/parse.js';
import { projectOntoTable, renderRow } from './render-row.js';
import { flatTrail, jsonFiles } from '../helpers/corpus-like.js';

// The first delivered file of the in-repo flat trail: real-shaped records of many kinds.
const sample = jsonFiles(flatTrail())[0]!;
const records = (JSON.parse(readFileSync(sample, 'utf8')) as { Records: Record<string, unknown>[] }).Records;

let h: Harness | undefined;
afterEach(() => h?.reset());

async function collect(events: AsyncIterable<MatchedEvent>): Promise<MatchedEvent[]> {
  const out: MatchedEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

function engine(clock = fakeClock()) {
  return new AthenaEngine({ ...clientFactories, locations: [LOCATION], clock });
}

function syntheticRows(n: number, prefix: string) {
  return Array.from({ length: n }, (_, i) => ({
    eventid: `${prefix}-${i}`,
    eventname: 'ConsoleLogin',
    readonly: 'false',
    useridentity: null,
  }));
}

describe('AthenaEngine', () => {
  it('creates the database and table, runs one query per region, polls with backoff and reads every row', async () => {
    const euRows = records.slice(0, 3).map(renderRow);
    const usRows = records.slice(3, 5).map(renderRow);
    h = harness({
      scripts: {
        'eu-west-1': {
          states: ['QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'],
          rows: euRows,
          bytesScanned: 1_000,
        },
        'us-east-1': { states: ['SUCCEEDED'], rows: usRows, bytesScanned: 2_000 },
      },
    });
    const clock = fakeClock();
    const run = engine(clock).run(investigation());
    const events = await collect(run.events);

    const sqls = h.started.map((s) => s.sql);
    expect(sqls[0]).toBe('CREATE DATABASE IF NOT EXISTS `cloudtrail_investigate`');
    expect(sqls[1]).toContain(
      `CREATE EXTERNAL TABLE IF NOT EXISTS \`cloudtrail_investigate\`.\`${tableNameFor(LOCATION)}\``,
    );
    const selects = h.started.filter((s) => s.sql.startsWith('SELECT'));
    expect(selects.map((s) => s.parameters?.[0])).toEqual(["'eu-west-1'", "'us-east-1'"]);
    for (const s of selects) {
      expect(trino.validate(s.sql)).toEqual([]);
      expect(s.outputLocation).toBe('s3://results-bucket/athena/');
      expect(s.workgroup).toBe('primary');
      expect(s.parameters).toContain("'ConsoleLogin'");
    }
    // DDL has no placeholders, so no ExecutionParameters (Athena rejects an empty list).
    expect(h.started[0]?.parameters).toBeUndefined();

    // Every row, normalised back to the delivered record shape.
    expect(events.map((e) => e.record)).toEqual(
      [...records.slice(0, 3), ...records.slice(3, 5)].map(projectOntoTable),
    );
    expect(events[0]?.json).toBe(JSON.stringify(events[0]?.record));
    expect(events[0]?.eventID).toBe(records[0]?.eventID);

    // Polling grows from 250 ms (x1.5), not a fixed 100 ms.
    expect(clock.sleeps.slice(0, 4)).toEqual([250, 375, 562.5, 843.75]);

    const stats = run.stats();
    expect(stats.engine).toBe('athena');
    expect(stats.bytesScanned).toBe(3_000);
    expect(stats.regions.map((r) => [r.region, r.status, r.matches, r.bytesScanned])).toEqual([
      ['eu-west-1', 'complete', 3, 1_000],
      ['us-east-1', 'complete', 2, 2_000],
    ]);
    // Each region's query, by the id Athena gave it, for the summary (and the cost estimate).
    expect(stats.regions.map((r) => r.queries?.map((q) => [q.state, q.bytesScanned]))).toEqual([
      [['SUCCEEDED', 1_000]],
      [['SUCCEEDED', 2_000]],
    ]);
    expect(new Set(stats.regions.flatMap((r) => r.queries!.map((q) => q.id)))).toEqual(
      new Set(selects.map((q) => q.id)),
    );
    expect(h.stopped).toEqual([]);
  });

  it('reads all 2,500 rows across GetQueryResults pages (header only on the first page)', async () => {
    const rows = syntheticRows(2500, 'evt');
    h = harness({
      scripts: {
        'eu-west-1': { states: ['SUCCEEDED'], rows },
        'us-east-1': { states: ['SUCCEEDED'], rows: [] },
      },
    });
    const events = await collect(engine().run(investigation()).events);
    expect(events).toHaveLength(2500);
    expect(new Set(events.map((e) => e.eventID))).toEqual(new Set(rows.map((r) => r.eventid)));
    expect(events.every((e) => e.record.readOnly === false)).toBe(true);
    const pages = h.athena.commandCalls(GetQueryResultsCommand);
    expect(pages.map((c) => c.args[0].input.NextToken)).toEqual([undefined, '999', '1999', undefined]);
  });

  it("a failed query reports Athena's reason for its region while the other region still finishes", async () => {
    h = harness({
      scripts: {
        'eu-west-1': {
          states: ['RUNNING', 'FAILED'],
          reason: 'HIVE_BAD_DATA: Error parsing field value\n::error::injected',
        },
        'us-east-1': { states: ['SUCCEEDED'], rows: syntheticRows(2, 'us') },
      },
    });
    const run = engine().run(investigation());
    const events = await collect(run.events);
    expect(events.map((e) => e.eventID)).toEqual(['us-0', 'us-1']);
    const eu = run.stats().regions.find((r) => r.region === 'eu-west-1');
    expect(eu?.status).toBe('failed');
    expect(eu?.errors.join(' ')).toContain('HIVE_BAD_DATA: Error parsing field value');
    // Athena's reason can quote log data: it stays on one line (no workflow command can start).
    expect(eu?.errors.join(' ')).not.toMatch(/\n/);
    expect(run.stats().regions.find((r) => r.region === 'us-east-1')?.status).toBe('complete');
    expect(eu?.queries?.map((q) => q.state)).toEqual(['FAILED']);
  });

  it('stops a query that outlives the timeout and marks its region failed', async () => {
    h = harness({
      scripts: {
        'eu-west-1': { states: ['RUNNING'] },
        'us-east-1': { states: ['SUCCEEDED'], rows: syntheticRows(1, 'us') },
      },
    });
    const clock = fakeClock();
    const run = engine(clock).run(investigation({ timeoutMs: 60_000 }));
    const events = await collect(run.events);
    expect(events).toHaveLength(1);
    const euId = [...h.regionOf].find(([, r]) => r === 'eu-west-1')?.[0];
    expect(h.stopped).toEqual([euId]);
    const eu = run.stats().regions.find((r) => r.region === 'eu-west-1');
    expect(eu?.status).toBe('failed');
    expect(eu?.errors.join(' ')).toMatch(/timed out/);
    // No poll interval exceeds 5 s, and the run gave up once the minute was over.
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(5_000);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(60_000);
  });

  it('cancellation (abort) stops the running queries and fails the run', async () => {
    const controller = new AbortController();
    h = harness({
      scripts: { 'eu-west-1': { states: ['RUNNING'] }, 'us-east-1': { states: ['RUNNING'] } },
      onPoll: (_id, count) => {
        if (count === 3) controller.abort(new Error('SIGINT'));
      },
    });
    const run = engine().run(investigation(), { signal: controller.signal });
    await expect(collect(run.events)).rejects.toThrow(SearchError);
    const selectIds = [...h.regionOf.keys()];
    expect(selectIds).toHaveLength(2);
    expect([...h.stopped].sort()).toEqual([...selectIds].sort());
  });

  it('retries StartQueryExecution after TooManyRequestsException (full-jitter backoff)', async () => {
    h = harness({
      scripts: {
        'eu-west-1': { states: ['SUCCEEDED'], rows: syntheticRows(1, 'eu') },
        'us-east-1': { states: ['SUCCEEDED'], rows: [] },
      },
      throttleStarts: 2,
    });
    const clock = fakeClock();
    const events = await collect(engine(clock).run(investigation()).events);
    expect(events.map((e) => e.eventID)).toEqual(['eu-0']);
    // random() = 0.5: half of 500 ms, then half of 1000 ms.
    expect(clock.sleeps.slice(0, 2)).toEqual([250, 500]);
    expect(h.started.filter((s) => s.sql.startsWith('SELECT'))).toHaveLength(2);
  });

  it('stops queries once the run has scanned more than --max-scan-bytes', async () => {
    h = harness({
      scripts: {
        'eu-west-1': { states: ['RUNNING', 'RUNNING', 'SUCCEEDED'], bytesScanned: 5_000_000 },
        'us-east-1': { states: ['RUNNING', 'RUNNING', 'SUCCEEDED'], bytesScanned: 1 },
      },
    });
    const run = engine().run(investigation({ maxScanBytes: 1_000_000, concurrency: 1 }));
    await collect(run.events);
    const stats = run.stats();
    const eu = stats.regions.find((r) => r.region === 'eu-west-1');
    expect(eu?.status).toBe('failed');
    expect(eu?.errors.join(' ')).toMatch(/max-scan-bytes/);
    // With one query at a time, us-east-1 is not even started once the budget is gone.
    const us = stats.regions.find((r) => r.region === 'us-east-1');
    expect(us?.status).toBe('failed');
    expect(us?.errors.join(' ')).toMatch(/not started/);
    expect(h.started.filter((s) => s.sql.startsWith('SELECT'))).toHaveLength(1);
    expect(stats.bytesScanned).toBe(5_000_000);
    // The stopped query is billed for what it scanned; the one never started is no query at all.
    expect(eu?.queries?.map((q) => [q.state, q.bytesScanned])).toEqual([['STOPPED', 5_000_000]]);
    expect(us?.queries).toBeUndefined();
  });

  it('cleanup after a failed region: result objects deleted and the table it created dropped', async () => {
    h = harness({
      scripts: {
        'eu-west-1': { states: ['FAILED'], reason: 'Access denied when writing output' },
        'us-east-1': { states: ['SUCCEEDED'], rows: syntheticRows(1, 'us') },
      },
    });
    const run = engine().run(investigation({ cleanup: true }));
    await collect(run.events);
    const drop = h.started.find((s) => s.sql.startsWith('DROP TABLE'));
    expect(drop?.sql).toBe(`DROP TABLE IF EXISTS \`cloudtrail_investigate\`.\`${tableNameFor(LOCATION)}\``);
    // Every query's .csv and .csv.metadata, the DROP's own included, are gone.
    expect(h.objects.size).toBe(0);
    expect(h.deleted.flat()).toContain('athena/q-1.csv');
    expect(h.deleted.flat()).toContain(`athena/${drop?.id}.csv.metadata`);
  });

  it('cleanup also runs when the run is cancelled (finally)', async () => {
    const controller = new AbortController();
    h = harness({
      scripts: { 'eu-west-1': { states: ['RUNNING'] }, 'us-east-1': { states: ['RUNNING'] } },
      onPoll: (_id, count) => {
        if (count === 2) controller.abort();
      },
    });
    await expect(
      collect(engine().run(investigation({ cleanup: true }), { signal: controller.signal }).events),
    ).rejects.toThrow(/cancelled/);
    expect(h.started.some((s) => s.sql.startsWith('DROP TABLE'))).toBe(true);
    expect(h.objects.size).toBe(0);
  });

  it('cleanup also runs when the consumer stops early, and stops the queries still running', async () => {
    h = harness({
      scripts: {
        'eu-west-1': { states: ['SUCCEEDED'], rows: syntheticRows(5, 'eu') },
        'us-east-1': { states: ['RUNNING'] },
      },
    });
    const run = engine().run(investigation({ cleanup: true }));
    for await (const event of run.events) {
      expect(event.eventID).toBe('eu-0');
      break;
    }
    const usId = [...h.regionOf].find(([, r]) => r === 'us-east-1')?.[0];
    expect(h.stopped).toContain(usId);
    expect(h.objects.size).toBe(0);
  });

  it('lists its regions by name, as the scan engine does, whatever order they were queried in', async () => {
    h = harness({
      scripts: {
        'us-east-1': { states: ['SUCCEEDED'], rows: syntheticRows(1, 'us') },
        'ap-south-1': { states: ['SUCCEEDED'], rows: syntheticRows(2, 'ap') },
        'eu-west-1': { states: ['SUCCEEDED'], rows: syntheticRows(3, 'eu') },
      },
    });
    const location = { ...LOCATION, regions: ['us-east-1', 'ap-south-1', 'eu-west-1'] };
    const run = new AthenaEngine({ ...clientFactories, locations: [location], clock: fakeClock() }).run(
      investigation(),
    );
    await collect(run.events);
    const queried = h.started.filter((s) => s.sql.startsWith('SELECT')).map((s) => s.parameters?.[0]);
    expect(queried).toEqual(["'us-east-1'", "'ap-south-1'", "'eu-west-1'"]);
    expect(run.stats().regions.map((r) => [r.region, r.matches])).toEqual([
      ['ap-south-1', 2],
      ['eu-west-1', 3],
      ['us-east-1', 1],
    ]);
  });

  it('queries each layout of a bucket in its own table; a region one layout lacks is not reported missing', async () => {
    const org = { ...LOCATION, orgId: 'o-abc123def4', accounts: ['444455556666'], regions: ['us-west-2'] };
    const tables = { plain: tableNameFor(LOCATION), org: tableNameFor(org) };
    h = harness({
      scripts: {
        [`${tables.plain}:us-east-1`]: { states: ['SUCCEEDED'], rows: syntheticRows(1, 'plain-us') },
        [`${tables.org}:us-west-2`]: { states: ['SUCCEEDED'], rows: syntheticRows(2, 'org-usw2') },
      },
    });
    const run = new AthenaEngine({ ...clientFactories, locations: [LOCATION, org], clock: fakeClock() }).run(
      investigation({}, { regions: ['us-east-1', 'us-west-2', 'sa-east-1'] }),
    );
    const events = await collect(run.events);
    expect(events.map((e) => e.eventID).sort()).toEqual(['org-usw2-0', 'org-usw2-1', 'plain-us-0']);
    const queried = h.started.filter((s) => s.sql.startsWith('SELECT')).map((s) => h!.scriptOf.get(s.id));
    expect(queried).toEqual([`${tables.plain}:us-east-1`, `${tables.org}:us-west-2`]);
    const missing = run.stats().warnings.filter((w) => w.startsWith('no logs for region'));
    expect(missing).toEqual(['no logs for region sa-east-1 in s3://trail-bucket/logs.']);
  });

  it('reuses a table that already projects what is needed (no CREATE TABLE, not dropped by cleanup)', async () => {
    const existing = Object.fromEntries(
      tableProperties({
        database: 'cloudtrail_investigate',
        table: tableNameFor(LOCATION),
        bucket: LOCATION.bucket,
        prefix: LOCATION.prefix,
        accounts: LOCATION.accounts,
        regions: LOCATION.regions,
      }),
    );
    h = harness({
      scripts: { 'eu-west-1': { states: ['SUCCEEDED'] }, 'us-east-1': { states: ['SUCCEEDED'] } },
      existingTable: existing,
    });
    await collect(engine().run(investigation({ cleanup: true })).events);
    expect(h.started.some((s) => s.sql.startsWith('CREATE EXTERNAL TABLE'))).toBe(false);
    expect(h.started.some((s) => s.sql.startsWith('DROP TABLE'))).toBe(false);
  });

  it('recreates a table whose projection lacks a region', async () => {
    const existing = Object.fromEntries(
      tableProperties({
        database: 'cloudtrail_investigate',
        table: tableNameFor(LOCATION),
        bucket: LOCATION.bucket,
        prefix: LOCATION.prefix,
        accounts: LOCATION.accounts,
        regions: ['eu-west-1'],
      }),
    );
    h = harness({
      scripts: { 'eu-west-1': { states: ['SUCCEEDED'] }, 'us-east-1': { states: ['SUCCEEDED'] } },
      existingTable: existing,
    });
    await collect(engine().run(investigation()).events);
    const ddl = h.started.map((s) => s.sql.split('\n')[0]);
    expect(ddl.slice(0, 3)).toEqual([
      'CREATE DATABASE IF NOT EXISTS `cloudtrail_investigate`',
      `DROP TABLE IF EXISTS \`cloudtrail_investigate\`.\`${tableNameFor(LOCATION)}\``,
      `CREATE EXTERNAL TABLE IF NOT EXISTS \`cloudtrail_investigate\`.\`${tableNameFor(LOCATION)}\` (`,
    ]);
    expect(h.started[2]?.sql).toContain("'projection.region.values'='eu-west-1,us-east-1'");
  });

  it('needs an output location: none given and none on the workgroup is a ConfigurationError', async () => {
    h = harness({ scripts: {} });
    await expect(collect(engine().run(investigation({ outputLocation: undefined })).events)).rejects.toThrow(
      ConfigurationError,
    );
    expect(h.started).toHaveLength(0);
  });

  it("refuses the workgroup's output location when it is the trail bucket", async () => {
    h = harness({ scripts: {}, workgroupOutput: 's3://trail-bucket/athena-results/' });
    await expect(collect(engine().run(investigation({ outputLocation: undefined })).events)).rejects.toThrow(
      /trail bucket/,
    );
    expect(h.started).toHaveLength(0);
  });

  it("uses the workgroup's output location when none is given", async () => {
    h = harness({
      scripts: { 'eu-west-1': { states: ['SUCCEEDED'] }, 'us-east-1': { states: ['SUCCEEDED'] } },
      workgroupOutput: 's3://wg-results/x/',
    });
    await collect(engine().run(investigation({ outputLocation: undefined, cleanup: true })).events);
    expect(h.started.every((s) => s.outputLocation === undefined)).toBe(true);
    expect(h.objects.size).toBe(0);
  });

  it('a field without a column fails before any AWS call', async () => {
    h = harness({ scripts: {} });
    const inv = investigation(
      {},
      {
        query: {
          kind: 'match',
          field: { segments: ['managementEvent'], display: 'managementEvent' },
          cond: { op: 'equals', values: [true] },
          all: false,
          cased: false,
        },
      },
    );
    await expect(collect(engine().run(inv).events)).rejects.toThrow(/managementEvent.*--engine scan/s);
    expect(h.athena.calls()).toHaveLength(0);
  });

  it('adds filtered_resource (the matched resources) when the query tests resources', async () => {
    const record = {
      eventID: 'e1',
      eventName: 'PutObject',
      resources: [
        { ARN: 'arn:aws:s3:::keep/x', accountId: '111122223333', type: 'AWS::S3::Object' },
        { ARN: 'arn:aws:s3:::other', accountId: '111122223333', type: 'AWS::S3::Bucket' },
      ],
    };
    h = harness({
      scripts: {
        'eu-west-1': { states: ['SUCCEEDED'], rows: [renderRow(record)] },
        'us-east-1': { states: ['SUCCEEDED'] },
      },
    });
    const inv = investigation(
      {},
      {
        usesResources: true,
        query: {
          kind: 'match',
          field: { segments: ['resources', 'ARN'], display: 'resources.ARN' },
          cond: { op: 'startswith', values: ['arn:aws:s3:::keep'] },
          all: false,
          cased: false,
        },
      },
    );
    const [event] = await collect(engine().run(inv).events);
    expect(event?.record.filtered_resource).toEqual(['arn:aws:s3:::keep/x']);
    expect(JSON.parse(event?.json ?? '{}').filtered_resource).toEqual(['arn:aws:s3:::keep/x']);
  });

  it('tags rule matches in process: Athena only selects, every parameter in WHERE', async () => {
    const rule = (id: string, name: string): string =>
      `title: t-${id}\nid: ${id}\nlevel: high\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        eventName: ${name}\n    condition: sel\n`;
    const pack = compileRulePack(
      parseRuleSource({ file: 'a.yml', text: rule('stop', 'StopLogging') }).concat(
        parseRuleSource({ file: 'b.yml', text: rule('stop-or-delete', 'StopLogging') }),
        parseRuleSource({ file: 'c.yml', text: rule('delete', 'DeleteTrail') }),
      ),
    );
    const rows = [
      renderRow({ eventID: 'e1', eventName: 'StopLogging' }),
      renderRow({ eventID: 'e2', eventName: 'DeleteTrail' }),
      // A row no rule matches (Athena would not return it): left out, with a warning.
      renderRow({ eventID: 'e3', eventName: 'ConsoleLogin' }),
    ];
    h = harness({
      scripts: { 'eu-west-1': { states: ['SUCCEEDED'], rows }, 'us-east-1': { states: ['SUCCEEDED'] } },
    });
    const run = engine().run(investigation({}, { rules: pack, query: { kind: 'all' } }));
    const events = await collect(run.events);
    expect(events.map((e) => [e.eventID, e.ruleIds])).toEqual([
      ['e1', ['stop', 'stop-or-delete']],
      ['e2', ['delete']],
    ]);
    expect(events[0]?.record.matched_rules).toEqual([
      { id: 'stop', title: 't-stop', level: 'high' },
      { id: 'stop-or-delete', title: 't-stop-or-delete', level: 'high' },
    ]);
    expect(run.stats().warnings).toEqual([
      expect.stringMatching(/^1 record Athena returned for the rules matched none/),
    ]);
    const select = h.started.find((q) => q.sql.startsWith('SELECT'));
    expect(select?.sql).not.toContain('sigma_rules');
    expect(select?.parameters).toEqual(expect.arrayContaining(["'StopLogging'", "'DeleteTrail'"]));
  });

  it('rule tags on Athena read numbers in JSON-text columns as numbers, as the SQL does', async () => {
    const text = `title: t\nid: big-read\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        additionalEventData.bytesTransferredOut: "243.0"\n    condition: sel\n`;
    const pack = compileRulePack(parseRuleSource({ file: 'n.yml', text }));
    // The column as the SerDe hands it: the delivered text, 243.0 and 0.0 kept.
    const row = {
      ...renderRow({ eventID: 'n1', eventName: 'GetObject' }),
      additionaleventdata: '{"bytesTransferredIn":0.0,"bytesTransferredOut":243.0}',
    };
    h = harness({
      scripts: {
        'eu-west-1': { states: ['SUCCEEDED'], rows: [row] },
        'us-east-1': { states: ['SUCCEEDED'] },
      },
    });
    const events = await collect(
      engine().run(investigation({}, { rules: pack, query: { kind: 'all' } })).events,
    );
    expect(events.map((e) => [e.eventID, e.ruleIds])).toEqual([['n1', ['big-read']]]);
    const select = h.started.find((q) => q.sql.startsWith('SELECT'));
    expect(select?.sql).toContain('CAST(j AS DOUBLE)) = CAST(? AS DOUBLE)');
  });
});
