/**
 * The terminal output: hostile CloudTrail values cannot move the cursor, forge a line, reorder
 * text or start a workflow command; the table fits the width; the summary line says what a user
 * needs; the progress line only draws on a terminal.
 */
import { describe, it, expect } from 'vitest';
import {
  createProgress,
  formatMatchesTable,
  formatSummaryLine,
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
  const normal = [
    ev({
      eventTime: '2023-07-10T15:49:59Z',
      awsRegion: 'us-east-1',
      eventName: 'ConsoleLogin',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/bob' },
      sourceIPAddress: '203.0.113.77',
      errorCode: undefined,
      eventID: 'e21d8390-4f3b-4c2d-9a51-8f1e2d3c4b5a',
    }),
    ev({
      eventTime: '2023-07-10T07:51:51Z',
      awsRegion: 'eu-west-1',
      eventName: 'GetObject',
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::111122223333:assumed-role/${'very-long-role-name-'.repeat(5)}/session`,
      },
      sourceIPAddress: '2001:db8:85a3::8a2e:370:7334',
      errorCode: 'AccessDenied',
      eventID: '61d9d860-0000-4000-8000-000000000000',
    }),
  ];

  it('has a header and one line per event, none wider than the width', () => {
    for (const width of [40, 60, 80, 120, 250]) {
      const lines = formatMatchesTable(normal, { width }).split('\n');
      expect(lines).toHaveLength(3);
      // Headers stay whole down to a standard 80-column terminal.
      if (width >= 80)
        expect(lines[0]).toMatch(/^time\s+region\s+event\s+principal\s+source IP\s+error\s+event id$/);
      for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(width);
    }
    const wide = formatMatchesTable(normal, { width: 400 });
    expect(wide).toContain('arn:aws:iam::111122223333:user/bob');
    expect(wide).toContain('e21d8390-4f3b-4c2d-9a51-8f1e2d3c4b5a');
    const narrow = formatMatchesTable(normal, { width: 80 });
    expect(narrow).toContain('…');
    expect(narrow).toContain('2023-07-10T15:49:59Z');
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
    expect(formatMatchesTable(normal, { width: 200 })).not.toContain('\u001b');
    expect(formatMatchesTable(normal, { width: 200, color: true })).toContain('\u001b[1m');
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
  const progress = (objectsDone: number) => ({
    objectsDone,
    objectsTotal: 48,
    bytesDone: objectsDone * 25_000,
    bytesTotal: 1_200_000,
  });

  it('writes nothing when the stream is not a terminal', () => {
    const writes: string[] = [];
    const p = createProgress({ isTTY: false, write: (s: string) => writes.push(s) });
    p.update(progress(1));
    p.done();
    expect(writes).toEqual([]);
  });

  it('redraws one line in place at most every interval, and clears it at the end', () => {
    const writes: string[] = [];
    let clock = 0;
    const p = createProgress(
      { isTTY: true, columns: 100, write: (s: string) => writes.push(s) },
      { intervalMs: 100, now: () => clock },
    );
    p.update(progress(1));
    clock = 50;
    p.update(progress(2));
    clock = 150;
    p.update(progress(24));
    p.done();
    expect(writes).toHaveLength(3);
    expect(writes[0]).toBe('\r\u001b[2Ksearching: 1/48 objects, 25.0 KB/1.2 MB 2%');
    expect(writes[1]).toContain('24/48 objects');
    expect(writes[1]).toContain('50%');
    expect(writes[2]).toBe('\r\u001b[2K');
    expect(writes.join('')).not.toContain('\n');
  });
});
