/**
 * Results files are in time order whatever order the engine found the events in: by eventTime as
 * an instant (an offset or a fraction of a second counts), then eventID; records whose eventTime
 * cannot be read last, by eventID. The expected order is written out by hand below; the records
 * are handed to the writer shuffled (several ways), in memory and spilled in many sorted runs that
 * are merged (in one pass, and in several), and every file must hold exactly that order, byte for
 * byte the same.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatchedEvent } from '../../src/engines/types.js';
import { openResultWriter } from '../../src/report/writers.js';

/** [eventTime, eventID] in the order the file must hold them. */
const EXPECTED: Array<[string | undefined, string | undefined]> = [
  ['2024-05-01T09:59:59Z', 'z-earliest'],
  // 11:30 in UTC, though its text sorts after 12:00:00Z.
  ['2024-05-01T13:30:00+02:00', 'offset'],
  ['2024-05-01T12:00:00Z', 'a-same-second'],
  ['2024-05-01T12:00:00Z', 'b-same-second'],
  ['2024-05-01T12:00:00Z', 'b-same-second-longer'],
  // Same second, no eventID: after those with one.
  ['2024-05-01T12:00:00Z', undefined],
  ['2024-05-01T12:00:00.250Z', 'fraction'],
  ['2024-05-01T12:00:01Z', 'next-second'],
  ['2024-12-31T23:59:59Z', 'year-end'],
  // Unreadable times: last, by eventID.
  ['2024-02-30T00:00:00Z', 'bad-1'],
  [undefined, 'bad-2'],
  ['yesterday', 'bad-3'],
];

/** Padding so that small runs hold only a few records each. */
const PAD = 'p'.repeat(300);

function record([eventTime, eventID]: [string | undefined, string | undefined]): Record<string, unknown> {
  return {
    ...(eventTime !== undefined ? { eventTime } : {}),
    eventName: 'GetObject',
    ...(eventID !== undefined ? { eventID } : {}),
    pad: PAD,
  };
}

function event(r: Record<string, unknown>): MatchedEvent {
  return {
    record: r,
    json: JSON.stringify(r),
    eventID: r.eventID as string | undefined,
    region: undefined,
  };
}

/** A fixed permutation of 0..n-1 (seeded LCG and Fisher-Yates). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ct-time-order-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function write(
  name: string,
  format: 'jsonl' | 'json' | 'csv',
  records: Array<Record<string, unknown>>,
  runBytes?: number,
  fanIn?: number,
): Promise<string> {
  const writer = await openResultWriter(
    dir,
    name,
    format,
    runBytes ? { sort: { runBytes, ...(fanIn ? { fanIn } : {}) } } : {},
  );
  for (const r of records) await writer.write(event(r));
  await writer.commit();
  return path.join(dir, name);
}

/** eventIDs of a JSONL file as jq reads them (null for none). */
function jqIds(file: string): Array<string | null> {
  return JSON.parse(execFileSync('jq', ['-s', '-c', 'map(.eventID)', file], { encoding: 'utf8' })) as Array<
    string | null
  >;
}

describe('results in time order', () => {
  const wanted = EXPECTED.map(([, id]) => id ?? null);
  const records = EXPECTED.map(record);

  it('JSONL, JSON and CSV hold the records in time order, then eventID, unreadable times last', async () => {
    const input = shuffled(records, 7);
    expect(input.map((r) => r.eventID ?? null)).not.toEqual(wanted);
    const jsonl = await write('r.jsonl', 'jsonl', input);
    expect(jqIds(jsonl)).toEqual(wanted);
    const json = await write('r.json', 'json', input);
    expect(
      JSON.parse(execFileSync('jq', ['-c', 'map(.eventID)', json], { encoding: 'utf8' })) as unknown,
    ).toEqual(wanted);
    const csv = await write('r.csv', 'csv', input);
    const script =
      'import csv,json,sys\nrows=list(csv.reader(open(sys.argv[1],newline="",encoding="utf-8")))\n' +
      'i=rows[0].index("eventID")\nprint(json.dumps([r[i] or None for r in rows[1:]]))';
    expect(JSON.parse(execFileSync('python3', ['-c', script, csv], { encoding: 'utf8' })) as unknown).toEqual(
      wanted,
    );
  });

  it('spilled to many sorted runs and merged: the same bytes as sorted in memory, whatever the input order', async () => {
    // 200 copies of the list (eventIDs made unique per copy) are ~80 KB: 4 KB runs make ~20.
    const many: Array<Record<string, unknown>> = [];
    for (let copy = 0; copy < 200; copy++) {
      for (const r of records) {
        many.push(
          r.eventID === undefined ? { ...r, copy } : { ...r, eventID: `${String(r.eventID)}-${copy}` },
        );
      }
    }
    const inMemory = await write('memory.jsonl', 'jsonl', shuffled(many, 1));
    const spilled = await write('spilled.jsonl', 'jsonl', shuffled(many, 2), 4096);
    const spilledAgain = await write('spilled-again.jsonl', 'jsonl', shuffled(many, 3), 4096);
    // At most 4 runs merged at once: groups merged into longer runs first, in several passes.
    const passes = await write('passes.jsonl', 'jsonl', shuffled(many, 4), 4096, 4);
    const bytes = await readFile(inMemory, 'utf8');
    expect(await readFile(spilled, 'utf8')).toBe(bytes);
    expect(await readFile(spilledAgain, 'utf8')).toBe(bytes);
    expect(await readFile(passes, 'utf8')).toBe(bytes);
    // The order itself, by a hand-written rule: the entry's place in EXPECTED for its instant
    // (entries 2-5 share one second), then eventID (none last), then the line's bytes.
    const instant = (r: Record<string, unknown>): number => {
      const at = EXPECTED.findIndex(([t]) => t === r.eventTime);
      return at >= 2 && at <= 5 ? 2 : at >= 9 ? 9 : at;
    };
    const line = (r: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify(r));
    const expected = [...many].sort((a, b) => {
      if (instant(a) !== instant(b)) return instant(a) - instant(b);
      const [x, y] = [a.eventID as string | undefined, b.eventID as string | undefined];
      if (x !== y) {
        if (x === undefined) return 1;
        if (y === undefined) return -1;
        return x < y ? -1 : 1;
      }
      return Buffer.compare(line(a), line(b));
    });
    expect(bytes).toBe(expected.map((r) => `${JSON.stringify(r)}\n`).join(''));
    // Only the results file is left in the folder of the spilled runs.
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
