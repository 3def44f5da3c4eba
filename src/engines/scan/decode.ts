/**
 * Turns the bytes of one log object into CloudTrail records. Pure and synchronous: it runs in a
 * worker thread. Accepts what CloudTrail delivers (`{"Records":[...]}`, gzipped or not) and what
 * people keep in folders (a bare array of events, or one event per line).
 */
import { gunzipSync } from 'node:zlib';

/** Decompressed size allowed per object: real files are tens of MB; more is a gzip bomb. */
export const MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024;

/** The object cannot be read as CloudTrail records; `reason` says why, for the report. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/**
 * The object is valid JSON but not shaped like CloudTrail's logs at all: no `Records` container,
 * not an event, not a list (a stray `notes.json` or `package.json` in a folder). A file not named
 * like a CloudTrail log is then skipped, not a gap in the search (scan-object.ts).
 */
export class NotCloudTrailError extends DecodeError {}

export interface DecodedObject {
  records: unknown[];
  uncompressedBytes: number;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** zlib's smallest useful output chunk, and the largest single chunk a header may make us allocate. */
const MIN_CHUNK = 64 * 1024;
const MAX_CHUNK = 64 * 1024 * 1024;

/**
 * One output chunk the size the gzip trailer announces (ISIZE, the uncompressed size mod 2^32):
 * zlib then fills a single buffer instead of many 16 KB chunks joined by a copy. The trailer is
 * only a hint (it may lie, or describe just the last member), so it is clamped.
 */
export function outputChunkSize(gz: Buffer, maxBytes: number): number {
  const announced = gz.length >= 18 ? gz.readUInt32LE(gz.length - 4) : 0;
  return Math.max(MIN_CHUNK, Math.min(announced + 1, MAX_CHUNK, maxBytes + 1));
}

/** Deflate's largest expansion: no whole gzip file inflates to more than this times its size. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * A gzip trailer's size (ISIZE: the last member's size mod 2^32) is never more than the true
 * decompressed size of a whole file: one over the cap proves a file too large, refused before any
 * byte is inflated, at no memory cost. Unless the file is not whole: a size no deflate stream of
 * this length could reach is no trailer (the file was cut short), and inflating it says so. A
 * smaller size may lie, and is only a hint.
 */
export function announcedTooLarge(gz: Buffer, maxBytes: number): DecodeError | undefined {
  if (gz.length < 18) return undefined;
  const announced = gz.readUInt32LE(gz.length - 4);
  if (announced <= maxBytes || announced > gz.length * MAX_DEFLATE_RATIO) return undefined;
  return new DecodeError(
    `decompressed size exceeds ${maxBytes} bytes by its gzip trailer (${announced} announced; possible gzip bomb); object not searched`,
  );
}

function gunzipFailure(err: unknown, maxBytes: number): DecodeError {
  if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
    return new DecodeError(
      `decompressed size exceeds ${maxBytes} bytes (possible gzip bomb); object not searched`,
    );
  }
  return new DecodeError(`gzip data is corrupt or truncated (${(err as Error).message})`);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Why an object named `.gz` cannot be read when it has no bytes at all: gzip data is never empty
 * and CloudTrail never delivers an empty file, so the object was cut short or overwritten (log
 * tampering looks like this). Read as "no records", it would hide that the search missed it.
 */
export function emptyGzipFailure(bytes: Uint8Array, key: string): DecodeError | undefined {
  return bytes.byteLength === 0 && /\.gz$/i.test(key)
    ? new DecodeError('the object is empty (0 bytes), which no gzip file is: truncated or overwritten?')
    : undefined;
}

export function gunzipIfNeeded(bytes: Uint8Array, maxBytes = MAX_UNCOMPRESSED_BYTES): Buffer {
  const buf = asBuffer(bytes);
  if (!isGzip(buf)) return buf;
  const refused = announcedTooLarge(buf, maxBytes);
  if (refused) throw refused;
  try {
    return gunzipSync(buf, { maxOutputLength: maxBytes, chunkSize: outputChunkSize(buf, maxBytes) });
  } catch (err) {
    throw gunzipFailure(err, maxBytes);
  }
}

function firstNonSpace(text: string): string {
  const m = /\S/.exec(text);
  return m ? m[0] : '';
}

function parseJsonLines(text: string): unknown[] {
  const records: unknown[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch (err) {
      throw new DecodeError(`line ${lineNo} is not valid JSON (${(err as Error).message})`);
    }
  }
  return records;
}

/** A lone event object (one-line JSONL file, or a single pretty-printed event). */
function looksLikeEvent(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    ('eventName' in value || 'eventID' in value || 'eventTime' in value)
  );
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An event as it is: an object with an eventTime, or without a `Records` key (an event without
 * eventTime is counted later as not placeable in the window). The indexed reader leaves every
 * entry without a string eventTime to this reader, so both draw the line in the same place.
 */
function isEvent(value: unknown): boolean {
  return isObject(value) && (typeof value.eventTime === 'string' || !Object.hasOwn(value, 'Records'));
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (isObject(value)) return 'an object whose "Records" is not an array';
  return `a ${typeof value}`;
}

/**
 * The events of a list of entries. An entry holding a `Records` array is a whole CloudTrail
 * document (an export made with `jq -c . *.json`, documents concatenated or put in an array): its
 * events are read, at any depth. Any other entry that is not an event object makes the object
 * unreadable: skipped with a count, the events it may hold would be missed by a run saying it was
 * complete.
 */
function eventsOf(entries: unknown[]): unknown[] {
  if (entries.every(isEvent)) return entries;
  const events: unknown[] = [];
  const stack: Array<{ list: unknown[]; next: number; where: string }> = [
    { list: entries, next: 0, where: 'entry' },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.list.length) {
      stack.pop();
      continue;
    }
    const at = top.next++;
    const entry = top.list[at];
    if (isEvent(entry)) events.push(entry);
    else if (isObject(entry) && Array.isArray(entry.Records)) {
      stack.push({ list: entry.Records, next: 0, where: `${top.where} ${at + 1}: Records entry` });
    } else {
      throw new DecodeError(
        `${top.where} ${at + 1} is ${kindOf(entry)}, neither an event nor a {"Records": [...]} document`,
      );
    }
  }
  return events;
}

export function parseRecords(text: string, key: string): unknown[] {
  return eventsOf(parseEntries(text, key));
}

/** The top-level entries of a document: a Records array, an array, one event, or JSON lines. */
function parseEntries(text: string, key: string): unknown[] {
  const first = firstNonSpace(text);
  if (first === '') return [];
  const isJsonl = isJsonLinesKey(key);
  if (!isJsonl && (first === '{' || first === '[')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // Not one JSON document: maybe one event per line.
      if (first === '{' && text.trimEnd().includes('\n')) return parseJsonLines(text);
      throw new DecodeError(`not valid JSON (${(err as Error).message})`);
    }
    if (Array.isArray(value)) return value;
    if (value && typeof value === 'object' && Array.isArray((value as { Records?: unknown }).Records)) {
      return (value as { Records: unknown[] }).Records;
    }
    if (looksLikeEvent(value)) return [value];
    if (isObject(value) && Object.hasOwn(value, 'Records')) {
      throw new DecodeError('not a CloudTrail log: its "Records" is not an array');
    }
    throw new NotCloudTrailError('valid JSON, but not a CloudTrail log: no "Records" array and not an event');
  }
  if (first === '{') return parseJsonLines(text);
  if (isJsonValue(text))
    throw new NotCloudTrailError(`valid JSON, but not a CloudTrail log: ${kindOf(JSON.parse(text))}`);
  throw new DecodeError('not a CloudTrail log: does not start with "{" or "["');
}

/**
 * The text of decompressed bytes. fatal: reject non-UTF-8 bytes instead of silently replacing them
 * (a record could then match differently than intended); CloudTrail always writes UTF-8.
 */
export function decodeUtf8(buf: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new DecodeError('not valid UTF-8 text');
  }
}

export function decodeLogObject(bytes: Uint8Array, key: string): DecodedObject {
  const empty = emptyGzipFailure(bytes, key);
  if (empty) throw empty;
  const buf = gunzipIfNeeded(bytes);
  return { records: parseRecords(decodeUtf8(buf), key), uncompressedBytes: buf.length };
}

/** Whether `text` is one JSON value (a number, a string...: what does not start with `{` or `[`). */
function isJsonValue(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** True for keys read as one event per line whatever their content. */
export function isJsonLinesKey(key: string): boolean {
  return /\.jsonl(\.gz)?$/i.test(key);
}
