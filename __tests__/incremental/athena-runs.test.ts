/**
 * Incremental mode on the Athena engine: consecutive runs over a real S3-protocol server (the
 * engine lists the delivery range's day folders there) with Athena answered by the stand-in,
 * which computes each query's rows when it starts, as Athena would: every record of the files in
 * the region's day partitions named by the query's parameters, in the bucket at that moment,
 * matching the filter, with its file as `"$path"`. The filter's meaning and the expected union
 * come from this file and jq, not from the engine.
 *
 * The writer delivers late files (stamped before the previous run's end, within the margin), and
 * one file reaches the bucket after a run's listing but before its query: that run must leave it
 * to the next one (which lists it), and no event may be reported twice or missed.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInvestigation } from '../../src/config/build.js';
import { silentLogger } from '../../src/logger.js';
import { runSearch } from '../../src/search.js';
import { harness, type StartedQuery } from '../athena/fake-athena.js';
import { renderRow } from '../athena/render-row.js';
import { jqEventIds } from '../helpers/jq.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { WATCHED, logFile, minutesAgo, mirror, type Delivered } from './fixture.js';

const BUCKET = 'athena-incremental';
const REGIONS = ['us-east-1', 'eu-west-1'];
const WATCHED_JQ = `(.eventName | IN(${WATCHED.map((n) => JSON.stringify(n)).join(', ')}))`;

let s3: S3TestServer;
let work: string;
let mirrorDir: string;
/** Files in the bucket: what Athena reads when a query starts. */
const inBucket: Delivered[] = [];
const pending: Promise<void>[] = [];

async function deliver(...files: Delivered[]): Promise<void> {
  for (const f of files) {
    await s3.put(BUCKET, f.key, f.body);
    await mirror(mirrorDir, f);
    inBucket.push(f);
  }
}

/** Delivers a file while a query starts (synchronous, as the stand-in's handler is). */
function deliverNow(f: Delivered): void {
  const target = path.join(mirrorDir, f.key);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, f.body);
  inBucket.push(f);
  pending.push(s3.put(BUCKET, f.key, f.body));
}

/** The query's parameters as values (each is sent as a quoted SQL literal). */
function values(q: StartedQuery): string[] {
  return (q.parameters ?? []).map((p) => p.replace(/^'|'$/g, '').replace(/''/g, "'"));
}

/**
 * What Athena returns for a region query: the records of the files of the region whose day
 * folder lies within the query's two day parameters (`YYYY/MM/DD`), matching the filter.
 */
function athenaRows(region: string, q: StartedQuery): Record<string, string | null>[] {
  const params = values(q);
  const days = params.filter((p) => /^\d{4}\/\d{2}\/\d{2}$/.test(p)).sort();
  const [first, last] = [days[0]!, days[days.length - 1]!];
  const rows: Record<string, string | null>[] = [];
  for (const f of inBucket) {
    const m = /\/CloudTrail\/([a-z0-9-]+)\/(\d{4}\/\d{2}\/\d{2})\//.exec(f.key);
    if (!m || m[1] !== region || m[2]! < first || m[2]! > last) continue;
    const doc = JSON.parse(gunzipSync(readFileSync(path.join(mirrorDir, f.key))).toString()) as {
      Records: Record<string, unknown>[];
    };
    for (const record of doc.Records) {
      if (!WATCHED.includes(String(record.eventName))) continue;
      rows.push({ ...renderRow(record), $path: `s3://${BUCKET}/${f.key}` });
    }
  }
  return rows;
}

interface RunOutcome {
  ids: string[];
  summary: Record<string, any>;
  queried: string[];
}

async function run(n: number, onQuery?: (region: string) => void): Promise<RunOutcome> {
  const h = harness({
    scripts: Object.fromEntries(
      REGIONS.map((region) => [
        region,
        {
          states: ['RUNNING', 'SUCCEEDED'],
          rows: (q: StartedQuery) => {
            onQuery?.(region);
            return athenaRows(region, q);
          },
        },
      ]),
    ),
  });
  h.s3.restore();
  const outDir = path.join(work, `run-${n}`);
  try {
    const inv = buildInvestigation({
      source: `s3://${BUCKET}`,
      filter: JSON.stringify({ eventName: WATCHED }),
      engine: 'athena',
      state: path.join(work, 'state.json'),
      since: '3h',
      outDir,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      awsRegion: 'us-east-1',
      athenaOutput: 's3://athena-results/incremental/',
    });
    const result = await runSearch(inv, { logger: silentLogger });
    const ids = (await readFile(path.join(outDir, 'results.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => String((JSON.parse(l) as { eventID: string }).eventID));
    const queried = h.started.filter((q) => q.sql.startsWith('SELECT')).map((q) => h.regionOf.get(q.id)!);
    // Every region query reads deliveries, not a window: no eventTime condition, the file selected.
    for (const q of h.started.filter((s) => s.sql.startsWith('SELECT'))) {
      expect(q.sql).toContain('"$path"');
      expect(q.sql).not.toContain('"eventtime") >=');
    }
    return { ids, summary: result.summary as unknown as Record<string, any>, queried };
  } finally {
    h.athena.restore();
    h.reset();
  }
}

const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET, 'athena-results'] });
  // The product's S3 clients reach the server through the SDK's standard variables.
  for (const [name, value] of Object.entries(s3.env)) {
    savedEnv[name] = process.env[name];
    process.env[name] = value;
  }
  work = await mkdtemp(path.join(os.tmpdir(), 'athena-incremental-'));
  mirrorDir = path.join(work, 'mirror');
});

afterAll(async () => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await s3?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('incremental mode on the Athena engine', () => {
  it('reports every matching event of every delivery exactly once across runs', async () => {
    const now = Date.now();
    const reported: string[] = [];
    // Before the first run: two regions, one file stamped before the look-back (never read).
    const old = logFile('us-east-1', minutesAgo(now, 240), 12, 1);
    await deliver(
      old,
      logFile('us-east-1', minutesAgo(now, 90), 12, 2),
      logFile('eu-west-1', minutesAgo(now, 30), 12, 3),
    );
    const first = await run(1);
    expect(first.summary.incremental).toMatchObject({ firstRun: true, advanced: true });
    expect(first.summary.complete).toBe(true);
    reported.push(...first.ids);

    // Late files: stamped before the first run's end (within the margin), and a new one.
    await deliver(
      logFile('us-east-1', minutesAgo(now, 5), 12, 4),
      logFile('eu-west-1', minutesAgo(now, 2), 12, 5),
    );
    const second = await run(2);
    expect(second.summary.incremental).toMatchObject({ firstRun: false, advanced: true });
    reported.push(...second.ids);

    // No new file in either region: neither is queried (nothing to pay for).
    const third = await run(3);
    expect(third.queried).toEqual([]);
    expect(third.ids).toEqual([]);
    expect(third.summary.incremental).toMatchObject({ advanced: true });

    // A file reaches the bucket after this run listed eu-west-1, before its query read it.
    let late: Delivered | undefined;
    await deliver(logFile('eu-west-1', new Date(Date.now() - 60_000), 12, 7));
    const fourth = await run(4, (region) => {
      if (region !== 'eu-west-1' || late) return;
      late = logFile('eu-west-1', new Date(Date.now() - 60_000), 12, 8);
      deliverNow(late);
    });
    expect(fourth.queried).toEqual(['eu-west-1']);
    expect(late).toBeDefined();
    await Promise.all(pending);
    // The late file's events are not in this run: it was not listed, so it is not recorded as read.
    const lateIds = new Set(await jqEventIds([path.join(mirrorDir, late!.key)], WATCHED_JQ));
    expect(lateIds.size).toBeGreaterThan(0);
    expect(fourth.ids.filter((id) => lateIds.has(id))).toEqual([]);
    reported.push(...third.ids, ...fourth.ids);

    const fifth = await run(5);
    expect(fifth.queried).toEqual(['eu-west-1']);
    expect(fifth.ids.filter((id) => lateIds.has(id)).sort()).toEqual([...lateIds].sort());
    reported.push(...fifth.ids);

    // Exactly once, and together what jq finds in every file delivered since the look-back.
    expect(new Set(reported).size).toBe(reported.length);
    const files = inBucket.filter((f) => f !== old).map((f) => path.join(mirrorDir, f.key));
    const expected = await jqEventIds(files, WATCHED_JQ);
    expect([...reported].sort()).toEqual([...expected].sort());
    // The file stamped before the look-back was never reported.
    const oldIds = new Set(await jqEventIds([path.join(mirrorDir, old.key)], WATCHED_JQ));
    expect(reported.filter((id) => oldIds.has(id))).toEqual([]);
  });
});
