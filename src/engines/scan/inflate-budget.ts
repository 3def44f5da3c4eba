/**
 * One budget of decompressed bytes for the whole process, shared by every scan worker: the
 * 512 MiB cap on one object alone let memory grow with --workers (4 workers inflating gzip bombs
 * held 4 x 512 MiB). An object takes its share before it is inflated (the size its gzip trailer
 * announces, or the whole per-object cap when the trailer lied) and gives it back once it has been
 * scanned; a worker whose share does not fit waits (Atomics.wait) until others give theirs back.
 * The count lives in a SharedArrayBuffer, in KiB, posted to each worker with its matcher.
 *
 * The main thread cannot wait (it would stop the event loop); it scans only while no worker is
 * ready, when nothing else holds any budget, or with --workers 0, one object at a time.
 */

/** Decompressed bytes in flight at once, all workers together. */
export const INFLATE_BUDGET_BYTES = 1024 * 1024 * 1024;

const KIB = 1024;

export class InflateBudget {
  private readonly cell: Int32Array;
  private readonly capacity: number;

  /** `shared` from `InflateBudget.create()` (or posted to a worker). */
  constructor(
    readonly shared: SharedArrayBuffer,
    capacityBytes: number,
    private readonly canWait: boolean,
  ) {
    this.cell = new Int32Array(shared, 0, 1);
    this.capacity = Math.ceil(capacityBytes / KIB);
  }

  static create(capacityBytes = INFLATE_BUDGET_BYTES, canWait = false): InflateBudget {
    return new InflateBudget(new SharedArrayBuffer(4), capacityBytes, canWait);
  }

  /** KiB taken now, all holders together. */
  get inUse(): number {
    return Atomics.load(this.cell, 0);
  }

  /**
   * Takes `bytes` (rounded up to KiB, at most the whole budget) and returns the units to give back;
   * waits while they do not fit, or, on a thread that cannot wait, returns undefined.
   */
  acquire(bytes: number): number | undefined {
    const units = Math.min(this.capacity, Math.max(1, Math.ceil(bytes / KIB)));
    for (;;) {
      const used = Atomics.load(this.cell, 0);
      if (used + units <= this.capacity) {
        if (Atomics.compareExchange(this.cell, 0, used, used + units) === used) return units;
        continue;
      }
      if (!this.canWait) return undefined;
      // Woken by a release; the timeout only guards against a missed wake-up.
      Atomics.wait(this.cell, 0, used, 1_000);
    }
  }

  release(units: number): void {
    Atomics.sub(this.cell, 0, units);
    Atomics.notify(this.cell, 0);
  }
}
