/**
 * Searches one object's bytes: decode, window, scope, predicate. Pure; the same code runs in
 * worker threads and on the main thread.
 *
 * Two ways to read an object, with the same results: the indexed way (indexed-scan.ts: records
 * found in the raw bytes, most never parsed) for CloudTrail files and bare arrays, and the plain
 * way (parse the whole document) for everything else and whenever the indexed way declines.
 */
import { decorateMatch, type Decoration } from '../decorate.js';
import type { CompiledRule } from '../../sigma/types.js';
import { createRuleMatcher } from '../../sigma/pack.js';
import type { QueryNode } from '../../query/ast.js';
import type { EventFields } from '../types.js';
import { eventFields } from './event-fields.js';
import { compilePredicate, type Predicate } from '../../query/predicate.js';
import { gunzipSync } from 'node:zlib';
import { constants as bufferConstants } from 'node:buffer';
import { baseName, parseLogFileName } from '../../source/layout.js';
import {
  announcedTooLarge,
  decodeUtf8,
  DecodeError,
  NotCloudTrailError,
  emptyGzipFailure,
  MAX_UNCOMPRESSED_BYTES,
  outputChunkSize,
  parseRecords,
} from './decode.js';
import type { InflateBudget } from './inflate-budget.js';
import { releaseBuffer } from '../release-buffer.js';
import { withoutContent } from './failure-text.js';
import { csvColumns, csvRowLine, type CsvColumnOptions } from '../../report/csv-columns.js';
import { createIndexedScanner, type IndexedScanner } from './indexed-scan.js';
import type { ScanCounter } from './line-breaks.js';
import {
  inScope,
  placeInWindow,
  scopeOf,
  windowBounds,
  type Scope,
  type WindowBounds,
} from './record-checks.js';

/** What a worker needs to build its matcher: plain data, posted once. */
export interface MatcherSpec {
  query: QueryNode;
  usesResources: boolean;
  /** ISO seconds, `[since, until)`. */
  since: string;
  until: string;
  /**
   * The investigation's regions and accounts. Named log files are selected by their folder; files
   * whose name says nothing (exports, bare arrays) are filtered per record instead.
   */
  regions: string[] | 'all';
  accounts: string[] | 'all';
  /**
   * Sigma rules (one pass): `query` is then the filter AND any rule, and each match says which
   * rules it matched.
   */
  rules?: Array<Pick<CompiledRule, 'id' | 'title' | 'level' | 'query'>>;
  /** With the CSV format: each match's CSV row, in these columns, made here (the record is parsed). */
  csv?: CsvColumnOptions;
  /**
   * With `rules`: the filter alone. Records are then tested with it and the rule dispatcher
   * (rules indexed by eventName/eventSource) instead of `query`'s OR of every rule.
   */
  filter?: QueryNode;
}

export interface ScanMatch {
  /** The record's JSON: its bytes as stored, or re-serialised when they span lines or gained `filtered_resource`. */
  json: string;
  eventID: string | undefined;
  region: string | undefined;
  fields: EventFields;
  ruleIds?: string[];
  csvRow?: string;
}

/** Where a scan puts its matches: an array, or a packer that encodes each one as it comes. */
export interface MatchSink {
  push(match: ScanMatch): unknown;
}

export interface ObjectScanResult<M extends MatchSink = ScanMatch[]> {
  key: string;
  matches: M;
  records: number;
  recordsOutsideWindow: number;
  /** Records without a usable eventTime (cannot be placed in the window). */
  recordsWithoutTime: number;
  /** Array entries that are not objects. */
  recordsInvalid: number;
  /** Records of unnamed files outside the asked regions/accounts. */
  recordsOutOfScope: number;
  uncompressedBytes: number;
  /** Set when the object could not be read as CloudTrail records. */
  error?: string;
  /**
   * Set instead of `error` when the object is valid JSON but not a CloudTrail log at all and its
   * name is not a CloudTrail log's either: a stray file in a folder, skipped with this reason.
   */
  skipped?: string;
}

/**
 * `scopeByRecord`: apply regions/accounts to each record (the object's name did not say).
 * The stored bytes are gunzipped here when needed, and the decompressed copy is freed on return.
 */
export type ObjectScanner<M extends MatchSink = ScanMatch[]> = (
  bytes: Uint8Array,
  key: string,
  scopeByRecord: boolean,
) => ObjectScanResult<M>;

/** The process-wide decompressed-bytes budget this thread charges (set by the pool and worker.ts). */
let budget: InflateBudget | undefined;

export function useInflateBudget(shared: InflateBudget | undefined): void {
  budget = shared;
}

/** Takes `bytes` of the budget; the units to give back (undefined without a budget). */
function take(bytes: number): number | undefined {
  if (!budget) return undefined;
  const units = budget.acquire(bytes);
  if (units === undefined) {
    throw new DecodeError('no decompression budget left for this object on this thread; object not searched');
  }
  return units;
}

function giveBack(units: number | undefined): void {
  if (units !== undefined) budget?.release(units);
}

function tooLarge(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}

function gunzipError(err: unknown): DecodeError {
  return tooLarge(err)
    ? new DecodeError(
        `decompressed size exceeds ${MAX_UNCOMPRESSED_BYTES} bytes (possible gzip bomb); object not searched`,
      )
    : new DecodeError(`gzip data is corrupt or truncated (${(err as Error).message})`);
}

/**
 * The object's text bytes, with the share of the budget they hold: plain bytes as they are (their
 * parse costs memory in proportion), gzip inflated within the share its trailer announces, or,
 * when the output is larger (a multi-member file, whose trailer is the last member's), again
 * within the whole per-object cap.
 */
function inflate(bytes: Uint8Array): { buf: Buffer; units: number | undefined } {
  const gz = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!(gz.length >= 2 && gz[0] === 0x1f && gz[1] === 0x8b)) return { buf: gz, units: take(gz.length) };
  const announced = gz.length >= 18 ? gz.readUInt32LE(gz.length - 4) : 0;
  const refused = announcedTooLarge(gz, MAX_UNCOMPRESSED_BYTES);
  if (refused) throw refused;
  const first = Math.min(MAX_UNCOMPRESSED_BYTES, Math.max(64 * 1024, announced));
  let units = take(first);
  try {
    const maxOutputLength = Math.min(first + 1, MAX_UNCOMPRESSED_BYTES);
    return { buf: gunzipSync(gz, { maxOutputLength, chunkSize: outputChunkSize(gz, first) }), units };
  } catch (err) {
    giveBack(units);
    if (!tooLarge(err) || first >= MAX_UNCOMPRESSED_BYTES) throw gunzipError(err);
  }
  units = take(MAX_UNCOMPRESSED_BYTES);
  try {
    return { buf: gunzipSync(gz, { maxOutputLength: MAX_UNCOMPRESSED_BYTES }), units };
  } catch (err) {
    giveBack(units);
    throw gunzipError(err);
  }
}

/**
 * Longest text decoded whole: V8's longest string. A longer plain object was reported as "not
 * valid UTF-8" (the decoder's RangeError); it is refused with the true reason.
 */
const MAX_TEXT_BYTES = bufferConstants.MAX_STRING_LENGTH;

export interface ScannerOptions<M extends MatchSink = ScanMatch[]> {
  /** Longest text the plain reader decodes (default: V8's longest string); injectable for tests. */
  maxTextBytes?: number;
  /** Use the indexed reader where it applies (default true); false = always the plain way. */
  indexed?: boolean;
  /** A new sink for each object's matches (default: an array). */
  matches?: () => M;
  /** Counts the bytes the indexed reader looks through for line breaks (tests of its cost). */
  lineBreakScan?: ScanCounter;
}

/** The per-record decision, shared by both readers. */
export interface RecordMatcher {
  spec: MatcherSpec;
  predicate: Predicate;
  window: WindowBounds;
  scope: Scope | undefined;
  /**
   * Counts `item` into `result` and adds it to the matches when it matches. `json`: the record's
   * own text when the caller has it (one line), else it is serialised.
   */
  consider(item: unknown, result: ObjectScanResult<MatchSink>, checkScope: boolean, json?: string): void;
  /** Adds a record already known to match. */
  emit(record: Record<string, unknown>, result: ObjectScanResult<MatchSink>, json?: string): void;
}

export function createRecordMatcher(spec: MatcherSpec): RecordMatcher {
  const window = windowBounds(spec.since, spec.until);
  const scope = scopeOf(spec.regions, spec.accounts);
  const ruleMatcher = spec.rules ? createRuleMatcher({ rules: spec.rules }) : undefined;
  const columns = spec.csv ? csvColumns(spec.csv) : undefined;
  // The rules the last record tested matched: the predicate finds them, emit names them.
  let tested: Record<string, unknown> | undefined;
  let testedIds: string[] = [];
  const rulesOf = (record: Record<string, unknown>): string[] => {
    if (record !== tested) {
      testedIds = (ruleMatcher as NonNullable<typeof ruleMatcher>)(record);
      tested = record;
    }
    return testedIds;
  };
  const predicate: Predicate = ruleMatcher
    ? dispatching(compilePredicate(spec.filter ?? spec.query), rulesOf)
    : compilePredicate(spec.query);
  const decoration: Decoration = {
    filter: spec.filter ?? spec.query,
    usesResources: spec.usesResources,
    ...(spec.rules ? { rules: spec.rules } : {}),
  };
  const emit = (
    record: Record<string, unknown>,
    result: ObjectScanResult<MatchSink>,
    json?: string,
  ): void => {
    const ruleIds = ruleMatcher ? rulesOf(record) : undefined;
    tested = undefined;
    if (ruleIds && ruleIds.length === 0) return;
    // The record gains matched_rules / filtered_resource: its stored bytes no longer describe it.
    const text = decorateMatch(record, decoration, ruleIds) ? undefined : json;
    const eventID = typeof record.eventID === 'string' ? record.eventID : undefined;
    const region = typeof record.awsRegion === 'string' ? record.awsRegion : undefined;
    result.matches.push({
      json: text ?? JSON.stringify(record),
      eventID,
      region,
      fields: eventFields(record),
      ...(ruleIds ? { ruleIds } : {}),
      ...(columns ? { csvRow: csvRowLine(record, columns) } : {}),
    });
  };
  return {
    spec,
    predicate,
    window,
    scope,
    emit,
    consider(item, result, checkScope, json) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        result.recordsInvalid++;
        return;
      }
      const record = item as Record<string, unknown>;
      const place = placeInWindow(record.eventTime, window);
      if (Number.isNaN(place)) {
        result.recordsWithoutTime++;
        return;
      }
      if (place !== 0) {
        result.recordsOutsideWindow++;
        return;
      }
      if (checkScope && scope && !inScope(record, scope)) {
        result.recordsOutOfScope++;
        return;
      }
      if (predicate(record)) emit(record, result, json);
    },
  };
}

/** The filter, then the rules that can match the record (rule-dispatch.ts): at least one. */
function dispatching(filter: Predicate, rulesOf: (record: Record<string, unknown>) => string[]): Predicate {
  return (record) => filter(record) && rulesOf(record).length > 0;
}

/** The result for an object that could not be read at all. */
export function failedResult(key: string, err: unknown): ObjectScanResult {
  return { ...emptyResult(key, []), error: failure(err) };
}

function emptyResult<M extends MatchSink>(key: string, matches: M): ObjectScanResult<M> {
  return {
    key,
    matches,
    records: 0,
    recordsOutsideWindow: 0,
    recordsWithoutTime: 0,
    recordsInvalid: 0,
    recordsOutOfScope: 0,
    uncompressedBytes: 0,
  };
}

function failure(err: unknown): string {
  return withoutContent(err instanceof DecodeError ? err.message : `cannot decode: ${String(err)}`);
}

/** The plain way: parse the whole document, then every record. */
function scanPlain(
  buf: Buffer,
  key: string,
  matcher: RecordMatcher,
  checkScope: boolean,
  result: ObjectScanResult<MatchSink>,
  maxTextBytes: number,
): void {
  if (buf.length > maxTextBytes) {
    result.error = `the text is ${buf.length} bytes, more than the ${maxTextBytes} this reader can hold as one string; split the file (e.g. one event per line in several files)`;
    return;
  }
  let records: unknown[];
  try {
    records = parseRecords(decodeUtf8(buf), key);
  } catch (err) {
    // A file named like CloudTrail's that does not read as one is a gap in the logs, not a stray.
    if (err instanceof NotCloudTrailError && parseLogFileName(baseName(key)) === undefined) {
      result.skipped = failure(err);
    } else result.error = failure(err);
    return;
  }
  result.records = records.length;
  for (const item of records) matcher.consider(item, result, checkScope);
}

export function createObjectScanner<M extends MatchSink = ScanMatch[]>(
  spec: MatcherSpec,
  options: ScannerOptions<M> = {},
): ObjectScanner<M> {
  const matcher = createRecordMatcher(spec);
  let indexed: IndexedScanner | undefined;
  const useIndex = options.indexed ?? true;
  const newMatches = options.matches ?? (() => [] as ScanMatch[] as unknown as M);
  const maxTextBytes = options.maxTextBytes ?? MAX_TEXT_BYTES;
  return (bytes, key, scopeByRecord) => {
    const checkScope = matcher.scope !== undefined && scopeByRecord;
    const result = emptyResult(key, newMatches());
    let buf: Buffer;
    let units: number | undefined;
    try {
      const empty = emptyGzipFailure(bytes, key);
      if (empty) throw empty;
      ({ buf, units } = inflate(bytes));
    } catch (err) {
      result.error = failure(err);
      return result;
    }
    result.uncompressedBytes = buf.length;
    try {
      if (useIndex) {
        indexed ??= createIndexedScanner(matcher, options.lineBreakScan);
        if (indexed(buf, key, checkScope, result)) return result;
      }
      scanPlain(buf, key, matcher, checkScope, result, maxTextBytes);
      return result;
    } finally {
      // Matches are copies (strings); nothing refers to the decompressed bytes any more.
      if (buf.buffer !== bytes.buffer) releaseBuffer(buf);
      giveBack(units);
    }
  };
}
