/**
 * Where CloudTrail log objects come from. An ObjectStore hides S3 vs a local folder; the layout
 * module (pure) decides which prefixes and objects a window needs.
 */

/** One stored object (S3 key or local file path relative to the store root). */
export interface StoredObject {
  key: string;
  size: number;
  /**
   * Set when the listing already knows the entry cannot be read (a local FIFO, a dangling or
   * escaping link, a folder that could not be listed: then `key` ends in '/'): why, without any
   * of its content. The search reports it as a failure instead of reading it.
   */
  unreadable?: string;
}

export interface ObjectStore {
  /** e.g. `s3://bucket/prefix` or `/abs/folder`, for messages and summaries. */
  readonly description: string;
  /** Every object whose key starts with `prefix` (recursive), in key order. */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredObject>;
  /** The immediate "sub-folders" of `prefix` (keys ending in '/'), e.g. for AWSLogs/<acct>/. */
  listFolders(prefix: string, signal?: AbortSignal): Promise<string[]>;
  /**
   * The whole object's bytes (still compressed if it is .gz). Retries transient errors. With
   * `listedSize` (what the listing said), more bytes than that fail the read: memory is bounded
   * by the listing, not by what a server or a growing file sends.
   */
  get(key: string, signal?: AbortSignal, listedSize?: number): Promise<Uint8Array>;
  /**
   * Answers asking to slow down (SlowDown, 503, 429) and requests timed out so far, retried or not: the scan
   * engine's adaptive concurrency backs off when it grows. Undefined for stores that cannot be
   * throttled (a local folder).
   */
  readonly throttles?: number;
}

/** What a CloudTrail log file name says about itself. */
export interface LogFileName {
  account: string;
  region: string;
  /** Delivery time from the `YYYYMMDDTHHmmZ` stamp. */
  delivered: Date;
}

/** One object the search will read, with what is known of it before reading. */
export interface PlannedObject {
  key: string;
  size: number;
  /** See StoredObject.unreadable. */
  unreadable?: string;
  /** From the key layout or name; undefined for files not named like CloudTrail's. */
  account?: string;
  region?: string;
  delivered?: Date;
}

/** Counts of the planning step, reported in summary.json. */
export interface PlanStats {
  /** Objects seen by listing (within the listed prefixes). */
  listed: number;
  /** Objects the search will read. */
  selected: number;
  /** Objects skipped: name stamp outside the window, wrong region/account, digests, foreign files. */
  skipped: number;
  /** Prefixes listed (S3 day folders), for the dry-run plan. */
  prefixes: string[];
}
