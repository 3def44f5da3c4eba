/**
 * How a worker hands an object's matches to the main thread: as bytes only, in two transferred
 * buffers (moved, not copied, and outside the JavaScript heap). The main thread makes one small
 * event object per match as the consumer reaches it, and decodes a string only when it is read.
 *
 * Why bytes only: anything the main thread holds per match while it waits its turn in plan order
 * (cloned strings, field objects, one event object per match for a whole batch) survives young
 * collections, and V8 grows the young generation (to 128 MB on Node 24) when many bytes survive
 * them, and then keeps it: a big export's resident memory grew with its match count.
 *
 * Layout. `bytes`, UTF-8: every match's JSON back to back, then a table of strings (the matches'
 * eventIDs, regions and summary fields, and their rule ids as JSON). `index`, 32-bit:
 *   [0, count)                          where each match's JSON ends in `bytes`
 *   [count, count + count * SLOTS)      per match, a reference to a table string per slot
 *   [count * (1 + SLOTS), index.length) where each table string ends in `bytes`
 * A reference is 0 for undefined, else entry * 2 + quoted + 1: `quoted` strings are stored as
 * their JSON text, the only way UTF-8 can carry a lone surrogate (`"\ud800"` in a log is one). The
 * values that repeat (names, principals, addresses, regions, rule lists) are stored once per object.
 */
import type { EventFields, MatchedEvent } from '../types.js';
import type { ObjectScanResult, ScanMatch } from './scan-object.js';

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
const SLOTS = 9;

/**
 * Whether a slot's values repeat from match to match (names, principals, addresses, regions, rule
 * lists): each is stored once per batch, and decoded once per batch.
 */
const SHARED: readonly boolean[] = [false, true, false, true, true, true, true, true, true];

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

export function packMatches(matches: readonly ScanMatch[]): PackedMatches {
  const count = matches.length;
  const table = new StringTable();
  const refs = new Uint32Array(count * SLOTS);
  matches.forEach((m, i) => {
    slotValues(m).forEach((value, slot) => (refs[i * SLOTS + slot] = table.ref(value, slot)));
  });
  // The JSON texts one by one: joined, the whole object's matches would be one more
  // object-sized string, in the worker's large-object space.
  let jsonBytes = 0;
  for (const m of matches) jsonBytes += Buffer.byteLength(m.json, 'utf8');
  const strings = joinStrings(table.entries);
  const bytes = Buffer.allocUnsafeSlow(jsonBytes + strings.total);
  const index = new Uint32Array(count * (1 + SLOTS) + table.entries.length);
  let at = 0;
  matches.forEach((m, i) => (index[i] = at += bytes.write(m.json, at, 'utf8')));
  index.set(refs, count);
  if (strings.total > 0) bytes.write(strings.joined, at, 'utf8');
  const endsAt = count * (1 + SLOTS);
  strings.lengths.forEach((length, e) => (index[endsAt + e] = at += length));
  return { count, bytes, index };
}

/** Bytes a packed batch holds. */
export function packedByteLength(matches: PackedMatches): number {
  return matches.bytes.byteLength + matches.index.byteLength;
}

export function packResult(result: ObjectScanResult): PackedScanResult {
  return { ...result, matches: packMatches(result.matches) };
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

  constructor(matches: PackedMatches) {
    const { count, bytes, index } = matches;
    this.count = count;
    this.index = index;
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.tableAt = count === 0 ? 0 : (index[count - 1] as number);
    this.endsAt = count * (1 + SLOTS);
  }

  /**
   * Match `i`'s JSON: a view of the batch's bytes, one line (workers re-serialise records that
   * span lines). A plain Uint8Array: Buffer's subarray costs a species lookup and a bigger object.
   */
  jsonBytes(i: number): Uint8Array {
    const start = i === 0 ? 0 : (this.index[i - 1] as number);
    const { buffer, byteOffset } = this.bytes;
    return new Uint8Array(buffer, byteOffset + start, (this.index[i] as number) - start);
  }

  json(i: number): string {
    const start = i === 0 ? 0 : (this.index[i - 1] as number);
    return this.bytes.toString('utf8', start, this.index[i]);
  }

  /** Match `i`'s value in `slot`. */
  string(i: number, slot: number): string | undefined {
    const ref = this.index[this.count + i * SLOTS + slot] as number;
    if (ref === 0) return undefined;
    if (!SHARED[slot]) return this.decode(ref);
    let text = this.decoded.get(ref);
    if (text === undefined) this.decoded.set(ref, (text = this.decode(ref)));
    return text;
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
