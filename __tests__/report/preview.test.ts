/**
 * The preview (terminal table, job summary, annotations): of any number of matches, the first N
 * by level (rule runs), then eventTime, then eventID; N rows held, whatever was offered.
 */
import { describe, expect, it } from 'vitest';
import { MatchPreview, levelOfRules } from '../../src/report/preview.js';
import type { MatchedEvent } from '../../src/engines/types.js';

function ev(eventID: string, eventTime: string | undefined, ruleIds?: string[]): MatchedEvent {
  const record = { eventID, ...(eventTime ? { eventTime } : {}) };
  return {
    record,
    json: JSON.stringify(record),
    eventID,
    region: 'us-east-1',
    ...(ruleIds ? { ruleIds } : {}),
  };
}

/** A deterministic shuffle (LCG), so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('MatchPreview', () => {
  it('keeps the earliest N by eventTime then eventID, whatever the order offered', () => {
    // 5,000 events over 50 distinct seconds: many ties broken by eventID.
    const events = Array.from({ length: 5000 }, (_, i) =>
      ev(
        `id-${String((i * 7919) % 5000).padStart(4, '0')}`,
        `2023-07-10T12:${String(59 - (i % 50)).padStart(2, '0')}:00Z`,
      ),
    );
    // Expected by a plain sort of everything.
    const expected = [...events]
      .sort((a, b) =>
        a.record.eventTime !== b.record.eventTime
          ? String(a.record.eventTime) < String(b.record.eventTime)
            ? -1
            : 1
          : a.eventID! < b.eventID!
            ? -1
            : 1,
      )
      .slice(0, 20)
      .map((e) => e.eventID);
    for (const seed of [1, 2, 3]) {
      const preview = new MatchPreview(20);
      for (const e of shuffled(events, seed)) preview.offer(e);
      expect(preview.rows().map((e) => e.eventID)).toEqual(expected);
    }
  });

  it('rule runs: critical, high, medium, low, informational, then time', () => {
    const levelOf = levelOfRules([
      { id: 'crit', level: 'critical' },
      { id: 'high', level: 'high' },
      { id: 'med', level: 'medium' },
      { id: 'low', level: 'low' },
      { id: 'info', level: 'informational' },
    ]);
    const preview = new MatchPreview(5, levelOf);
    const offered = [
      ev('a', '2023-07-10T01:00:00Z', ['med']),
      ev('b', '2023-07-10T09:00:00Z', ['high']),
      ev('c', '2023-07-10T00:00:00Z', ['info']),
      ev('d', '2023-07-10T08:00:00Z', ['low', 'high']),
      ev('e', '2023-07-10T05:00:00Z', ['low']),
      ev('f', '2023-07-10T23:00:00Z', ['crit']),
      ev('g', '2023-07-10T00:30:00Z', ['med']),
    ];
    for (const e of offered) preview.offer(e);
    // By hand: f (critical); d, b (high, 08:00 before 09:00); g, a (medium, 00:30 before 01:00).
    expect(preview.rows().map((e) => e.eventID)).toEqual(['f', 'd', 'b', 'g', 'a']);
  });

  it('events without a readable time come last; a preview of 0 keeps nothing', () => {
    const preview = new MatchPreview(3);
    for (const e of [ev('x', undefined), ev('y', 'not a time'), ev('z', '2023-07-10T00:00:00Z')])
      preview.offer(e);
    expect(preview.rows().map((e) => e.eventID)).toEqual(['z', 'x', 'y']);
    const none = new MatchPreview(0);
    none.offer(ev('z', '2023-07-10T00:00:00Z'));
    expect(none.rows()).toEqual([]);
  });

  it('holds copies of what it keeps: a transient event freed afterwards still reads the same', () => {
    const preview = new MatchPreview(1);
    const event = ev('kept', '2023-07-10T00:00:00Z');
    preview.offer(event);
    (event as { record: unknown }).record = { freed: true };
    expect(preview.rows()[0]!.record).toEqual({ eventID: 'kept', eventTime: '2023-07-10T00:00:00Z' });
  });
});
