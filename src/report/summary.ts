/**
 * summary.json: the aggregates gathered while matches stream past (bounded memory), and the pure
 * assembly of the Summary from the engine's statistics and the investigation.
 */
import { isComplete } from '../engines/stats.js';
import type { MatchedEvent, RegionStats, SearchStats } from '../engines/types.js';
import { eventFields, principalOf } from '../engines/scan/event-fields.js';
import type { Investigation, SourceSpec } from '../investigation.js';
import { describeQuery } from '../query/describe.js';
import { VERSION } from '../version.js';
import { atomicWriteFile } from './atomic-file.js';
import { TopCounter } from './top-counter.js';
import { levelRank } from '../sigma/types.js';
import type { CorrelationSummary, RuleMatchSummary, Summary } from './types.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Past this many non-empty hours the timeline is given per day. */
const MAX_HOURLY_BUCKETS = 24 * 14;
/** Distinct hours tracked; more than a decade of hours, so only absurd data reaches it. */
const MAX_TRACKED_HOURS = 100_000;
/** Failures listed in summary.json; the rest are counted in a warning. */
export const MAX_LISTED_FAILURES = 1000;

/** Athena's price: $5 per TB scanned (10^12 bytes), each query billed at least 10 MB, rounded up to the MB. */
export const ATHENA_USD_PER_TB = 5;
export const ATHENA_MIN_BYTES_PER_QUERY = 10 * 1000 ** 2;

/**
 * Estimated cost of the Athena queries a search started (of its regions' `queries`): failed queries
 * are free, every other one is billed for what it scanned, at least 10 MB. No query, no cost.
 */
export function athenaQueriesCostUsd(regions: readonly RegionStats[]): number {
  const billed = regions.flatMap((r) => r.queries ?? []).filter((q) => q.state !== 'FAILED');
  return estimateAthenaCostUsd(billed.map((q) => q.bytesScanned));
}

/** Estimated cost of Athena queries, given the bytes each one scanned. */
export function estimateAthenaCostUsd(bytesScannedPerQuery: readonly number[]): number {
  let billed = 0;
  for (const bytes of bytesScannedPerQuery) {
    const roundedUp = Math.ceil(Math.max(0, bytes) / 1000 ** 2) * 1000 ** 2;
    billed += Math.max(roundedUp, ATHENA_MIN_BYTES_PER_QUERY);
  }
  return (billed / 1000 ** 4) * ATHENA_USD_PER_TB;
}

export { principalOf };

export interface SummaryAggregates {
  eventNames: TopCounter;
  principals: TopCounter;
  sourceIPs: TopCounter;
  /** Hour start (ms) -> matches. */
  hours: Map<number, number>;
  /** Sigma rule id -> its matches (absent: no rule ids were counted). */
  ruleHits?: ReadonlyMap<string, RuleHits>;
}

/** Matches of one rule: count and the eventTime range (ms; NaN until a match has a time). */
export interface RuleHits {
  count: number;
  first: number;
  last: number;
}

export interface SummaryInputs {
  inv: Investigation;
  stats: SearchStats;
  /** Unique matches written. */
  matches: number;
  duplicatesDropped: number;
  /** Of those, copies whose content differed from the record kept. */
  conflictingDuplicates?: number;
  /** Output file names, relative to the output folder. */
  files: { results: string; summary: string };
  startedAt: Date;
  durationMs: number;
  version?: string;
}

/** ISO time without milliseconds when they are zero: `2023-07-10T00:00:00Z`. */
export function isoTime(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

export function describeSource(source: SourceSpec): string {
  switch (source.kind) {
    case 'local':
      return source.path;
    case 's3':
      return source.prefix ? `s3://${source.bucket}/${source.prefix}` : `s3://${source.bucket}`;
    case 'trail':
      return `trail ${source.trails.join(', ')}`;
  }
}

/** Hourly buckets, or daily ones when there would be too many hours; empty buckets left out. */
export function timelineOf(hours: ReadonlyMap<number, number>): Summary['timeline'] {
  let buckets = hours;
  if (hours.size > MAX_HOURLY_BUCKETS) {
    const days = new Map<number, number>();
    for (const [hour, count] of hours) {
      const day = Math.floor(hour / DAY_MS) * DAY_MS;
      days.set(day, (days.get(day) ?? 0) + count);
    }
    buckets = days;
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ms, count]) => ({ bucket: isoTime(new Date(ms)), count }));
}

/** The Summary, from what the engine reports and what was aggregated (pure). */
export function buildSummary(input: SummaryInputs, aggregates: SummaryAggregates): Summary {
  const { inv, stats } = input;
  const complete = isComplete(stats);
  const warnings = [...stats.warnings];
  const approximate = (['eventNames', 'principals', 'sourceIPs'] as const).filter(
    (k) => aggregates[k].approximate,
  );
  if (approximate.length > 0) {
    warnings.push(
      `Top ${approximate.join(', ')} are approximate: too many distinct values to count them all.`,
    );
  }
  const failures = stats.failures.slice(0, MAX_LISTED_FAILURES);
  if (stats.failures.length > failures.length) {
    warnings.push(`${stats.failures.length - failures.length} more objects could not be read (not listed).`);
  }
  const scanned: Summary['scanned'] = {
    objectsListed: stats.objectsListed,
    objects: stats.objectsRead,
    objectsSkipped: stats.objectsSkipped,
    bytes: stats.bytesRead,
    bytesUncompressed: stats.bytesUncompressed,
    records: stats.recordsScanned,
  };
  if (stats.engine === 'athena' || stats.bytesScanned !== undefined) {
    scanned.bytesScanned =
      stats.bytesScanned ?? stats.regions.reduce((sum, r) => sum + (r.bytesScanned ?? 0), 0);
    scanned.costUsd = athenaQueriesCostUsd(stats.regions);
  }
  return {
    tool: { name: 'cloudtrail-investigate', version: input.version ?? VERSION },
    matches: input.matches,
    duplicatesDropped: input.duplicatesDropped,
    conflictingDuplicates: input.conflictingDuplicates ?? 0,
    complete,
    engine: stats.engine,
    engineReason: stats.engineReason,
    filter: inv.query.kind === 'all' ? null : (inv.filterText ?? describeQuery(inv.query)),
    window: { since: isoTime(inv.window.since), until: isoTime(inv.window.until) },
    source: describeSource(inv.source),
    regions: inv.regions,
    accounts: inv.accounts,
    scanned,
    regionBreakdown: stats.regions,
    failures,
    ...(stats.skippedFiles ? { skippedFiles: stats.skippedFiles.slice(0, MAX_LISTED_FAILURES) } : {}),
    warnings,
    files: input.files,
    format: inv.output.format,
    startedAt: isoTime(input.startedAt),
    durationMs: input.durationMs,
    top: {
      eventNames: aggregates.eventNames.top(10),
      principals: aggregates.principals.top(10),
      sourceIPs: aggregates.sourceIPs.top(10),
    },
    timeline: timelineOf(aggregates.hours),
    ...(inv.rules ? ruleSections(inv.rules, aggregates.ruleHits ?? new Map()) : {}),
  };
}

/** summary.json's Sigma part: every matched rule with its counts, and the rules that could not run. */
export function ruleSections(
  pack: NonNullable<Investigation['rules']>,
  hits: ReadonlyMap<string, RuleHits>,
): Pick<Summary, 'rulesEvaluated' | 'rules' | 'rulesUnsupported'> {
  const time = (ms: number): string | null => (Number.isFinite(ms) ? isoTime(new Date(ms)) : null);
  const rules: RuleMatchSummary[] = pack.rules
    .filter((rule) => (hits.get(rule.id)?.count ?? 0) > 0)
    .map((rule) => {
      const hit = hits.get(rule.id) as RuleHits;
      return {
        id: rule.id,
        title: rule.title,
        level: rule.level ?? null,
        count: hit.count,
        firstSeen: time(hit.first),
        lastSeen: time(hit.last),
        references: rule.references,
      };
    })
    .sort((a, b) => levelRank(b.level) - levelRank(a.level) || b.count - a.count);
  return {
    rulesEvaluated: pack.rules.length,
    rules,
    rulesUnsupported: pack.unsupported.map(({ file, id, title, reason }) => ({ file, id, title, reason })),
  };
}

/** summary.json's correlations: highest level first, then most alerts. */
export function correlationSummaries(outcomes: readonly CorrelationSummary[]): CorrelationSummary[] {
  return [...outcomes].sort(
    (a, b) => levelRank(b.level) - levelRank(a.level) || b.alerts.length - a.alerts.length,
  );
}

/** Gathers the summary's aggregates one match at a time, in bounded memory. */
export class SummaryBuilder implements SummaryAggregates {
  readonly eventNames: TopCounter;
  readonly principals: TopCounter;
  readonly sourceIPs: TopCounter;
  /**
   * Hour number since the epoch -> matches. Hour numbers are small integers; hour starts in ms are
   * not, and would box a number on every lookup.
   */
  private readonly hourCounts = new Map<number, number>();
  readonly ruleHits = new Map<string, RuleHits>();

  constructor(options: { maxKeys?: number } = {}) {
    this.eventNames = new TopCounter(options.maxKeys);
    this.principals = new TopCounter(options.maxKeys);
    this.sourceIPs = new TopCounter(options.maxKeys);
  }

  /** Counts one unique match; `ruleIds` = the Sigma rules it matched (when rules ran). */
  add(event: MatchedEvent, ruleIds?: readonly string[]): void {
    // The scan engine hands over the few fields read here, sparing a JSON.parse per match.
    const f = event.fields ?? eventFields(event.record);
    this.eventNames.add(f.eventName ?? '(none)');
    this.principals.add(f.principal);
    this.sourceIPs.add(f.sourceIPAddress ?? '(none)');
    const t = f.eventTime !== undefined ? Date.parse(f.eventTime) : Number.NaN;
    if (Number.isFinite(t)) {
      const hour = Math.floor(t / HOUR_MS);
      const current = this.hourCounts.get(hour);
      if (current !== undefined) this.hourCounts.set(hour, current + 1);
      else if (this.hourCounts.size < MAX_TRACKED_HOURS) this.hourCounts.set(hour, 1);
    }
    if (ruleIds) {
      for (const id of ruleIds) {
        const hit = this.ruleHits.get(id) ?? { count: 0, first: Number.NaN, last: Number.NaN };
        hit.count++;
        if (Number.isFinite(t)) {
          if (!(hit.first <= t)) hit.first = t;
          if (!(hit.last >= t)) hit.last = t;
        }
        this.ruleHits.set(id, hit);
      }
    }
  }

  /** Hour start (ms) -> matches. */
  get hours(): Map<number, number> {
    return new Map([...this.hourCounts].map(([hour, count]) => [hour * HOUR_MS, count]));
  }

  build(input: SummaryInputs): Summary {
    return buildSummary(input, this);
  }
}

/** Writes summary.json atomically, pretty-printed for people and stable for scripts. */
export async function writeSummary(filePath: string, summary: Summary): Promise<void> {
  await atomicWriteFile(filePath, `${JSON.stringify(summary, null, 2)}\n`);
}
