/**
 * Result rows in time order, with memory bounded whatever their number. Rows gather in one buffer
 * (a run); a full run is sorted and appended to one temporary file beside the results, and at the
 * end the runs are merged k ways into the results. A search whose rows fit in one run never
 * writes them twice.
 *
 * Order (`compareKeys`): the eventTime as an instant, to the millisecond; then the eventID, as
 * UTF-8 bytes; then the row's own bytes, so that rows with equal keys come out in one order
 * whatever order they came in (Athena returns rows in no fixed order). Records whose eventTime
 * cannot be read come after every other; at one time, records without an eventID come after those
 * with one.
 *
 * An entry, in memory and on disk: time (float64 little-endian, Infinity when unreadable), the
 * id's first 6 bytes as a number (float64; NO_ID when there is no id: after every 6-byte value),
 * the id's and the row's lengths (uint32 each), then the id's bytes and the row's.
 */
import { readSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { releaseBuffer } from '../engines/release-buffer.js';

/** A piece of a row: text, or bytes already UTF-8. */
export type Piece = string | Uint8Array;

/** What orders a row: see the module's comment. */
export interface RowKey {
  /** Epoch milliseconds; NaN when the eventTime cannot be read. */
  timeMs: number;
  eventID: string | undefined;
}

const HEADER = 24;
const NO_ID = 2 ** 48;
/** Rows gathered in memory before a run is sorted and written out. */
export const RUN_BYTES = 4 * 1024 * 1024;
const FIRST_ARENA_BYTES = 64 * 1024;
/** What the merge's read buffers take together, and the bounds of one. */
const MERGE_BUFFER_BYTES = 16 * 1024 * 1024;
const MIN_READ_BYTES = 64 * 1024;
const MAX_READ_BYTES = 1024 * 1024;
/** Bytes gathered before a sorted run is written out. */
const WRITE_BYTES = 256 * 1024;
/**
 * Runs merged at once, at most: each holds a read block, so more would make the merge's memory
 * grow with the results (64 KB per 4 MB run). Past it, groups are merged into longer runs first.
 */
const MAX_FAN_IN = 256;

/** Receives the rows in order; a promise when the row's bytes must stay put until it settles. */
export type RowSink = (bytes: Buffer, start: number, end: number) => Promise<void> | undefined;

export interface SortedRowsOptions {
  /** Bytes of a run (tests use small runs to spill and merge many). */
  runBytes?: number;
  /** Runs merged at once, at most (tests use few to merge in several passes). */
  fanIn?: number;
}

/** Compares the entries at `a[at]` and `b[bt]` past their time and prefix: ids, then rows. */
function compareTails(a: Buffer, at: number, b: Buffer, bt: number): number {
  const aId = a.readUInt32LE(at + 16);
  const bId = b.readUInt32LE(bt + 16);
  const aRow = at + HEADER + aId;
  const bRow = bt + HEADER + bId;
  const ids = a.compare(b, bt + HEADER, bRow, at + HEADER, aRow);
  if (ids !== 0) return ids;
  return a.compare(b, bRow, bRow + b.readUInt32LE(bt + 20), aRow, aRow + a.readUInt32LE(at + 20));
}

/** A run on disk, read in order. */
interface Cursor {
  buf: Buffer;
  at: number;
  time: number;
  prefix: number;
  /** Moves to the next entry; false when there is none. */
  next(): boolean;
}

function compareCursors(x: Cursor, y: Cursor): number {
  if (x.time !== y.time) return x.time < y.time ? -1 : 1;
  if (x.prefix !== y.prefix) return x.prefix < y.prefix ? -1 : 1;
  return compareTails(x.buf, x.at, y.buf, y.at);
}

/** Reads one run of the temporary file, a block at a time (an entry bigger than a block whole). */
class DiskCursor implements Cursor {
  buf: Buffer;
  at = 0;
  time = 0;
  prefix = 0;
  /** File position of buf[0], and of the byte after the loaded ones. */
  private base: number;
  private loaded = 0;
  private entryEnd = 0;

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
    private readonly blockBytes: number,
  ) {
    this.buf = Buffer.allocUnsafeSlow(blockBytes);
    this.base = start;
    this.entryEnd = 0;
    this.load(start, HEADER);
  }

  /** Loads from file position `from` at least `need` bytes (fewer only at the run's end). */
  private load(from: number, need: number): void {
    if (need > this.buf.length) this.buf = Buffer.allocUnsafeSlow(need);
    const want = Math.min(this.buf.length, this.end - from);
    for (let done = 0; done < want;) {
      const n = readSync(this.fd, this.buf, done, want - done, from + done);
      if (n === 0) throw new Error(`the sort's temporary file ended early (${from + done} bytes)`);
      done += n;
    }
    this.base = from;
    this.loaded = want;
    this.at = 0;
  }

  /** Makes the entry at file position `pos` current; false at the run's end. */
  private enter(pos: number): boolean {
    if (pos >= this.end) return false;
    let at = pos - this.base;
    if (at + HEADER > this.loaded) {
      this.load(pos, HEADER);
      at = 0;
    }
    const size = HEADER + this.buf.readUInt32LE(at + 16) + this.buf.readUInt32LE(at + 20);
    if (at + size > this.loaded) {
      this.load(pos, size);
      at = 0;
    }
    this.at = at;
    this.entryEnd = pos + size;
    this.time = this.buf.readDoubleLE(at);
    this.prefix = this.buf.readDoubleLE(at + 8);
    return true;
  }

  first(): boolean {
    return this.enter(this.base);
  }

  next(): boolean {
    return this.enter(this.entryEnd);
  }
}

/** A min-heap of cursors, each on its current entry. */
class CursorHeap {
  private readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  get top(): Cursor {
    return this.items[0]!;
  }

  push(c: Cursor): void {
    const items = this.items;
    items.push(c);
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (compareCursors(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  /** The top moved on (or ended, when `ended`): restores the heap. */
  settleTop(ended: boolean): void {
    const items = this.items;
    if (ended) {
      const last = items.pop()!;
      if (items.length === 0) return;
      items[0] = last;
    }
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      if (l >= items.length) return;
      const r = l + 1;
      const m = r < items.length && compareCursors(items[r]!, items[l]!) < 0 ? r : l;
      if (compareCursors(items[m]!, items[i]!) >= 0) return;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
  }
}

export class SortedRows {
  private arena = Buffer.allocUnsafeSlow(FIRST_ARENA_BYTES);
  private used = 0;
  private starts = new Uint32Array(1024);
  private times = new Float64Array(1024);
  private prefixes = new Float64Array(1024);
  private count = 0;
  private readonly runBytes: number;
  private readonly fanIn: number;
  /** The temporary file of sorted runs, once a run was written; runs are [start, end) in it. */
  private handle: FileHandle | undefined;
  private fileBytes = 0;
  private readonly runs: Array<{ start: number; end: number }> = [];
  /** Where a sorted run is gathered before it is written: one for all runs (freed only at close). */
  private out: Buffer | undefined;
  private closed = false;

  /** @param tempPath where sorted runs go if the rows outgrow memory (removed by `close`). */
  constructor(
    private readonly tempPath: string,
    options: SortedRowsOptions = {},
  ) {
    this.runBytes = options.runBytes ?? RUN_BYTES;
    this.fanIn = Math.max(2, options.fanIn ?? MAX_FAN_IN);
  }

  /** Runs written to the temporary file so far. */
  get runsOnDisk(): number {
    return this.runs.length;
  }

  /**
   * Adds a row made of `pieces`. Undefined when it was copied into memory; a promise when a run
   * had to be written first: await it before the next `add` (the pieces are read once it is done).
   */
  add(key: RowKey, pieces: readonly Piece[]): Promise<void> | undefined {
    if (this.closed) throw new Error('sorted rows: add after close');
    const id = key.eventID;
    let need = HEADER + (id === undefined ? 0 : id.length * 3);
    for (const p of pieces) need += typeof p === 'string' ? p.length * 3 : p.length;
    if (this.used + need > this.arena.length) {
      // Estimates assume 3 bytes per UTF-16 unit: measure before writing a run out for nothing.
      need = HEADER + (id === undefined ? 0 : Buffer.byteLength(id, 'utf8'));
      for (const p of pieces) need += typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length;
      if (this.used + need > this.arena.length) {
        if (this.used + need <= this.runBytes) this.grow(this.used + need);
        else if (this.count === 0) this.grow(need);
        else {
          const kept = pieces.slice();
          return this.writeRun().then(() => {
            if (need > this.arena.length) this.grow(need);
            this.place(key, kept);
          });
        }
      }
    }
    this.place(key, pieces);
    return undefined;
  }

  /** Gives every row, in order, to `sink` (each awaited when it returns a promise). */
  async drain(sink: RowSink): Promise<void> {
    if (this.runs.length === 0) {
      const order = this.sortRun();
      const a = this.arena;
      for (const e of order) {
        const at = this.starts[e]!;
        const row = at + HEADER + a.readUInt32LE(at + 16);
        const waiting = sink(a, row, row + a.readUInt32LE(at + 20));
        if (waiting) await waiting;
      }
      return;
    }
    // The last run joins the others on disk: its memory is given back before the merge takes its own.
    if (this.count > 0) await this.writeRun();
    this.freeBuffers();
    // Too many runs to merge at once (each takes a read block): merge groups into longer runs first.
    while (this.runs.length > this.fanIn) {
      const group = this.runs.splice(0, this.fanIn);
      const start = this.fileBytes;
      const out = Buffer.allocUnsafeSlow(WRITE_BYTES);
      let used = 0;
      await this.merge(group, async (b, at, end) => {
        if (used + end - at > out.length) {
          await this.append(out.subarray(0, used));
          used = 0;
        }
        if (end - at > out.length) await this.append(b.subarray(at, end));
        else used += b.copy(out, used, at, end);
      });
      await this.append(out.subarray(0, used));
      this.runs.push({ start, end: this.fileBytes });
    }
    await this.merge(this.runs, (b, at) => {
      const row = at + HEADER + b.readUInt32LE(at + 16);
      return sink(b, row, row + b.readUInt32LE(at + 20));
    });
  }

  /** Merges `runs`, giving each entry, in order, to `emit` (the entry is `b[at, end)`). */
  private async merge(
    runs: ReadonlyArray<{ start: number; end: number }>,
    emit: (b: Buffer, at: number, end: number) => Promise<void> | undefined,
  ): Promise<void> {
    const heap = new CursorHeap();
    const fd = this.handle!.fd;
    const block = Math.min(
      MAX_READ_BYTES,
      Math.max(MIN_READ_BYTES, Math.floor(MERGE_BUFFER_BYTES / runs.length)),
    );
    for (const run of runs) {
      const cursor = new DiskCursor(fd, run.start, run.end, block);
      if (cursor.first()) heap.push(cursor);
    }
    while (heap.size > 0) {
      const c = heap.top;
      const b = c.buf;
      const end = c.at + HEADER + b.readUInt32LE(c.at + 16) + b.readUInt32LE(c.at + 20);
      const waiting = emit(b, c.at, end);
      if (waiting) await waiting;
      heap.settleTop(!c.next());
    }
  }

  /** Appends bytes to the temporary file. */
  private async append(bytes: Uint8Array): Promise<void> {
    const handle = (this.handle ??= await open(this.tempPath, 'wx+'));
    for (let done = 0; done < bytes.length;) {
      done += (await handle.write(bytes, done, bytes.length - done, this.fileBytes + done)).bytesWritten;
    }
    this.fileBytes += bytes.length;
  }

  /** Drops the rows and removes the temporary file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.freeBuffers();
    const handle = this.handle;
    this.handle = undefined;
    if (handle) {
      await handle.close().catch(() => {});
      await rm(this.tempPath, { force: true });
    }
  }

  private freeBuffers(): void {
    releaseBuffer(this.arena);
    this.arena = Buffer.alloc(0);
    if (this.out) releaseBuffer(this.out);
    this.out = undefined;
  }

  private grow(bytes: number): void {
    // Straight to a run's size: its pages take memory only as rows fill them, and doubling would
    // hold two big buffers at once while copying.
    const size = Math.max(bytes, this.runBytes);
    const arena = Buffer.allocUnsafeSlow(size);
    this.arena.copy(arena, 0, 0, this.used);
    this.arena = arena;
  }

  /** Copies an entry into the arena, which has room for it. */
  private place(key: RowKey, pieces: readonly Piece[]): void {
    const a = this.arena;
    const at = this.used;
    let p = at + HEADER;
    const id = key.eventID;
    if (id !== undefined) p += a.write(id, p, 'utf8');
    const idLength = p - at - HEADER;
    for (const piece of pieces) {
      if (typeof piece === 'string') p += a.write(piece, p, 'utf8');
      else {
        a.set(piece, p);
        p += piece.length;
      }
    }
    const time = Number.isNaN(key.timeMs) ? Infinity : key.timeMs;
    const head = Math.min(6, idLength);
    const prefix =
      id === undefined ? NO_ID : head === 0 ? 0 : a.readUIntBE(at + HEADER, head) * 256 ** (6 - head);
    a.writeDoubleLE(time, at);
    a.writeDoubleLE(prefix, at + 8);
    a.writeUInt32LE(idLength, at + 16);
    a.writeUInt32LE(p - at - HEADER - idLength, at + 20);
    if (this.count === this.starts.length) this.growIndex();
    this.starts[this.count] = at;
    this.times[this.count] = time;
    this.prefixes[this.count] = prefix;
    this.count++;
    this.used = p;
  }

  private growIndex(): void {
    const n = this.starts.length * 2;
    const starts = new Uint32Array(n);
    starts.set(this.starts);
    const times = new Float64Array(n);
    times.set(this.times);
    const prefixes = new Float64Array(n);
    prefixes.set(this.prefixes);
    this.starts = starts;
    this.times = times;
    this.prefixes = prefixes;
  }

  /** The entries of the run in memory, in order (indexes into starts/times/prefixes). */
  private sortRun(): Uint32Array {
    const order = new Uint32Array(this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const { times, prefixes, starts, arena } = this;
    return order.sort((x, y) => {
      const tx = times[x]!;
      const ty = times[y]!;
      if (tx !== ty) return tx < ty ? -1 : 1;
      const px = prefixes[x]!;
      const py = prefixes[y]!;
      if (px !== py) return px < py ? -1 : 1;
      return compareTails(arena, starts[x]!, arena, starts[y]!);
    });
  }

  /** Sorts the run in memory and appends it to the temporary file; memory is then empty. */
  private async writeRun(): Promise<void> {
    const order = this.sortRun();
    const start = this.fileBytes;
    const a = this.arena;
    const out = (this.out ??= Buffer.allocUnsafeSlow(WRITE_BYTES));
    let used = 0;
    const writeOut = (bytes: Uint8Array): Promise<void> => this.append(bytes);
    for (const e of order) {
      const at = this.starts[e]!;
      const size = HEADER + a.readUInt32LE(at + 16) + a.readUInt32LE(at + 20);
      if (used + size > out.length) {
        await writeOut(out.subarray(0, used));
        used = 0;
      }
      if (size > out.length) await writeOut(a.subarray(at, at + size));
      else used += a.copy(out, used, at, at + size);
    }
    await writeOut(out.subarray(0, used));
    this.runs.push({ start, end: this.fileBytes });
    this.used = 0;
    this.count = 0;
    if (this.arena.length > this.runBytes) this.arena = Buffer.allocUnsafeSlow(this.runBytes);
  }
}
