/**
 * The decompressed-bytes budget shared by every scan worker: never over its capacity whatever the
 * number of threads, waiting threads proceed as others release, and the scanner charges it for
 * each object (a gzip bomb holds at most the per-object cap, then gives it back).
 */
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { InflateBudget } from '../../src/engines/scan/inflate-budget.js';
import {
  createObjectScanner,
  useInflateBudget,
  type MatcherSpec,
} from '../../src/engines/scan/scan-object.js';

const spec: MatcherSpec = {
  query: { kind: 'all' },
  usesResources: false,
  since: '2024-01-01T00:00:00Z',
  until: '2025-01-01T00:00:00Z',
  regions: 'all',
  accounts: 'all',
};

afterEach(() => useInflateBudget(undefined));

describe('InflateBudget across threads', () => {
  it('6 threads taking random shares never hold more than the capacity together', async () => {
    const capacity = 64 * 1024; // bytes: 64 KiB units
    const budget = InflateBudget.create(capacity);
    // Each thread: 300 times take 1-40 KiB, check the total, hold it briefly, give it back.
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const cell = new Int32Array(workerData.shared, 0, 1);
      const peak = new Int32Array(workerData.peak, 0, 1);
      let seed = workerData.seed;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
      for (let i = 0; i < 300; i++) {
        const units = 1 + Math.floor(rnd() * 40);
        for (;;) {
          const used = Atomics.load(cell, 0);
          if (used + units <= workerData.capacity) {
            if (Atomics.compareExchange(cell, 0, used, used + units) === used) break;
            continue;
          }
          Atomics.wait(cell, 0, used, 1000);
        }
        const now = Atomics.load(cell, 0);
        for (;;) { const p = Atomics.load(peak, 0); if (now <= p || Atomics.compareExchange(peak, 0, p, now) === p) break; }
        const until = Date.now() + rnd() * 2; while (Date.now() < until) {}
        Atomics.sub(cell, 0, units); Atomics.notify(cell, 0);
      }
      parentPort.postMessage('done');`;
    const peak = new SharedArrayBuffer(4);
    await Promise.all(
      Array.from(
        { length: 6 },
        (_, seed) =>
          new Promise<void>((resolve, reject) => {
            const w = new Worker(code, {
              eval: true,
              workerData: { shared: budget.shared, peak, capacity: 64, seed: seed + 1 },
            });
            w.once('message', () => void w.terminate().then(() => resolve()));
            w.once('error', reject);
          }),
      ),
    );
    expect(new Int32Array(peak)[0]).toBeLessThanOrEqual(64);
    expect(new Int32Array(peak)[0]).toBeGreaterThan(40);
    expect(budget.inUse).toBe(0);
  }, 60_000);

  it('the class itself: a thread that cannot wait is refused, a release lets the next one in', () => {
    const budget = InflateBudget.create(10 * 1024);
    const a = budget.acquire(6 * 1024);
    expect(a).toBe(6);
    expect(budget.acquire(6 * 1024)).toBeUndefined();
    budget.release(a!);
    expect(budget.acquire(6 * 1024)).toBe(6);
    // More than the whole budget is capped at the budget (the per-object cap then applies).
    budget.release(6);
    expect(budget.acquire(100 * 1024)).toBe(10);
  });
});

describe('the scanner charges the budget per object', () => {
  const records = (n: number) =>
    JSON.stringify({
      Records: Array.from({ length: n }, (_, i) => ({ eventTime: '2024-05-01T00:00:00Z', eventID: `e${i}` })),
    });

  it("holds an object's decompressed size while scanning it and gives it back, gzip or plain", () => {
    const budget = InflateBudget.create(64 * 1024 * 1024);
    useInflateBudget(budget);
    const scan = createObjectScanner(spec);
    for (const bytes of [gzipSync(records(1000)), Buffer.from(records(1000))]) {
      const result = scan(bytes, 'x.json.gz', false);
      expect(result.error).toBeUndefined();
      expect(result.matches).toHaveLength(1000);
      expect(budget.inUse).toBe(0);
    }
  });

  it('refuses an object when the budget cannot hold it on a thread that cannot wait', () => {
    const budget = InflateBudget.create(4 * 1024);
    useInflateBudget(budget);
    const held = budget.acquire(4 * 1024)!;
    const result = createObjectScanner(spec)(gzipSync(records(1000)), 'x.json.gz', false);
    expect(result.error).toMatch(/budget/);
    budget.release(held);
  });

  it('a multi-member gzip whose last trailer announces little is inflated again within the per-object cap', () => {
    const budget = InflateBudget.create(64 * 1024 * 1024);
    useInflateBudget(budget);
    const big = records(5000);
    const small = '\n';
    // Two members: the trailer at the end is the second's (1 byte).
    const gz = Buffer.concat([gzipSync(big), gzipSync(small)]);
    const result = createObjectScanner(spec)(gz, 'x.json.gz', false);
    expect(result.uncompressedBytes).toBe(Buffer.byteLength(big) + 1);
    expect(result.error).toBeUndefined();
    expect(result.matches).toHaveLength(5000);
    expect(budget.inUse).toBe(0);
  });
});

describe('text longer than one string can hold', () => {
  it('is refused with that reason, not as invalid UTF-8 (limit injected: V8 allows ~512 MiB)', () => {
    const lines = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({ eventTime: '2024-05-01T00:00:00Z', eventID: `e${i}` }),
    ).join('\n');
    const scan = createObjectScanner(spec, { maxTextBytes: 1000 });
    for (const [key, bytes] of [
      ['big.jsonl', Buffer.from(lines)],
      ['big.jsonl.gz', gzipSync(lines)],
    ] as const) {
      const result = scan(bytes, key, false);
      expect(result.error).toBe(
        `the text is ${Buffer.byteLength(lines)} bytes, more than the 1000 this reader can hold as one string; split the file (e.g. one event per line in several files)`,
      );
    }
    // Under the limit, the same file is read.
    expect(
      createObjectScanner(spec, { maxTextBytes: 1_000_000 })(Buffer.from(lines), 'big.jsonl', false).matches,
    ).toHaveLength(200);
  });
});
