/**
 * The worker pool: objects given before any worker is ready wait for one (the main thread never
 * scans, so it always answers signals); every result must be exactly the in-process scanner's, and
 * a gzip failure must be reported the same way. Cancelling fails pending objects at once.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createScanPool } from '../../src/engines/scan/pool.js';
import { unpackMatches, type PackedScanResult } from '../../src/engines/scan/packed-matches.js';
import { createObjectScanner } from '../../src/engines/scan/scan-object.js';
import { generateLogs } from '../../tools/generate/index.js';
import { specFor } from './scan-reference.js';

const spec = specFor({
  kind: 'match',
  field: { segments: ['eventSource'], display: 'eventSource' },
  cond: { op: 'equals', values: ['s3.amazonaws.com', 'sts.amazonaws.com'] },
  all: false,
  cased: false,
});

const objects = [
  ...generateLogs({
    accounts: ['111111111111'],
    regions: ['us-east-1', 'eu-west-1'],
    start: '2023-07-10T00:00:00Z',
    hours: 4,
    filesPerHour: 4,
    recordsPerFile: [20, 60],
  }),
].map((f) => ({ key: f.key, bytes: gzipSync(JSON.stringify({ Records: f.records })) }));
objects.push({ key: 'broken.json.gz', bytes: gzipSync('{"Records":[]}').subarray(0, 20) });

/** A pool's result as plain data: the match texts decoded, everything else as is. */
function plain(result: PackedScanResult) {
  const { matches, ...stats } = result;
  const events = unpackMatches(matches);
  return { stats, texts: events.map((m) => m.json), ids: events.map((m) => m.eventID) };
}

describe('the scan pool', () => {
  it('gives the in-process results, for objects given before and after a worker was ready', async () => {
    const reference = createObjectScanner(spec);
    const expected = objects.map((o) => {
      const { matches, ...stats } = reference(new Uint8Array(o.bytes), o.key, false);
      return { stats, texts: matches.map((m) => m.json), ids: matches.map((m) => m.eventID) };
    });
    const pool = createScanPool(spec, 2);
    try {
      const half = Math.floor(objects.length / 2);
      // Given before any worker can have started: they wait for one.
      const first = objects.slice(0, half).map((o) => pool.scan(copy(o.bytes), o.key, false));
      const firstResults = await Promise.all(first);
      await pool.ready();
      const rest = await Promise.all(objects.slice(half).map((o) => pool.scan(copy(o.bytes), o.key, false)));
      expect([...firstResults, ...rest].map(plain)).toEqual(expected);
      expect(expected.at(-1)!.stats.error).toMatch(/gzip/);
      expect(expected.reduce((n, e) => n + e.texts.length, 0)).toBeGreaterThan(50);
    } finally {
      await pool.close();
    }
  });
});

describe('cancelling the pool', () => {
  it('fails every pending object at once with the reason, and every later one', async () => {
    // Values a costly glob takes seconds over: the workers are busy when the signal comes.
    const slowSpec = specFor({
      kind: 'match',
      field: { segments: ['userAgent'], display: 'userAgent' },
      // 500 literal runs to compare at each of 200,000 places (the globs' remaining worst case).
      cond: { op: 'glob', values: [`*${'a?'.repeat(500)}b*`] },
      all: false,
      cased: false,
    });
    const record = { eventTime: '2023-07-10T00:00:00Z', eventID: 'x', userAgent: 'a'.repeat(200_000) };
    const slow = gzipSync(JSON.stringify({ Records: Array.from({ length: 40 }, () => record) }));
    const controller = new AbortController();
    const pool = createScanPool(slowSpec, 2, controller.signal);
    try {
      await pool.ready();
      const pending = [0, 1, 2].map((i) => pool.scan(copy(slow), `slow-${i}.json.gz`, false));
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort(new Error('interrupted by SIGTERM'));
      const settled = await Promise.allSettled(pending);
      expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'scanned'))).toEqual(
        ['interrupted by SIGTERM', 'interrupted by SIGTERM', 'interrupted by SIGTERM'],
      );
      await expect(pool.scan(copy(slow), 'later.json.gz', false)).rejects.toThrow('interrupted by SIGTERM');
    } finally {
      await pool.close();
    }
  });
});

/** The bytes in a buffer of their own, as a store hands them over (the pool may transfer it). */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
