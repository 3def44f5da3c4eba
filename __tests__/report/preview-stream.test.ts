import { describe, expect, it } from 'vitest';
import { MatchPreview, levelOfRules } from '../../src/report/preview.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import { seededRandom } from '../../tools/generate/prng.js';

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];
const RULES = LEVELS.map((level) => ({ id: `r-${level}`, level }));

function event(i: number, minute: number, ruleIds?: string[]): MatchedEvent {
  const record = {
    eventID: `e-${i}`,
    eventTime: new Date(Date.UTC(2023, 6, 10, 0, minute)).toISOString().replace('.000Z', 'Z'),
  };
  return {
    record,
    json: JSON.stringify(record),
    eventID: record.eventID,
    region: 'us-east-1',
    ...(ruleIds ? { ruleIds } : {}),
  };
}

describe('MatchPreview over a stream', () => {
  it('keeps the highest-level matches of the whole stream, earliest first, as a full sort would', () => {
    const rand = seededRandom(7);
    const stream = Array.from({ length: 3000 }, (_, i) => {
      const ids = LEVELS.filter(() => rand() < 0.15).map((l) => `r-${l}`);
      return event(i, Math.floor(rand() * 600), ids.length > 0 ? ids : ['r-low']);
    });
    const picker = new MatchPreview(25, levelOfRules(RULES));
    for (const e of stream) picker.offer(e);
    // The expectation: every event ranked by its highest level, then time, then eventID.
    const level = (e: MatchedEvent): number =>
      Math.max(...e.ruleIds!.map((id) => LEVELS.indexOf(id.slice(2))));
    const expected = stream
      .map((e, i) => ({ e, i }))
      .sort(
        (a, b) =>
          level(b.e) - level(a.e) ||
          String(a.e.record.eventTime).localeCompare(String(b.e.record.eventTime)) ||
          String(a.e.eventID).localeCompare(String(b.e.eventID)),
      )
      .slice(0, 25)
      .map(({ e }) => e.eventID);
    expect(picker.rows().map((e) => e.eventID)).toEqual(expected);
    expect(picker.rows()[0]!.ruleIds).toContain('r-critical');
  });

  it('without rules keeps the earliest matches, whatever order they arrive in', () => {
    const picker = new MatchPreview(3);
    for (const [i, minute] of [50, 10, 40, 10, 5, 90].entries()) picker.offer(event(i, minute));
    expect(picker.rows().map((e) => e.eventID)).toEqual(['e-4', 'e-1', 'e-3']);
  });

  it('puts matches whose time does not parse last, and keeps none with a limit of 0', () => {
    const picker = new MatchPreview(2);
    const bad = { ...event(0, 0), record: { eventID: 'e-0', eventTime: 'yesterday' } };
    picker.offer(bad);
    picker.offer(event(1, 30));
    expect(picker.rows().map((e) => e.eventID)).toEqual(['e-1', 'e-0']);
    const none = new MatchPreview(0);
    none.offer(event(2, 1));
    expect(none.rows()).toEqual([]);
  });
});
