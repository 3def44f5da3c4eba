/**
 * How many objects the scan engine fetches at once, chosen while it runs: a real S3 search is
 * bound by each GET's time to first byte, not by the CPU (Little's law: objects/s = objects in
 * flight / latency), and that latency depends on where the search runs. Pure: the caller passes
 * the time, so tests drive it with a simulated clock.
 *
 * The limit is tried in epochs of about two "rounds" (twice the limit in completed objects, and
 * MIN_EPOCH_MS at least). Starting from `initial`, each epoch whose throughput beat the best
 * seen by GROWTH_GAIN doubles the limit (slow start); two in a row that do not end the climb
 * and go back to the best limit. After that it probes one step above the
 * limit now and then and keeps the step only when throughput grew.
 *
 * It backs off like TCP: a throttling answer (SlowDown, 503, 429) or a timed-out request halves the limit, at most once
 * per COOLDOWN_MS, and the climb starts again from there, additively. When the engine's memory
 * bounds (bytes read ahead, matches waiting) are what keeps objects from starting, the limit is
 * pulled down to what is in flight: more would only be held back.
 *
 * Epochs only count completions made while the limit was in use (`full`): while listing has not
 * produced objects fast enough, throughput says nothing about concurrency.
 */

export interface AdaptiveConcurrencyOptions {
  /** Limit to start with. */
  initial: number;
  /** Never below this, even after throttling. */
  min: number;
  /** Never above this. */
  max: number;
}

export const DEFAULT_ADAPTIVE_CONCURRENCY: AdaptiveConcurrencyOptions = { initial: 16, min: 4, max: 256 };

/** Relative gain of throughput that makes a larger limit worth keeping. */
export const GROWTH_GAIN = 0.1;
/** Shortest epoch: a few completions at a tiny limit say little. */
export const MIN_EPOCH_MS = 100;
/** Epochs between two probes one step up, once the climb is over. */
const PROBE_EVERY = 4;
/** Epochs without gain at a doubled limit before the climb ends. */
const CLIMB_PATIENCE = 2;
/** After a throttle, no other halving for this long (one back-off per episode of throttling). */
export const COOLDOWN_MS = 2_000;

/** Limits remembered in `history`, at most. */
const MAX_HISTORY = 64;

type Phase = 'climb' | 'steady';

export class AdaptiveConcurrency {
  private current: number;
  private readonly min: number;
  private readonly max: number;
  private phase: Phase = 'climb';
  /** Best throughput seen (objects per ms) and the limit that gave it. */
  private best: { rate: number; limit: number } | undefined;
  private epochStart: number | undefined;
  private epochDone = 0;
  private steadyEpochs = 0;
  /** Epochs in a row at the latest doubled limit that did not beat the best. */
  private misses = 0;
  /** Set while a probe one step up is being measured: the limit to go back to. */
  private probeFrom: number | undefined;
  private throttledAt = Number.NEGATIVE_INFINITY;
  /** Limits, in order, each time it changed (the first and the latest MAX_HISTORY / 2). */
  readonly history: number[] = [];

  constructor(options: AdaptiveConcurrencyOptions = DEFAULT_ADAPTIVE_CONCURRENCY) {
    this.min = Math.max(1, Math.floor(options.min));
    this.max = Math.max(this.min, Math.floor(options.max));
    this.current = clamp(Math.floor(options.initial), this.min, this.max);
    this.history.push(this.current);
  }

  /** Objects that may be in flight now. */
  get limit(): number {
    return this.current;
  }

  /**
   * An object finished (read or failed) at `now` (ms). `full`: the limit was reached when it
   * finished (the engine had as many objects in flight as allowed).
   */
  completed(now: number, full: boolean): void {
    if (!full) {
      this.epochStart = undefined;
      return;
    }
    if (this.epochStart === undefined) {
      this.epochStart = now;
      this.epochDone = 0;
      return;
    }
    this.epochDone++;
    const elapsed = now - this.epochStart;
    if (this.epochDone < 2 * this.current || elapsed < MIN_EPOCH_MS) return;
    const rate = this.epochDone / elapsed;
    this.epochStart = now;
    this.epochDone = 0;
    this.judge(rate);
  }

  /** S3 asked to slow down (SlowDown, 503, 429) at `now`. */
  throttled(now: number): void {
    if (now - this.throttledAt < COOLDOWN_MS) return;
    this.throttledAt = now;
    this.phase = 'steady';
    this.best = undefined;
    this.probeFrom = undefined;
    this.steadyEpochs = 0;
    this.set(Math.floor(this.current / 2));
  }

  /** The engine's memory bounds held objects back with `inFlight` in flight. */
  memoryBound(inFlight: number): void {
    if (inFlight >= this.current) return;
    this.probeFrom = undefined;
    this.phase = 'steady';
    this.set(inFlight);
  }

  private judge(rate: number): void {
    const best = this.best;
    if (best === undefined) {
      this.best = { rate, limit: this.current };
      if (this.phase === 'climb') this.set(this.current * 2);
      return;
    }
    if (this.phase === 'climb') {
      if (rate > best.rate * (1 + GROWTH_GAIN)) {
        this.misses = 0;
        this.best = { rate, limit: this.current };
        this.set(this.current * 2);
      } else if (++this.misses < CLIMB_PATIENCE) {
        // On a busy machine one epoch's throughput can be off by tens of percent: measure again.
        return;
      } else {
        // Doubling bought nothing: the knee is below this limit, and the best one is kept.
        this.phase = 'steady';
        this.best = { rate: Math.max(rate, best.rate), limit: best.limit };
        this.set(best.limit);
      }
      return;
    }
    if (this.probeFrom !== undefined) {
      const from = this.probeFrom;
      this.probeFrom = undefined;
      if (rate > best.rate * (1 + GROWTH_GAIN / 2)) this.best = { rate, limit: this.current };
      else this.set(from);
      return;
    }
    // Steady: follow the throughput as it drifts, and probe one step up now and then.
    this.best = { rate: (best.rate + rate) / 2, limit: this.current };
    if (++this.steadyEpochs % PROBE_EVERY === 0 && this.current < this.max) {
      this.probeFrom = this.current;
      this.set(this.current + Math.max(1, Math.ceil(this.current / 8)));
    }
  }

  private set(limit: number): void {
    const next = clamp(limit, this.min, this.max);
    if (next === this.current) return;
    this.current = next;
    this.epochStart = undefined;
    this.history.push(next);
    // A long search probes for hours: keep how it started and how it is going.
    if (this.history.length > MAX_HISTORY) this.history.splice(MAX_HISTORY / 2, 1);
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
