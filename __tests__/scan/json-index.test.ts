/**
 * The WebAssembly indexer on its own: record boundaries, eventTime placement and literal marks,
 * checked against plain JavaScript computations of the same things; and the embedded binary is the
 * one built from json-index.c as it is now.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FLAG_ESCAPE,
  FLAG_NONASCII,
  FLAG_NOT_OBJECT,
  JsonIndexer,
  PLACE_AFTER,
  PLACE_BEFORE,
  PLACE_INSIDE,
  PLACE_NONE,
  PLACE_UNKNOWN,
  REC_END,
  REC_FLAGS,
  REC_INTS,
  REC_LITERALS,
  REC_PLACE,
  REC_START,
  SOURCE_SHA256,
} from '../../src/engines/scan/wasm/json-index.js';
import { Rng } from '../../tools/generate/prng.js';

const wasmDir = path.resolve(import.meta.dirname, '../../src/engines/scan/wasm');

function indexer(since = '2023-07-10T00:00:00Z', until = '2023-07-11T00:00:00Z'): JsonIndexer {
  const ix = new JsonIndexer();
  ix.setWindow(since, until);
  return ix;
}

interface Row {
  text: string;
  flags: number;
  place: number;
  literals: number;
}

function rows(ix: JsonIndexer, doc: Buffer): Row[] {
  const t = ix.records();
  const out: Row[] = [];
  for (let i = 0; i < t.length / REC_INTS; i++) {
    const o = i * REC_INTS;
    out.push({
      text: doc.toString('utf8', t[o + REC_START], t[o + REC_END]),
      flags: t[o + REC_FLAGS] as number,
      place: t[o + REC_PLACE] as number,
      literals: t[o + REC_LITERALS] as number,
    });
  }
  return out;
}

describe('the WebAssembly JSON indexer', () => {
  it('is built from the json-index.c in the repository (run build.sh after editing it)', () => {
    const source = readFileSync(path.join(wasmDir, 'json-index.c'));
    expect(createHash('sha256').update(source).digest('hex')).toBe(SOURCE_SHA256);
  });

  it('finds each record of a Records file and of a bare array, as JSON.parse sees them', () => {
    const records = [
      { eventID: 'a', eventTime: '2023-07-10T01:00:00Z', nested: { list: [1, { x: '}]"' }] } },
      { eventID: 'b', eventTime: '2023-07-09T23:59:59Z' },
      { eventID: 'c', eventTime: '2023-07-11T00:00:00Z' },
      { eventID: 'd', eventTime: '2023-07-10T01:00:00.5Z' },
      { eventID: 'e' },
      { eventID: 'f', eventTime: 20230710 },
    ];
    for (const text of [
      JSON.stringify({ Records: records }),
      ` [ ${records.map((r) => JSON.stringify(r, null, 2)).join(' ,\n')} ] `,
    ]) {
      const ix = indexer();
      const doc = Buffer.from(text);
      expect(ix.index(doc).status).toBe('ok');
      const found = rows(ix, doc);
      expect(found.map((r) => JSON.parse(r.text) as unknown)).toEqual(records);
      expect(found.map((r) => r.place)).toEqual([
        PLACE_INSIDE,
        PLACE_BEFORE,
        PLACE_AFTER,
        PLACE_UNKNOWN,
        PLACE_NONE,
        PLACE_NONE,
      ]);
    }
  });

  it('flags entries that are not objects, escapes that spell characters, and non-ASCII text', () => {
    const clean = `{"a":"${'c'.repeat(140)}"}`;
    const text = `[${clean},${clean},1,"x",null,[],{"a":"\\u0041"},{"a":"\\/"},{"a":"\\n\\"\\\\"},{"a":"é"}]`;
    const ix = indexer();
    const doc = Buffer.from(text);
    expect(ix.index(doc).status).toBe('ok');
    const flags = rows(ix, doc).map((r) => r.flags);
    const notObject = [false, false, true, true, true, true, false, false, false, false];
    expect(flags.map((f) => (f & FLAG_NOT_OBJECT) !== 0)).toEqual(notObject);
    // Flags are per 64-byte block: a record may carry a neighbour's, never miss its own.
    expect(flags[0]! & (FLAG_ESCAPE | FLAG_NONASCII)).toBe(0);
    expect(flags[6]! & FLAG_ESCAPE).toBe(FLAG_ESCAPE);
    expect(flags[7]! & FLAG_ESCAPE).toBe(FLAG_ESCAPE);
    expect(flags[9]! & FLAG_NONASCII).toBe(FLAG_NONASCII);
  });

  it('says whether JSON.parse would accept the document, on random edits', () => {
    const rng = new Rng('json-index-validity');
    const base = JSON.stringify({
      Records: [{ a: [1, -2.5e3, true, false, null], 'b\\"': 'x\\u00e9y', c: {} }, [], 'z'],
    });
    let invalid = 0;
    for (let i = 0; i < 1500; i++) {
      const chars = [...base];
      for (let k = rng.int(1, 3); k > 0; k--) {
        const at = rng.int(0, chars.length - 1);
        const ch = rng.pick([...'{}[]:,"\\ 0123456789-+.eEtrufalsn\u0001\u00e9ux']);
        const edit = rng.int(0, 2);
        if (edit === 0) chars.splice(at, 1);
        else if (edit === 1) chars.splice(at, 0, ch);
        else chars[at] = ch;
      }
      const text = chars.join('');
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const status = indexer().index(Buffer.from(text)).status;
      if (!valid) {
        invalid++;
        expect(status, text).not.toBe('ok');
      } else if (status !== 'ok') {
        // Valid, but not a shape the indexer reads (no Records array): declined, never wrong.
        const v = JSON.parse(text) as unknown;
        const shaped = Array.isArray(v) || Array.isArray((v as { Records?: unknown } | null)?.Records);
        expect(shaped && status === 'invalid', text).toBe(false);
      }
    }
    expect(invalid).toBeGreaterThan(500);
  });

  it('marks the records that hold a literal, ignoring ASCII case, wherever it falls', () => {
    const rng = new Rng('json-index-mark');
    const words = [
      'GetSecretValue',
      'getsecretvalue',
      'GETSECRETVALUE',
      's3.amazonaws.com',
      'S3.AMAZONAWS.COM',
      'ab',
      'x',
      'a_b[c]',
      'q@z^',
    ];
    for (let round = 0; round < 200; round++) {
      const records = Array.from({ length: rng.int(1, 12) }, () => {
        const padding = 'p'.repeat(rng.int(0, 90));
        return { v: rng.chance(0.5) ? `${padding}${rng.pick(words)}${'q'.repeat(rng.int(0, 20))}` : padding };
      });
      const text = JSON.stringify(rng.chance(0.5) ? records : { Records: records });
      const doc = Buffer.from(text);
      const ix = indexer();
      expect(ix.index(doc).status).toBe('ok');
      const literals = ['getsecretvalue', 's3.amazonaws.com', 'ab', 'x', 'a_b[c]', 'q@z^', 'pq', 'zz'];
      literals.forEach((l, bit) => ix.mark(Buffer.from(l), bit));
      const found = rows(ix, doc);
      for (const row of found) {
        const lower = row.text.toLowerCase();
        const expected = literals.reduce((mask, l, bit) => (lower.includes(l) ? mask | (1 << bit) : mask), 0);
        expect(row.literals, row.text).toBe(expected);
      }
    }
  });
});
