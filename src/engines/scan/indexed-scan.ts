/**
 * The indexed way to read an object: the WebAssembly indexer validates the document and finds its
 * records and their eventTimes in the raw bytes; the prefilter marks the records holding the
 * query's literals. Only records that are in the window and hold the literals are parsed and
 * tested with the real predicate, and a match is written as its own bytes.
 *
 * Records whose bytes the prefilter cannot reason about (escapes that can spell letters, non-ASCII
 * text) and records of files that need a per-record scope check are parsed like the plain way.
 * Anything the indexer does not accept (other shapes, invalid JSON, JSON Lines) is declined and
 * read the plain way, which also produces the same error messages.
 */
import { isUtf8 } from 'node:buffer';
import { isJsonLinesKey } from './decode.js';
import { compilePrefilter } from './prefilter.js';
import { LineBreakFinder, type ScanCounter } from './line-breaks.js';
import { canonicalTimeValid, placeInWindow } from './record-checks.js';
import type { MatchSink, ObjectScanResult, RecordMatcher } from './scan-object.js';
import {
  FLAG_ESCAPE,
  FLAG_NONASCII,
  FLAG_NOT_OBJECT,
  FLAG_TIME_ESCAPED,
  JsonIndexer,
  PLACE_INSIDE,
  PLACE_NONE,
  PLACE_UNKNOWN,
  REC_END,
  REC_FLAGS,
  REC_INTS,
  REC_LITERALS,
  REC_PLACE,
  REC_START,
  REC_TIME_END,
  REC_TIME_START,
} from './wasm/json-index.js';

/** Reads `buf` into `result` and returns true, or returns false (untouched) to decline. */
export type IndexedScanner = (
  buf: Buffer,
  key: string,
  checkScope: boolean,
  result: ObjectScanResult<MatchSink>,
) => boolean;

/** Records the prefilter cannot vouch for: parse them. */
const PARSE_ALWAYS = FLAG_ESCAPE | FLAG_NONASCII | FLAG_TIME_ESCAPED;

/** First byte that is not JSON whitespace is `{` or `[`. */
function startsLikeJson(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x7b || c === 0x5b;
  }
  return false;
}

export function createIndexedScanner(matcher: RecordMatcher, counter?: ScanCounter): IndexedScanner {
  const indexer = new JsonIndexer();
  const lineBreaks = new LineBreakFinder(counter);
  indexer.setWindow(matcher.window.since, matcher.window.until);
  const prefilter = compilePrefilter(matcher.spec.query);
  const literals = (prefilter?.literals ?? []).map((l) => Buffer.from(l, 'latin1'));
  const { predicate } = matcher;

  return (buf, key, checkScope, result) => {
    if (isJsonLinesKey(key) || !startsLikeJson(buf)) return false;
    const doc = indexer.index(buf);
    // Invalid UTF-8 is the plain reader's error to report; ASCII needs no check.
    if (doc.status !== 'ok' || (doc.nonAscii && !isUtf8(buf))) {
      indexer.trim();
      return false;
    }
    const count = doc.count;
    const entries = indexer.records();
    // An entry without eventTime may be a whole document ({"Records":[...]}) and one that is not
    // an object fails the object: the plain reader decides both (rare: never in CloudTrail's files).
    for (let i = 0; i < count; i++) {
      const o = i * REC_INTS;
      if ((entries[o + REC_FLAGS] as number) & FLAG_NOT_OBJECT || entries[o + REC_PLACE] === PLACE_NONE) {
        indexer.trim();
        return false;
      }
    }
    literals.forEach((literal, bit) => indexer.mark(literal, bit));
    const table = indexer.records();
    lineBreaks.start(buf);
    result.records = count;
    for (let i = 0; i < count; i++) {
      const o = i * REC_INTS;
      const flags = table[o + REC_FLAGS] as number;
      if (flags & FLAG_NOT_OBJECT) {
        result.recordsInvalid++;
        continue;
      }
      const start = table[o + REC_START] as number;
      const end = table[o + REC_END] as number;
      if (flags & PARSE_ALWAYS || checkScope) {
        const text = buf.toString('utf8', start, end);
        const oneLine = !lineBreaks.has(start, end);
        matcher.consider(JSON.parse(text), result, checkScope, oneLine ? text : undefined);
        continue;
      }
      let place = table[o + REC_PLACE] as number;
      if (place === PLACE_NONE) {
        result.recordsWithoutTime++;
        continue;
      }
      const timeAt = table[o + REC_TIME_START] as number;
      // The index checked the shape of a canonical time, not that it names a real one.
      if (place !== PLACE_UNKNOWN && !canonicalTimeValid((i) => buf[i] as number, timeAt)) {
        result.recordsWithoutTime++;
        continue;
      }
      if (place === PLACE_UNKNOWN) {
        const time = buf.toString(
          'latin1',
          table[o + REC_TIME_START] as number,
          table[o + REC_TIME_END] as number,
        );
        const p = placeInWindow(time, matcher.window);
        if (Number.isNaN(p)) {
          result.recordsWithoutTime++;
          continue;
        }
        place = p === 0 ? PLACE_INSIDE : PLACE_NONE;
      }
      if (place !== PLACE_INSIDE) {
        result.recordsOutsideWindow++;
        continue;
      }
      if (prefilter && !prefilter.test(table[o + REC_LITERALS] as number)) continue;
      const text = buf.toString('latin1', start, end);
      const record = JSON.parse(text) as Record<string, unknown>;
      if (!predicate(record)) continue;
      const oneLine = !lineBreaks.has(start, end);
      matcher.emit(record, result, oneLine ? text : undefined);
    }
    lineBreaks.release();
    indexer.trim();
    return true;
  };
}
