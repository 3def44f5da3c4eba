/**
 * Searches one object's bytes: decode, window, predicate. Pure; the same code runs in worker
 * threads and on the main thread.
 */
import type { QueryNode } from '../../query/ast.js';
import { compilePredicate, matchedResources } from '../../query/predicate.js';
import { decodeLogObject, DecodeError } from './decode.js';

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
}

export interface ScanMatch {
  json: string;
  eventID: string | undefined;
  region: string | undefined;
}

export interface ObjectScanResult {
  key: string;
  matches: ScanMatch[];
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
}

/** `scopeByRecord`: apply regions/accounts to each record (the object's name did not say). */
export type ObjectScanner = (bytes: Uint8Array, key: string, scopeByRecord: boolean) => ObjectScanResult;

// CloudTrail writes eventTime as `YYYY-MM-DDTHH:MM:SSZ`: such strings compare correctly as text.
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** -1 before the window, 0 inside, 1 after; NaN when the time is missing or unreadable. */
function placeInWindow(eventTime: unknown, since: string, until: string, sinceMs: number, untilMs: number): number {
  if (typeof eventTime !== 'string') return Number.NaN;
  if (eventTime.length === 20 && CANONICAL_TIME.test(eventTime)) {
    return eventTime < since ? -1 : eventTime >= until ? 1 : 0;
  }
  const ms = Date.parse(eventTime);
  if (Number.isNaN(ms)) return Number.NaN;
  const sec = Math.floor(ms / 1000) * 1000;
  return sec < sinceMs ? -1 : sec >= untilMs ? 1 : 0;
}

/** Account of a record: the account whose trail recorded it. */
function recordAccount(record: Record<string, unknown>): unknown {
  const id = record.userIdentity as Record<string, unknown> | undefined;
  return record.recipientAccountId ?? id?.accountId;
}

function inScope(record: Record<string, unknown>, regions: Set<string> | undefined, accounts: Set<string> | undefined): boolean {
  if (regions && !regions.has(String(record.awsRegion))) return false;
  if (accounts && !accounts.has(String(recordAccount(record)))) return false;
  return true;
}

export function createObjectScanner(spec: MatcherSpec): ObjectScanner {
  const predicate = compilePredicate(spec.query);
  const regions = spec.regions === 'all' ? undefined : new Set(spec.regions);
  const accounts = spec.accounts === 'all' ? undefined : new Set(spec.accounts);
  const scoped = regions !== undefined || accounts !== undefined;
  const sinceMs = Date.parse(spec.since);
  const untilMs = Date.parse(spec.until);
  return (bytes, key, scopeByRecord) => {
    const checkScope = scoped && scopeByRecord;
    const result: ObjectScanResult = {
      key,
      matches: [],
      records: 0,
      recordsOutsideWindow: 0,
      recordsWithoutTime: 0,
      recordsInvalid: 0,
      recordsOutOfScope: 0,
      uncompressedBytes: 0,
    };
    let records: unknown[];
    try {
      const decoded = decodeLogObject(bytes, key);
      records = decoded.records;
      result.uncompressedBytes = decoded.uncompressedBytes;
    } catch (err) {
      result.error = err instanceof DecodeError ? err.message : `cannot decode: ${String(err)}`;
      return result;
    }
    result.records = records.length;
    for (const item of records) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        result.recordsInvalid++;
        continue;
      }
      const record = item as Record<string, unknown>;
      const place = placeInWindow(record.eventTime, spec.since, spec.until, sinceMs, untilMs);
      if (Number.isNaN(place)) {
        result.recordsWithoutTime++;
        continue;
      }
      if (place !== 0) {
        result.recordsOutsideWindow++;
        continue;
      }
      if (checkScope && !inScope(record, regions, accounts)) {
        result.recordsOutOfScope++;
        continue;
      }
      if (!predicate(record)) continue;
      if (spec.usesResources) record.filtered_resource = matchedResources(spec.query, record);
      const eventID = typeof record.eventID === 'string' ? record.eventID : undefined;
      const region = typeof record.awsRegion === 'string' ? record.awsRegion : undefined;
      result.matches.push({ json: JSON.stringify(record), eventID, region });
    }
    return result;
  };
}
