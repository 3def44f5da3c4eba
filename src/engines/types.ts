/**
 * What every engine returns: a stream of matched CloudTrail records and the statistics of the
 * run. Engines know nothing of GitHub or the terminal.
 */
import type { Investigation } from '../investigation.js';
import type { ListedLogFile } from '../source/planner.js';

/** A matched event: the CloudTrail record as delivered (camelCase keys). */
export interface MatchedEvent {
  /** The record, possibly with `filtered_resource` added. */
  record: Record<string, unknown>;
  /** The record serialised as JSON (the delivered bytes where the engine has them). */
  json: string;
  /**
   * `json` as UTF-8 bytes, on one line, when the engine holds them already (the scan engine's
   * workers hand matches over as bytes): writers copy them instead of decoding and re-encoding.
   */
  jsonBytes?: Uint8Array;
  eventID: string | undefined;
  region: string | undefined;
  /**
   * The fields summaries and tables read, when the engine has them without parsing `record`
   * (the scan engine reads them in its worker threads). Optional: readers fall back to `record`.
   */
  fields?: EventFields;
  /** With Sigma rules: the ids of the rules this event matched (at least one). */
  ruleIds?: string[];
  /**
   * With the CSV format, when the engine made it where the record was already parsed (the scan
   * engine's workers): the record's CSV row, CRLF-terminated, as UTF-8 bytes or text. Only valid
   * for the record as it is: whoever changes the record makes a new event without it.
   */
  csvRow?: Uint8Array | string;
}

/** A copy of `event` that owns its data: still readable after a transient event's memory is freed. */
export function ownedEvent(event: MatchedEvent): MatchedEvent {
  const { record, json, eventID, region, fields, ruleIds } = event;
  return { record, json, eventID, region, ...(fields ? { fields } : {}), ...(ruleIds ? { ruleIds } : {}) };
}

/** A record's fields as summaries read them: non-empty strings, else undefined. */
export interface EventFields {
  eventTime: string | undefined;
  eventName: string | undefined;
  /** userIdentity.arn, else .principalId, else .invokedBy, else .type, else "(unknown)". */
  principal: string;
  sourceIPAddress: string | undefined;
  awsRegion: string | undefined;
  errorCode: string | undefined;
}

export type RegionStatus = 'complete' | 'incomplete' | 'failed';

export interface RegionStats {
  region: string;
  status: RegionStatus;
  objects: number;
  bytes: number;
  records: number;
  matches: number;
  durationMs: number;
  /** Athena only. */
  bytesScanned?: number;
  /** Athena only: the queries this region's search started, as Athena ended them. */
  queries?: AthenaQueryRecord[];
  errors: string[];
}

/** One Athena query a search started: what to look up in the console, and what it was billed on. */
export interface AthenaQueryRecord {
  id: string;
  /** SUCCEEDED; FAILED (not billed); CANCELLED, TIMED_OUT, ABORTED, STOPPED (billed for what they scanned). */
  state: string;
  bytesScanned: number;
}

/** regionBreakdown label of files whose name does not say their region (plain .json in a folder). */
export const UNNAMED_FILES_REGION = '(unnamed files)';

/** ObjectFailure.key for a failure of the search itself (listing, credentials, cancellation). */
export const SEARCH_FAILURE_KEY = '*';

/** An object that could not be read completely, with why. */
export interface ObjectFailure {
  key: string;
  reason: string;
}

export interface SearchStats {
  engine: 'scan' | 'athena';
  /** Why this engine (e.g. "auto: window of 2 days is short"). */
  engineReason: string;
  objectsListed: number;
  objectsRead: number;
  objectsSkipped: number;
  /** Bytes as stored (compressed for .gz). */
  bytesRead: number;
  /** Bytes after decompression. */
  bytesUncompressed: number;
  recordsScanned: number;
  /** Records outside [since, until) though their file was read. */
  recordsOutsideWindow: number;
  /** Athena: data scanned, in bytes. */
  bytesScanned?: number;
  failures: ObjectFailure[];
  /**
   * Files read but skipped as not CloudTrail logs (valid JSON of another shape, not named like a
   * CloudTrail log): they hold no events, so the search is still complete.
   */
  skippedFiles?: ObjectFailure[];
  regions: RegionStats[];
  warnings: string[];
}

export interface EngineProgress {
  objectsDone: number;
  /** Objects (Athena: region queries) planned so far: the final total once `listingDone`. */
  objectsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Listing has ended: the totals are final (a rate then gives an ETA). */
  listingDone?: boolean;
  /** What `objects*` count (default objects). */
  unit?: 'objects' | 'queries';
}

export interface EngineRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
  /**
   * The consumer is done with an event once it asks for the next one: it keeps none, or copies
   * what it keeps (`ownedEvent`). The engine may then free what the event reads from at once
   * (the scan engine frees each object's match buffers instead of leaving them to the garbage
   * collector). Default false: events stay readable for as long as they are referenced.
   */
  transientEvents?: boolean;
  /** Scan engine: told of every CloudTrail log file listed in scope (delivery checks, state). */
  onLogFile?: (file: ListedLogFile) => void;
}

/** A run in progress: iterate `events` to the end, then read `stats()`. */
export interface EngineRun {
  events: AsyncIterable<MatchedEvent>;
  /** Final once `events` is exhausted. */
  stats(): SearchStats;
}

export interface Engine {
  run(investigation: Investigation, options?: EngineRunOptions): EngineRun;
}
