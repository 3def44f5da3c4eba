/**
 * De-duplication on eventID. Real logs repeat events across files (global-service events land in
 * several region folders); the first occurrence in output order is kept.
 *
 * Every id seen is remembered for the whole run. In memory, CloudTrail's eventIDs (nearly always
 * lowercase UUIDs) are kept as their 16 bytes in open-addressing tables over typed arrays, ~20
 * bytes per id; a `Set<string>` cost ~100. Past MEMORY_KEYS ids, the tables are spilled to sorted
 * runs in a temporary folder (key-runs.ts), of which memory keeps ~1.3 bytes per id, capped, so
 * memory stays bounded however many events match: a 1 M-match export held 20 MB of ids, a 5 M one
 * would have held 100 MB.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { hash128, reduce } from './key-hash.js';
import { KeyRuns, MAX_SPILL_KEYS, type KeyRunsOptions } from './key-runs.js';
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

  /** Keys held, counted as they are added (asked for after every new id). */
  private held = 0;

  get size(): number {
    return this.held;
  }

  /** Memory its tables take. */
  get memoryBytes(): number {
    return this.tables.reduce((n, t) => n + t.memoryBytes, 0);
  }

  /** Every key, four words each, in no particular order (a copy). */
  keys(): Int32Array {
    const out = new Int32Array(this.size * WORDS);
    // The all-zero key's words are the new array's first four zeros.
    let at = this.hasZero ? WORDS : 0;
    for (const table of this.tables) at = table.copyKeys(out, at);
    return out;
  }

  /** Forgets every key, freeing the tables' memory now. */
  clear(): void {
    for (const table of this.tables) table.clear();
    this.hasZero = false;
    this.held = 0;
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
      this.held++;
      return true;
    }
    // The low bits pick the table, the high ones the slot in it (reduce()): independent.
    const hash = hash128(this.seed, a, b, c, d);
    if (!this.tables[hash & (TABLES - 1)]!.add(a, b, c, d, hash)) return false;
    this.held++;
    return true;
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
    for (let i = reduce(hash, capacity); ; i = i + 1 === capacity ? 0 : i + 1) {
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

  get memoryBytes(): number {
    return this.slots.byteLength;
  }

  /** Copies the keys into `out` from word `at`; returns where the next key goes. */
  copyKeys(out: Int32Array, at: number): number {
    const slots = this.slots;
    for (let from = 0; from < slots.length; from += WORDS) {
      if (
        ((slots[from] as number) |
          (slots[from + 1] as number) |
          (slots[from + 2] as number) |
          (slots[from + 3] as number)) ===
        0
      )
        continue;
      out.set(slots.subarray(from, from + WORDS), at);
      at += WORDS;
    }
    return at;
  }

  clear(): void {
    const old = this.slots;
    this.capacity = Math.max(2, Math.ceil(INITIAL_SLOTS / TABLES));
    this.slots = new Int32Array(this.capacity * WORDS);
    this.count = 0;
    releaseBuffer(old);
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
      let at = reduce(hash128(this.seed, a, b, c, d), capacity) * WORDS;
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

/** Ids kept in memory before they are spilled to disk (~10 MB of tables at most). */
export const MEMORY_KEYS = 2 ** 19;

export interface EventIdSetOptions {
  /** Ids kept in memory before spilling (default MEMORY_KEYS; tests spill sooner). */
  memoryKeys?: number;
  runs?: KeyRunsOptions;
}

/**
 * Every eventID seen: canonical lowercase UUIDs packed into their 128 bits, any other string
 * (uppercase, or not a UUID: rare) as the first 128 bits of its HMAC-SHA256 under a key drawn per
 * run, over its UTF-16 code units so that no two strings share an input. A packed UUID is exact;
 * two different ids, or a UUID and another string, share a key with a probability of about 2^-128
 * per pair, which no one writing logs can steer without the key.
 */
export class EventIdSet {
  private readonly memory = new Uint128Set();
  private runs: KeyRuns | undefined;
  private readonly memoryKeys: number;
  private readonly key = new Int32Array(WORDS);
  private readonly hmacKey = randomBytes(32);
  /** Why ids stopped being spilled, if they did (the temporary folder unwritable): they stay in memory. */
  spillFailure: unknown;

  constructor(private readonly options: EventIdSetOptions = {}) {
    this.memoryKeys = Math.min(options.memoryKeys ?? MEMORY_KEYS, MAX_SPILL_KEYS);
  }

  /** Adds `id`; false when it was already there. */
  add(id: string): boolean {
    const k = this.key;
    if (!packUuid(id, k)) {
      const digest = createHmac('sha256', this.hmacKey).update(Buffer.from(id, 'utf16le')).digest();
      for (let w = 0; w < WORDS; w++) k[w] = digest.readInt32LE(w * 4);
    }
    return this.addKey(k);
  }

  /**
   * Adds the pair (`id`, `content`) as the first 128 bits of their keyed HMAC-SHA256 (the id's
   * length first, so no two pairs share an input); false when it was already there.
   */
  addPair(id: string, content: Uint8Array | string): boolean {
    const idBytes = Buffer.from(id, 'utf16le');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(idBytes.length);
    const hmac = createHmac('sha256', this.hmacKey).update(length).update(idBytes);
    const digest = (
      typeof content === 'string' ? hmac.update(content, 'utf8') : hmac.update(content)
    ).digest();
    const k = this.key;
    for (let w = 0; w < WORDS; w++) k[w] = digest.readInt32LE(w * 4);
    return this.addKey(k);
  }

  private addKey(k: Int32Array): boolean {
    if (this.runs?.has(k[0] as number, k[1] as number, k[2] as number, k[3] as number)) return false;
    if (!this.memory.add(k)) return false;
    if (this.memory.size >= this.memoryKeys && this.spillFailure === undefined) this.spill();
    return true;
  }

  get size(): number {
    return this.memory.size + (this.runs?.size ?? 0);
  }

  /** Memory the set keeps: its tables, and what it keeps of the spilled runs. */
  get memoryBytes(): number {
    return this.memory.memoryBytes + (this.runs?.memoryBytes ?? 0);
  }

  /** The spilled runs (tests look at them). */
  get spilled(): KeyRuns | undefined {
    return this.runs;
  }

  /** Deletes the spilled runs. */
  close(): void {
    this.runs?.close();
  }

  private spill(): void {
    this.runs ??= new KeyRuns(this.options.runs);
    const keys = this.memory.keys();
    try {
      this.runs.spill(keys);
    } catch (err) {
      this.spillFailure = err;
      return;
    } finally {
      releaseBuffer(keys);
    }
    this.memory.clear();
  }
}

/**
 * De-duplication on eventID, keeping the first record of each id, and telling copies that differ
 * from it: the same eventID with other bytes is not a second delivery of one event but a forged or
 * altered record (or a tool that rewrote it), so it is counted (`conflicting`) and warned about.
 *
 * Memory: a second set holds one 128-bit key per distinct (eventID, record bytes) pair, spilled
 * like the ids' (key-runs.ts): at most twice the ids' memory, bounded the same way. Each record
 * with an id costs one keyed hash of its bytes (HMAC-SHA256, native: about a millisecond per MB).
 */
export class EventDeduper {
  private readonly seen: EventIdSet;
  private readonly versions: EventIdSet;
  unique = 0;
  dropped = 0;
  /** Dropped copies whose bytes differed from every earlier record of their eventID. */
  conflicting = 0;

  constructor(options: EventIdSetOptions = {}) {
    this.seen = new EventIdSet(options);
    this.versions = new EventIdSet(options);
  }

  /**
   * True the first time an eventID is seen. Events without an id cannot be deduplicated: kept.
   * With `content` (the record's bytes or JSON), a dropped copy is also checked against the
   * versions of its id seen so far.
   */
  isFirst(eventID: string | undefined, content?: Uint8Array | string): boolean {
    if (eventID === undefined) {
      this.unique++;
      return true;
    }
    const newVersion = content === undefined || this.versions.addPair(eventID, content);
    if (!this.seen.add(eventID)) {
      this.dropped++;
      if (newVersion && content !== undefined) this.conflicting++;
      return false;
    }
    this.unique++;
    return true;
  }

  /** Why ids could not be spilled to disk, if so (memory then grew with them). */
  get spillFailure(): unknown {
    return this.seen.spillFailure ?? this.versions.spillFailure;
  }

  /** Deletes the temporary files of spilled ids. */
  close(): void {
    this.seen.close();
    this.versions.close();
  }
}
