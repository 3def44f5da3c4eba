/**
 * Listing ahead of reading: the plan's objects are listed up to a limit ahead of the consumer, so
 * the total is known early; order is kept, a listing failure comes after the items listed before
 * it, and a consumer that stops early stops the listing and runs its clean-up.
 */
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/engines/scan/read-ahead.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A lazy source of 0..n-1 that records how far it was listed and whether it was closed. */
function source(n: number, failAt?: number) {
  const seen = { listed: 0, closed: false };
  async function* items(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        await tick();
        if (i === failAt) throw new Error(`listing failed at ${i}`);
        seen.listed++;
        yield i;
      }
    } finally {
      seen.closed = true;
    }
  }
  return { items: items(), seen };
}

describe('readAhead', () => {
  it('lists to the end before the consumer reads far, within the limit, and keeps the order', async () => {
    const { items } = source(50);
    let ended = false;
    let total = 0;
    const ahead = readAhead(items, 100, { onItem: () => total++, onEnd: () => (ended = true) });
    const first = await ahead.next();
    expect(first.value).toBe(0);
    for (let i = 0; i < 200 && !ended; i++) await tick();
    // One item taken, the whole listing done: the total is known.
    expect(ended).toBe(true);
    expect(total).toBe(50);
    const rest: number[] = [];
    for await (const i of ahead) rest.push(i);
    expect([first.value, ...rest]).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('stays at most `limit` items ahead', async () => {
    const { items, seen } = source(1000);
    const ahead = readAhead(items, 10);
    await ahead.next();
    for (let i = 0; i < 100; i++) await tick();
    // The one taken, plus ten waiting (and at most the one being listed).
    expect(seen.listed).toBeGreaterThanOrEqual(11);
    expect(seen.listed).toBeLessThanOrEqual(12);
    await ahead.return(undefined);
  });

  it('a listing failure is thrown after the items listed before it; no onEnd', async () => {
    const { items } = source(10, 6);
    let ended = false;
    const got: number[] = [];
    const run = async () => {
      for await (const i of readAhead(items, 100, { onEnd: () => (ended = true) })) got.push(i);
    };
    await expect(run()).rejects.toThrow('listing failed at 6');
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ended).toBe(false);
  });

  it('a consumer that stops early stops the listing and closes the source', async () => {
    const { items, seen } = source(1_000_000);
    let ended = false;
    for await (const i of readAhead(items, 5, { onEnd: () => (ended = true) })) if (i === 2) break;
    expect(seen.closed).toBe(true);
    expect(seen.listed).toBeLessThan(20);
    expect(ended).toBe(false);
  });

  it('reads a plain (synchronous) iterable too', async () => {
    const got: string[] = [];
    for await (const s of readAhead(['a', 'b', 'c'], 2)) got.push(s);
    expect(got).toEqual(['a', 'b', 'c']);
  });
});
