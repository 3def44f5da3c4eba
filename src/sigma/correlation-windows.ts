/**
 * The windows of one correlation group, decided exactly once every event of the group is known
 * (so the order events arrived in does not matter).
 *
 * Semantics (the specification leaves them open; these are ours, documented in docs/sigma.md):
 * - A window starts at each event of the group and lasts `timespan`, both ends included: the
 *   events at times t with start <= t <= start + timespan.
 * - event_count counts the window's events; value_count the distinct values of its field (events
 *   without the field add none); temporal the distinct base rules its events matched.
 * - temporal_ordered: the window's first event matched the first rule, and later (or same-second)
 *   distinct events of the window matched the next rules in order.
 * - Matching windows that share an event are one alert: its events are the union, in time order.
 */
import { meets } from './correlation-compile.js';
import type { CompiledCorrelation } from './types.js';

/** One event of a group: when, its arrival number, which base rules (indexes) it matched. */
export interface GroupEvent {
  time: number;
  seq: number;
  /** Orders events of the same second the same way whatever their arrival (engine parity). */
  tie: string;
  rules: number[];
  /** value_count: the counted field's value (undefined: the event has none). */
  value?: string;
}

type Shape = Pick<CompiledCorrelation, 'type' | 'timespanMs' | 'condition' | 'rules'>;

/** The alerts of a group: each a run of its events in time order (empty: no alert). */
export function groupAlerts(c: Shape, input: readonly GroupEvent[]): GroupEvent[][] {
  const events = [...input].sort(
    (a, b) => a.time - b.time || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : a.seq - b.seq),
  );
  const ranges = c.type === 'temporal_ordered' ? orderedRanges(c, events) : countedRanges(c, events);
  ranges.sort((a, b) => a[0] - b[0]);
  const alerts: GroupEvent[][] = [];
  let current: [number, number] | undefined;
  for (const range of ranges) {
    if (current && range[0] <= current[1]) current[1] = Math.max(current[1], range[1]);
    else {
      if (current) alerts.push(events.slice(current[0], current[1] + 1));
      current = [range[0], range[1]];
    }
  }
  if (current) alerts.push(events.slice(current[0], current[1] + 1));
  return alerts;
}

/** Windows whose count meets the condition, as [first, last] event indexes, by start. */
function countedRanges(c: Shape, events: readonly GroupEvent[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const values = new Map<string, number>();
  const perRule = new Array<number>(c.rules.length).fill(0);
  let distinctRules = 0;
  const enter = (e: GroupEvent, step: 1 | -1): void => {
    if (c.type === 'value_count' && e.value !== undefined) {
      const n = (values.get(e.value) ?? 0) + step;
      if (n === 0) values.delete(e.value);
      else values.set(e.value, n);
    }
    if (c.type === 'temporal') {
      for (const r of e.rules) {
        const before = perRule[r] as number;
        perRule[r] = before + step;
        if (before === 0 && step === 1) distinctRules++;
        if (before === 1 && step === -1) distinctRules--;
      }
    }
  };
  let end = -1; // last index inside the current window
  for (let start = 0; start < events.length; start++) {
    if (start > 0) enter(events[start - 1] as GroupEvent, -1);
    const limit = (events[start] as GroupEvent).time + c.timespanMs;
    if (end < start - 1) end = start - 1;
    while (end + 1 < events.length && (events[end + 1] as GroupEvent).time <= limit) {
      end++;
      enter(events[end] as GroupEvent, 1);
    }
    const count =
      c.type === 'event_count' ? end - start + 1 : c.type === 'value_count' ? values.size : distinctRules;
    if (meets(count, c.condition)) ranges.push([start, end]);
  }
  return ranges;
}

/** Windows holding the rules in order, as [anchor, last step] indexes. */
function orderedRanges(c: Shape, events: readonly GroupEvent[]): Array<[number, number]> {
  // Per rule: the indexes of its events, in time order.
  const byRule: number[][] = c.rules.map(() => []);
  events.forEach((e, i) => {
    for (const r of e.rules) (byRule[r] as number[]).push(i);
  });
  const ranges: Array<[number, number]> = [];
  for (const anchor of byRule[0] as number[]) {
    const start = (events[anchor] as GroupEvent).time;
    const limit = start + c.timespanMs;
    const used = new Set<number>([anchor]);
    let time = start;
    let first = anchor;
    let last = anchor;
    let complete = true;
    for (let step = 1; step < c.rules.length; step++) {
      const next = earliestFrom(byRule[step] as number[], events, time, used);
      if (next === undefined || (events[next] as GroupEvent).time > limit) {
        complete = false;
        break;
      }
      used.add(next);
      time = (events[next] as GroupEvent).time;
      first = Math.min(first, next);
      last = Math.max(last, next);
    }
    if (complete) ranges.push([first, last]);
  }
  return ranges;
}

/** The first index of `indexes` whose event is at `time` or later and not used yet. */
function earliestFrom(
  indexes: readonly number[],
  events: readonly GroupEvent[],
  time: number,
  used: ReadonlySet<number>,
): number | undefined {
  let lo = 0;
  let hi = indexes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((events[indexes[mid] as number] as GroupEvent).time < time) lo = mid + 1;
    else hi = mid;
  }
  for (let k = lo; k < indexes.length; k++) {
    const i = indexes[k] as number;
    if (!used.has(i)) return i;
  }
  return undefined;
}
