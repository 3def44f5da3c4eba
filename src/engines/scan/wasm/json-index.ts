/**
 * JavaScript side of json-index.c: copies a decompressed log into WebAssembly memory, indexes its
 * records in one SIMD pass, and marks the records holding given literals. One instance per
 * thread; not re-entrant.
 */
import { SOURCE_SHA256, WASM_BASE64 } from './json-index.wasm.js';

export { SOURCE_SHA256 };

/** Int32 slots per record in the table. */
export const REC_INTS = 7;
export const REC_START = 0;
export const REC_END = 1;
export const REC_FLAGS = 2;
export const REC_TIME_START = 3;
export const REC_TIME_END = 4;
export const REC_PLACE = 5;
export const REC_LITERALS = 6;

export const FLAG_ESCAPE = 1;
export const FLAG_NONASCII = 2;
export const FLAG_NOT_OBJECT = 8;
export const FLAG_TIME_ESCAPED = 16;

export const PLACE_BEFORE = 0;
export const PLACE_INSIDE = 1;
export const PLACE_AFTER = 2;
/** eventTime is a string in another format: decode it and decide in JavaScript. */
export const PLACE_UNKNOWN = 3;
/** No eventTime, or not a string. */
export const PLACE_NONE = 4;

/** ok: records indexed; invalid: not JSON; unsupported/overflow: valid maybe, but read it the plain way. */
export type IndexStatus = 'ok' | 'invalid' | 'unsupported' | 'overflow';
const STATUS: IndexStatus[] = ['ok', 'invalid', 'unsupported', 'overflow'];

/** The few WebAssembly APIs used (the project's `lib` has no WebAssembly typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: WasmMemory;
  heap_base(): number;
  set_window(since: number, until: number): void;
  index(input: number, length: number, records: number, capacity: number, flags: number): number;
  record_count(): number;
  non_ascii(): number;
  mark(atom: number, length: number, bit: number): number;
}

const PAGE = 65536;
/** Room for one record per this many bytes; denser arrays overflow and are read the plain way. */
const BYTES_PER_RECORD_SLOT = 64;
/** Memory kept between objects; an instance that grew past it is dropped after use. */
const KEEP_BYTES = 32 * 1024 * 1024;
const LITERAL_AREA = 4096;

let compiled: object | undefined;

function wasmModule(): object {
  return (compiled ??= new wasmApi.Module(Buffer.from(WASM_BASE64, 'base64')));
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export interface IndexedDocument {
  status: IndexStatus;
  /** Some byte is >= 0x80: the text is only UTF-8 if Buffer's isUtf8 says so. */
  nonAscii: boolean;
  /** Records found (when ok). */
  count: number;
  /** count * REC_INTS slots; valid until the next call on the indexer. */
  table: Int32Array;
}

export class JsonIndexer {
  private exports: Exports | undefined;
  private window: { since: Uint8Array; until: Uint8Array } | undefined;
  private literalAt = 0;
  private recordsAt = 0;
  private countCache = 0;

  /** Records whose canonical eventTime is in [since, until) get PLACE_INSIDE (20-character ISO). */
  setWindow(since: string, until: string): void {
    if (since.length !== 20 || until.length !== 20)
      throw new Error('window bounds must be YYYY-MM-DDTHH:MM:SSZ');
    this.window = { since: Buffer.from(since, 'latin1'), until: Buffer.from(until, 'latin1') };
  }

  private instance(): Exports {
    if (!this.exports) {
      this.exports = new wasmApi.Instance(wasmModule(), {}).exports as unknown as Exports;
    }
    return this.exports;
  }

  index(doc: Uint8Array): IndexedDocument {
    if (!this.window) throw new Error('setWindow first');
    const wasm = this.instance();
    const base = wasm.heap_base();
    const inputAt = base;
    const windowAt = alignUp(inputAt + doc.length + 64, 64);
    const flagsAt = windowAt + 64;
    const capacity = Math.floor(doc.length / BYTES_PER_RECORD_SLOT) + 64;
    const recordsAt = alignUp(flagsAt + Math.floor(doc.length / 64) + 2, 8);
    const literalAt = recordsAt + capacity * REC_INTS * 4;
    const needed = literalAt + LITERAL_AREA;
    const have = wasm.memory.buffer.byteLength;
    if (needed > have) wasm.memory.grow(Math.ceil((needed - have) / PAGE));
    const bytes = new Uint8Array(wasm.memory.buffer);
    bytes.set(doc, inputAt);
    bytes.set(this.window.since, windowAt);
    bytes.set(this.window.until, windowAt + 20);
    wasm.set_window(windowAt, windowAt + 20);
    const status = STATUS[wasm.index(inputAt, doc.length, recordsAt, capacity, flagsAt)] ?? 'invalid';
    this.literalAt = literalAt;
    this.recordsAt = recordsAt;
    this.countCache = status === 'ok' ? wasm.record_count() : 0;
    return { status, nonAscii: wasm.non_ascii() !== 0, count: this.countCache, table: this.table() };
  }

  private table(): Int32Array {
    const wasm = this.instance();
    return new Int32Array(wasm.memory.buffer, this.recordsAt, this.countCache * REC_INTS);
  }

  /**
   * Sets bit `bit` (0-30) in REC_LITERALS of every record of the last indexed document that holds
   * `literal` (lowercase ASCII), ignoring ASCII case. Returns how many records hold it.
   */
  mark(literal: Uint8Array, bit: number): number {
    const wasm = this.instance();
    if (literal.length === 0 || literal.length > LITERAL_AREA) throw new Error('literal length out of range');
    new Uint8Array(wasm.memory.buffer).set(literal, this.literalAt);
    return wasm.mark(this.literalAt, literal.length, bit);
  }

  /** The record table of the last document (re-read after mark: memory may have been replaced). */
  records(): Int32Array {
    return this.table();
  }

  /** Drops a instance that grew for a huge object, so its memory can be freed. */
  trim(): void {
    if (this.exports && this.exports.memory.buffer.byteLength > KEEP_BYTES) this.exports = undefined;
  }
}
