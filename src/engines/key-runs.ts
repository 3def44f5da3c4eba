/**
 * 128-bit keys spilled to disk: the eventIDs a long search has seen beyond what de-duplication
 * keeps in memory, as sorted runs in a temporary folder. In memory, each run keeps only a blocked
 * Bloom filter (one cache line per key's test; ~10 bits per key, fewer once tens of millions are
 * spilled, so its size stays bounded) and the first hash of each 4 KB block of its file: a key
 * that is not in a run costs one cache line to rule out, mostly; one that may be costs a block
 * read (from the page cache, usually). Runs merge two by two as a binary counter's carries do, so a
 * search holds at most log2(spilled keys / run size) + 1 of them and each key is rewritten that
 * many times at most.
 *
 * Keys are ordered by a seeded 32-bit hash (not by value): a run is then written from a sort of
 * doubles, and a key's blocks are found from its hash alone. Files hold the keys' words in the
 * machine's byte order: only this process reads them.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { hash128, reduce } from './key-hash.js';
import { releaseBuffer } from './release-buffer.js';

const WORDS = 4;
const KEY_BYTES = WORDS * 4;
/** A run is sorted as doubles `hash * 2^INDEX_BITS + index`: exact below 2^53. */
const INDEX_BITS = 21;
const INDEX_SPAN = 2 ** INDEX_BITS;
/** The most keys one spill can take. */
export const MAX_SPILL_KEYS = INDEX_SPAN;
/** Keys per block of a run's file: one 4 KB read. */
const BLOCK_KEYS = 256;
/** A Bloom filter block: one 64-byte cache line (16 words, 512 bits). */
const BLOOM_WORDS = 16;
const MAX_BITS_PER_KEY = 10;
/** All runs' Bloom filters together stay near this size, however many keys are spilled. */
const BLOOM_BUDGET_BYTES = 32 * 1024 * 1024;
/** Keys read or written per system call while writing or merging runs. */
const IO_KEYS = 4096;

export interface KeyRunsOptions {
  /** Where the temporary folder is made (default: the system's, `TMPDIR`). */
  parentDir?: string;
  /** Keys per block (tests use small blocks to cross block boundaries often). */
  blockKeys?: number;
  /** Size the Bloom filters share (tests use a tiny one to make them answer "maybe" often). */
  bloomBudgetBytes?: number;
  /** The hash that orders a run (tests force equal hashes); default MurmurHash3, seeded. */
  orderHash?: (a: number, b: number, c: number, d: number) => number;
}

/**
 * A blocked Bloom filter over the keys' two hashes: 6 bits in one 512-bit block per key. With 0
 * bits per key (a budget spread over more keys than it has bits) it has no block and says "maybe".
 */
class Bloom {
  readonly words: Uint32Array;
  private readonly blocks: number;

  constructor(keys: number, bitsPerKey: number) {
    this.blocks = Math.ceil((keys * bitsPerKey) / (BLOOM_WORDS * 32));
    this.words = new Uint32Array(this.blocks * BLOOM_WORDS);
  }

  add(h1: number, h2: number): void {
    if (this.blocks === 0) return;
    const w = this.words;
    const base = reduce(h2, this.blocks) * BLOOM_WORDS;
    const y = Math.imul(h1 ^ h2, 0x9e3779b1);
    setBit(w, base, h1 & 511);
    setBit(w, base, (h1 >>> 9) & 511);
    setBit(w, base, (h1 >>> 18) & 511);
    setBit(w, base, y & 511);
    setBit(w, base, (y >>> 9) & 511);
    setBit(w, base, (y >>> 18) & 511);
  }

  mayHave(h1: number, h2: number): boolean {
    if (this.blocks === 0) return true;
    const w = this.words;
    const base = reduce(h2, this.blocks) * BLOOM_WORDS;
    const y = Math.imul(h1 ^ h2, 0x9e3779b1);
    return (
      bit(w, base, h1 & 511) &&
      bit(w, base, (h1 >>> 9) & 511) &&
      bit(w, base, (h1 >>> 18) & 511) &&
      bit(w, base, y & 511) &&
      bit(w, base, (y >>> 9) & 511) &&
      bit(w, base, (y >>> 18) & 511)
    );
  }
}

function setBit(words: Uint32Array, base: number, p: number): void {
  words[base + (p >>> 5)]! |= 1 << (p & 31);
}

function bit(words: Uint32Array, base: number, p: number): boolean {
  return ((words[base + (p >>> 5)]! >>> (p & 31)) & 1) === 1;
}

/** One sorted run: its file (kept open for block reads) and what stays in memory of it. */
interface Run {
  readonly file: string;
  readonly fd: number;
  readonly count: number;
  /** The order hash of each block's first key. */
  readonly firstHash: Uint32Array;
  readonly bloom: Bloom;
}

/** Writes keys, in order, into a new run of `total` keys. */
class RunWriter {
  private readonly buffer = new Int32Array(IO_KEYS * WORDS);
  private buffered = 0;
  private written = 0;
  readonly firstHash: Uint32Array;
  readonly bloom: Bloom;

  constructor(
    private readonly fd: number,
    total: number,
    bitsPerKey: number,
    private readonly blockKeys: number,
  ) {
    this.firstHash = new Uint32Array(Math.ceil(total / blockKeys));
    this.bloom = new Bloom(total, bitsPerKey);
  }

  push(a: number, b: number, c: number, d: number, h1: number, h2: number): void {
    if (this.written % this.blockKeys === 0) this.firstHash[this.written / this.blockKeys] = h1;
    this.bloom.add(h1, h2);
    const at = this.buffered * WORDS;
    this.buffer[at] = a;
    this.buffer[at + 1] = b;
    this.buffer[at + 2] = c;
    this.buffer[at + 3] = d;
    this.written++;
    if (++this.buffered === IO_KEYS) this.flush();
  }

  flush(): void {
    const bytes = new Uint8Array(this.buffer.buffer, 0, this.buffered * KEY_BYTES);
    for (let done = 0; done < bytes.length;) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.buffered = 0;
  }
}

/** Reads a run's keys in order, IO_KEYS at a time. */
class RunReader {
  private readonly buffer = new Int32Array(IO_KEYS * WORDS);
  private loaded = 0;
  private at = 0;
  private read = 0;
  /** Whether a current key is there; then its words and order hash. */
  more = false;
  a = 0;
  b = 0;
  c = 0;
  d = 0;
  h1 = 0;

  constructor(
    private readonly run: Run,
    private readonly order: (a: number, b: number, c: number, d: number) => number,
  ) {
    this.next();
  }

  next(): void {
    if (this.at === this.loaded) {
      const keys = Math.min(IO_KEYS, this.run.count - this.read);
      if (keys === 0) {
        this.more = false;
        return;
      }
      readFully(this.run.fd, new Uint8Array(this.buffer.buffer, 0, keys * KEY_BYTES), this.read * KEY_BYTES);
      this.read += keys;
      this.loaded = keys;
      this.at = 0;
    }
    const i = this.at++ * WORDS;
    const buf = this.buffer;
    this.a = buf[i]!;
    this.b = buf[i + 1]!;
    this.c = buf[i + 2]!;
    this.d = buf[i + 3]!;
    this.h1 = this.order(this.a, this.b, this.c, this.d);
    this.more = true;
  }
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  for (let done = 0; done < into.length;) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error(`spilled id file ended early (${position + done} bytes)`);
    done += n;
  }
}

export class KeyRuns {
  private readonly runs: Run[] = [];
  private dir: string | undefined;
  private files = 0;
  private readonly seed1: number;
  private readonly seed2: number;
  private readonly order: (a: number, b: number, c: number, d: number) => number;
  private readonly blockKeys: number;
  private readonly bloomBudgetBits: number;
  private readonly block: Int32Array;
  /** Why runs stopped being merged, if they did (a full disk): more runs, same answers. */
  mergeFailure: unknown;

  constructor(private readonly options: KeyRunsOptions = {}) {
    const seeds = randomBytes(8);
    this.seed1 = seeds.readInt32LE(0);
    this.seed2 = seeds.readInt32LE(4);
    const seed1 = this.seed1;
    this.order = options.orderHash ?? ((a, b, c, d) => hash128(seed1, a, b, c, d));
    this.blockKeys = options.blockKeys ?? BLOCK_KEYS;
    this.bloomBudgetBits = (options.bloomBudgetBytes ?? BLOOM_BUDGET_BYTES) * 8;
    this.block = new Int32Array(this.blockKeys * WORDS);
  }

  /** Keys in all runs. */
  get size(): number {
    return this.runs.reduce((n, r) => n + r.count, 0);
  }

  get runCount(): number {
    return this.runs.length;
  }

  /** Memory the runs keep: their Bloom filters and block indexes. */
  get memoryBytes(): number {
    return this.runs.reduce((n, r) => n + r.bloom.words.byteLength + r.firstHash.byteLength, 0);
  }

  /** The temporary folder, once something was spilled. */
  get folder(): string | undefined {
    return this.dir;
  }

  /** Whether the key (a, b, c, d) is in a run. */
  has(a: number, b: number, c: number, d: number): boolean {
    if (this.runs.length === 0) return false;
    const h1 = this.order(a, b, c, d);
    const h2 = hash128(this.seed2, a, b, c, d);
    for (const run of this.runs) {
      if (run.bloom.mayHave(h1, h2) && this.inRun(run, a, b, c, d, h1)) return true;
    }
    return false;
  }

  /**
   * Writes `keys` (four words each, distinct, none in a run yet) as a new run, then merges runs.
   * Throws when the run cannot be written; nothing has changed then.
   */
  spill(keys: Int32Array): void {
    const count = keys.length / WORDS;
    if (count === 0) return;
    if (count > MAX_SPILL_KEYS)
      throw new RangeError(`at most ${MAX_SPILL_KEYS} keys per spill, got ${count}`);
    const order = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const k = i * WORDS;
      order[i] = this.order(keys[k]!, keys[k + 1]!, keys[k + 2]!, keys[k + 3]!) * INDEX_SPAN + i;
    }
    order.sort();
    const run = this.writeRun(count, this.size + count, (writer) => {
      for (const v of order) {
        const h1 = Math.floor(v / INDEX_SPAN);
        const k = (v - h1 * INDEX_SPAN) * WORDS;
        const a = keys[k]!;
        const b = keys[k + 1]!;
        const c = keys[k + 2]!;
        const d = keys[k + 3]!;
        writer.push(a, b, c, d, h1, hash128(this.seed2, a, b, c, d));
      }
    });
    releaseBuffer(order);
    this.runs.push(run);
    if (this.mergeFailure === undefined) {
      try {
        this.compact();
      } catch (err) {
        this.mergeFailure = err;
      }
    }
  }

  /** Closes and deletes every run. */
  close(): void {
    for (const run of this.runs.splice(0)) closeSync(run.fd);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    process.removeListener('exit', this.removeOnExit);
  }

  private readonly removeOnExit = (): void => {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  };

  /** Merges the newest two runs while the older is no bigger than the newer. */
  private compact(): void {
    while (this.runs.length >= 2 && this.runs.at(-2)!.count <= this.runs.at(-1)!.count) {
      const newer = this.runs.pop()!;
      const older = this.runs.pop()!;
      let merged: Run;
      try {
        merged = this.merge(older, newer);
      } catch (err) {
        this.runs.push(older, newer);
        throw err;
      }
      this.runs.push(merged);
      for (const run of [older, newer]) {
        closeSync(run.fd);
        rmSync(run.file, { force: true });
      }
    }
  }

  private merge(x: Run, y: Run): Run {
    const rx = new RunReader(x, this.order);
    const ry = new RunReader(y, this.order);
    // x and y are out of `runs` while they merge.
    return this.writeRun(x.count + y.count, this.size + x.count + y.count, (writer) => {
      while (rx.more || ry.more) {
        const r = !ry.more || (rx.more && rx.h1 <= ry.h1) ? rx : ry;
        writer.push(r.a, r.b, r.c, r.d, r.h1, hash128(this.seed2, r.a, r.b, r.c, r.d));
        r.next();
      }
    });
  }

  /**
   * A new run of `count` keys, written in order by `fill`; its file is removed if that fails. Its
   * Bloom filter gets its share of the budget by `spilled`, the keys spilled in all (older runs
   * keep theirs, and merges redistribute).
   */
  private writeRun(count: number, spilled: number, fill: (writer: RunWriter) => void): Run {
    if (this.dir === undefined) {
      this.dir = mkdtempSync(path.join(this.options.parentDir ?? os.tmpdir(), 'cloudtrail-investigate-ids-'));
      // A process that exits without closing (a second Ctrl-C) still leaves no files behind.
      process.once('exit', this.removeOnExit);
    }
    const file = path.join(this.dir, `run-${this.files++}`);
    const fd = openSync(file, 'w+');
    try {
      const bitsPerKey = Math.min(MAX_BITS_PER_KEY, Math.floor(this.bloomBudgetBits / spilled));
      const writer = new RunWriter(fd, count, bitsPerKey, this.blockKeys);
      fill(writer);
      writer.flush();
      return { file, fd, count, firstHash: writer.firstHash, bloom: writer.bloom };
    } catch (err) {
      closeSync(fd);
      rmSync(file, { force: true });
      throw err;
    }
  }

  /**
   * Whether the key is in the run: the blocks that can hold its hash are the one before the first
   * block starting at or above it, and those starting at it (equal hashes may span blocks).
   */
  private inRun(run: Run, a: number, b: number, c: number, d: number, h1: number): boolean {
    const first = run.firstHash;
    let lo = 0;
    let hi = first.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (first[mid]! < h1) lo = mid + 1;
      else hi = mid;
    }
    const block = this.block;
    for (let i = Math.max(0, lo - 1); i < first.length && (i < lo || first[i] === h1); i++) {
      const keys = Math.min(this.blockKeys, run.count - i * this.blockKeys);
      readFully(run.fd, new Uint8Array(block.buffer, 0, keys * KEY_BYTES), i * this.blockKeys * KEY_BYTES);
      for (let k = 0; k < keys * WORDS; k += WORDS) {
        if (block[k] === a && block[k + 1] === b && block[k + 2] === c && block[k + 3] === d) return true;
      }
    }
    return false;
  }
}
