/**
 * Packed matches: what a worker packs must read back exactly on the main thread, after the
 * buffers were transferred, whatever the strings hold: non-ASCII, surrogate pairs, lone
 * surrogates (a log's `"\ud800"` parses to one), quotes and backslashes, empty strings next to
 * undefined, very long values, values repeated across matches. Expected values are the matches
 * that were packed.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../tools/generate/prng.js';
import type { EventFields } from '../../src/engines/types.js';
import { createObjectScanner, type ScanMatch } from '../../src/engines/scan/scan-object.js';
import { specFor } from './scan-reference.js';
import {
  PackedBatch,
  createPackingScanner,
  packMatches,
  transferList,
  unpackMatches,
  type PackedMatches,
  type PackedScanResult,
} from '../../src/engines/scan/packed-matches.js';

const HOSTILE = [
  '',
  'plain',
  'café ünïcödé',
  '日本語のプリンシパル',
  'emoji 🔑 pair',
  'lone high \ud800 here',
  'lone low \udc00 here',
  '\udbff',
  'reversed pair \udc00\ud800',
  'quote " backslash \\ newline \n tab \t nul \u0000',
  '\u2028\u2029',
  'x'.repeat(200_000),
];

function fields(over: Partial<EventFields> = {}): EventFields {
  return {
    eventTime: '2023-07-10T00:00:00Z',
    eventName: 'GetObject',
    principal: 'arn:aws:iam::111111111111:user/alice',
    sourceIPAddress: '203.0.113.7',
    awsRegion: 'us-east-1',
    errorCode: undefined,
    ...over,
  };
}

function match(i: number, over: Partial<ScanMatch> = {}): ScanMatch {
  const record = { eventID: `id-${i}`, eventName: 'GetObject', n: i };
  return { json: JSON.stringify(record), eventID: `id-${i}`, region: 'us-east-1', fields: fields(), ...over };
}

/** The batch as it reaches the main thread: cloned with its buffers transferred. */
function transferred(matches: PackedMatches): PackedMatches {
  const result: PackedScanResult = {
    key: 'k',
    matches,
    records: 0,
    recordsOutsideWindow: 0,
    recordsWithoutTime: 0,
    recordsInvalid: 0,
    recordsOutOfScope: 0,
    uncompressedBytes: 0,
  };
  return structuredClone(result, { transfer: transferList(result) }).matches;
}

/** Everything a consumer can read from each event, as plain data. */
function readBack(matches: PackedMatches) {
  return unpackMatches(matches).map((e) => ({
    json: e.json,
    bytes: Buffer.from(e.jsonBytes!).toString('utf8'),
    eventID: e.eventID,
    region: e.region,
    fields: e.fields as EventFields,
    ruleIds: e.ruleIds,
  }));
}

function expected(matches: readonly ScanMatch[]) {
  return matches.map((m) => ({
    json: m.json,
    // The JSON goes as UTF-8: a lone surrogate in it (never in real matches: they are decoded
    // bytes or JSON.stringify output) would read back as U+FFFD.
    bytes: Buffer.from(m.json, 'utf8').toString('utf8'),
    eventID: m.eventID,
    region: m.region,
    fields: m.fields,
    ruleIds: m.ruleIds,
  }));
}

describe('packed matches', () => {
  it("carry each match's CSV row beside its JSON, except a row UTF-8 cannot carry (made again from the record)", () => {
    const matches: ScanMatch[] = HOSTILE.map((s, i) =>
      match(i, { json: JSON.stringify({ eventID: `id-${i}`, text: s }), csvRow: `${i},"${s}"\r\n` }),
    );
    matches.push(match(99)); // no row at all
    const events = unpackMatches(transferred(packMatches(matches)));
    events.forEach((e, i) => {
      const m = matches[i]!;
      // The JSON is untouched by the row stored after it.
      expect(e.json).toBe(m.json);
      expect(Buffer.from(e.jsonBytes!).toString('utf8')).toBe(m.json);
      const row = e.csvRow;
      if (m.csvRow === undefined || !(m.csvRow as string & { isWellFormed(): boolean }).isWellFormed())
        expect(row).toBeUndefined();
      else expect(Buffer.from(row as Uint8Array).toString('utf8')).toBe(m.csvRow);
    });
    // The lone surrogates of HOSTILE were the rows left out.
    expect(events.filter((e) => e.csvRow === undefined)).toHaveLength(5);
  });

  it('read back exactly after a transfer, hostile strings in every field', () => {
    const matches: ScanMatch[] = HOSTILE.map((s, i) =>
      match(i, {
        json: JSON.stringify({ eventID: s, text: s }),
        eventID: s,
        region: s,
        fields: fields({
          eventTime: s,
          eventName: s,
          principal: s,
          sourceIPAddress: s,
          awsRegion: s,
          errorCode: s,
        }),
        ruleIds: [s, `${s}-2`],
      }),
    );
    const packed = packMatches(matches);
    const moved = transferred(packed);
    expect(packed.bytes.byteLength).toBe(0); // transferred, not copied
    const got = readBack(moved);
    expect(got).toEqual(expected(matches));
    // toEqual compares strings by value; lone surrogates must come back as the same code units.
    got.forEach((g, i) => {
      expect(g.eventID).toBe(HOSTILE[i]);
      expect(g.fields.principal).toBe(HOSTILE[i]);
    });
  });

  it('keeps undefined apart from the empty string', () => {
    const matches = [
      match(0, {
        eventID: undefined,
        region: undefined,
        fields: fields({ eventTime: undefined, sourceIPAddress: undefined }),
      }),
      match(1, { eventID: '', region: '' }),
      match(2, { fields: fields({ errorCode: 'AccessDenied', awsRegion: undefined }) }),
    ];
    const got = readBack(transferred(packMatches(matches)));
    expect(got).toEqual(expected(matches));
    expect(got[0]!.eventID).toBeUndefined();
    expect(got[1]!.eventID).toBe('');
    expect(got[1]!.region).toBe('');
    expect(got[0]!.ruleIds).toBeUndefined();
    expect(Object.keys(got[0]!.fields).sort()).toEqual(Object.keys(fields()).sort());
  });

  it('reads values repeated across matches (stored once) for every match', () => {
    const principals = ['arn:a', 'arn:b', 'arn:a', 'arn:c', 'arn:b', 'arn:a'];
    const matches = principals.map((p, i) =>
      match(i, { fields: fields({ principal: p, eventName: i % 2 ? 'A' : 'B' }), ruleIds: ['r1'] }),
    );
    const got = readBack(transferred(packMatches(matches)));
    expect(got.map((g) => g.fields.principal)).toEqual(principals);
    expect(got.map((g) => g.fields.eventName)).toEqual(['B', 'A', 'B', 'A', 'B', 'A']);
    expect(got).toEqual(expected(matches));
  });

  it('gives each event its own rule id list', () => {
    const batch = new PackedBatch(
      transferred(packMatches([match(0, { ruleIds: ['r1'] }), match(1, { ruleIds: ['r1'] })])),
    );
    const [a, b] = [batch.event(0), batch.event(1)];
    a.ruleIds!.push('changed');
    expect(b.ruleIds).toEqual(['r1']);
    expect(a.ruleIds).toEqual(['r1', 'changed']); // the event keeps what it handed out
  });

  it('parses the record from the JSON, and reads an empty batch', () => {
    const matches = [match(7), match(8, { json: '{"a":"é\\u00e9","b":[1,{"c":null}]}' })];
    const events = unpackMatches(transferred(packMatches(matches)));
    expect(events.map((e) => e.record)).toEqual(matches.map((m) => JSON.parse(m.json)));
    expect(unpackMatches(transferred(packMatches([])))).toEqual([]);
  });

  it('round-trips random strings, random undefineds and repeats', () => {
    const random = seededRandom(20230710);
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '"',
      '\\',
      'é',
      '€',
      '😀',
      '\ud800',
      '\udfff',
      '\u0000',
      '\n',
      'ß',
      '中',
    ];
    const text = (): string =>
      Array.from(
        { length: Math.floor(random() * 12) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
    const pool = Array.from({ length: 8 }, text);
    const value = (): string | undefined => {
      const r = random();
      return r < 0.15 ? undefined : r < 0.55 ? pool[Math.floor(random() * pool.length)] : text();
    };
    const matches: ScanMatch[] = Array.from({ length: 500 }, (_, i) => ({
      json: JSON.stringify({ i, v: text() }),
      eventID: value(),
      region: value(),
      fields: {
        eventTime: value(),
        eventName: value(),
        principal: value() ?? '(unknown)',
        sourceIPAddress: value(),
        awsRegion: value(),
        errorCode: value(),
      },
      ...(random() < 0.5 ? { ruleIds: [text(), text()] } : {}),
    }));
    expect(readBack(transferred(packMatches(matches)))).toEqual(expected(matches));
  });

  it('keeps each batch intact, in buffers of its exact size, while later ones are packed', () => {
    // Packing reuses one scratch buffer per thread: a batch must be a copy, never a view of it.
    const big = Array.from({ length: 300 }, (_, i) =>
      match(i, { json: JSON.stringify({ eventID: `big-${i}`, pad: 'é🔑'.repeat(300 + i) }) }),
    );
    const small = [match(1), match(2, { json: '{"eventID":"short"}' })];
    const batches = [big, small, big.slice(0, 20).reverse(), []].map((m) => ({ m, packed: packMatches(m) }));
    for (const { m, packed } of batches) {
      expect(readBack(packed)).toEqual(expected(m));
      expect(packed.bytes.buffer.byteLength).toBe(packed.bytes.byteLength);
    }
    // Past the first buffer's 64 KB: the packer grew while packing.
    expect(batches[0]!.packed.bytes.byteLength).toBeGreaterThan(500_000);
  });

  it('packs a scan as it goes: the same counts and matches as the plain scanner', () => {
    const spec = specFor({ kind: 'all' });
    const records = Array.from({ length: 500 }, (_, i) => ({
      eventTime: `2023-07-10T00:${String(i % 60).padStart(2, '0')}:00Z`,
      eventID: `id-${i}`,
      eventName: i % 3 ? 'GetObject' : 'AssumeRole',
      awsRegion: 'eu-west-1',
      userIdentity: { arn: `arn:aws:iam::111111111111:user/u${i % 7}` },
      note: 'é✓🔑'.repeat(i % 50),
    }));
    const bytes = gzipSync(JSON.stringify({ Records: [...records, { eventID: 'no-time' }] }));
    const { matches, ...counts } = createPackingScanner(spec)(new Uint8Array(bytes), 'k.json.gz', false);
    const plain = createObjectScanner(spec)(new Uint8Array(bytes), 'k.json.gz', false);
    const { matches: plainMatches, ...plainCounts } = plain;
    expect(counts).toEqual(plainCounts);
    expect(counts.recordsWithoutTime).toBe(1);
    expect(plainMatches).toHaveLength(500);
    expect(readBack(matches)).toEqual(expected(plainMatches));
  });
});
