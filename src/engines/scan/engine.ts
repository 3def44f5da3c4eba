/**
 * The scan engine: plan the objects of the window, fetch them with bounded concurrency, decode and
 * filter them on worker threads, and stream the matches in plan order (deterministic output).
 * Unreadable objects are reported, never fatal: the run is then marked incomplete.
 */
import { byRegionName, emptyRegionStats } from '../stats.js';
import type { Investigation } from '../../investigation.js';
import type { Logger } from '../../logger.js';
import { errorMessage } from '../../errors.js';
import { noun, plural } from '../../report/format.js';
import { isoSecond } from '../../config/window.js';
import type { PlannedObject, PlanStats } from '../../source/types.js';
import {
  SEARCH_FAILURE_KEY,
  UNNAMED_FILES_REGION,
  type Engine,
  type EngineRun,
  type EngineRunOptions,
  type MatchedEvent,
  type ObjectFailure,
  type RegionStats,
  type SearchStats,
} from '../types.js';
import { createScanPool, type ScanPool } from './pool.js';
import { AdaptiveConcurrency, DEFAULT_ADAPTIVE_CONCURRENCY } from './adaptive-concurrency.js';
import { csvColumnOptionsOf } from '../../report/csv-columns.js';
import { MAX_UNCOMPRESSED_BYTES } from './decode.js';
import { readAhead } from './read-ahead.js';
import { PackedBatch, packedByteLength, type PackedScanResult } from './packed-matches.js';
import type { ObjectStore } from '../../source/types.js';
import type { ListedLogFile } from '../../source/planner.js';

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

/** `signal` cancels the listings too; `onLogFile` is told of every CloudTrail log file listed in scope. */
export type PlanOpener = (inv: Investigation, options?: PlanOpenOptions) => Promise<ScanPlan>;

export interface PlanOpenOptions {
  signal?: AbortSignal;
  onLogFile?: (file: ListedLogFile) => void;
}

/** Bounds that hold every readable eventTime. */
const ANY_TIME = { since: '0000-01-01T00:00:00Z', until: '9999-12-31T23:59:59Z' };

/** Region label for objects whose name does not say (plain .json files in a folder). */
const UNNAMED = UNNAMED_FILES_REGION;

/** An object started and not yet emitted. */
interface Slot {
  outcome: Promise<Outcome>;
  /** The outcome is known. */
  settled: boolean;
  /** Stored bytes (as listed). */
  size: number;
}

interface Outcome {
  object: PlannedObject;
  result?: PackedScanResult;
  error?: string;
  bytes: number;
  startedAt: number;
  endedAt: number;
  /** Bytes of the packed matches, counted in the engine's waiting bytes until emitted. */
  resultBytes: number;
}

/**
 * Stored (compressed) bytes read ahead at most (fetching, scanning, or read and waiting for their
 * turn to be emitted); objects of a few KB still get `concurrency` fetches at once.
 */
const MAX_INFLIGHT_BYTES = 8 * 1024 * 1024;

/**
 * Packed matches (workers' results) waiting to be emitted in plan order, at most: no new fetch
 * starts past this. The stored bytes alone do not bound them: when every record matches, 8 MB of
 * compressed logs are ~70 MB of matches. The head object is always in flight, so a single object
 * with more matches than this still goes through.
 */
export const MAX_WAITING_RESULT_BYTES = 16 * 1024 * 1024;

/**
 * Objects listed ahead of reading, at most (a few hundred bytes each): enough for listing to end
 * long before reading in most runs, so the progress line has a total and an ETA.
 */
export const MAX_LISTED_AHEAD = 100_000;

/** Failures logged one by one; past this, one line says how many more (all are in the summary). */
const LOGGED_FAILURES = 10;

/**
 * Why an object is not read at all: the listing said so (a local entry that is no regular file,
 * a link out of the folder, a folder that could not be listed), or it is larger than any object
 * can be once decompressed.
 */
function unreadableReason(object: PlannedObject): string | undefined {
  if (object.unreadable !== undefined) return object.unreadable;
  if (object.size > MAX_UNCOMPRESSED_BYTES) {
    return `the object is ${object.size} bytes, more than the ${MAX_UNCOMPRESSED_BYTES} bytes one object may hold (decompressed); not read`;
  }
  return undefined;
}

export class ScanEngine implements Engine {
  constructor(
    private readonly openPlan: PlanOpener,
    private readonly logger: Logger,
    private readonly engineReason = 'scan engine selected',
  ) {}

  run(inv: Investigation, options: EngineRunOptions = {}): EngineRun {
    const regions = new Map<string, RegionStats>();
    const failures: ObjectFailure[] = [];
    const skippedFiles: ObjectFailure[] = [];
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
    /** Bytes of the packed matches received and not yet emitted. */
    let waitingResultBytes = 0;
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
        ? {
            rules: inv.rules.rules.map(({ id, title, level, query }) => ({ id, title, level, query })),
            filter: inv.query,
          }
        : {}),
      usesResources: inv.usesResources,
      ...(inv.output.format === 'csv' ? { csv: csvColumnOptionsOf(inv) } : {}),
      // Incremental mode reads every event of the files delivered in its range, whatever its time.
      since: inv.delivery ? ANY_TIME.since : isoSecond(inv.window.since),
      until: inv.delivery ? ANY_TIME.until : isoSecond(inv.window.until),
      regions: inv.regions,
      accounts: inv.accounts,
    };
    const { signal, onProgress } = options;
    const logger = this.logger;

    // `--concurrency auto`: the limit follows throughput and throttling (adaptive-concurrency.ts).
    const limiter = inv.adaptiveConcurrency
      ? new AdaptiveConcurrency({ ...DEFAULT_ADAPTIVE_CONCURRENCY, initial: inv.concurrency })
      : undefined;
    const limit = (): number => limiter?.limit ?? inv.concurrency;
    /** Fetches (and scans) not finished yet. */
    let active = 0;
    /** Wakes the read loop when an object finishes. */
    let wake: (() => void) | undefined;
    /** Throttling answers seen so far, per store (S3Store counts them). */
    const throttlesSeen = new Map<ObjectStore, number>();
    const objectFinished = (store: ObjectStore): void => {
      const full = active >= limit();
      active--;
      if (limiter) {
        const now = performance.now();
        const throttles = store.throttles ?? 0;
        if (throttles > (throttlesSeen.get(store) ?? 0)) {
          throttlesSeen.set(store, throttles);
          limiter.throttled(now);
        }
        limiter.completed(now, full);
      }
      const w = wake;
      wake = undefined;
      w?.();
    };

    /** Starts an object; `settled` is set before the read loop is woken. */
    const start = (store: ObjectStore, pool: ScanPool, object: PlannedObject): Slot => {
      active++;
      const slot: Slot = {
        outcome: undefined as unknown as Promise<Outcome>,
        settled: false,
        size: object.size,
      };
      slot.outcome = fetchAndScan(store, pool, object).finally(() => {
        slot.settled = true;
        objectFinished(store);
      });
      return slot;
    };
    const fetchAndScan = async (
      store: ObjectStore,
      pool: ScanPool,
      object: PlannedObject,
    ): Promise<Outcome> => {
      const startedAt = Date.now();
      let bytes = 0;
      try {
        const refusal = unreadableReason(object);
        if (refusal !== undefined) throw new Error(refusal);
        const data = await store.get(object.key, signal, object.size);
        bytes = data.byteLength;
        const result = await pool.scan(data, object.key, object.region === undefined);
        const resultBytes = packedByteLength(result.matches);
        waitingResultBytes += resultBytes;
        return { object, result, bytes, startedAt, endedAt: Date.now(), resultBytes };
      } catch (err) {
        return { object, error: errorMessage(err), bytes, startedAt, endedAt: Date.now(), resultBytes: 0 };
      }
    };
    // Wall-clock span per region: first object started to last object finished.
    const spans = new Map<string, { start: number; end: number }>();

    /** Counts an object into the statistics; its matches, if it was read. */
    const account = (outcome: Outcome): PackedBatch | undefined => {
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
      if (result?.skipped !== undefined) {
        skippedFiles.push({ key: object.key, reason: result.skipped });
        if (skippedFiles.length <= LOGGED_FAILURES)
          logger.warning(`Skipped ${object.key}: ${result.skipped}`);
        else if (skippedFiles.length === LOGGED_FAILURES + 1) {
          logger.warning('More files were skipped as not CloudTrail logs; summary.json lists them all.');
        }
      }
      if (!result) return undefined;
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
      r.matches += result.matches.count;
      return new PackedBatch(result.matches);
    };

    const openPlan = this.openPlan;
    /** Each read object's matches, in plan order (empty batches left out). */
    async function* batches(): AsyncGenerator<PackedBatch> {
      // Workers start (load, compile) while the objects are being listed.
      const pool = createScanPool(spec, inv.workers, signal);
      let plan: ScanPlan;
      try {
        plan = await openPlan(inv, {
          ...(signal ? { signal } : {}),
          ...(options.onLogFile ? { onLogFile: options.onLogFile } : {}),
        });
      } catch (err) {
        await pool.close();
        throw err;
      }
      // Objects started, in plan order, until emitted: emitting the head first keeps output
      // deterministic, while a new fetch starts as soon as any object finishes.
      const inflight: Slot[] = [];
      // Stored bytes of those objects: their results wait here until emitted in order.
      let inflightBytes = 0;
      // Once every object is listed, the totals are final.
      let listingDone = false;
      /** Accounts for the head object and yields its matches (one generator per object, not per event). */
      const emitHead = async function* (): AsyncGenerator<PackedBatch> {
        const head = inflight.shift()!;
        const outcome = await head.outcome;
        inflightBytes -= head.size;
        const batch = account(outcome);
        if (batch && batch.count > 0) yield batch;
        waitingResultBytes -= outcome.resultBytes;
        onProgress?.({
          objectsDone,
          objectsTotal: objectsPlanned,
          bytesDone,
          bytesTotal: bytesPlanned,
          listingDone,
        });
      };
      const overBytes = (): boolean =>
        inflight.length > 0 &&
        (inflightBytes > MAX_INFLIGHT_BYTES || waitingResultBytes > MAX_WAITING_RESULT_BYTES);
      // Finished objects waiting behind a slower head count against this bound too.
      const canStart = (): boolean => active < limit() && inflight.length <= 2 * limit() && !overBytes();
      try {
        const listed = readAhead(plan.objects, MAX_LISTED_AHEAD, {
          onItem: ({ object }) => {
            objectsPlanned++;
            bytesPlanned += object.size;
          },
          onEnd: () => (listingDone = true),
        });
        for await (const { store, object } of listed) {
          if (signal?.aborted) break;
          inflight.push(start(store, pool, object));
          inflightBytes += object.size;
          for (;;) {
            while (inflight[0]?.settled === true) yield* emitHead();
            if (canStart()) break;
            // Matches piling up unwritten: more objects at once would only wait longer.
            if (waitingResultBytes > MAX_WAITING_RESULT_BYTES) limiter?.memoryBound(active);
            await new Promise<void>((resolve) => (wake = resolve));
          }
        }
        while (inflight.length > 0) yield* emitHead();
        if (limiter) {
          const h = limiter.history;
          const shown = h.length > 24 ? [...h.slice(0, 12), '…', ...h.slice(-12)] : h;
          logger.debug(`Objects in flight (adaptive): ${shown.join(' → ')}`);
        }
        const ps = plan.stats();
        totals.listed = ps.listed;
        totals.skipped = ps.skipped;
        warnings.push(...plan.warnings());
        if (signal?.aborted) {
          failures.push({ key: SEARCH_FAILURE_KEY, reason: 'search cancelled before every object was read' });
        }
        finished = true;
      } finally {
        await Promise.allSettled(inflight.map((s) => s.outcome));
        await pool.close();
      }
    }

    const engineReason = this.engineReason;
    return {
      events: eventsOf(batches(), options.transientEvents === true),
      stats(): SearchStats {
        if (totals.noTime > 0) {
          warnings.push(
            `${plural(totals.noTime, 'record')} had no readable eventTime and ${noun(totals.noTime, 'was', 'were')} not searched.`,
          );
        }
        if (totals.invalid > 0) {
          warnings.push(
            `${plural(totals.invalid, 'array entry', 'array entries')} ${noun(totals.invalid, 'was not an event object and was', 'were not event objects and were')} ignored.`,
          );
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
          ...(skippedFiles.length > 0 ? { skippedFiles } : {}),
          regions: [...regions.values()].sort(byRegionName),
          warnings,
        };
      },
    };
  }
}

/**
 * The events of `batches`, one at a time, each made as the consumer reaches it: a whole batch of
 * event objects would survive young collections while it is consumed. An event costs one resolved
 * promise here; an async generator yielding each one (or delegating to another) costs several
 * promises and objects per event, which on a million-match export is most of the main thread's
 * garbage. The generator resumes only between batches, so it still accounts for an object once
 * its last event is consumed, and its `finally` runs when the consumer stops early (`return`).
 * With `transient` events, a batch's buffers are freed as soon as the consumer is past its last
 * event (EngineRunOptions.transientEvents).
 */
export function eventsOf(
  batches: AsyncGenerator<PackedBatch>,
  transient = false,
): AsyncIterableIterator<MatchedEvent> {
  let batch: PackedBatch | undefined;
  let next = 0;
  /** The consumer is past the current batch: done with it. */
  const leave = (): void => {
    if (transient) batch?.release();
    batch = undefined;
  };
  let pulling: Promise<IteratorResult<MatchedEvent>> | undefined;
  const pull = async (): Promise<IteratorResult<MatchedEvent>> => {
    try {
      const r = await batches.next();
      if (r.done === true) return { done: true, value: undefined };
      batch = r.value;
      next = 1;
      return { done: false, value: batch.event(0) };
    } finally {
      pulling = undefined;
    }
  };
  const iterator: AsyncIterableIterator<MatchedEvent> = {
    [Symbol.asyncIterator]: () => iterator,
    next() {
      // A caller that does not wait for one result before asking for the next gets them in order.
      if (pulling) return pulling.then(() => iterator.next());
      if (batch && next < batch.count) return Promise.resolve({ done: false, value: batch.event(next++) });
      leave();
      return (pulling = pull());
    },
    async return(value?: unknown) {
      leave();
      await pulling?.catch(() => {});
      await batches.return(undefined);
      return { done: true, value };
    },
  };
  return iterator;
}
