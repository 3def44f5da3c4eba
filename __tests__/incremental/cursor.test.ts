/**
 * The cursor's rules, against hand-worked cases: which deliveries a run reads, what the next
 * state keeps (bounded by the margin, not by the number of runs), and the outcome of a run.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_REPORTED_IDS,
  advance,
  firstRange,
  folderId,
  inRange,
  nextRange,
  stampOfName,
  type CursorState,
} from '../../src/state/cursor.js';
import { noLogsFindings, outcomeOf } from '../../src/outcome.js';

const H = 3_600_000;
const M = 60_000;
const name = (stamp: string, id = 'ABCDEF0123456789') =>
  `111122223333_CloudTrail_us-east-1_${stamp}_${id}.json.gz`;
const folder = folderId('111122223333', 'us-east-1');
const identity = { fingerprint: 'f', describes: 'd' };

describe('delivery ranges', () => {
  it('a first run looks back; later runs start a margin before the previous end', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    expect(firstRange(now, H).from.toISOString()).toBe('2026-12-07T11:00:00.000Z');
    const state = advance({
      previous: undefined,
      identity,
      range: firstRange(now, H),
      marginMs: 30 * M,
      files: [],
      reported: [],
      newestDelivery: undefined,
      now,
    });
    const next = nextRange(state, new Date('2026-12-07T13:00:00Z'));
    expect(next.from.toISOString()).toBe('2026-12-07T11:30:00.000Z');
    expect(next.to.toISOString()).toBe('2026-12-07T13:00:00.000Z');
  });

  it('reads a file once: inside the range and not handled before; the end is exclusive', () => {
    const range = {
      from: new Date('2026-12-07T11:00:00Z'),
      to: new Date('2026-12-07T12:00:00Z'),
      handled: new Map([[folder, new Set([name('20261207T1130Z')])]]),
    };
    expect(inRange(range, folder, name('20261207T1059Z'), new Date('2026-12-07T10:59:00Z'))).toBe(false);
    expect(inRange(range, folder, name('20261207T1100Z'), new Date('2026-12-07T11:00:00Z'))).toBe(true);
    expect(inRange(range, folder, name('20261207T1130Z'), new Date('2026-12-07T11:30:00Z'))).toBe(false);
    expect(inRange(range, 'other/folder', name('20261207T1130Z'), new Date('2026-12-07T11:30:00Z'))).toBe(
      true,
    );
    expect(inRange(range, folder, name('20261207T1200Z'), new Date('2026-12-07T12:00:00Z'))).toBe(false);
  });

  it('keeps only the names inside the margin of the new end, whatever the number of runs', () => {
    let state: CursorState | undefined;
    let end = Date.parse('2026-12-07T00:00:00Z');
    for (let run = 0; run < 48; run++) {
      const range = state ? nextRange(state, new Date(end)) : firstRange(new Date(end), H);
      // Twelve files an hour (every 5 minutes) delivered before this run.
      const files = Array.from({ length: 12 }, (_, i) => {
        const t = new Date(end - (i + 1) * 5 * M);
        const stamp = t.toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
        return { folder, name: name(stamp, `ID${run}X${i}`.padEnd(16, '0')), delivered: t };
      });
      state = advance({
        previous: state,
        identity,
        range,
        marginMs: 30 * M,
        files,
        reported: [],
        newestDelivery: undefined,
        now: new Date(end),
      });
      end += H;
    }
    // 30 minutes of margin hold the files stamped in the last 30 minutes before the end: 6.
    expect(state!.handled[folder]).toHaveLength(6);
    for (const n of state!.handled[folder]!)
      expect(stampOfName(n)).toBeGreaterThanOrEqual(Date.parse(state!.through) - 30 * M);
    expect(state!.runs).toBe(48);
  });

  it('remembers reported ids while a copy could still arrive, newest first, capped', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const range = firstRange(now, H);
    const state = advance({
      previous: undefined,
      identity,
      range,
      marginMs: 30 * M,
      files: [],
      reported: [
        { eventID: 'recent', eventTime: now.getTime() - 10 * M },
        { eventID: 'old', eventTime: now.getTime() - 3 * H },
        { eventID: 'timeless', eventTime: Number.NaN },
      ],
      newestDelivery: new Date('2026-12-07T11:55:00Z'),
      now,
    });
    const ids = (st: CursorState) => st.reported.map(([id]) => id);
    expect(ids(state)).toEqual(['timeless', 'recent']);
    // An unreadable time is kept as the run's end, and every id ages out with its time: two
    // hours later, past the margin and an hour of delivery lag, none is left.
    expect(state.reported[0]).toEqual(['timeless', now.getTime()]);
    const later = advance({
      previous: state,
      identity,
      range: nextRange(state, new Date(now.getTime() + 2 * H)),
      marginMs: 30 * M,
      files: [],
      reported: [],
      newestDelivery: undefined,
      now: new Date(now.getTime() + 2 * H),
    });
    expect(later.reported).toEqual([]);
    expect(state.newestDelivery).toBe('2026-12-07T11:55:00.000Z');
    const many = Array.from({ length: MAX_REPORTED_IDS + 10 }, (_, i) => ({
      eventID: `id${i}`,
      eventTime: now.getTime() - i,
    }));
    const capped = advance({
      previous: undefined,
      identity,
      range,
      marginMs: H,
      files: [],
      reported: many,
      newestDelivery: undefined,
      now,
    });
    expect(capped.reported).toHaveLength(MAX_REPORTED_IDS);
    expect(capped.reported[0]![0]).toBe('id0');
  });
});

describe('the outcome of a run', () => {
  const base = { complete: true, matches: 0, noLogs: [] as string[] };
  it('maps each case to its documented result and exit code', () => {
    const gate = { failOnMatch: true, failOnNoLogs: true };
    const watch = { failOnMatch: false, failOnNoLogs: false };
    expect(outcomeOf(base, watch)).toEqual({ result: 'clean', exitCode: 0 });
    expect(outcomeOf({ ...base, matches: 3 }, watch)).toEqual({ result: 'matched', exitCode: 0 });
    expect(outcomeOf({ ...base, matches: 3 }, gate)).toEqual({ result: 'matched', exitCode: 1 });
    expect(outcomeOf({ ...base, matches: 3, gateMatches: 0 }, gate)).toEqual({
      result: 'matched',
      exitCode: 0,
    });
    expect(outcomeOf({ ...base, noLogs: ['x'] }, gate)).toEqual({ result: 'no-logs', exitCode: 4 });
    expect(outcomeOf({ ...base, noLogs: ['x'] }, watch)).toEqual({ result: 'no-logs', exitCode: 0 });
    expect(
      outcomeOf({ ...base, matches: 2, noLogs: ['x'] }, { failOnMatch: true, failOnNoLogs: false }),
    ).toEqual({
      result: 'no-logs',
      exitCode: 1,
    });
    expect(outcomeOf({ ...base, complete: false, matches: 3, noLogs: ['x'] }, gate)).toEqual({
      result: 'incomplete',
      exitCode: 3,
    });
  });
});

describe('no-logs findings', () => {
  const range = { from: new Date('2026-12-07T11:00:00Z'), to: new Date('2026-12-07T12:00:00Z') };
  const evidence = {
    where: 's3://trail',
    range,
    regions: 'all' as const,
    accounts: 'all' as const,
    reference: range.to,
    maxDelayMs: 3 * H,
    live: true,
    trails: [],
  };
  const listing = (regions: Record<string, number>, accounts: Record<string, number>, newest?: string) => ({
    perRegion: new Map(Object.entries(regions)),
    perAccount: new Map(Object.entries(accounts)),
    newest: newest ? new Date(newest) : undefined,
  });

  it('says nothing of a location that delivered recently', () => {
    expect(
      noLogsFindings({
        ...evidence,
        listing: listing({ 'us-east-1': 3 }, { '1': 3 }, '2026-12-07T11:55:00Z'),
      }),
    ).toEqual([]);
  });
  it('no file at all in the range', () => {
    const f = noLogsFindings({ ...evidence, listing: listing({}, {}) });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatch(
      /No CloudTrail log file was delivered to s3:\/\/trail between 2026-12-07T11:00:00.000Z/,
    );
  });
  it('an asked region or account without files', () => {
    const f = noLogsFindings({
      ...evidence,
      regions: ['us-east-1', 'eu-west-1'],
      accounts: ['111122223333', '444455556666'],
      listing: listing({ 'us-east-1': 2 }, { '111122223333': 2 }, '2026-12-07T11:55:00Z'),
    });
    expect(f).toEqual([
      expect.stringMatching(/region eu-west-1/),
      expect.stringMatching(/account 444455556666/),
    ]);
  });
  it('a newest file older than the allowed delay', () => {
    const f = noLogsFindings({
      ...evidence,
      listing: listing({ 'us-east-1': 2 }, { '1': 2 }, '2026-12-07T08:30:00Z'),
    });
    expect(f).toEqual([expect.stringMatching(/delivered at 2026-12-07T08:30:00.000Z, 3.5 h before/)]);
    // A past window ends where its logs end: no staleness, no trail status.
    const past = noLogsFindings({
      ...evidence,
      live: false,
      listing: listing({ 'us-east-1': 2 }, { '1': 2 }, '2026-12-07T08:30:00Z'),
      trails: [{ trail: 'stopped', isLogging: false }],
    });
    expect(past).toEqual([]);
  });
  it('a trail that is stopped, failing or silent; a status that could not be read says nothing', () => {
    const f = noLogsFindings({
      ...evidence,
      listing: undefined,
      trails: [
        { trail: 'stopped', isLogging: false, stopLoggingTime: '2026-12-07T10:00:00.000Z' },
        { trail: 'failing', isLogging: true, latestDeliveryError: 'AccessDenied' },
        { trail: 'silent', isLogging: true, latestDeliveryTime: '2026-12-06T12:00:00.000Z' },
        { trail: 'unknown', error: 'access denied' },
        { trail: 'fine', isLogging: true, latestDeliveryTime: '2026-12-07T11:58:00.000Z' },
      ],
    });
    expect(f).toEqual([
      'Trail stopped is not logging (stopped at 2026-12-07T10:00:00.000Z).',
      'Trail failing reports a delivery error: AccessDenied.',
      'Trail silent last delivered a log file at 2026-12-06T12:00:00.000Z.',
    ]);
  });
});
