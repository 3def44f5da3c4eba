/**
 * Counting values (event names, principals, IPs) in bounded memory. Counts are exact while the
 * number of distinct values stays under the cap; past it the least frequent half is dropped to
 * make room, so heavy hitters keep (nearly) exact counts and the result says it is approximate.
 */

/** Long values are cut: an attacker-made 1 MB ARN must not cost 1 MB per distinct key. */
const MAX_KEY_CHARS = 512;

export class TopCounter {
  private readonly counts = new Map<string, number>();
  /** True once values were dropped: the top list is then approximate. */
  approximate = false;

  constructor(private readonly maxKeys = 10_000) {}

  add(value: string): void {
    const key = value.length > MAX_KEY_CHARS ? `${value.slice(0, MAX_KEY_CHARS - 1)}…` : value;
    const current = this.counts.get(key);
    if (current !== undefined) {
      this.counts.set(key, current + 1);
      return;
    }
    if (this.counts.size >= this.maxKeys) this.prune();
    this.counts.set(key, 1);
  }

  /** Drops the less frequent half; amortised O(1) per new key. */
  private prune(): void {
    const sorted = [...this.counts.entries()].sort((a, b) => b[1] - a[1]);
    for (const [key] of sorted.slice(Math.floor(this.maxKeys / 2))) this.counts.delete(key);
    this.approximate = true;
  }

  /** The `n` most frequent values, ties in value order so the output is stable. */
  top(n: number): Array<{ value: string; count: number }> {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, n)
      .map(([value, count]) => ({ value, count }));
  }

  get size(): number {
    return this.counts.size;
  }
}
