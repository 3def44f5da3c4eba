/**
 * CSV cells cannot break out (issue 17, item 1): random hostile strings in every column, written
 * by the results writer and read back by an independent reader, Python's csv module. Every cell
 * reads back as written (with a `'` added exactly when the value could run as a formula: decided
 * here, independently), the file has one row per event, and no cell read back starts with a
 * formula character (after whitespace, control and format characters, as Python classifies them)
 * unless it starts with the guard.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/report/csv-columns.js';
import { openResultWriter } from '../../src/report/writers.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import { seededRandom } from '../../tools/generate/prng.js';

/** Pieces values are made of: formula starters, line breaks, quotes, separators, invisibles. */
const PIECES = [
  '=',
  '+',
  '-',
  '@',
  '\uFF1D',
  '\uFF0B',
  '\uFF0D',
  '\uFF20',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\n\r',
  ' ',
  '\u00a0',
  '\u3000',
  '\u200b',
  '\ufeff',
  '\u202e',
  '\u2066',
  '\u0000',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '"',
  '""',
  ',',
  ';',
  "'",
  '|',
  '!',
  '\\',
  'A',
  '1',
  'ok',
  'SUM(1+1)',
  "cmd|' /C calc'!A0",
  'HYPERLINK("http://x")',
  'é',
  '日本',
  '😀',
  '{"a":1}',
];

function hostileString(random: () => number): string {
  let s = '';
  const n = Math.floor(random() * 8);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(random() * PIECES.length)];
  return s;
}

/** The guard rule, stated independently of the code: first non-blank character is a formula one. */
function needsGuard(value: string): boolean {
  if (/^[\t\r\n]/.test(value)) return true;
  for (const ch of value) {
    if (/[\s\p{Cc}\p{Cf}]/u.test(ch)) continue;
    return '=+-@\uFF1D\uFF0B\uFF0D\uFF20'.includes(ch);
  }
  return false;
}

function setAt(record: Record<string, unknown>, keys: readonly string[], value: string): void {
  let node = record;
  keys.slice(0, -1).forEach((k) => (node = (node[k] ??= {}) as Record<string, unknown>));
  node[keys[keys.length - 1] as string] = value;
}

const READ_BACK = `
import csv, json, sys, unicodedata
FORMULA = "=+-@\\uff1d\\uff0b\\uff0d\\uff20"
def unguarded(cell):
    for ch in cell:
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        return ch in FORMULA
    return False
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
bad = [c for row in rows for c in row if unguarded(c) and not c.startswith("'")]
print(json.dumps({"rows": rows, "unguarded": bad}))
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ct-csv-hostile-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('CSV with hostile values in every column', () => {
  it.each([1, 2, 3, 4, 5])('round-trips through Python csv, seed %i', async (seed) => {
    const random = seededRandom(`csv-${seed}`);
    const records = Array.from({ length: 300 }, () => {
      const record: Record<string, unknown> = {};
      for (const [, keys] of CSV_COLUMNS) setAt(record, keys, hostileString(random));
      return record;
    });
    // The example of the issue, in every column of one record.
    const example = "ok\r@SUM(1+1)*cmd|' /C calc'!A0";
    const exampleRecord: Record<string, unknown> = {};
    for (const [, keys] of CSV_COLUMNS) setAt(exampleRecord, keys, example);
    records.push(
      exampleRecord,
      ...['\n=1', '\r\n+1', ' \t-1', '\u200b@x', '\u0000=x'].map((v) => {
        const r: Record<string, unknown> = {};
        for (const [, keys] of CSV_COLUMNS) setAt(r, keys, v);
        return r;
      }),
    );

    const writer = await openResultWriter(dir, `s${seed}.csv`, 'csv');
    for (const record of records) {
      const event: MatchedEvent = {
        record,
        json: JSON.stringify(record),
        eventID: undefined,
        region: undefined,
      };
      await writer.write(event);
    }
    await writer.commit();

    const out = execFileSync('python3', ['-c', READ_BACK, path.join(dir, `s${seed}.csv`)], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const { rows, unguarded } = JSON.parse(out) as { rows: string[][]; unguarded: string[] };
    expect(unguarded).toEqual([]);
    expect(rows).toHaveLength(records.length + 1);
    expect(rows[0]).toEqual(CSV_COLUMNS.map(([header]) => header));
    // Rows are in time order; these eventTimes are unreadable, so their order is the file's own
    // (by eventID, then the row's bytes): compared as sets of rows.
    const expected = records.map((record) =>
      CSV_COLUMNS.map(([, keys]) => {
        const value = keys.reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], record) as string;
        return needsGuard(value) ? `'${value}` : value;
      }),
    );
    const byText = (a: string[], b: string[]): number => {
      const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
      return x < y ? -1 : x > y ? 1 : 0;
    };
    expect(rows.slice(1).sort(byText)).toEqual(expected.sort(byText));
  });
});
