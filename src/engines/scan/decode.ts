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

export interface DecodedObject {
  records: unknown[];
  uncompressedBytes: number;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function gunzipIfNeeded(bytes: Uint8Array, maxBytes = MAX_UNCOMPRESSED_BYTES): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isGzip(buf)) return buf;
  try {
    return gunzipSync(buf, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecodeError(
        `decompressed size exceeds ${maxBytes} bytes (possible gzip bomb); object not searched`,
      );
    }
    throw new DecodeError(`gzip data is corrupt or truncated (${(err as Error).message})`);
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

export function parseRecords(text: string, key: string): unknown[] {
  const first = firstNonSpace(text);
  if (first === '') return [];
  const isJsonl = /\.jsonl(\.gz)?$/i.test(key);
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
    throw new DecodeError('not a CloudTrail log: no "Records" array and not an event');
  }
  if (first === '{') return parseJsonLines(text);
  throw new DecodeError('not a CloudTrail log: does not start with "{" or "["');
}

export function decodeLogObject(bytes: Uint8Array, key: string): DecodedObject {
  const buf = gunzipIfNeeded(bytes);
  // fatal: reject non-UTF-8 bytes instead of silently replacing them (a record could then match
  // differently than intended); CloudTrail always writes UTF-8.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new DecodeError('not valid UTF-8 text');
  }
  return { records: parseRecords(text, key), uncompressedBytes: buf.length };
}
