/**
 * The first matches of the results file, for the terminal's table, the job summary and the
 * annotations: the `limit` earliest in the file's order (writers.ts: eventTime, then eventID),
 * whatever order the engine found them in. Only an event that makes the cut is copied.
 */
import { ownedEvent, type MatchedEvent } from '../engines/types.js';
import type { RowKey } from './sorted-rows.js';
import { resultKey } from './writers.js';

interface Kept {
  time: number;
  eventID: string | undefined;
  event: MatchedEvent;
}

function compareIds(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** `event` (whose key is `key`) against a kept one; its text is read only on a tie. */
function compare(key: RowKey & { time: number }, event: MatchedEvent, kept: Kept): number {
  if (key.time !== kept.time) return key.time < kept.time ? -1 : 1;
  const ids = compareIds(key.eventID, kept.eventID);
  if (ids !== 0) return ids;
  return Buffer.compare(Buffer.from(event.json, 'utf8'), Buffer.from(kept.event.json, 'utf8'));
}

export class FirstMatches {
  private readonly kept: Kept[] = [];

  constructor(private readonly limit: number) {}

  /** Keeps a copy of `event` if it is among the first `limit` seen so far. */
  offer(event: MatchedEvent): void {
    if (this.limit <= 0) return;
    const key = resultKey(event);
    const time = Number.isNaN(key.timeMs) ? Infinity : key.timeMs;
    const k = { ...key, time };
    const kept = this.kept;
    const full = kept.length >= this.limit;
    if (full && compare(k, event, kept[kept.length - 1]!) >= 0) return;
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(k, event, kept[mid]!) < 0) hi = mid;
      else lo = mid + 1;
    }
    kept.splice(lo, 0, { time, eventID: key.eventID, event: ownedEvent(event) });
    if (kept.length > this.limit) kept.pop();
  }

  /** The events kept, in the file's order. */
  get events(): MatchedEvent[] {
    return this.kept.map((k) => k.event);
  }
}
