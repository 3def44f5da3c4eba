/**
 * How a worker hands an object's matches to the main thread: as bytes only, in two transferred
 * buffers (moved, not copied, and outside the JavaScript heap). The worker packs each match as the
 * scan finds it (MatchPacker); the main thread makes one small event object per match as the
 * consumer reaches it, decodes a string only when it is read, and with transient events frees the
 * buffers once the consumer is past the batch (PackedBatch.release).
 *
 * Why bytes only: anything the main thread holds per match while it waits its turn in plan order
 * (cloned strings, field objects, one event object per match for a whole batch) survives young
 * collections, and V8 grows the young generation (to 128 MB on Node 24) when many bytes survive
 * them, and then keeps it: a big export's resident memory grew with its match count.
 *
 * Layout. `bytes`, UTF-8: every match's JSON (followed by its CSV row with the CSV format) back
 * to back, then a table of strings (the matches' eventIDs, regions and summary fields, and their
 * rule ids as JSON). `index`, 32-bit:
 *   [0, count)                          where each match's JSON ends in `bytes`
 *   [count, count + count * SLOTS)      per match, a reference to a table string per slot (for
 *                                       CSV_ROW, where the row ends instead)
 *   [count * (1 + SLOTS), index.length) where each table string ends in `bytes`
 * A reference is 0 for undefined, else entry * 2 + quoted + 1: `quoted` strings are stored as
 * their JSON text, the only way UTF-8 can carry a lone surrogate (`"\ud800"` in a log is one). The
 * values that repeat (names, principals, addresses, regions, rule lists) are stored once per object.
 */
import type { EventFields, MatchedEvent } from '../types.js';
import { releaseBuffer } from '../release-buffer.js';
import {
  createObjectScanner,
  type MatcherSpec,
  type MatchSink,
  type ObjectScanResult,
  type ScanMatch,
} from './scan-object.js';

export interface PackedMatches {
  /** Matches in the batch. */
  count: number;
  bytes: Uint8Array;
  index: Uint32Array;
}

/** An object's scan result with its matches packed. */
export type PackedScanResult = Omit<ObjectScanResult, 'matches'> & { matches: PackedMatches };

// The per-match slots, in `index` order.
const EVENT_ID = 0;
const REGION = 1;
const EVENT_TIME = 2;
const EVENT_NAME = 3;
const PRINCIPAL = 4;
const SOURCE_IP = 5;
const AWS_REGION = 6;
const ERROR_CODE = 7;
/** The rule ids as a JSON array (always JSON, so never `quoted`). */
const RULE_IDS = 8;
/**
 * With the CSV format: the match's row (MatcherSpec.csv), stored as bytes right after its JSON;
 * the reference is where they end, plus 1 (0: no row). A row that is not well-formed text (a lone
 * surrogate, which UTF-8 cannot carry) is left out: the main thread makes it from the record.
 */
const CSV_ROW = 9;
const SLOTS = 10;

/**
 * Whether a slot's values repeat from match to match (names, principals, addresses, regions, rule
 * lists): each is stored once per batch, and decoded once per batch.
 */
const SHARED: readonly boolean[] = [false, true, false, true, true, true, true, true, true, false];

type WellFormed = string & { isWellFormed(): boolean };

/** The table of strings a batch is packed with (worker side). */
class StringTable {
  readonly entries: string[] = [];
  private readonly shared = new Map<string, number>();

  /** The reference for `value` in `slot`. */
  ref(value: string | undefined, slot: number): number {
    if (value === undefined) return 0;
    if (!SHARED[slot]) return this.add(value);
    let ref = this.shared.get(value);
    if (ref === undefined) this.shared.set(value, (ref = this.add(value)));
    return ref;
  }

  private add(value: string): number {
    // One-byte strings answer isWellFormed at once; only two-byte ones are looked through.
    const quoted = !(value as WellFormed).isWellFormed();
    this.entries.push(quoted ? JSON.stringify(value) : value);
    return (this.entries.length - 1) * 2 + (quoted ? 1 : 0) + 1;
  }
}

function slotValues(m: ScanMatch): Array<string | undefined> {
  const f = m.fields;
  return [
    m.eventID,
    m.region,
    f.eventTime,
    f.eventName,
    f.principal,
    f.sourceIPAddress,
    f.awsRegion,
    f.errorCode,
    m.ruleIds ? JSON.stringify(m.ruleIds) : undefined,
  ];
}

/**
 * The table's strings as one text, with each one's UTF-8 length: one native call measures them
 * when they are all ASCII (the usual case). Each is well-formed (or quoted), so the joined text
 * encodes to their encodings back to back.
 */
function joinStrings(strings: readonly string[]): { joined: string; lengths: number[]; total: number } {
  const joined = strings.join('');
  const total = Buffer.byteLength(joined, 'utf8');
  const ascii = total === joined.length;
  return { joined, total, lengths: strings.map((t) => (ascii ? t.length : Buffer.byteLength(t, 'utf8'))) };
}

/** First size of a packer's buffer for match texts; it doubles as needed. */
const INITIAL_JSON_BYTES = 64 * 1024;
/**
 * A finished packer's buffer is kept for the next one (of this thread) up to this size: the same
 * warm memory object after object, instead of a series of doubling buffers each time.
 */
const KEPT_JSON_BYTES = 8 * 1024 * 1024;
let spareJson: Buffer | undefined;

/**
 * Packs an object's matches as the scan finds them (worker side): each match's JSON is encoded
 * into a buffer at once, so its text, the largest part of a match, dies young. Kept as strings
 * until the whole object was scanned, the texts (~1.5 MB for a 1.5 MB file when every record
 * matches) outlived young collections and were promoted: a worker's old generation grew to
 * ~55 MB between full collections, where ~25 MB holds what it needs.
 */
export class MatchPacker implements MatchSink {
  private readonly table = new StringTable();
  /** Per match: where its JSON ends in `json`. */
  private readonly ends: number[] = [];
  /** Per match: SLOTS references into the table. */
  private readonly refs: number[] = [];
  private json: Buffer;
  private used = 0;

  constructor() {
    this.json = spareJson ?? Buffer.allocUnsafeSlow(INITIAL_JSON_BYTES);
    spareJson = undefined;
  }

  push(m: ScanMatch): void {
    this.makeRoom(m.json);
    this.used += this.json.write(m.json, this.used, 'utf8');
    this.ends.push(this.used);
    slotValues(m).forEach((value, slot) => this.refs.push(this.table.ref(value, slot)));
    const row = m.csvRow;
    if (row !== undefined && (row as WellFormed).isWellFormed()) {
      this.makeRoom(row);
      this.used += this.json.write(row, this.used, 'utf8');
      this.refs.push(this.used + 1);
    } else this.refs.push(0);
  }

  /** Room for `text`'s UTF-8 (at most 3 bytes per UTF-16 unit: most texts need no measuring). */
  private makeRoom(text: string): void {
    const room = this.json.length - this.used;
    if (text.length * 3 <= room) return;
    const needed = Buffer.byteLength(text, 'utf8');
    if (needed <= room) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.json.length * 2, this.used + needed));
    this.json.copy(grown, 0, 0, this.used);
    releaseBuffer(this.json);
    this.json = grown;
  }

  /** The matches packed, in buffers of their exact size. The packer cannot be used afterwards. */
  finish(): PackedMatches {
    const count = this.ends.length;
    const entries = this.table.entries;
    const strings = joinStrings(entries);
    const bytes = Buffer.allocUnsafeSlow(this.used + strings.total);
    this.json.copy(bytes, 0, 0, this.used);
    if (this.json.length <= KEPT_JSON_BYTES) spareJson = this.json;
    else releaseBuffer(this.json);
    if (strings.total > 0) bytes.write(strings.joined, this.used, 'utf8');
    const index = new Uint32Array(count * (1 + SLOTS) + entries.length);
    index.set(this.ends);
    index.set(this.refs, count);
    const endsAt = count * (1 + SLOTS);
    let at = this.used;
    strings.lengths.forEach((length, e) => (index[endsAt + e] = at += length));
    return { count, bytes, index };
  }
}

export function packMatches(matches: readonly ScanMatch[]): PackedMatches {
  const packer = new MatchPacker();
  for (const m of matches) packer.push(m);
  return packer.finish();
}

/** Scans an object (as ObjectScanner does) and returns its matches packed. */
export type PackingScanner = (bytes: Uint8Array, key: string, scopeByRecord: boolean) => PackedScanResult;

/** The scanner the workers run: each object's matches packed as they are found. */
export function createPackingScanner(spec: MatcherSpec): PackingScanner {
  const scan = createObjectScanner(spec, { matches: () => new MatchPacker() });
  return (bytes, key, scopeByRecord) => {
    const result = scan(bytes, key, scopeByRecord);
    return { ...result, matches: result.matches.finish() };
  };
}

/** Bytes a packed batch holds. */
export function packedByteLength(matches: PackedMatches): number {
  return matches.bytes.byteLength + matches.index.byteLength;
}

/** The buffers to transfer along with a packed result. */
export function transferList(result: PackedScanResult): ArrayBuffer[] {
  return [result.matches.bytes.buffer as ArrayBuffer, result.matches.index.buffer as ArrayBuffer];
}

/** Reads a packed batch (main thread): one match at a time, each string when asked for. */
export class PackedBatch {
  readonly count: number;
  private readonly index: Uint32Array;
  private readonly bytes: Buffer;
  /** Where the table of strings starts in `bytes`, and its ends in `index`. */
  private readonly tableAt: number;
  private readonly endsAt: number;
  /** The shared slots' strings, decoded once: a few dozen per batch. */
  private readonly decoded = new Map<number, string>();
  private released = false;

  constructor(matches: PackedMatches) {
    const { count, bytes, index } = matches;
    this.count = count;
    this.index = index;
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.tableAt = count === 0 ? 0 : this.rowEnd(count - 1);
    this.endsAt = count * (1 + SLOTS);
  }

  /**
   * Match `i`'s JSON: a view of the batch's bytes, one line (workers re-serialise records that
   * span lines). A plain Uint8Array: Buffer's subarray costs a species lookup and a bigger object.
   */
  jsonBytes(i: number): Uint8Array {
    this.checkLive();
    const start = i === 0 ? 0 : this.rowEnd(i - 1);
    const { buffer, byteOffset } = this.bytes;
    return new Uint8Array(buffer, byteOffset + start, (this.index[i] as number) - start);
  }

  json(i: number): string {
    this.checkLive();
    const start = i === 0 ? 0 : this.rowEnd(i - 1);
    return this.bytes.toString('utf8', start, this.index[i]);
  }

  /** Match `i`'s value in `slot`. */
  string(i: number, slot: number): string | undefined {
    this.checkLive();
    const ref = this.index[this.count + i * SLOTS + slot] as number;
    if (ref === 0) return undefined;
    if (!SHARED[slot]) return this.decode(ref);
    let text = this.decoded.get(ref);
    if (text === undefined) this.decoded.set(ref, (text = this.decode(ref)));
    return text;
  }

  /** Where match `i`'s bytes end: its CSV row's end when it has one, else its JSON's. */
  private rowEnd(i: number): number {
    const csv = this.index[this.count + i * SLOTS + CSV_ROW] as number;
    return csv === 0 ? (this.index[i] as number) : csv - 1;
  }

  /** Match `i`'s CSV row (a view of the batch's bytes), when the worker made one. */
  csvRow(i: number): Uint8Array | undefined {
    this.checkLive();
    const csv = this.index[this.count + i * SLOTS + CSV_ROW] as number;
    if (csv === 0) return undefined;
    const start = this.index[i] as number;
    const { buffer, byteOffset } = this.bytes;
    return new Uint8Array(buffer, byteOffset + start, csv - 1 - start);
  }

  private decode(ref: number): string {
    const entry = Math.floor((ref - 1) / 2);
    const start = entry === 0 ? this.tableAt : (this.index[this.endsAt + entry - 1] as number);
    const text = this.bytes.toString('utf8', start, this.index[this.endsAt + entry]);
    return (ref - 1) % 2 === 1 ? (JSON.parse(text) as string) : text;
  }

  fields(i: number): EventFields {
    return {
      eventTime: this.string(i, EVENT_TIME),
      eventName: this.string(i, EVENT_NAME),
      principal: this.string(i, PRINCIPAL) as string,
      sourceIPAddress: this.string(i, SOURCE_IP),
      awsRegion: this.string(i, AWS_REGION),
      errorCode: this.string(i, ERROR_CODE),
    };
  }

  /** A fresh array for each call: the caller may keep or change it. */
  ruleIds(i: number): string[] | undefined {
    const text = this.string(i, RULE_IDS);
    return text === undefined ? undefined : (JSON.parse(text) as string[]);
  }

  /**
   * Frees the batch's buffers now rather than at some later garbage collection (Node 22+; on
   * Node 20 the collector still frees them). On a million-match export the main thread received
   * ~1.5 GB of them: waiting for the collector kept tens of MB resident in the workers' malloc
   * arenas, and their external bytes made V8 run a full collection every few hundred ms, each one
   * counting the young objects it kept towards growing the young generation. Its events cannot
   * be read afterwards (they throw instead of reading freed memory).
   */
  release(): void {
    this.released = true;
    releaseBuffer(this.bytes);
    releaseBuffer(this.index);
  }

  private checkLive(): void {
    if (this.released) throw new Error('a transient event was read after the next one was asked for');
  }

  /** Match `i` as an event; each call makes a new (small) object. */
  event(i: number): MatchedEvent {
    return new PackedEvent(this, i);
  }
}

/** A match read from a packed batch: its text decoded, record parsed and fields read on first use. */
class PackedEvent implements MatchedEvent {
  private text: string | undefined;
  private view: Uint8Array | undefined;
  private parsed: Record<string, unknown> | undefined;
  private eventFields: EventFields | undefined;
  private rules: string[] | undefined | null = null;

  constructor(
    private readonly batch: PackedBatch,
    private readonly index: number,
  ) {}

  get json(): string {
    return (this.text ??= this.batch.json(this.index));
  }

  get jsonBytes(): Uint8Array {
    return (this.view ??= this.batch.jsonBytes(this.index));
  }

  get record(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.json) as Record<string, unknown>);
  }

  get csvRow(): Uint8Array | undefined {
    return this.batch.csvRow(this.index);
  }

  get eventID(): string | undefined {
    return this.batch.string(this.index, EVENT_ID);
  }

  get region(): string | undefined {
    return this.batch.string(this.index, REGION);
  }

  get fields(): EventFields {
    return (this.eventFields ??= this.batch.fields(this.index));
  }

  get ruleIds(): string[] | undefined {
    if (this.rules === null) this.rules = this.batch.ruleIds(this.index);
    return this.rules;
  }
}

/** Every event of a batch at once (tests, small batches). */
export function unpackMatches(matches: PackedMatches): MatchedEvent[] {
  const batch = new PackedBatch(matches);
  return Array.from({ length: batch.count }, (_, i) => batch.event(i));
}
