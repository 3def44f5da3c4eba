/**
 * De-duplication on eventID: the compact set must answer exactly as a Set<string> of the same ids
 * would (the reference here), whatever the ids look like and however large the set grows.
 */
import { describe, it, expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventDeduper, EventIdSet, Uint128Set, packUuid } from '../../src/engines/dedupe.js';
import { seededRandom } from '../../tools/generate/prng.js';

function hexDigits(rand: () => number, n: number, alphabet = '0123456789abcdef'): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

function uuidFrom(hex32: string): string {
  return `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-${hex32.slice(12, 16)}-${hex32.slice(16, 20)}-${hex32.slice(20)}`;
}

/** Characters next to the hex digits' ranges (and other likely confusions). */
const NEAR_HEX = '/:@G`gAF-_ \u0000\uff10';

/** A random id of one of many shapes: canonical UUIDs, other spellings of them, near misses, others. */
function randomId(rand: () => number, pool: string[]): string | undefined {
  // Half the time an id already drawn (or a variant of one): duplicates and look-alikes.
  if (pool.length > 0 && rand() < 0.5) {
    const base = pool[Math.floor(rand() * pool.length)] as string;
    switch (Math.floor(rand() * 6)) {
      case 0:
        return base.toUpperCase();
      case 1:
        return `${base}x`;
      case 2:
        return base.slice(1);
      case 3:
        return ` ${base}`;
      default:
        return base;
    }
  }
  let id: string | undefined;
  switch (Math.floor(rand() * 12)) {
    case 0:
      id = uuidFrom(hexDigits(rand, 32, '0123456789ABCDEF'));
      break;
    case 1:
      id = uuidFrom(hexDigits(rand, 32, '0123456789abcdefABCDEF'));
      break;
    case 2: // hyphens elsewhere
      id = `${hexDigits(rand, 9)}-${hexDigits(rand, 3)}-${hexDigits(rand, 4)}-${hexDigits(rand, 4)}-${hexDigits(rand, 12)}`;
      break;
    case 3: // one hyphen too many (37 chars) or none (32 chars)
      id = rand() < 0.5 ? `${uuidFrom(hexDigits(rand, 32))}-` : hexDigits(rand, 32);
      break;
    case 4: {
      // A character just outside the hex ranges where a digit should be.
      const hex = hexDigits(rand, 32);
      const at = Math.floor(rand() * 32);
      id = uuidFrom(hex.slice(0, at) + NEAR_HEX[Math.floor(rand() * NEAR_HEX.length)] + hex.slice(at + 1));
      break;
    }
    case 5: // a hyphen replaced by a hex digit: 36 chars, 4 would-be hyphens short
      id = hexDigits(rand, 8) + 'a' + hexDigits(rand, 27);
      break;
    case 6:
      id = rand() < 0.5 ? '' : undefined;
      break;
    case 7: // huge (rarely: they are costly to build)
      id =
        rand() < 0.1
          ? `${'x'.repeat(200_000 + Math.floor(rand() * 10))}${hexDigits(rand, 4)}`
          : `${uuidFrom(hexDigits(rand, 32))}${'y'.repeat(Math.floor(rand() * 1000))}`;
      break;
    case 8: // non-ASCII: fullwidth digits look like hex to no one but a careless parser
      id = uuidFrom(hexDigits(rand, 31)) + '\uff10';
      break;
    case 9: // the all-zero UUID, the table's empty marker
      id = '00000000-0000-0000-0000-000000000000';
      break;
    default:
      id = uuidFrom(hexDigits(rand, 32));
  }
  if (id !== undefined) pool.push(id);
  return id;
}

/** Adds 20,000 random ids (randomId) to `set` and `reference`; the answers of `set` that differ. */
function wrongAnswers(set: EventIdSet, reference: Set<string>, seed: number): string[] {
  const rand = seededRandom(seed);
  const pool: string[] = [];
  const wrong: string[] = [];
  for (let n = 0; n < 20_000; n++) {
    const id = randomId(rand, pool);
    if (id === undefined) continue;
    const expected = !reference.has(id);
    reference.add(id);
    if (set.add(id) !== expected) wrong.push(`step ${n}: ${id.slice(0, 60)} new=${expected}`);
  }
  return wrong;
}

describe('packUuid', () => {
  it('packs canonical lowercase UUIDs into their 128 bits, 32 per (signed) word, first digits first', () => {
    const rand = seededRandom(7);
    for (let n = 0; n < 1000; n++) {
      const hex = hexDigits(rand, 32);
      const out = new Int32Array(4);
      expect(packUuid(uuidFrom(hex), out)).toBe(true);
      // Independent: BigInt over the 32 hex digits.
      const big = BigInt(`0x${hex}`);
      const words = [96n, 64n, 32n, 0n].map((shift) => Number(BigInt.asIntN(32, big >> shift)));
      expect([...out]).toEqual(words);
    }
  });

  it('refuses every other spelling', () => {
    const lower = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const refused = [
      lower.toUpperCase(),
      '3F2504e0-4f89-41d3-9a0c-0305e82c3301',
      `${lower}0`,
      lower.slice(0, 35),
      `{${lower.slice(1)}`,
      lower.replace(/-/g, ''),
      `${lower.slice(0, 8)}0${lower.slice(9)}`, // first hyphen made a digit
      `${lower.slice(0, 7)}-${lower.slice(7, 8)}${lower.slice(9)}`, // hyphen moved
      `${lower.slice(0, 35)}g`,
      `${lower.slice(0, 35)}\uff10`,
      '',
    ];
    for (const id of refused) expect(packUuid(id, new Int32Array(4)), id).toBe(false);
    // Each digit replaced by each character next to the hex ranges.
    for (let at = 0; at < 36; at++) {
      if (lower[at] === '-') continue;
      for (const c of NEAR_HEX) {
        const id = lower.slice(0, at) + c + lower.slice(at + 1);
        expect(packUuid(id, new Int32Array(4)), id).toBe(false);
      }
    }
  });
});

describe('EventIdSet', () => {
  it('answers exactly as a Set<string> over random mixes of ids', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const set = new EventIdSet();
      const reference = new Set<string>();
      expect(wrongAnswers(set, reference, seed), `seed ${seed}`).toEqual([]);
      expect(set.size).toBe(reference.size);
    }
  });

  it('keeps a lowercase UUID and its uppercase spelling apart (different strings, different ids)', () => {
    const set = new EventIdSet();
    const lower = 'e4a8e0a0-19ca-4e5a-93b6-36a9c0ffee00';
    expect(set.add(lower)).toBe(true);
    expect(set.add(lower.toUpperCase())).toBe(true);
    expect(set.add('E4a8e0a0-19ca-4e5a-93b6-36a9c0ffee00')).toBe(true);
    expect(set.add(lower)).toBe(false);
    expect(set.add(lower.toUpperCase())).toBe(false);
    expect(set.size).toBe(3);
    // An all-digit UUID has only one spelling.
    const digits = '12345678-1234-1234-1234-123456789012';
    expect(set.add(digits)).toBe(true);
    expect(set.add(digits.toUpperCase())).toBe(false);
  });

  it('stays exact through many resizes (300k UUIDs, each added twice)', () => {
    const set = new EventIdSet();
    const ids: string[] = Array.from({ length: 300_000 }, () => randomUUID());
    const reference = new Set(ids);
    expect(ids.filter((id) => !set.add(id))).toEqual([]);
    expect(set.size).toBe(reference.size);
    expect(ids.filter((id) => set.add(id))).toEqual([]);
    // Never-added neighbours of added ids (last digit changed) are new.
    const rand = seededRandom(11);
    const wrong: string[] = [];
    for (let n = 0; n < 20_000; n++) {
      const id = ids[Math.floor(rand() * ids.length)] as string;
      const last = id[35] === 'f' ? '0' : (parseInt(id[35] as string, 16) + 1).toString(16);
      const neighbour = id.slice(0, 35) + last;
      if (set.add(neighbour) !== !reference.has(neighbour)) wrong.push(neighbour);
      reference.add(neighbour);
    }
    expect(wrong).toEqual([]);
    expect(set.size).toBe(reference.size);
  });
});

describe('EventIdSet spilled to disk', () => {
  it('answers exactly as a Set<string> while its ids move to disk (random mixes, a spill every 64 ids)', () => {
    for (const seed of [1, 2, 3]) {
      const set = new EventIdSet({ memoryKeys: 64, runs: { blockKeys: 4, bloomBudgetBytes: 256 } });
      try {
        const reference = new Set<string>();
        expect(wrongAnswers(set, reference, seed), `seed ${seed}`).toEqual([]);
        expect(set.size).toBe(reference.size);
        expect(set.spilled!.size).toBeGreaterThan(reference.size - 64);
      } finally {
        set.close();
      }
    }
  });

  it('keeps apart ids whose UTF-8 would be the same (a lone surrogate and the replacement character)', () => {
    const set = new EventIdSet();
    expect(set.add('id-\ud800')).toBe(true);
    expect(set.add('id-\ufffd')).toBe(true);
    expect(set.add('id-\udc00')).toBe(true);
    expect(set.add('id-\ud800')).toBe(false);
    expect(set.size).toBe(3);
  });

  it('keeps its memory bounded: 300k ids, 4,096 in memory, take a small fraction of the tables they would fill', () => {
    const spilling = new EventIdSet({ memoryKeys: 4096 });
    const inMemory = new Uint128Set();
    const key = new Int32Array(4);
    try {
      for (let i = 0; i < 300_000; i++) {
        const id = randomUUID();
        expect(spilling.add(id)).toBe(true);
        packUuid(id, key);
        inMemory.add(key);
      }
      expect(spilling.size).toBe(300_000);
      // ~6 MB of tables against ~0.2 MB of tables, Bloom filters and block indexes.
      expect(inMemory.memoryBytes).toBeGreaterThan(4_000_000);
      expect(spilling.memoryBytes).toBeLessThan(inMemory.memoryBytes / 10);
    } finally {
      spilling.close();
    }
  });

  it('holds the Bloom filters to their budget, and answers exactly without any', () => {
    const set = new EventIdSet({ memoryKeys: 512, runs: { bloomBudgetBytes: 512 } });
    const ids = Array.from({ length: 20_000 }, () => randomUUID());
    try {
      expect(ids.filter((id) => !set.add(id))).toEqual([]);
      // 512 bytes are 4,096 bits: less than a bit per spilled id, so the runs have no filter.
      expect(set.spilled!.memoryBytes).toBeLessThan(2048);
      expect(ids.filter((id) => set.add(id))).toEqual([]);
    } finally {
      set.close();
    }
  });

  it('removes its temporary folder on close; if it cannot spill, keeps the ids in memory and says why', () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'ct-dedupe-'));
    try {
      const dedupe = new EventDeduper({ memoryKeys: 100, runs: { parentDir: parent } });
      const ids = Array.from({ length: 1000 }, () => randomUUID());
      expect(ids.map((id) => dedupe.isFirst(id)).every(Boolean)).toBe(true);
      expect(readdirSync(parent)).toHaveLength(1);
      expect(ids.some((id) => dedupe.isFirst(id))).toBe(false);
      expect(dedupe.spillFailure).toBeUndefined();
      dedupe.close();
      expect(readdirSync(parent)).toEqual([]);

      const nowhere = path.join(parent, 'missing', 'folder');
      const stuck = new EventDeduper({ memoryKeys: 100, runs: { parentDir: nowhere } });
      expect(ids.map((id) => stuck.isFirst(id)).every(Boolean)).toBe(true);
      expect(String(stuck.spillFailure)).toMatch(/ENOENT/);
      expect(ids.some((id) => stuck.isFirst(id))).toBe(false);
      expect(stuck.dropped).toBe(1000);
      stuck.close();
      expect(existsSync(nowhere)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('Uint128Set', () => {
  it('stays exact for keys differing in a single word, from a tiny table', () => {
    // Keys that agree on three words out of four, in each position: a hash using only part of
    // the key would pile them up, a comparison on part of the key would merge them.
    const set = new Uint128Set(2);
    const reference = new Set<string>();
    const key = new Int32Array(4);
    const wrong: string[] = [];
    for (let word = 0; word < 4; word++) {
      for (let v = 0; v < 20_000; v++) {
        key.fill(0x5a5a5a5a);
        // Small values, then negative and large ones (odd multiplier: still distinct).
        key[word] = v < 10_000 ? v : Math.imul(v, 0x9e3779b1);
        const name = [...key].join(',');
        if (set.add(key) !== !reference.has(name)) wrong.push(name);
        reference.add(name);
      }
    }
    expect(wrong).toEqual([]);
    expect(set.size).toBe(reference.size);
    for (const name of reference) {
      key.set(name.split(',').map(Number));
      if (set.add(key)) wrong.push(`again ${name}`);
    }
    expect(wrong).toEqual([]);
  });

  it('holds the all-zero key, which marks empty slots, like any other', () => {
    const set = new Uint128Set(2);
    const zero = new Int32Array(4);
    expect(set.add(zero)).toBe(true);
    expect(set.add(zero)).toBe(false);
    expect(set.add(Int32Array.of(0, 0, 0, 1))).toBe(true);
    expect(set.add(Int32Array.of(1, 0, 0, 0))).toBe(true);
    expect(set.add(zero)).toBe(false);
    expect(set.size).toBe(3);
  });
});

describe('EventDeduper', () => {
  it('keeps the first occurrence of each id and every event without one', () => {
    const rand = seededRandom(42);
    const dedupe = new EventDeduper();
    const reference = new Set<string>();
    const pool: string[] = [];
    let unique = 0;
    let dropped = 0;
    const wrong: number[] = [];
    for (let n = 0; n < 30_000; n++) {
      const id = randomId(rand, pool);
      const first = id === undefined || !reference.has(id);
      if (id !== undefined) reference.add(id);
      if (first) unique++;
      else dropped++;
      if (dedupe.isFirst(id) !== first) wrong.push(n);
    }
    expect(wrong).toEqual([]);
    expect(dropped).toBeGreaterThan(0);
    expect(dedupe.unique).toBe(unique);
    expect(dedupe.dropped).toBe(dropped);
  });
});

describe('conflicting duplicates', () => {
  it('counts dropped copies whose content differs from every earlier record of their id, across spills', () => {
    const random = seededRandom('conflicts');
    const ids = Array.from({ length: 3000 }, () => randomUUID());
    const parent = mkdtempSync(path.join(os.tmpdir(), 'ct-dedupe-conflicts-'));
    const dedupe = new EventDeduper({ memoryKeys: 200, runs: { parentDir: parent } });
    // Oracle: the contents seen per id, in plain Maps.
    const seen = new Map<string, Set<string>>();
    let expectedConflicts = 0;
    let expectedDropped = 0;
    try {
      for (let n = 0; n < 12_000; n++) {
        const id = ids[Math.floor(random() * ids.length)]!;
        const content = `{"eventID":"${id}","v":${Math.floor(random() * 3)}}`;
        const bytes = random() < 0.5 ? Buffer.from(content) : content;
        const versions = seen.get(id);
        if (versions) {
          expectedDropped++;
          if (!versions.has(content)) expectedConflicts++;
          versions.add(content);
        } else seen.set(id, new Set([content]));
        expect(dedupe.isFirst(id, bytes)).toBe(versions === undefined);
      }
      expect(dedupe.dropped).toBe(expectedDropped);
      expect(dedupe.conflicting).toBe(expectedConflicts);
      expect(expectedConflicts).toBeGreaterThan(1000);
      expect(dedupe.spillFailure).toBeUndefined();
    } finally {
      dedupe.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('an id and content never mix: ("ab", "c") and ("a", "bc") are different pairs', () => {
    const dedupe = new EventDeduper();
    expect(dedupe.isFirst('ab', 'c')).toBe(true);
    expect(dedupe.isFirst('a', 'bc')).toBe(true);
    expect(dedupe.isFirst('ab', 'c')).toBe(false);
    expect(dedupe.conflicting).toBe(0);
    expect(dedupe.isFirst('ab', 'cc')).toBe(false);
    expect(dedupe.conflicting).toBe(1);
  });
});
