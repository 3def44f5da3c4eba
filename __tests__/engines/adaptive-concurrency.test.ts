/**
 * The adaptive concurrency controller against a simulated S3: each object waits `latencyMs` for
 * its first byte, and the client can finish at most `capacity` objects per ms (its CPU). By
 * Little's law the best limit is latency × capacity (the knee); the expectations below are
 * computed from that, not from the controller.
 */
import { describe, expect, it } from 'vitest';
import {
  AdaptiveConcurrency,
  COOLDOWN_MS,
  DEFAULT_ADAPTIVE_CONCURRENCY,
} from '../../src/engines/scan/adaptive-concurrency.js';

interface World {
  latencyMs: number;
  /** Objects per ms the client can process at most. */
  capacity: number;
}

/**
 * Runs the controller for `ms` simulated milliseconds, 1 ms steps, always full (listing is never
 * the bottleneck); returns the objects finished in the last `tailMs`.
 */
function simulate(c: AdaptiveConcurrency, world: (t: number) => World, ms: number, start = 0, tailMs = 1000) {
  let carry = 0;
  let tail = 0;
  for (let t = start; t < start + ms; t++) {
    const w = world(t);
    carry += Math.min(c.limit / w.latencyMs, w.capacity);
    while (carry >= 1) {
      carry -= 1;
      c.completed(t, true);
      if (t >= start + ms - tailMs) tail++;
    }
  }
  return tail;
}

describe('adaptive concurrency', () => {
  it('starts at 16 by default, within 4..256', () => {
    const c = new AdaptiveConcurrency();
    expect(c.limit).toBe(16);
    expect(DEFAULT_ADAPTIVE_CONCURRENCY).toEqual({ initial: 16, min: 4, max: 256 });
  });

  it('grows past the knee at 50 ms and hides the latency', () => {
    // Knee: 50 ms × 1.5 objects/ms = 75 objects in flight; 1,500 objects/s at best.
    const c = new AdaptiveConcurrency();
    const last = simulate(c, () => ({ latencyMs: 50, capacity: 1.5 }), 10_000);
    expect(c.limit).toBeGreaterThanOrEqual(75);
    expect(c.limit).toBeLessThanOrEqual(256);
    expect(last).toBeGreaterThanOrEqual(0.9 * 1500);
  });

  it('at 100 ms goes to 150 or more in flight', () => {
    const c = new AdaptiveConcurrency();
    const last = simulate(c, () => ({ latencyMs: 100, capacity: 1.5 }), 15_000);
    expect(c.limit).toBeGreaterThanOrEqual(150);
    expect(last).toBeGreaterThanOrEqual(0.9 * 1500);
  });

  it('still climbs past the knee when the machine is busy and throughput jumps around', () => {
    // Capacity swinging between 0.5 and 2.5 objects/ms on a 700 ms cycle (other jobs on the
    // cores): one epoch can look worse than the one before at a larger limit.
    const c = new AdaptiveConcurrency();
    const busy = (t: number) => ({ latencyMs: 50, capacity: 1.5 + Math.sin((2 * Math.PI * t) / 700) });
    simulate(c, busy, 20_000);
    // Knee at the mean capacity: 50 ms x 1.5 objects/ms.
    expect(c.limit).toBeGreaterThanOrEqual(75);
  });

  it('does not grow when the client, not the latency, is the limit', () => {
    // Knee: 1 ms × 1.5 = 1.5 objects: 16 already saturates, doubling buys nothing.
    const c = new AdaptiveConcurrency();
    simulate(c, () => ({ latencyMs: 1, capacity: 1.5 }), 10_000);
    expect(c.limit).toBeLessThanOrEqual(32);
  });

  it('stops at its maximum', () => {
    const c = new AdaptiveConcurrency({ initial: 8, min: 2, max: 40 });
    simulate(c, () => ({ latencyMs: 200, capacity: 10 }), 20_000);
    expect(c.limit).toBe(40);
  });

  it('halves on throttling, once per cool-down, never below the minimum', () => {
    const c = new AdaptiveConcurrency({ initial: 128, min: 4, max: 256 });
    c.throttled(1_000);
    expect(c.limit).toBe(64);
    c.throttled(1_000 + COOLDOWN_MS - 1);
    expect(c.limit).toBe(64);
    c.throttled(1_000 + COOLDOWN_MS);
    expect(c.limit).toBe(32);
    for (let i = 2; i < 10; i++) c.throttled(1_000 + i * COOLDOWN_MS);
    expect(c.limit).toBe(4);
  });

  it('climbs back, step by step, once throttling stops', () => {
    const c = new AdaptiveConcurrency();
    const world = () => ({ latencyMs: 50, capacity: 1.5 });
    simulate(c, world, 10_000);
    const before = c.limit;
    c.throttled(10_000);
    expect(c.limit).toBe(Math.floor(before / 2));
    const last = simulate(c, world, 60_000, 10_001);
    // Additive probes stop where one more step gains little: within 10% of the knee (75).
    expect(c.limit).toBeGreaterThanOrEqual(0.9 * 75);
    expect(last).toBeGreaterThanOrEqual(0.9 * 1500);
  });

  it('holds at what is in flight when memory bounds bind', () => {
    const c = new AdaptiveConcurrency({ initial: 64, min: 4, max: 256 });
    c.memoryBound(100);
    expect(c.limit).toBe(64);
    c.memoryBound(40);
    expect(c.limit).toBe(40);
  });

  it('ignores completions made while starved (the limit was not reached)', () => {
    const c = new AdaptiveConcurrency();
    for (let t = 0; t < 10_000; t++) c.completed(t, false);
    expect(c.limit).toBe(16);
    expect(c.history).toEqual([16]);
  });

  it('is deterministic: the same world gives the same limits', () => {
    const a = new AdaptiveConcurrency();
    const b = new AdaptiveConcurrency();
    const world = (t: number) => ({ latencyMs: t < 5_000 ? 10 : 80, capacity: 2 });
    simulate(a, world, 20_000);
    simulate(b, world, 20_000);
    expect(a.history).toEqual(b.history);
  });
});
