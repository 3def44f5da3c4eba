/**
 * The cost model's arithmetic against prices and speeds worked out by hand, and the choice on the
 * two shapes issue 20 names: one day of a large organization trail (Athena) and 90 days of one
 * quiet account (scan).
 */
import { describe, expect, it } from 'vitest';
import {
  ATHENA_MIN_BYTES_PER_QUERY,
  chooseByCost,
  describeChoice,
  estimateAthena,
  estimateScan,
  type LayoutEstimate,
} from '../../src/engines/cost-model.js';
import { spread } from '../../src/engines/layout-sample.js';

/** 100 accounts x 17 regions, one day: 288 files a day each, ~10 KB each. */
const bigOrgDay: LayoutEstimate = {
  accounts: 100,
  regionQueries: 17,
  locations: 1,
  dayFolders: 100 * 17 * 2,
  objects: 100 * 17 * 288,
  bytes: 100 * 17 * 288 * 10_000,
  sampledFolders: 24,
  latencyMs: 50,
};

/** One account, 17 regions, 90 days: 24 files a day in us-east-1, 2 in the others, ~2 KB each. */
const quietAccount: LayoutEstimate = {
  accounts: 1,
  regionQueries: 17,
  locations: 1,
  dayFolders: 17 * 91,
  objects: 90 * (24 + 16 * 2),
  bytes: 90 * (24 + 16 * 2) * 2_000,
  sampledFolders: 24,
  latencyMs: 50,
};

describe('cost model', () => {
  it('prices a scan as its GETs, LISTs and bytes out of AWS', () => {
    // 489,600 GETs at $0.0004/1000 + 3,400 LISTs at $0.005/1000 + 4.896 GB at $0.09/GB.
    const expected = 489_600 * 0.0000004 + 3_400 * 0.000005 + 4.896 * 0.09;
    expect(estimateScan(bigOrgDay).dollars).toBeCloseTo(expected, 6);
    // CPU-bound at 1,000 objects/s (256 in flight at 50 ms would allow 5,120/s): 489.6 s + 1 s.
    expect(estimateScan(bigOrgDay).seconds).toBeCloseTo(490.6, 1);
  });

  it('bills each Athena query at least 10 MB', () => {
    // 17 queries of 10 MiB each: 178,257,920 bytes at $5/TB, plus the same GETs and LISTs.
    expect(ATHENA_MIN_BYTES_PER_QUERY).toBe(10 * 1024 * 1024);
    const expected = (17 * 10 * 1024 * 1024 * 5) / 1e12 + 5_040 * 0.0000004 + 1_547 * 0.000005;
    expect(estimateAthena(quietAccount, 5).dollars).toBeCloseTo(expected, 8);
    // 2 DDL x 1.5 s + 4 waves of 5 queries x 3 s + (10 MB / 100 MB/s + 5,040 / 5,000 per s) / 5.
    expect(estimateAthena(quietAccount, 5).seconds).toBeCloseTo(3 + 12 + (0.1008 + 1.008) / 5, 3);
  });

  it('picks Athena for one day of a large organization trail: faster and cheaper', () => {
    const choice = chooseByCost(bigOrgDay, 5);
    expect(choice.engine).toBe('athena');
    expect(choice.athena.seconds).toBeLessThan(choice.scan.seconds);
    expect(choice.athena.dollars).toBeLessThan(choice.scan.dollars);
    expect(describeChoice(choice, bigOrgDay)).toMatch(
      /^auto: Athena is cheaper and faster: scan ~8 min, \$0\.65/,
    );
  });

  it('picks scan for 90 days of one quiet account', () => {
    const choice = chooseByCost(quietAccount, 5);
    expect(choice.engine).toBe('scan');
    expect(choice.scan.seconds).toBeLessThan(choice.athena.seconds);
    expect(describeChoice(choice, quietAccount)).toMatch(/^auto: scan is cheaper and faster/);
  });

  it('counts the runner minutes: a cheaper AWS bill that takes much longer can lose', () => {
    // The same 5,040 small objects over a slow link (2 s per request): scan waits ~40 s for
    // them (256 in flight), Athena does not wait on the link.
    const slow: LayoutEstimate = { ...quietAccount, latencyMs: 2_000 };
    const scan = estimateScan(slow);
    const athena = estimateAthena(slow, 5);
    // Listing 1,547 folders 32 at a time at 2 s each: 97 s, more than reading (39 s).
    expect(scan.seconds).toBeCloseTo(1 + 1_547 / 16, 1);
    expect(scan.total - scan.dollars).toBeCloseTo((scan.seconds / 60) * 0.006, 8);
    // Both AWS bills are about a cent; the runner's minutes decide.
    expect(Math.abs(scan.dollars - athena.dollars)).toBeLessThan(0.001);
    expect(athena.total).toBeLessThan(scan.total);
    expect(chooseByCost(slow, 5).engine).toBe('athena');
  });
});

describe('spread', () => {
  it('takes all items when there are few, else k distinct ones in order', () => {
    expect(spread([1, 2, 3], 5)).toEqual([1, 2, 3]);
    const items = Array.from({ length: 272 }, (_, i) => i);
    const picked = spread(items, 24);
    expect(new Set(picked).size).toBe(24);
    expect(picked).toEqual([...picked].sort((a, b) => a - b));
    // No aliasing with a period of 2 (a window's extra lag day): both parities about equally.
    const even = picked.filter((i) => i % 2 === 0).length;
    expect(even).toBeGreaterThanOrEqual(8);
    expect(even).toBeLessThanOrEqual(16);
  });
});
