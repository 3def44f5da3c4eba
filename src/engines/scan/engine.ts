/**
 * The scan engine: plan the objects of the window, fetch them with bounded concurrency, decode and
 * filter them on worker threads, and stream the matches in plan order (deterministic output).
 * Unreadable objects are reported, never fatal: the run is then marked incomplete.
 */
import { emptyRegionStats } from '../stats.js';
import type { Investigation } from '../../investigation.js';
import type { Logger } from '../../logger.js';
import { errorMessage } from '../../errors.js';
import { isoSecond } from '../../config/window.js';
import type { PlannedObject, PlanStats } from '../../source/types.js';
import {
  SEARCH_FAILURE_KEY,
  type Engine,
  type EngineRun,
  type EngineRunOptions,
  type MatchedEvent,
  type ObjectFailure,
  type RegionStats,
  type SearchStats,
} from '../types.js';
import { createScanPool, type ScanPool } from './pool.js';
import { unpackMatches, type PackedScanResult } from './packed-matches.js';
import type { ObjectStore } from '../../source/types.js';

/** One object to read, and the store (bucket or folder) it lives in. */
export interface ScanItem {
  store: ObjectStore;
  object: PlannedObject;
}

/** The objects to read and how they were found. */
export interface ScanPlan {
  objects: AsyncIterable<ScanItem> | Iterable<ScanItem>;
  /** Final once `objects` is exhausted. */
  stats(): PlanStats;
  /** Final once `objects` is exhausted. */
  warnings(): string[];
}

export type PlanOpener = (inv: Investigation) => Promise<ScanPlan>;

/** Region label for objects whose name does not say (plain .json files in a folder). */
const UNNAMED = '(unnamed files)';

interface Outcome {
  object: PlannedObject;
  result?: PackedScanResult;
  error?: string;
  bytes: number;
  startedAt: number;
  endedAt: number;
}

/**
 * Stored (compressed) bytes read ahead at most. A match's text is at most its record, and logs
 * compress about tenfold, so this bounds the results waiting to be emitted in order to ~100 MB
 * even when every record matches; objects of a few KB still get `concurrency` fetches at once.
 */
const MAX_INFLIGHT_BYTES = 8 * 1024 * 1024;

/** Failures logged one by one; past this, one line says how many more (all are in the summary). */
const LOGGED_FAILURES = 10;

export class ScanEngine implements Engine {
  constructor(
    private readonly openPlan: PlanOpener,
    private readonly logger: Logger,
    private readonly engineReason = 'scan engine selected',
  ) {}

  run(inv: Investigation, options: EngineRunOptions = {}): EngineRun {
    const regions = new Map<string, RegionStats>();
    const failures: ObjectFailure[] = [];
    const warnings: string[] = [];
    const totals = {
      listed: 0,
      read: 0,
      skipped: 0,
      bytes: 0,
      uncompressed: 0,
      records: 0,
      outside: 0,
      noTime: 0,
      invalid: 0,
    };
    let bytesPlanned = 0;
    let objectsPlanned = 0;
    let objectsDone = 0;
    let bytesDone = 0;
    let finished = false;
    const region = (name: string | undefined): RegionStats => {
      const key = name ?? UNNAMED;
      let r = regions.get(key);
      if (!r) regions.set(key, (r = emptyRegionStats(key)));
      return r;
    };
    const spec = {
      // With Sigma rules the filter narrows and the rules detect: one predicate (and one
      // prefilter) for "filter AND any rule", then each match learns which rules it matched.
      query: inv.rules ? { kind: 'and' as const, children: [inv.query, inv.rules.anyQuery] } : inv.query,
      ...(inv.rules
        ? { rules: inv.rules.rules.map(({ id, title, level, query }) => ({ id, title, level, query })) }
        : {}),
      usesResources: inv.usesResources,
      since: isoSecond(inv.window.since),
      until: isoSecond(inv.window.until),
      regions: inv.regions,
      accounts: inv.accounts,
    };
    const { signal, onProgress } = options;
    const logger = this.logger;

    const fetchAndScan = async (
      store: ObjectStore,
      pool: ScanPool,
      object: PlannedObject,
    ): Promise<Outcome> => {
      const startedAt = Date.now();
      let bytes = 0;
      try {
        const data = await store.get(object.key, signal);
        bytes = data.byteLength;
        const result = await pool.scan(data, object.key, object.region === undefined);
        return { object, result, bytes, startedAt, endedAt: Date.now() };
      } catch (err) {
        return { object, error: errorMessage(err), bytes, startedAt, endedAt: Date.now() };
      }
    };
    // Wall-clock span per region: first object started to last object finished.
    const spans = new Map<string, { start: number; end: number }>();

    const account = (outcome: Outcome): MatchedEvent[] => {
      const { object, result } = outcome;
      const r = region(object.region);
      const span = spans.get(r.region);
      if (span) {
        span.start = Math.min(span.start, outcome.startedAt);
        span.end = Math.max(span.end, outcome.endedAt);
      } else spans.set(r.region, { start: outcome.startedAt, end: outcome.endedAt });
      r.durationMs = spans.get(r.region)!.end - spans.get(r.region)!.start;
      objectsDone++;
      bytesDone += object.size;
      const error = outcome.error ?? result?.error;
      if (error !== undefined) {
        failures.push({ key: object.key, reason: error });
        r.errors.push(`${object.key}: ${error}`);
        r.status = 'incomplete';
        if (failures.length <= LOGGED_FAILURES) logger.warning(`Could not read ${object.key}: ${error}`);
        else if (failures.length === LOGGED_FAILURES + 1) {
          logger.warning('More objects could not be read; summary.json lists them all.');
        }
      }
      if (!result) return [];
      totals.read++;
      totals.bytes += outcome.bytes;
      totals.uncompressed += result.uncompressedBytes;
      totals.records += result.records;
      totals.outside += result.recordsOutsideWindow;
      totals.noTime += result.recordsWithoutTime;
      totals.invalid += result.recordsInvalid;
      r.objects++;
      r.bytes += outcome.bytes;
      r.records += result.records;
      r.matches += result.matches.ends.length;
      return unpackMatches(result.matches);
    };

    const openPlan = this.openPlan;
    async function* events(): AsyncGenerator<MatchedEvent> {
      // Workers start (load, compile) while the objects are being listed.
      const pool = createScanPool(spec, inv.workers);
      let plan: ScanPlan;
      try {
        plan = await openPlan(inv);
      } catch (err) {
        await pool.close();
        throw err;
      }
      // In-flight objects in plan order; emitting the head first keeps output deterministic.
      const inflight: Array<Promise<Outcome>> = [];
      // Stored bytes of the in-flight objects: their results wait here until emitted in order.
      const inflightSizes: number[] = [];
      let inflightBytes = 0;
      const emitHead = async function* (): AsyncGenerator<MatchedEvent> {
        const outcome = await inflight.shift()!;
        inflightBytes -= inflightSizes.shift()!;
        yield* account(outcome);
        onProgress?.({ objectsDone, objectsTotal: objectsPlanned, bytesDone, bytesTotal: bytesPlanned });
      };
      try {
        for await (const { store, object } of plan.objects) {
          if (signal?.aborted) break;
          objectsPlanned++;
          bytesPlanned += object.size;
          inflight.push(fetchAndScan(store, pool, object));
          inflightSizes.push(object.size);
          inflightBytes += object.size;
          while (
            inflight.length >= inv.concurrency ||
            (inflight.length > 1 && inflightBytes > MAX_INFLIGHT_BYTES)
          ) {
            yield* emitHead();
          }
        }
        while (inflight.length > 0) yield* emitHead();
        const ps = plan.stats();
        totals.listed = ps.listed;
        totals.skipped = ps.skipped;
        warnings.push(...plan.warnings());
        if (signal?.aborted) {
          failures.push({ key: SEARCH_FAILURE_KEY, reason: 'search cancelled before every object was read' });
        }
        finished = true;
      } finally {
        await Promise.allSettled(inflight);
        await pool.close();
      }
    }

    const engineReason = this.engineReason;
    return {
      events: events(),
      stats(): SearchStats {
        if (totals.noTime > 0) {
          warnings.push(`${totals.noTime} records had no readable eventTime and were not searched.`);
        }
        if (totals.invalid > 0) {
          warnings.push(`${totals.invalid} array entries were not event objects and were ignored.`);
        }
        if (!finished && !failures.some((f) => f.key === SEARCH_FAILURE_KEY)) {
          failures.push({ key: SEARCH_FAILURE_KEY, reason: 'search stopped before every object was read' });
        }
        return {
          engine: 'scan',
          engineReason,
          objectsListed: totals.listed,
          objectsRead: totals.read,
          objectsSkipped: totals.skipped,
          bytesRead: totals.bytes,
          bytesUncompressed: totals.uncompressed,
          recordsScanned: totals.records,
          recordsOutsideWindow: totals.outside,
          failures,
          regions: [...regions.values()].sort((a, b) => a.region.localeCompare(b.region)),
          warnings,
        };
      },
    };
  }
}
