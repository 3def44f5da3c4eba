/**
 * The matches the reports show first (job summary table, annotations, terminal preview), chosen
 * from the whole stream in bounded memory: the `limit` matches of the highest Sigma level (all
 * level-less without rules), earliest first within a level, arrival order breaking ties. Taking
 * the first matches read instead would show ten low findings and none of the high ones that came
 * in a later log file.
 */
import { ownedEvent, type MatchedEvent } from '../engines/types.js';
import { SIGMA_LEVELS } from '../sigma/types.js';

interface Kept {
  rank: number;
  time: number;
  seq: number;
  event: MatchedEvent;
}

/** Rule id -> level rank (informational 0 … critical 4), for rules that have a level. */
export function ruleRanks(rules: ReadonlyArray<{ id: string; level?: string | null }>): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const r of rules) {
    const rank = r.level ? (SIGMA_LEVELS as readonly string[]).indexOf(r.level) : -1;
    if (rank >= 0) ranks.set(r.id, rank);
  }
  return ranks;
}

/** The highest level rank among the rules an event matched; -1 without one. */
export function eventRank(event: Pick<MatchedEvent, 'ruleIds'>, ranks: ReadonlyMap<string, number>): number {
  let best = -1;
  for (const id of event.ruleIds ?? []) best = Math.max(best, ranks.get(id) ?? -1);
  return best;
}

function eventTime(event: MatchedEvent): number {
  const text = event.fields?.eventTime ?? event.record.eventTime;
  const t = typeof text === 'string' ? Date.parse(text) : Number.NaN;
  return Number.isFinite(t) ? t : Infinity;
}

/** a before b: higher level, then earlier, then first come. */
function before(a: Kept, b: Kept): boolean {
  return a.rank !== b.rank ? a.rank > b.rank : a.time !== b.time ? a.time < b.time : a.seq < b.seq;
}

export class MatchPicker {
  /** Best first; at most `limit`. */
  private readonly kept: Kept[] = [];
  private seq = 0;

  constructor(
    private readonly limit: number,
    private readonly ranks: ReadonlyMap<string, number> = new Map(),
  ) {}

  /** Considers one match; keeps its own copy when it is among the best so far. */
  offer(event: MatchedEvent): void {
    const seq = this.seq++;
    if (this.limit <= 0) return;
    const rank = eventRank(event, this.ranks);
    const worst = this.kept[this.kept.length - 1];
    const full = this.kept.length >= this.limit;
    // Most matches lose to the worst kept on level alone: no time is parsed for them.
    if (full && worst && rank < worst.rank) return;
    const entry: Kept = { rank, time: eventTime(event), seq, event };
    if (full && worst && !before(entry, worst)) return;
    let lo = 0;
    let hi = this.kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.kept[mid]!, entry)) lo = mid + 1;
      else hi = mid;
    }
    entry.event = ownedEvent(event);
    this.kept.splice(lo, 0, entry);
    if (this.kept.length > this.limit) this.kept.pop();
  }

  /** The kept matches, highest level first, then by time. */
  picked(): MatchedEvent[] {
    return this.kept.map((k) => k.event);
  }
}
