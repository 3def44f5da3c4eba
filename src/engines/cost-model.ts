/**
 * `--engine auto` by cost: what each engine would take, in time and in dollars, for a layout
 * estimated by listing a sample of it (layout-sample.ts), and which to pick. Pure.
 *
 * Prices are us-east-1, S3 Standard, as published by AWS (sources in docs/athena.md, "How auto
 * chooses"); the speeds are assumptions, stated there too: the scan engine's from this project's
 * benchmark on a 2-core machine, Athena's typical of a partition-projected CloudTrail table.
 */
import { LIST_CONCURRENCY } from '../source/planner.js';
import { DEFAULT_ADAPTIVE_CONCURRENCY } from './scan/adaptive-concurrency.js';

/** S3 GET (and HEAD) requests, USD per 1,000. */
export const S3_GET_USD_PER_1000 = 0.0004;
/** S3 LIST requests, USD per 1,000. */
export const S3_LIST_USD_PER_1000 = 0.005;
/** S3 data transfer out to the internet (first 10 TB a month): a runner outside AWS pays it. */
export const S3_TRANSFER_OUT_USD_PER_GB = 0.09;
/** Athena SQL queries, USD per TB of data scanned. */
export const ATHENA_USD_PER_TB = 5;
/** Athena bills at least this much data per query, and rounds up to whole MB. */
export const ATHENA_MIN_BYTES_PER_QUERY = 10 * 2 ** 20;

/** The scan engine's own speed where latency is hidden (2 cores): objects and stored bytes per second. */
export const SCAN_OBJECTS_PER_SECOND = 1_000;
export const SCAN_STORED_BYTES_PER_SECOND = 20e6;
/** Objects the scan engine keeps in flight at most (adaptive-concurrency.ts). */
export const SCAN_MAX_IN_FLIGHT = DEFAULT_ADAPTIVE_CONCURRENCY.max;
/** Start-up of a scan (workers, first listings). */
export const SCAN_START_SECONDS = 1;
/** One Athena DDL statement (database, table), run one after another. */
export const ATHENA_DDL_SECONDS = 1.5;
/** One query's queueing, planning and fetching its results, whatever it reads. */
export const ATHENA_QUERY_SECONDS = 3;
/** What one query reads per second: stored bytes, and objects (each a request of Athena's own). */
export const ATHENA_BYTES_PER_SECOND = 100e6;
export const ATHENA_OBJECTS_PER_SECOND = 5_000;

/**
 * A GitHub-hosted runner's minute (Linux, 2 cores): the runner waits for either engine, so a
 * slower engine costs this much more per minute on top of its AWS charges.
 */
export const RUNNER_USD_PER_MINUTE = 0.006;

/** What listing a sample says of the objects a search would read. */
export interface LayoutEstimate {
  /** Account folders in scope, over every location. */
  accounts: number;
  /** Queries Athena would run: one per region of each location. */
  regionQueries: number;
  /** Locations (buckets and prefixes): one Athena table each. */
  locations: number;
  /** Day folders the scan would list (accounts x regions x days). */
  dayFolders: number;
  /** Objects and stored bytes in the window (extrapolated from the sample). */
  objects: number;
  bytes: number;
  /** Day folders actually listed for the estimate. */
  sampledFolders: number;
  /** Time of the fastest listing call, ms: the latency each request waits. */
  latencyMs: number;
}

export interface EngineEstimate {
  seconds: number;
  /** AWS charges (S3 requests and transfer, Athena). */
  dollars: number;
  /** `dollars` plus the runner's minutes at RUNNER_USD_PER_MINUTE: what the choice compares. */
  total: number;
  /** What the figures are made of, for the reason. */
  detail: string;
}

export interface CostChoice {
  engine: 'scan' | 'athena';
  scan: EngineEstimate;
  athena: EngineEstimate;
  /** Why, in a few words. */
  why: string;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `1.2 GB`, `35 MB`, `800 KB`. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${Math.round(n / 1e6)} MB`;
  return `${Math.max(0, Math.round(n / 1e3))} KB`;
}

/** `~40 s`, `~7 min`. */
export function formatSeconds(s: number): string {
  return s < 90 ? `~${Math.max(1, Math.round(s))} s` : `~${Math.round(s / 60)} min`;
}

/** `$0.011`, `$0.65`, `$12`. */
export function formatDollars(d: number): string {
  if (d >= 10) return `$${Math.round(d)}`;
  if (d >= 0.1) return `$${d.toFixed(2)}`;
  return `$${d.toFixed(3)}`;
}

export function estimateScan(layout: LayoutEstimate): EngineEstimate {
  const latencyS = Math.max(layout.latencyMs, 1) / 1000;
  const reading = Math.max(
    layout.objects / Math.min(SCAN_MAX_IN_FLIGHT / latencyS, SCAN_OBJECTS_PER_SECOND),
    layout.bytes / SCAN_STORED_BYTES_PER_SECOND,
  );
  // Day folders are listed LIST_CONCURRENCY at a time while the first objects are read.
  const listing = layout.dayFolders / (LIST_CONCURRENCY / latencyS);
  const seconds = SCAN_START_SECONDS + Math.max(reading, listing);
  const dollars =
    (layout.objects * S3_GET_USD_PER_1000) / 1000 +
    (layout.dayFolders * S3_LIST_USD_PER_1000) / 1000 +
    (layout.bytes / 1e9) * S3_TRANSFER_OUT_USD_PER_GB;
  return {
    seconds,
    dollars,
    total: dollars + (seconds / 60) * RUNNER_USD_PER_MINUTE,
    detail: `${count(layout.objects)} GETs, ${count(layout.dayFolders)} LISTs, ${formatBytes(layout.bytes)} out of AWS`,
  };
}

export function estimateAthena(layout: LayoutEstimate, concurrency: number): EngineEstimate {
  const queries = Math.max(1, layout.regionQueries);
  const parallel = Math.max(1, Math.min(queries, concurrency));
  const ddl = 1 + Math.max(1, layout.locations);
  const reading =
    (layout.bytes / ATHENA_BYTES_PER_SECOND + layout.objects / ATHENA_OBJECTS_PER_SECOND) / parallel;
  const seconds = ddl * ATHENA_DDL_SECONDS + Math.ceil(queries / parallel) * ATHENA_QUERY_SECONDS + reading;
  // Each query is billed its share of the bytes, rounded up to whole MB, 10 MB at least.
  const perQuery = Math.max(
    ATHENA_MIN_BYTES_PER_QUERY,
    Math.ceil(layout.bytes / queries / 2 ** 20) * 2 ** 20,
  );
  const billed = perQuery * queries;
  const dollars =
    (billed / 1e12) * ATHENA_USD_PER_TB +
    // Athena reads the same objects and lists the same partitions, at S3's request prices.
    (layout.objects * S3_GET_USD_PER_1000) / 1000 +
    (layout.dayFolders * S3_LIST_USD_PER_1000) / 1000;
  return {
    seconds,
    dollars,
    total: dollars + (seconds / 60) * RUNNER_USD_PER_MINUTE,
    detail: `${count(queries)} quer${queries === 1 ? 'y' : 'ies'}, ${formatBytes(billed)} billed, and its own GETs and LISTs`,
  };
}

/** The cheaper engine, the runner's minutes included; the faster one when they cost the same. */
export function chooseByCost(layout: LayoutEstimate, athenaConcurrency: number): CostChoice {
  const scan = estimateScan(layout);
  const athena = estimateAthena(layout, athenaConcurrency);
  const engine =
    scan.total < athena.total || (scan.total === athena.total && scan.seconds <= athena.seconds)
      ? 'scan'
      : 'athena';
  const [chosen, other] = engine === 'scan' ? [scan, athena] : [athena, scan];
  const name = engine === 'scan' ? 'scan' : 'Athena';
  const why =
    chosen.seconds <= other.seconds ? `${name} is cheaper and faster` : `${name} is cheaper (though slower)`;
  return { engine, scan, athena, why };
}

/** The estimate in one line, for the reason shown in summaries and dry runs. */
export function describeChoice(choice: CostChoice, layout: LayoutEstimate): string {
  const { scan, athena } = choice;
  return (
    `auto: ${choice.why}: scan ${formatSeconds(scan.seconds)}, ${formatDollars(scan.dollars)} (${scan.detail}); ` +
    `Athena ${formatSeconds(athena.seconds)}, ${formatDollars(athena.dollars)} (${athena.detail}). ` +
    `Runner minutes at ${formatDollars(RUNNER_USD_PER_MINUTE)} counted. ` +
    `Estimated from ${count(layout.sampledFolders)} of ${count(layout.dayFolders)} day folders listed: ` +
    `~${count(layout.objects)} objects, ${formatBytes(layout.bytes)}, ${count(layout.accounts)} account${layout.accounts === 1 ? '' : 's'}, ` +
    `${Math.round(layout.latencyMs)} ms per request`
  );
}
