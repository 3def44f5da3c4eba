/**
 * The matches a person sees first (the terminal table, the job summary, annotations): the best
 * `size` of any number of matches, in memory bounded by `size` (a heap whose root is the worst
 * row kept). Order: highest Sigma level first (rule runs), then eventTime, then eventID, so the
 * rows read as a timeline whatever order the log files were read in.
 */
import { ownedEvent, type MatchedEvent } from '../engines/types.js';
import { levelRank } from '../sigma/types.js';

interface Entry {
  /** Highest level among the event's rules (index in SIGMA_LEVELS); -1: none. */
  level: number;
  /** eventTime in ms; +Infinity when missing or unreadable (such rows come last). */
  time: number;
  id: string;
  event: MatchedEvent;
}

/** Negative when `a` comes before `b`. */
function compare(a: Entry, b: Entry): number {
  if (a.level !== b.level) return b.level - a.level;
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A function giving the highest level (index in SIGMA_LEVELS, -1: none) of the rules matched. */
export type LevelOf = (ruleIds: readonly string[] | undefined) => number;

/** The LevelOf for a pack's rules. */
export function levelOfRules(rules: ReadonlyArray<{ id: string; level?: string | undefined }>): LevelOf {
  const rank = new Map(rules.map((r) => [r.id, levelRank(r.level)]));
  return (ids) => {
    let best = -1;
    for (const id of ids ?? []) best = Math.max(best, rank.get(id) ?? -1);
    return best;
  };
}

export class MatchPreview {
  /** Max-heap by `compare`: the root is the row that would go first. */
  private readonly heap: Entry[] = [];

  constructor(
    private readonly size: number,
    private readonly levelOf?: LevelOf,
  ) {}

  /** Considers one match; copies it (ownedEvent) only when it is kept. */
  offer(event: MatchedEvent): void {
    if (this.size <= 0) return;
    const timeText = event.fields?.eventTime ?? event.record.eventTime;
    const parsed = typeof timeText === 'string' ? Date.parse(timeText) : Number.NaN;
    const candidate: Entry = {
      level: this.levelOf ? this.levelOf(event.ruleIds) : -1,
      time: Number.isFinite(parsed) ? parsed : Number.POSITIVE_INFINITY,
      id: event.eventID ?? '',
      event,
    };
    const heap = this.heap;
    if (heap.length < this.size) {
      candidate.event = ownedEvent(event);
      heap.push(candidate);
      this.siftUp(heap.length - 1);
    } else if (compare(candidate, heap[0]!) < 0) {
      candidate.event = ownedEvent(event);
      heap[0] = candidate;
      this.siftDown(0);
    }
  }

  /** The rows kept, first first. */
  rows(): MatchedEvent[] {
    return [...this.heap].sort(compare).map((e) => e.event);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(heap[i]!, heap[parent]!) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < heap.length && compare(heap[left]!, heap[worst]!) > 0) worst = left;
      if (right < heap.length && compare(heap[right]!, heap[worst]!) > 0) worst = right;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst]!, heap[i]!];
      i = worst;
    }
  }
}
