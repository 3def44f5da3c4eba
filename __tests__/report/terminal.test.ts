/**
 * The terminal output: hostile CloudTrail values cannot move the cursor, forge a line, reorder
 * text or start a workflow command; the table fits the width; the summary line says what a user
 * needs; the progress line only draws on a terminal.
 */
import { describe, it, expect } from 'vitest';
import { EXPECTED, FAILED_SIGN_IN, ROLE_RECORDS } from './terminal-records.js';
import {
  createProgress,
  formatEta,
  formatMatchesTable,
  formatSkippedRules,
  formatSummaryLine,
  progressText,
  sanitizeForTerminal,
} from '../../src/report/terminal.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import type { Summary } from '../../src/report/types.js';

function ev(record: Record<string, unknown>): MatchedEvent {
  return {
    record,
    json: JSON.stringify(record),
    eventID: record.eventID as string | undefined,
    region: record.awsRegion as string | undefined,
  };
}

// C0, DEL, C1, bidi embeddings/overrides/isolates/marks, line and paragraph separators: what this
// test is about, hence the control characters in the pattern.
// eslint-disable-next-line no-control-regex
const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029\u200e\u200f\u061c]/u;

const HOSTILE_VALUES = [
  '\u001b[2J\u001b[H',
  'ok\rFORGED LINE',
  'x\n::set-output name=gate::passed',
  '::add-mask::token',
  '  ::stop-commands::abc',
  '##[error]fake',
  'evil\u202egnp.exe',
  '\u2066isolate\u2069',
  '\u009b31m C1 CSI',
  '\u001b]0;title\u0007 OSC',
  'tab\there',
  'line\u2028separator',
];

function hostileEvent(v: string): MatchedEvent {
  return ev({
    eventTime: v,
    awsRegion: v,
    eventName: v,
    userIdentity: { type: 'IAMUser', arn: v },
    sourceIPAddress: v,
    errorCode: v,
    eventID: v,
  });
}

describe('sanitizeForTerminal', () => {
  it.each(HOSTILE_VALUES)('leaves no control, bidi or command prefix in %j', (value) => {
    const out = sanitizeForTerminal(value);
    expect(out).not.toMatch(DANGEROUS);
    expect(out.split('\n')).toHaveLength(1);
    expect(out).not.toMatch(/^\s*::/);
    expect(out).not.toContain('##[');
  });

  it('shows what was escaped instead of dropping it', () => {
    expect(sanitizeForTerminal('a\u001b[2Jb\r\n\t\u202e')).toBe('a\\e[2Jb\\r\\n\\t\\u202e');
    expect(sanitizeForTerminal('plain text: 203.0.113.7 ✓ ünï')).toBe('plain text: 203.0.113.7 ✓ ünï');
  });

  it('keeps newlines in multiline mode, disarming every line', () => {
    const out = sanitizeForTerminal('first\n::warning::x\n\u001b[1m', { multiline: true });
    expect(out.split('\n')).toHaveLength(3);
    for (const line of out.split('\n')) {
      expect(line).not.toMatch(/^\s*::/);
      expect(line).not.toMatch(DANGEROUS);
    }
  });
});

describe('formatMatchesTable', () => {
  // In-repo records shaped like real ones (terminal-records.ts): a role session with a long ARN and
  // user agent, and a failed console sign-in (no errorCode, no ARN).
  const stratus = ROLE_RECORDS;
  const events = [...stratus.map(ev), ev(FAILED_SIGN_IN)];
  const { principals, statuses } = EXPECTED;
  const headerOf = (table: string) => table.split('\n')[0]!.split(/\s{2,}/);

  it('fits 80, 100 and 160 columns with every principal whole', () => {
    for (const width of [80, 100, 160]) {
      const table = formatMatchesTable(events, { width });
      const lines = table.split('\n');
      expect(lines).toHaveLength(events.length + 1);
      expect(headerOf(table)).toEqual(expect.arrayContaining(['time', 'event', 'principal', 'status']));
      // Too narrow for everything: the event id went first.
      expect(headerOf(table)).not.toContain('event id');
      lines.slice(1).forEach((line, i) => {
        const principal = principals[i]!;
        expect(line).toMatch(new RegExp(`(^|  )${principal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(  |$)`));
        // A line fits, or only a principal too long for the terminal runs past its edge, whole.
        const length = Array.from(line).length;
        if (length > width) {
          expect(line.endsWith(principal), `${width}: ${line}`).toBe(true);
          expect(length - principal.length).toBeLessThanOrEqual(width);
        }
      });
      // The short principals fit within the width.
      for (const line of [lines[0]!, ...lines.slice(2)])
        expect(Array.from(line).length).toBeLessThanOrEqual(width);
    }
  });

  it('drops the event id, then the user agent, before cutting anything', () => {
    const wide = formatMatchesTable(events, { wide: true });
    const full = Math.max(...wide.split('\n').map((l) => Array.from(l).length));
    expect(headerOf(wide)).toEqual([
      'time',
      'event',
      'principal',
      'status',
      'source IP',
      'region',
      'account',
      'user agent',
      'event id',
    ]);
    const oneShort = formatMatchesTable(events, { width: full - 1 });
    expect(headerOf(oneShort)).toEqual(headerOf(wide).filter((h) => h !== 'event id'));
    expect(oneShort).not.toContain('…');
    const twoShort = formatMatchesTable(events, { width: full - 40 });
    expect(headerOf(twoShort)).not.toContain('user agent');
    expect(twoShort).not.toContain('…');
  });

  it('--wide shows every value in full, whatever the width', () => {
    const wide = formatMatchesTable(events, { width: 80, wide: true });
    for (const e of stratus) {
      expect(wide).toContain(e.eventID as string);
      expect(wide).toContain(e.userAgent as string);
    }
    expect(wide).toContain('sign-in failed: Failed authentication');
    expect(wide).not.toContain('…');
  });

  it('--wide still cuts a value no real record holds (a forged 5,000-character user agent)', () => {
    const forged = ev({ ...stratus[0]!, userAgent: 'A'.repeat(5000) });
    const line = formatMatchesTable([forged], { wide: true }).split('\n')[1]!;
    expect(line).toContain(`${'A'.repeat(999)}…`);
    expect(line).not.toContain('A'.repeat(1000));
  });

  it('one status column: ok, the error code, or why a sign-in failed', () => {
    const lines = formatMatchesTable(events, { width: 160 }).split('\n').slice(1);
    lines.forEach((line, i) => expect(line).toMatch(new RegExp(`  ${statuses[i]}(  |$)`)));
    expect(headerOf(formatMatchesTable(events, { width: 160 }))).not.toContain('error');
  });

  it('with rules: level and rule columns, the highest-level rule named', () => {
    const rules = new Map([
      ['r-high', { title: 'CloudTrail trail deleted', level: 'high' }],
      ['r-low', { title: 'Any IAM call', level: 'low' }],
    ]);
    const tagged = [{ ...ev(stratus[0]!), ruleIds: ['r-low', 'r-high'] }];
    const table = formatMatchesTable(tagged, { width: 200, rules });
    expect(headerOf(table).slice(0, 3)).toEqual(['level', 'time', 'rule']);
    expect(table.split('\n')[1]).toMatch(
      /^high {2,}2024-08-01T11:30:23Z {2,}CloudTrail trail deleted \(\+1\) /,
    );
  });

  it('prints hostile values inert: no control characters, no forged lines, no line starting with ::', () => {
    for (const color of [false, true]) {
      const out = formatMatchesTable(HOSTILE_VALUES.map(hostileEvent), { width: 200, color });
      const lines = out.split('\n');
      expect(lines).toHaveLength(HOSTILE_VALUES.length + 1);
      // The only escape sequences are the table's own colours.
      // eslint-disable-next-line no-control-regex
      const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
      expect(plain.replace(/\n/g, '')).not.toMatch(DANGEROUS);
      for (const line of plain.split('\n')) {
        expect(line).not.toMatch(/^\s*::/);
        expect(line).not.toContain('##[');
      }
    }
  });

  it('colours only when asked', () => {
    expect(formatMatchesTable(events, { width: 200 })).not.toContain('\u001b');
    expect(formatMatchesTable(events, { width: 200, color: true })).toContain('\u001b[1m');
  });
});

function summary(over: Partial<Summary> = {}): Summary {
  return {
    tool: { name: 'cloudtrail-investigate', version: '0.1.0' },
    matches: 12,
    duplicatesDropped: 3,
    complete: true,
    engine: 'scan',
    engineReason: 'auto',
    filter: '{"eventname":"ConsoleLogin"}',
    window: { since: '2023-07-10T00:00:00Z', until: '2023-07-11T00:00:00Z' },
    source: 'examples/cloudtrail',
    regions: 'all',
    accounts: 'all',
    scanned: {
      objectsListed: 50,
      objects: 48,
      objectsSkipped: 2,
      bytes: 1_200_000,
      bytesUncompressed: 9_000_000,
      records: 10_345,
    },
    regionBreakdown: [],
    failures: [],
    warnings: [],
    files: { results: 'results.jsonl', summary: 'summary.json' },
    format: 'jsonl',
    startedAt: '2023-07-12T08:00:00Z',
    durationMs: 1000,
    top: { eventNames: [], principals: [], sourceIPs: [] },
    timeline: [],
    ...over,
  };
}

describe('formatSummaryLine', () => {
  it('says matches, duplicates, what was read, the window and that it is complete', () => {
    expect(formatSummaryLine(summary())).toBe(
      '12 matches (3 duplicates dropped) in 48 objects / 1.2 MB / 10,345 records over 2023-07-10T00:00:00Z → 2023-07-11T00:00:00Z; complete',
    );
    expect(formatSummaryLine(summary({ matches: 1, duplicatesDropped: 0 }))).toMatch(
      /^1 match in 48 objects/,
    );
  });

  it('says INCOMPLETE and why', () => {
    const line = formatSummaryLine(
      summary({
        complete: false,
        failures: [
          { key: 'a', reason: 'AccessDenied' },
          { key: 'b', reason: 'corrupt gzip' },
        ],
      }),
    );
    expect(line).toMatch(/; INCOMPLETE: 2 objects could not be read$/);
  });

  it('says plainly that no filter means an export of every event in the window', () => {
    expect(formatSummaryLine(summary({ filter: null, matches: 500, duplicatesDropped: 0 }))).toMatch(
      /^export of every event in the window \(no filter\): 500 events in /,
    );
  });

  it('reports bytes scanned and cost for Athena', () => {
    const line = formatSummaryLine(
      summary({
        engine: 'athena',
        scanned: { ...summary().scanned, bytesScanned: 3_400_000_000, costUsd: 0.017 },
      }),
    );
    expect(line).toContain('in 3.4 GB scanned by Athena (about $0.02)');
  });
});

describe('createProgress', () => {
  const MB = 1_000_000;
  const listing = (objectsDone: number) => ({
    objectsDone,
    objectsTotal: 48,
    bytesDone: objectsDone * 25_000,
    bytesTotal: 1_200_000,
  });

  it('writes nothing when the stream is not a terminal', () => {
    const writes: string[] = [];
    const p = createProgress({ isTTY: false, write: (s: string) => writes.push(s) });
    p.update({ ...listing(1), listingDone: true });
    p.done();
    expect(writes).toEqual([]);
  });

  it('while listing, says the total is not known yet; redraws at most every interval; clears at the end', () => {
    const writes: string[] = [];
    let clock = 0;
    const p = createProgress(
      { isTTY: true, columns: 200, write: (s: string) => writes.push(s) },
      { intervalMs: 100, now: () => clock },
    );
    p.update(listing(1));
    clock = 50;
    p.update(listing(2));
    clock = 150;
    p.update(listing(24));
    p.done();
    expect(writes).toHaveLength(3);
    expect(writes[0]).toBe(
      '\r\u001b[2Ksearching: 1 of 48 objects listed so far (still listing), 25.0 KB read',
    );
    expect(writes[1]).toContain('24 of 48 objects listed so far');
    expect(writes[2]).toBe('\r\u001b[2K');
    expect(writes.join('')).not.toContain('\n');
  });

  it('once listing is done: done/total objects, bytes, share, rate and ETA', () => {
    const writes: string[] = [];
    let clock = 0;
    const p = createProgress(
      { isTTY: true, columns: 200, write: (s: string) => writes.push(s) },
      { intervalMs: 100, now: () => clock },
    );
    const at = (objectsDone: number, bytesDone: number) => ({
      objectsDone,
      objectsTotal: 3456,
      bytesDone,
      bytesTotal: 100 * MB,
      listingDone: true,
    });
    p.update(at(0, 0));
    clock = 4000;
    // 20 MB in 4 s: 5 MB/s; 80 MB left: 16 s.
    p.update(at(700, 20 * MB));
    expect(writes[0]).toBe('\r\u001b[2Ksearching: 0/3,456 objects, 0 B/100.0 MB 0%');
    expect(writes[1]).toBe(
      '\r\u001b[2Ksearching: 700/3,456 objects, 20.0 MB/100.0 MB 20%, 5.0 MB/s, ETA 16s',
    );
  });

  it('the rate follows the last seconds, not the whole run', () => {
    const writes: string[] = [];
    let clock = 0;
    const p = createProgress(
      { isTTY: true, columns: 200, write: (s: string) => writes.push(s) },
      { intervalMs: 100, now: () => clock },
    );
    const at = (bytesDone: number) => ({
      objectsDone: 1,
      objectsTotal: 10,
      bytesDone,
      bytesTotal: 1000 * MB,
      listingDone: true,
    });
    // 100 MB/s for 20 s, then 10 MB/s for 20 s, sampled every second.
    let bytes = 0;
    for (let t = 0; t <= 40_000; t += 1000) {
      clock = t;
      p.update(at(bytes));
      bytes += t < 20_000 ? 100 * MB : 10 * MB;
    }
    // Last sample: 2,200 MB... is over the total; the ETA is left out, the rate is 10 MB/s.
    expect(writes.at(-1)).toContain(', 10.0 MB/s');
  });

  it('ETA and durations read as a person writes them', () => {
    expect(formatEta(45)).toBe('45s');
    expect(formatEta(185)).toBe('3m05s');
    expect(formatEta(7620)).toBe('2h07m');
  });

  it('Athena: region queries and data scanned', () => {
    expect(
      progressText(
        { objectsDone: 2, objectsTotal: 5, bytesDone: 3_400_000_000, bytesTotal: 0, unit: 'queries' },
        undefined,
      ),
    ).toBe('searching: 2/5 region queries, 3.4 GB scanned');
  });
});

describe('formatSkippedRules', () => {
  it('names each rule that could not run, and why', () => {
    const text = formatSkippedRules(
      summary({
        rulesEvaluated: 56,
        rulesUnsupported: [
          {
            file: 'rules/enum.yml',
            id: 'a',
            title: 'Account Enumeration on AWS',
            reason: 'aggregates events',
          },
          { file: 'rules/geo.yml', id: 'b', title: undefined, reason: 'uses "expand"' },
        ],
      }),
    );
    expect(text.split('\n')).toEqual([
      'Skipped 2 of 58 rules: they cannot run on CloudTrail records.',
      '  Account Enumeration on AWS (rules/enum.yml): aggregates events',
      '  rules/geo.yml: uses "expand"',
    ]);
    expect(formatSkippedRules(summary({ rulesEvaluated: 3, rulesUnsupported: [] }))).toBe('');
  });
});
