/**
 * summary.json: aggregates over matches (expected counts known by construction), bounded memory,
 * the completeness rule, and the Athena cost estimate against AWS's published price.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  SummaryBuilder,
  estimateAthenaCostUsd,
  writeSummary,
  type SummaryInputs,
} from '../../src/report/summary.js';
import type { MatchedEvent, SearchStats } from '../../src/engines/types.js';
import type { Investigation } from '../../src/investigation.js';

function ev(record: Record<string, unknown>): MatchedEvent {
  return {
    record,
    json: JSON.stringify(record),
    eventID: record.eventID as string,
    region: record.awsRegion as string,
  };
}

const ALICE = 'arn:aws:iam::111122223333:user/alice';

/** 5 ConsoleLogin by alice from 203.0.113.7 at 10:xx, 3 GetObject by a principal id at 11:xx, 2 AssumeRole by ec2 at 12:xx. */
function sampleEvents(): MatchedEvent[] {
  const events: MatchedEvent[] = [];
  for (let i = 0; i < 5; i++) {
    events.push(
      ev({
        eventName: 'ConsoleLogin',
        eventTime: `2023-07-10T10:0${i}:00Z`,
        sourceIPAddress: '203.0.113.7',
        userIdentity: { type: 'IAMUser', arn: ALICE, principalId: 'AIDA1' },
        eventID: `a${i}`,
      }),
    );
  }
  for (let i = 0; i < 3; i++) {
    events.push(
      ev({
        eventName: 'GetObject',
        eventTime: `2023-07-10T11:1${i}:00Z`,
        sourceIPAddress: '198.51.100.1',
        userIdentity: { type: 'AssumedRole', principalId: 'AROA9:session' },
        eventID: `b${i}`,
      }),
    );
  }
  for (let i = 0; i < 2; i++) {
    events.push(
      ev({
        eventName: 'AssumeRole',
        eventTime: `2023-07-10T12:3${i}:00Z`,
        sourceIPAddress: 'ec2.amazonaws.com',
        userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
        eventID: `c${i}`,
      }),
    );
  }
  return events;
}

function investigation(over: Partial<Investigation> = {}): Investigation {
  return {
    source: { kind: 's3', bucket: 'trail-bucket', prefix: 'org' },
    query: {
      kind: 'match',
      field: { segments: ['eventName'], display: 'eventname' },
      cond: { op: 'equals', values: ['ConsoleLogin'] },
      all: false,
      cased: false,
    },
    filterText: '{"eventname":"ConsoleLogin"}',
    usesResources: false,
    window: { since: new Date('2023-07-10T00:00:00Z'), until: new Date('2023-07-11T00:00:00Z') },
    regions: ['us-east-1', 'eu-west-1'],
    accounts: 'all',
    engine: 'auto',
    output: { dir: '/tmp/out', format: 'jsonl', testId: '' },
    failOnMatch: false,
    dryRun: false,
    concurrency: 8,
    workers: 0,
    credentials: {},
    athena: { database: 'db', workgroup: 'primary', cleanup: true, concurrency: 4, timeoutMs: 600_000 },
    ...over,
  };
}

function stats(over: Partial<SearchStats> = {}): SearchStats {
  return {
    engine: 'scan',
    engineReason: 'auto: short window',
    objectsListed: 50,
    objectsRead: 48,
    objectsSkipped: 2,
    bytesRead: 1_200_000,
    bytesUncompressed: 9_000_000,
    recordsScanned: 10_345,
    recordsOutsideWindow: 12,
    failures: [],
    regions: [
      {
        region: 'us-east-1',
        status: 'complete',
        objects: 30,
        bytes: 800_000,
        records: 7000,
        matches: 10,
        durationMs: 900,
        errors: [],
      },
      {
        region: 'eu-west-1',
        status: 'complete',
        objects: 18,
        bytes: 400_000,
        records: 3345,
        matches: 0,
        durationMs: 700,
        errors: [],
      },
    ],
    warnings: ['something to know'],
    ...over,
  };
}

function inputs(over: Partial<SummaryInputs> = {}): SummaryInputs {
  return {
    inv: investigation(),
    stats: stats(),
    matches: 10,
    duplicatesDropped: 3,
    files: { results: 'results.jsonl', summary: 'summary.json' },
    startedAt: new Date('2023-07-12T08:00:00.250Z'),
    durationMs: 1234,
    ...over,
  };
}

describe('SummaryBuilder', () => {
  it('counts the top event names, principals and source IPs, and matches per hour', () => {
    const builder = new SummaryBuilder();
    for (const e of sampleEvents()) builder.add(e);
    const s = builder.build(inputs());
    expect(s.top.eventNames).toEqual([
      { value: 'ConsoleLogin', count: 5 },
      { value: 'GetObject', count: 3 },
      { value: 'AssumeRole', count: 2 },
    ]);
    // ARN first, else the principal id, else the invoking service.
    expect(s.top.principals).toEqual([
      { value: ALICE, count: 5 },
      { value: 'AROA9:session', count: 3 },
      { value: 'ec2.amazonaws.com', count: 2 },
    ]);
    expect(s.top.sourceIPs.map((t) => t.value)).toEqual(['203.0.113.7', '198.51.100.1', 'ec2.amazonaws.com']);
    expect(s.timeline).toEqual([
      { bucket: '2023-07-10T10:00:00Z', count: 5 },
      { bucket: '2023-07-10T11:00:00Z', count: 3 },
      { bucket: '2023-07-10T12:00:00Z', count: 2 },
    ]);
  });

  it('keeps at most 10 per list, and stays bounded (exact for heavy hitters) past the key cap', () => {
    const builder = new SummaryBuilder({ maxKeys: 100 });
    for (let i = 0; i < 5000; i++) {
      builder.add(
        ev({
          eventName: `Name${i}`,
          sourceIPAddress: `10.0.${i % 256}.${i >> 8}`,
          userIdentity: { arn: `arn:${i}` },
        }),
      );
      if (i % 10 === 0)
        builder.add(ev({ eventName: 'Hot', sourceIPAddress: '192.0.2.1', userIdentity: { arn: ALICE } }));
    }
    expect(builder.eventNames.size).toBeLessThanOrEqual(100);
    const s = builder.build(inputs());
    expect(s.top.eventNames).toHaveLength(10);
    expect(s.top.eventNames[0]).toEqual({ value: 'Hot', count: 500 });
    expect(s.top.principals[0]).toEqual({ value: ALICE, count: 500 });
    expect(s.warnings.some((w) => /approximate/.test(w))).toBe(true);
  });

  it('gives the timeline per day when it would have more than two weeks of hours', () => {
    const builder = new SummaryBuilder();
    for (let h = 0; h < 24 * 20; h++)
      builder.add(ev({ eventTime: new Date(Date.UTC(2023, 6, 1) + h * 3_600_000).toISOString() }));
    const s = builder.build(inputs());
    expect(s.timeline).toHaveLength(20);
    expect(s.timeline[0]).toEqual({ bucket: '2023-07-01T00:00:00Z', count: 24 });
  });
});

describe('buildSummary', () => {
  it('fills summary.json from the stats and the investigation', () => {
    const s = new SummaryBuilder().build(inputs());
    expect(s.tool.name).toBe('cloudtrail-investigate');
    expect(s.matches).toBe(10);
    expect(s.duplicatesDropped).toBe(3);
    expect(s.complete).toBe(true);
    expect(s.filter).toBe('{"eventname":"ConsoleLogin"}');
    expect(s.window).toEqual({ since: '2023-07-10T00:00:00Z', until: '2023-07-11T00:00:00Z' });
    expect(s.source).toBe('s3://trail-bucket/org');
    expect(s.scanned).toEqual({
      objectsListed: 50,
      objects: 48,
      objectsSkipped: 2,
      bytes: 1_200_000,
      bytesUncompressed: 9_000_000,
      records: 10_345,
    });
    expect(s.startedAt).toBe('2023-07-12T08:00:00.250Z');
    expect(s.warnings).toEqual(['something to know']);
    expect(s.format).toBe('jsonl');
  });

  it('is incomplete when an object failed or a region did not finish', () => {
    const failed = new SummaryBuilder().build(
      inputs({ stats: stats({ failures: [{ key: 'a.json.gz', reason: 'AccessDenied' }] }) }),
    );
    expect(failed.complete).toBe(false);
    expect(failed.failures).toEqual([{ key: 'a.json.gz', reason: 'AccessDenied' }]);
    const base = stats();
    const region = new SummaryBuilder().build(
      inputs({
        stats: stats({
          regions: [base.regions[0]!, { ...base.regions[1]!, status: 'failed', errors: ['timeout'] }],
        }),
      }),
    );
    expect(region.complete).toBe(false);
  });

  it('says filter null for an export of every event', () => {
    const s = new SummaryBuilder().build(
      inputs({ inv: investigation({ query: { kind: 'all' }, filterText: undefined }) }),
    );
    expect(s.filter).toBeNull();
  });

  it('adds bytes scanned and the cost estimate for Athena', () => {
    const base = stats();
    const s = new SummaryBuilder().build(
      inputs({
        stats: stats({
          engine: 'athena',
          bytesScanned: 2_000_000_000_000,
          regions: [
            {
              ...base.regions[0]!,
              bytesScanned: 2_000_000_000_000 - 1_000_000,
              queries: [{ id: 'a', state: 'SUCCEEDED', bytesScanned: 2_000_000_000_000 - 1_000_000 }],
            },
            {
              ...base.regions[1]!,
              bytesScanned: 1_000_000,
              queries: [
                { id: 'b', state: 'STOPPED', bytesScanned: 1_000_000 },
                // Failed queries are not billed.
                { id: 'c', state: 'FAILED', bytesScanned: 0 },
              ],
            },
          ],
        }),
      }),
    );
    expect(s.scanned.bytesScanned).toBe(2_000_000_000_000);
    // 2 TB less 1 MB at $5/TB, plus the 10 MB minimum for the stopped query; nothing for the failed one.
    expect(s.scanned.costUsd).toBeCloseTo(((2e12 - 1e6 + 10e6) / 1e12) * 5, 10);
    expect(s.regionBreakdown.map((r) => r.queries?.map((q) => q.id))).toEqual([['a'], ['b', 'c']]);
  });

  it('estimates no Athena cost when no query was started or every one failed', () => {
    const base = stats();
    for (const queries of [undefined, [{ id: 'f', state: 'FAILED', bytesScanned: 0 }]]) {
      const s = new SummaryBuilder().build(
        inputs({
          stats: stats({
            engine: 'athena',
            bytesScanned: 0,
            regions: [{ ...base.regions[0]!, bytesScanned: 0, ...(queries ? { queries } : {}) }],
          }),
        }),
      );
      expect(s.scanned.costUsd).toBe(0);
    }
  });
});

describe('estimateAthenaCostUsd', () => {
  it('charges $5 per TB, at least 10 MB per query, rounded up to the MB', () => {
    expect(estimateAthenaCostUsd([])).toBe(0);
    expect(estimateAthenaCostUsd([0])).toBeCloseTo(0.00005, 12);
    expect(estimateAthenaCostUsd([1e12])).toBeCloseTo(5, 12);
    expect(estimateAthenaCostUsd([1e12, 1e12])).toBeCloseTo(10, 12);
    expect(estimateAthenaCostUsd([10e6 + 1])).toBeCloseTo((11e6 / 1e12) * 5, 12);
  });
});

describe('writeSummary', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes pretty JSON that reads back equal, with no temp file left', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ct-summary-'));
    const s = new SummaryBuilder().build(inputs());
    const file = path.join(dir, 'summary.json');
    await writeSummary(file, s);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(s);
    expect(await readdir(dir)).toEqual(['summary.json']);
  });
});
