/**
 * De-duplication on eventID. Real logs repeat events across files (global-service events land in
 * several region folders); the first occurrence in output order is kept.
 *
 * Every id seen is kept for the whole run, so its memory grows with the match count: a
 * `Set<string>` cost ~100 bytes per id (a 1 M-match export held ~100 MB, in a heap that could not
 * be compacted around them). CloudTrail's eventIDs are nearly always lowercase UUIDs, which are
 * kept here as their 16 bytes in open-addressing tables over typed arrays (19-24 bytes per id with
 * the tables' free slots, outside the JavaScript heap); any other id is kept as a string.
 */
import { randomBytes } from 'node:crypto';
import { releaseBuffer } from './release-buffer.js';

/** 32-bit words per packed UUID. */
const WORDS = 4;
const INITIAL_SLOTS = 1024;
/**
 * Grow once 85% of the slots are used, by a quarter: the table stays 68-85% full, 1.2-1.5 slots
 * per key where doubling at 75% would take 1.3-2.7 (32 MB rather than 21 MB for 1 M ids). Linear
 * probing over 16-byte slots stays cheap at that load: an insert reads ~10 consecutive slots on
 * average, a few cache lines.
 */
const MAX_LOAD = 0.85;
const GROWTH = 1.25;

/** Where the 32 hex digits of a canonical UUID (8-4-4-4-12) are; the hyphens are at 8, 13, 18, 23. */
const DIGIT_AT = [...Array(36).keys()].filter((i) => i !== 8 && i !== 13 && i !== 18 && i !== 23);

/** The value of a lowercase hex digit's char code, or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

/**
 * Packs a canonical lowercase UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, digits 0-9a-f, any
 * version) into `out[0..3]`, 8 digits per word, first digit highest; false for any other string,
 * `out` then undefined. Only this one spelling is packed, so packing is one-to-one: `ABC…` and
 * `abc…` stay different ids, as they are different strings (CloudTrail never documents eventID as
 * case-insensitive), and the uppercase one is kept as a string.
 */
export function packUuid(id: string, out: Int32Array): boolean {
  if (
    id.length !== 36 ||
    id.charCodeAt(8) !== 45 ||
    id.charCodeAt(13) !== 45 ||
    id.charCodeAt(18) !== 45 ||
    id.charCodeAt(23) !== 45
  ) {
    return false;
  }
  for (let w = 0; w < WORDS; w++) {
    let word = 0;
    for (let j = w * 8; j < w * 8 + 8; j++) {
      const v = hexValue(id.charCodeAt(DIGIT_AT[j] as number));
      if (v < 0) return false;
      word = (word << 4) | v;
    }
    out[w] = word;
  }
  return true;
}

/**
 * Tables a set is split into, by the low bits of each key's hash. A growing table holds its old
 * and new slots at once while it re-places its keys: split, that is 1/16 of the set, not all of it
 * (one table for 1 M ids held 16 + 20 MB at once, late in a run, when everything else peaks).
 */
const TABLES = 16;

/**
 * A set of 128-bit keys, in TABLES open-addressing tables chosen by the key's hash. The all-zero
 * key marks an empty slot, so the all-zero key itself is tracked by a flag. The hash is MurmurHash3
 * over the 16 bytes with a random seed per set: eventIDs are written by whoever wrote the logs, and
 * ids chosen to collide under a fixed hash would make every insert walk a long run of slots.
 */
export class Uint128Set {
  private readonly tables: KeyTable[];
  private hasZero = false;
  private readonly seed = randomBytes(4).readInt32LE(0);

  constructor(initialSlots = INITIAL_SLOTS) {
    const slots = Math.max(2, Math.ceil(initialSlots / TABLES));
    this.tables = Array.from({ length: TABLES }, () => new KeyTable(slots, this.seed));
  }

  get size(): number {
    return this.tables.reduce((n, t) => n + t.count, this.hasZero ? 1 : 0);
  }

  /** Adds the key `k[0..3]`; false when it was already there. */
  add(k: Int32Array): boolean {
    const a = k[0] as number;
    const b = k[1] as number;
    const c = k[2] as number;
    const d = k[3] as number;
    if ((a | b | c | d) === 0) {
      if (this.hasZero) return false;
      this.hasZero = true;
      return true;
    }
    // The low bits pick the table, the high ones the slot in it (home()): independent.
    const hash = hash128(this.seed, a, b, c, d);
    return this.tables[hash & (TABLES - 1)]!.add(a, b, c, d, hash);
  }
}

/**
 * One table of non-zero 128-bit keys: linear probing over one Int32Array (4 words per slot), grown
 * by a quarter when 85% full.
 */
class KeyTable {
  private slots: Int32Array;
  /** Number of slots (any size: not a power of two). */
  private capacity: number;
  count = 0;

  constructor(
    slots: number,
    private readonly seed: number,
  ) {
    this.capacity = slots;
    this.slots = new Int32Array(slots * WORDS);
  }

  /** Adds the key (a, b, c, d), whose hash128 is `hash`; false when it was already there. */
  add(a: number, b: number, c: number, d: number, hash: number): boolean {
    const slots = this.slots;
    const capacity = this.capacity;
    for (let i = home(hash, capacity); ; i = i + 1 === capacity ? 0 : i + 1) {
      const at = i * WORDS;
      const sa = slots[at] as number;
      const sb = slots[at + 1] as number;
      const sc = slots[at + 2] as number;
      const sd = slots[at + 3] as number;
      if ((sa | sb | sc | sd) === 0) {
        slots[at] = a;
        slots[at + 1] = b;
        slots[at + 2] = c;
        slots[at + 3] = d;
        this.count++;
        if (this.count > capacity * MAX_LOAD) this.grow();
        return true;
      }
      if (sa === a && sb === b && sc === c && sd === d) return false;
    }
  }

  /** A quarter more slots (at least one: the table never fills); every key placed again. */
  private grow(): void {
    const old = this.slots;
    const capacity = Math.ceil(this.capacity * GROWTH);
    const slots = new Int32Array(capacity * WORDS);
    for (let from = 0; from < old.length; from += WORDS) {
      const a = old[from] as number;
      const b = old[from + 1] as number;
      const c = old[from + 2] as number;
      const d = old[from + 3] as number;
      if ((a | b | c | d) === 0) continue;
      // Keys are distinct: the first empty slot of the probe sequence is the place.
      let at = home(hash128(this.seed, a, b, c, d), capacity) * WORDS;
      while (
        ((slots[at] as number) |
          (slots[at + 1] as number) |
          (slots[at + 2] as number) |
          (slots[at + 3] as number)) !==
        0
      ) {
        at = at + WORDS === slots.length ? 0 : at + WORDS;
      }
      slots[at] = a;
      slots[at + 1] = b;
      slots[at + 2] = c;
      slots[at + 3] = d;
    }
    this.slots = slots;
    this.capacity = capacity;
    // Freed now (Node 22+; on Node 20 by a later collection): a table lives long enough to reach
    // the old generation, whose collections are rare, so the collector would leave each old table
    // resident beside its successor for seconds.
    releaseBuffer(old);
  }
}

/** MurmurHash3 (x86, 32-bit) of the four words, seeded; unsigned. */
function hash128(seed: number, a: number, b: number, c: number, d: number): number {
  let h = seed;
  h = mixWord(h, a);
  h = mixWord(h, b);
  h = mixWord(h, c);
  h = mixWord(h, d);
  h ^= 16;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The slot a 32-bit hash starts at: hash / 2^32 scaled to the table (Lemire's reduction, no
 * modulo). hash < 2^32 keeps the product below `capacity` even once rounded to a double.
 */
function home(hash: number, capacity: number): number {
  return Math.floor((hash / 4294967296) * capacity);
}

/** One MurmurHash3 block: the word scrambled and folded into `h`. */
function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * Every eventID seen, exactly: canonical lowercase UUIDs packed in a Uint128Set, any other string
 * in a Set. The two never overlap (a string either has the one canonical spelling or not), so an
 * id is reported as seen only if that same string was added before.
 */
export class EventIdSet {
  private readonly uuids = new Uint128Set();
  private readonly others = new Set<string>();
  private readonly key = new Int32Array(WORDS);

  /** Adds `id`; false when it was already there. */
  add(id: string): boolean {
    if (packUuid(id, this.key)) return this.uuids.add(this.key);
    if (this.others.has(id)) return false;
    this.others.add(id);
    return true;
  }

  get size(): number {
    return this.uuids.size + this.others.size;
  }
}

export class EventDeduper {
  private readonly seen = new EventIdSet();
  unique = 0;
  dropped = 0;

  /** True the first time an eventID is seen. Events without an id cannot be deduplicated: kept. */
  isFirst(eventID: string | undefined): boolean {
    if (eventID !== undefined && !this.seen.add(eventID)) {
      this.dropped++;
      return false;
    }
    this.unique++;
    return true;
  }
}
