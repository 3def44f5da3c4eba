import { describe, expect, it } from 'vitest';
import { parseDays, parseInstant, resolveWindow } from '../../src/config/window.js';
import { ConfigurationError } from '../../src/errors.js';

const now = new Date('2026-11-28T12:34:56.789Z');
const iso = (d: Date) => d.toISOString();

describe('window maths', () => {
  it('defaults to the 90 days before now, truncated to the second', () => {
    const w = resolveWindow({}, now);
    expect(iso(w.until)).toBe('2026-11-28T12:34:56.000Z');
    expect(iso(w.since)).toBe('2026-08-30T12:34:56.000Z');
  });

  it('keeps fractional days exact (0.25 is 6 hours, not a whole day)', () => {
    const w = resolveWindow({ days: '0.25' }, now);
    expect(w.until.getTime() - w.since.getTime()).toBe(6 * 3600 * 1000);
  });

  it('accepts the minimum of 0.01 days and refuses less, zero and negatives', () => {
    expect(parseDays('0.01')).toBe(0.01);
    for (const bad of ['0.009', '0', '-1', 'abc', '']) {
      expect(() => parseDays(bad)).toThrow(ConfigurationError);
    }
    expect(() => parseDays('-1')).toThrow(/--days must be at least 0.01/);
  });

  it('reads ISO instants, dates and relative durations', () => {
    expect(iso(parseInstant('2023-07-10T00:00:00Z', now, '--since'))).toBe('2023-07-10T00:00:00.000Z');
    expect(iso(parseInstant('2023-07-10', now, '--since'))).toBe('2023-07-10T00:00:00.000Z');
    expect(iso(parseInstant('2023-07-10T02:00:00+02:00', now, '--since'))).toBe('2023-07-10T00:00:00.000Z');
    expect(iso(parseInstant('2023-07-10T05:06', now, '--since'))).toBe('2023-07-10T05:06:00.000Z');
    expect(iso(parseInstant('15m', now, '--since'))).toBe('2026-11-28T12:19:56.789Z');
    expect(iso(parseInstant('6h', now, '--since'))).toBe('2026-11-28T06:34:56.789Z');
    expect(iso(parseInstant('3d', now, '--since'))).toBe('2026-11-25T12:34:56.789Z');
    expect(() => parseInstant('yesterday', now, '--since')).toThrow(/--since must be an ISO-8601 time/);
    expect(() => parseInstant('2023-13-45T00:00:00Z', now, '--until')).toThrow(/--until/);
  });

  it('uses since/until as a half-open window and days as the span before until', () => {
    const w = resolveWindow({ since: '2023-07-10T00:00:00Z', until: '2023-07-11T00:00:00Z' }, now);
    expect([iso(w.since), iso(w.until)]).toEqual(['2023-07-10T00:00:00.000Z', '2023-07-11T00:00:00.000Z']);
    const d = resolveWindow({ days: 1, until: '2023-07-11T00:00:00Z' }, now);
    expect(iso(d.since)).toBe('2023-07-10T00:00:00.000Z');
  });

  it('takes days from the filter map when no window flag is given', () => {
    const w = resolveWindow({ filterDays: 2 }, now);
    expect(w.until.getTime() - w.since.getTime()).toBe(2 * 86_400_000);
  });

  it('refuses reversed, empty and future windows and days together with since', () => {
    expect(() =>
      resolveWindow({ since: '2023-07-11T00:00:00Z', until: '2023-07-10T00:00:00Z' }, now),
    ).toThrow(/must be before --until/);
    expect(() =>
      resolveWindow({ since: '2023-07-10T00:00:00Z', until: '2023-07-10T00:00:00Z' }, now),
    ).toThrow(/window is empty/);
    expect(() =>
      resolveWindow({ since: '2027-01-01T00:00:00Z', until: '2027-02-01T00:00:00Z' }, now),
    ).toThrow(/starts in the future/);
    expect(() => resolveWindow({ days: 1, since: '1d' }, now)).toThrow(/either --days or --since/);
  });
});

describe('windows too large to be a CloudTrail search', () => {
  it('refuses days reaching back before CloudTrail existed, naming the field and the limit', () => {
    // 2013-11-01 to 2026-11-28: 13 years (3 leap days: 2016, 2020, 2024) + 27 days = 4775 days.
    const limit = 13 * 365 + 3 + 27;
    for (const days of ['1e308', '200000000', 'Infinity', String(limit + 1)]) {
      expect(() => resolveWindow({ days }, now)).toThrow(ConfigurationError);
    }
    expect(() => resolveWindow({ days: '200000000' }, now)).toThrow(
      new RegExp(`--days 200000000 reaches back before 2013-11-01T00:00:00Z.*the limit is ${limit} days`),
    );
    expect(() => resolveWindow({ filterDays: 1e308 }, now)).toThrow(/filter key "days" 1e\+308/);
    expect(resolveWindow({ days: String(limit) }, now).since.getTime()).toBeGreaterThanOrEqual(
      Date.parse('2013-11-01T00:00:00Z'),
    );
  });

  it('refuses instants before 2013-11-01 or beyond the Date range, and an until far in the future', () => {
    for (const since of ['99999999999w', `${'9'.repeat(400)}d`, '2013-10-31T23:59:59Z', '0001-01-01']) {
      expect(() => resolveWindow({ since }, now), since).toThrow(/--since .* is before 2013-11-01T00:00:00Z/);
    }
    expect(() => resolveWindow({ since: '2023-01-01', until: '9999-12-31' }, now)).toThrow(
      /--until \(9999-12-31T00:00:00Z\) is more than 1 day after now/,
    );
    expect(() => resolveWindow({ since: '2023-01-01', until: '2026-11-29T12:34:56Z' }, now)).not.toThrow();
  });
});
