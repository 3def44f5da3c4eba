/**
 * The shape of summary.json: what the search did and found. Written by the report module, read
 * by the CLI, the Action's job summary and users' scripts. Keep it stable; add, don't rename.
 */
import type { RegionStats, ObjectFailure } from '../engines/types.js';

export interface Summary {
  tool: { name: 'cloudtrail-investigate'; version: string };
  /** Unique matched events (after dropping duplicate eventIDs). */
  matches: number;
  duplicatesDropped: number;
  /** Dropped duplicates whose content differed from the record kept (forged or altered copies?). */
  conflictingDuplicates?: number;
  /** False when anything asked for could not be read: the result may be short. */
  complete: boolean;
  engine: 'scan' | 'athena';
  engineReason: string;
  /** The query as given; null = no filter, every event in the window (an export). */
  filter: string | null;
  window: { since: string; until: string };
  source: string;
  regions: string[] | 'all';
  accounts: string[] | 'all';
  scanned: {
    objectsListed: number;
    objects: number;
    objectsSkipped: number;
    bytes: number;
    bytesUncompressed: number;
    records: number;
    /** Athena only: bytes scanned and the estimate at $5/TB (10 MB minimum per query). */
    bytesScanned?: number;
    costUsd?: number;
  };
  regionBreakdown: RegionStats[];
  failures: ObjectFailure[];
  /** Files skipped as not CloudTrail logs (valid JSON of another shape, not named like one), with why. */
  skippedFiles?: ObjectFailure[];
  warnings: string[];
  /** Output files, relative to the out dir. */
  files: { results: string; summary: string };
  format: 'jsonl' | 'json' | 'csv';
  startedAt: string;
  durationMs: number;
  /** Matches per event name / principal / source IP, top 10 each, for summaries. */
  top: {
    eventNames: Array<{ value: string; count: number }>;
    principals: Array<{ value: string; count: number }>;
    sourceIPs: Array<{ value: string; count: number }>;
  };
  /** Matches per hour (ISO hour -> count), for charts; at most a few hundred buckets. */
  timeline: Array<{ bucket: string; count: number }>;
  /** With rules and a minimum level: that level (`--min-level`). */
  minLevel?: string | null;
  /**
   * With rules and a minimum level: the matches of a rule at that level or above, the count
   * fail-on-match looks at (otherwise it looks at `matches`).
   */
  gateMatches?: number;
  /**
   * How the run ended (see src/outcome.ts): matched, clean, incomplete, no-logs (and, in the
   * Action's outputs only, invalid-input and error, which write no summary).
   */
  result?: 'matched' | 'clean' | 'incomplete' | 'no-logs';
  /** Why the location looked blind (empty when it did not): see `result: no-logs`. */
  noLogs?: string[];
  /** With --trail: what cloudtrail:GetTrailStatus said of each trail. */
  trailStatus?: TrailStatusReport[];
  /** Incremental mode: the deliveries this run read and what became of the state. */
  incremental?: IncrementalReport;
  /** Sigma runs only: the highest level among the rules that matched (null: none matched). */
  highestLevel?: string | null;
  /** Sigma runs only: how many rules ran (absent when no rules were given). */
  rulesEvaluated?: number;
  /** Sigma runs only: the rules that matched, highest level first, then most matches. */
  rules?: RuleMatchSummary[];
  /** Sigma runs only: rules that could not run on CloudTrail, and why. */
  /**
   * Sigma runs with correlation rules: each correlation that ran, highest level first, with its
   * alerts (a group whose events met the condition within the timespan).
   */
  correlations?: CorrelationSummary[];
  rulesUnsupported?: Array<{
    file: string;
    id: string | undefined;
    title: string | undefined;
    reason: string;
  }>;
}

/** One Sigma rule's matches in summary.json. */
export interface RuleMatchSummary {
  id: string;
  title: string;
  /** Sigma level; null when the rule has none. */
  level: string | null;
  /** Unique matched events. */
  count: number;
  /** eventTime of the earliest and latest match (ISO), null when no match had a time. */
  firstSeen: string | null;
  lastSeen: string | null;
  references: string[];
}

/** cloudtrail:GetTrailStatus for one trail (times ISO), or why it could not be read. */
export interface TrailStatusReport {
  trail: string;
  isLogging?: boolean;
  latestDeliveryTime?: string;
  latestDeliveryError?: string;
  startLoggingTime?: string;
  stopLoggingTime?: string;
  /** Set when the status could not be read (e.g. a missing cloudtrail:GetTrailStatus permission). */
  error?: string;
}

/** summary.json's incremental part. */
export interface IncrementalReport {
  /** The state's location. */
  state: string;
  /** No state existed: the run looked back `--since`. */
  firstRun: boolean;
  /** Log files delivered in [from, to) and not handled by an earlier run were read. */
  from: string;
  to: string;
  /** Files inside the margin that earlier runs had handled, skipped. */
  filesAlreadyHandled: number;
  /** Matches an earlier run had reported already (a copy delivered into another folder), dropped. */
  eventsAlreadyReported: number;
  /** The state now continues from this run. False: the next run covers this run's ground again. */
  advanced: boolean;
  /** Why it was not advanced. */
  reason?: string;
}

/** One correlation rule's alerts in summary.json. */
export interface CorrelationSummary {
  id: string;
  title: string;
  level: string | null;
  type: string;
  alerts: Array<{
    /** group-by name -> the group's value. */
    group: Record<string, string>;
    firstSeen: string;
    lastSeen: string;
    /** Events of the alert. */
    count: number;
    /** The first 100 of them, in time order. */
    eventIDs: string[];
  }>;
  /** Set when a memory cap was reached: alerts may be missing (the run is then incomplete). */
  incomplete?: string;
}
