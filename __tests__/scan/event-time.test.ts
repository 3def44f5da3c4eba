/**
 * eventTime is read strictly: a time naming no real instant (`T24:00:00Z`, `T12:60:00Z`,
 * 31 April, 29 February of a common year) is an unreadable time — counted, never placed in a
 * window by comparing text. A property over random times of the canonical shape with every field
 * pushed past its range, and over ISO variants (fractions, offsets), for both readers (indexed
 * and plain). The oracle is independent: a time is real when Date.UTC of its fields prints back
 * as the same text.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createObjectScanner, type MatcherSpec } from '../../src/engines/scan/scan-object.js';
import { Rng } from '../../tools/generate/prng.js';

const SINCE = '2024-02-28T12:00:00Z';
const UNTIL = '2024-05-01T00:00:00Z';
const spec: MatcherSpec = {
  query: { kind: 'all' },
  usesResources: false,
  since: SINCE,
  until: UNTIL,
  regions: 'all',
  accounts: 'all',
};

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Oracle: where a canonical `YYYY-MM-DDTHH:MM:SSZ` time falls, or 'unreadable'. */
function oracle(text: string): 'before' | 'inside' | 'after' | 'unreadable' {
  const [y, mo, d, h, mi, s] = text.match(/\d+/g)!.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  if (date.toISOString().replace('.000Z', 'Z') !== text) return 'unreadable';
  const ms = date.getTime();
  return ms < Date.parse(SINCE) ? 'before' : ms >= Date.parse(UNTIL) ? 'after' : 'inside';
}

function randomTimes(seed: string, n: number): string[] {
  const rng = new Rng(seed);
  const field = (max: number, over: number) =>
    rng.next() < 0.2 ? rng.int(0, over) : rng.int(max === 12 || max === 31 ? 1 : 0, max);
  const times: string[] = [
    '2024-04-30T24:00:00Z',
    '2024-03-01T12:60:00Z',
    '2023-02-29T00:00:00Z',
    '2024-02-29T12:00:00Z',
    '2024-04-31T00:00:00Z',
  ];
  for (let i = 0; i < n; i++) {
    const y = rng.next() < 0.9 ? 2024 : rng.int(2023, 2025);
    times.push(
      `${y}-${pad(field(12, 19))}-${pad(field(31, 39))}T${pad(field(23, 29))}:${pad(field(59, 69))}:${pad(field(59, 69))}Z`,
    );
  }
  return times;
}

function scan(times: string[], indexed: boolean) {
  const records = times.map((eventTime, i) => ({ eventTime, eventName: 'X', eventID: `id-${i}` }));
  const scanner = createObjectScanner(spec, { indexed });
  const result = scanner(gzipSync(JSON.stringify({ Records: records })), 'k.json.gz', false);
  return {
    inside: result.matches.map((m) => m.eventID).sort(),
    unreadable: result.recordsWithoutTime,
    outside: result.recordsOutsideWindow,
  };
}

describe('eventTime is validated, not compared as text', () => {
  for (const indexed of [true, false]) {
    it(`random canonical times, ${indexed ? 'indexed' : 'plain'} reader`, () => {
      const times = randomTimes('event-time', 3000);
      const expected = times.map(oracle);
      expect(expected.filter((e) => e === 'unreadable').length).toBeGreaterThan(300);
      expect(expected.filter((e) => e === 'inside').length).toBeGreaterThan(300);
      const got = scan(times, indexed);
      expect(got.inside).toEqual(
        times
          .map((_, i) => `id-${i}`)
          .filter((_, i) => expected[i] === 'inside')
          .sort(),
      );
      expect(got.unreadable).toBe(expected.filter((e) => e === 'unreadable').length);
      expect(got.outside).toBe(expected.filter((e) => e === 'before' || e === 'after').length);
    });
  }

  it('ISO variants: fractions and offsets are placed by their instant; impossible ones are unreadable', () => {
    const cases: Array<[string, 'inside' | 'before' | 'after' | 'unreadable']> = [
      ['2024-03-01T00:00:00.123Z', 'inside'],
      ['2024-05-01T01:30:00+02:00', 'inside'], // 2024-04-30T23:30Z
      ['2024-04-30T23:30:00-01:00', 'after'], // 2024-05-01T00:30Z
      ['2024-02-28T11:59:59.999Z', 'before'],
      ['2024-03-01T24:00:00.000Z', 'unreadable'],
      ['2024-03-01T12:60:00+00:00', 'unreadable'],
      ['2024-03-01T12:00:00+24:00', 'unreadable'],
      ['2024-03-01 12:00:00Z', 'unreadable'],
      ['Fri, 01 Mar 2024 12:00:00 GMT', 'unreadable'],
      ['2024-03-01', 'unreadable'],
    ];
    for (const indexed of [true, false]) {
      const got = scan(
        cases.map((c) => c[0]),
        indexed,
      );
      expect(got.inside).toEqual(
        cases
          .map((c, i) => (c[1] === 'inside' ? `id-${i}` : ''))
          .filter(Boolean)
          .sort(),
      );
      expect(got.unreadable).toBe(cases.filter((c) => c[1] === 'unreadable').length);
    }
  });
});
