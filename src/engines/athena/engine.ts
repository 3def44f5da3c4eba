/**
 * The Athena engine: find the logs, make sure each location's partition-projected table exists,
 * run one pruned query per region (a bounded number at once, from the bucket's region), read every
 * result row back into CloudTrail's record shape, and account for what was scanned. Cleanup (when
 * asked) runs in `finally`: after success, failure, cancellation, or a consumer that stops early.
 *
 * Failure model: a region whose query fails, times out or hits the scan budget is marked failed
 * with Athena's reason while the others finish (the run is incomplete, not aborted). Setup errors
 * (permissions, DDL) and cancellation throw.
 */
import { decorateMatch } from '../decorate.js';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { baseClientConfig, createS3Client } from '../../aws/clients.js';
import { defaultRegion } from '../../aws/settings.js';
import { SearchError, errorMessage } from '../../errors.js';
import { plural } from '../../report/format.js';
import type { Investigation } from '../../investigation.js';
import { silentLogger, type Logger } from '../../logger.js';
import { compileWhere } from '../../query/sql.js';
import { S3Store } from '../../source/s3-store.js';
import { resolveLocations, type LogLocation } from '../../source/trail.js';
import type { ObjectStore } from '../../source/types.js';
import type {
  Engine,
  EngineRun,
  EngineRunOptions,
  MatchedEvent,
  RegionStats,
  SearchStats,
} from '../types.js';
import { dropTableDdl, validateDatabaseName, type TableSpec } from './ddl.js';
import { rowToRecord } from './normalise.js';
import { chooseOutputLocation, deleteQueryResults } from './output.js';
import {
  athenaRuleWarnings,
  athenaRules,
  athenaScopeWarnings,
  planAthena,
  plannedQuery,
  missingRegionWarnings,
  regionsToQuery,
  tableSpecFor,
  type AthenaPlan,
} from './plan.js';
import { createRuleMatcher, type RuleMatcher } from '../../sigma/pack.js';
import type { CompiledRule } from '../../sigma/types.js';
import { byRegionName, emptyRegionStats, emptySearchStats } from '../stats.js';
import { runQuery, type QueryOutcome } from './query-runner.js';
import { AthenaDeliveries } from './deliveries.js';
import { PATH_COLUMN } from './query-text.js';
import { readResultRows } from './results.js';
import { systemClock, type Clock } from './retry.js';
import { ensureTable } from './table.js';

export interface AthenaEngineDeps {
  athena?: (region: string) => AthenaClient;
  s3?: (region: string) => S3Client;
  cloudtrail?: (region: string) => CloudTrailClient;
  /** Listing for discovery and incremental mode's deliveries; default an S3Store over `s3`. */
  store?: (bucket: string, region: string) => Pick<ObjectStore, 'listFolders' | 'list'>;
  /** Locations already discovered by the caller (skips discovery). */
  locations?: LogLocation[];
  logger?: Logger;
  clock?: Clock;
  /** Why this engine was chosen, for the summary. */
  engineReason?: string;
}

/** Time allowed to clean up after the run (stopping, deleting, dropping). */
const CLEANUP_TIMEOUT_MS = 5 * 60 * 1000;

interface RegionJob {
  location: LogLocation;
  spec: TableSpec;
  region: string;
  athena: AthenaClient;
  outcome: Promise<QueryOutcome>;
  startedAt: number;
}

const notRun: QueryOutcome = { id: undefined, state: 'STOPPED', reason: 'not run', bytesScanned: 0 };

/** A query this run started; its result files are deleted by cleanup. */
interface StartedQuery {
  id: string;
  athena: AthenaClient;
  s3Region: string;
  /** The output location in effect (explicit or the workgroup's); undefined = managed results. */
  resultsPrefix: string | undefined;
  /** The result file Athena reported, when known. */
  result?: string;
}

interface CreatedTable {
  athena: AthenaClient;
  spec: TableSpec;
  outputLocation: string | undefined;
  resultsPrefix: string | undefined;
  s3Region: string;
}

/** Sum of data scanned by every query of the run, checked against --max-scan-bytes. */
class ScanBudget {
  private readonly byQuery = new Map<string, number>();
  constructor(private readonly max: number | undefined) {}
  report(id: string, bytes: number): string | undefined {
    this.byQuery.set(id, bytes);
    return this.exceeded();
  }
  total(): number {
    let sum = 0;
    for (const b of this.byQuery.values()) sum += b;
    return sum;
  }
  exceeded(): string | undefined {
    if (this.max === undefined) return undefined;
    const total = this.total();
    return total > this.max
      ? `stopped: the run scanned ${total} bytes, over --max-scan-bytes ${this.max}`
      : undefined;
  }
}

export class AthenaEngine implements Engine {
  constructor(private readonly deps: AthenaEngineDeps = {}) {}

  /** The dry-run plan: discovery (read-only calls) and the exact DDL and queries, nothing run. */
  async plan(inv: Investigation): Promise<AthenaPlan> {
    compileWhere(inv.query);
    const clients = this.clients(inv);
    return planAthena(inv, await this.locations(inv, clients));
  }

  run(inv: Investigation, options: EngineRunOptions = {}): EngineRun {
    const stats: SearchStats = {
      ...emptySearchStats('athena', this.deps.engineReason ?? 'athena engine'),
      bytesScanned: 0,
    };
    return {
      events: this.execute(inv, options, stats),
      stats: () => ({
        ...stats,
        regions: [...stats.regions].sort(byRegionName).map((r) => ({
          ...r,
          errors: [...r.errors],
          ...(r.queries ? { queries: r.queries.map((q) => ({ ...q })) } : {}),
        })),
      }),
    };
  }

  private clients(inv: Investigation) {
    const cache = new Map<string, unknown>();
    const cached = <T>(key: string, make: () => T): T => {
      if (!cache.has(key)) cache.set(key, make());
      return cache.get(key) as T;
    };
    const athena = (region: string): AthenaClient =>
      cached(
        `athena:${region}`,
        () => this.deps.athena?.(region) ?? new AthenaClient(baseClientConfig(inv.credentials, region)),
      );
    const s3 = (region: string): S3Client =>
      cached(`s3:${region}`, () => this.deps.s3?.(region) ?? createS3Client(inv.credentials, region));
    const cloudtrail = (region: string): CloudTrailClient =>
      cached(
        `ct:${region}`,
        () =>
          this.deps.cloudtrail?.(region) ?? new CloudTrailClient(baseClientConfig(inv.credentials, region)),
      );
    const store = (bucket: string, region: string): Pick<ObjectStore, 'listFolders' | 'list'> =>
      this.deps.store?.(bucket, region) ?? new S3Store({ client: s3(region), bucket });
    return { athena, s3, cloudtrail, store, defaultRegion: defaultRegion(inv.credentials) };
  }

  private async locations(
    inv: Investigation,
    clients: ReturnType<AthenaEngine['clients']>,
  ): Promise<LogLocation[]> {
    return this.deps.locations ?? resolveLocations(inv.source, inv.accounts, clients);
  }

  private async *execute(
    inv: Investigation,
    options: EngineRunOptions,
    stats: SearchStats,
  ): AsyncGenerator<MatchedEvent> {
    const logger = this.deps.logger ?? silentLogger;
    const clock = this.deps.clock ?? systemClock;
    // User mistakes surface before any AWS call.
    compileWhere(inv.query);
    validateDatabaseName(inv.athena.database);

    const controller = new AbortController();
    const onAbort = (): void => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const signal = controller.signal;

    const clients = this.clients(inv);
    const deadline = clock.now() + inv.athena.timeoutMs;
    const budget = new ScanBudget(inv.athena.maxScanBytes);
    const limit = pLimit(Math.max(1, inv.athena.concurrency));
    const warn = (message: string): void => {
      const line = oneLine(message);
      stats.warnings.push(line);
      logger.warning(line);
    };

    // Incremental mode: the deliveries of the range, listed before each region's query.
    const deliveries = AthenaDeliveries.of(inv, options.onLogFile);

    /** Every query this run started, for cleanup: where its results are. */
    const started: StartedQuery[] = [];
    const createdTables: CreatedTable[] = [];
    const jobs: RegionJob[] = [];

    const track =
      (athena: AthenaClient, s3Region: string, resultsPrefix: string | undefined) => (id: string) => {
        started.push({ id, athena, s3Region, resultsPrefix });
      };
    const remember = (outcome: QueryOutcome): QueryOutcome => {
      const entry = started.find((s) => s.id === outcome.id);
      if (entry && outcome.resultLocation) entry.result = outcome.resultLocation;
      return outcome;
    };

    try {
      for (const w of [...athenaScopeWarnings(inv), ...athenaRuleWarnings(inv)]) warn(w);
      const locations = await this.locations(inv, clients);
      const auditBuckets = locations.map((l) => l.bucket);
      for (const w of missingRegionWarnings(inv, locations)) warn(w);
      for (const location of locations) {
        for (const w of location.warnings) warn(w);
        const spec = tableSpecFor(inv, location);
        if (typeof spec === 'string') {
          warn(spec);
          continue;
        }
        const athena = clients.athena(location.bucketRegion);
        const output = await chooseOutputLocation(
          athena,
          inv.athena.workgroup,
          inv.athena.outputLocation,
          auditBuckets,
        );
        for (const w of output.warnings) warn(w);
        const onStarted = track(athena, location.bucketRegion, output.resultsPrefix);
        const runDdl = async (sql: string): Promise<void> => {
          const outcome = remember(
            await runQuery(
              athena,
              {
                sql,
                parameters: [],
                workgroup: inv.athena.workgroup,
                ...(output.location ? { outputLocation: output.location } : {}),
              },
              { clock, deadline, signal, onStarted },
            ),
          );
          if (outcome.state === 'ABORTED') throw cancelled(signal);
          if (outcome.state !== 'SUCCEEDED') {
            throw new SearchError(
              `Athena could not prepare the table for ${location.description}: ${oneLine(outcome.reason ?? outcome.state)}`,
            );
          }
        };
        const ensured = await ensureTable({ athena, workgroup: inv.athena.workgroup, runDdl }, spec, (m) =>
          logger.info(m),
        );
        if (ensured.created)
          createdTables.push({
            athena,
            spec: ensured.spec,
            outputLocation: output.location,
            resultsPrefix: output.resultsPrefix,
            s3Region: location.bucketRegion,
          });

        for (const region of regionsToQuery(inv, location)) {
          const query = plannedQuery(inv, ensured.spec, location, region);
          const job: RegionJob = {
            location,
            spec: ensured.spec,
            region,
            athena,
            startedAt: clock.now(),
            outcome: Promise.resolve(notRun),
          };
          job.outcome = limit(async (): Promise<QueryOutcome> => {
            job.startedAt = clock.now();
            const over = budget.exceeded();
            if (over)
              return { id: undefined, state: 'STOPPED', reason: `not started: ${over}`, bytesScanned: 0 };
            if (deliveries) {
              const store = clients.store(location.bucket, location.bucketRegion);
              const selected = await deliveries.list(store, location, region, inv, signal);
              // No file of the range in this region: nothing to report, no query to pay for.
              if (selected === 0) return { id: undefined, state: 'SUCCEEDED', bytesScanned: 0 };
            }
            logger.debug(`athena: querying ${region} of ${location.description}`);
            let queryId = '';
            const outcome = await runQuery(
              athena,
              {
                sql: query.sql,
                parameters: query.parameters,
                workgroup: inv.athena.workgroup,
                ...(output.location ? { outputLocation: output.location } : {}),
              },
              {
                clock,
                deadline,
                signal,
                onStarted: (id) => {
                  queryId = id;
                  onStarted(id);
                },
                checkScanned: (bytes) => budget.report(queryId, bytes),
              },
            );
            return remember(outcome);
          }).catch((err: unknown): QueryOutcome => ({
            id: undefined,
            state: 'FAILED',
            reason: errorMessage(err),
            bytesScanned: 0,
          }));
          jobs.push(job);
        }
      }

      // Rule tags are computed here, by the scan engine's predicates on the record read back:
      // Athena returns the records matching any rule (parameters may only stand in WHERE).
      const tagger = inv.rules ? ruleTagger(athenaRules(inv.rules).rules) : undefined;
      let untagged = 0;
      let done = 0;
      for (const job of jobs) {
        const outcome = await job.outcome;
        if (outcome.id) budget.report(outcome.id, outcome.bytesScanned);
        const regionStats = this.regionStats(stats, job.region);
        if (outcome.id) {
          (regionStats.queries ??= []).push({
            id: outcome.id,
            state: outcome.state,
            bytesScanned: outcome.bytesScanned,
          });
        }
        regionStats.bytesScanned = (regionStats.bytesScanned ?? 0) + outcome.bytesScanned;
        stats.bytesScanned = (stats.bytesScanned ?? 0) + outcome.bytesScanned;
        if (outcome.state === 'ABORTED') throw cancelled(signal);
        if (outcome.state === 'SUCCEEDED' && !outcome.id) {
          // Not queried: no file of the delivery range in this region (incremental mode).
        } else if (outcome.state !== 'SUCCEEDED' || !outcome.id) {
          const reason = oneLine(outcome.reason ?? outcome.state);
          regionStats.status = 'failed';
          regionStats.errors.push(`${job.location.description}: ${reason}`);
          logger.warning(`athena: ${job.region} of ${job.location.description} failed: ${reason}`);
        } else {
          try {
            for await (const row of readResultRows(job.athena, outcome.id, clock, signal)) {
              if (deliveries && !deliveries.keeps(row[PATH_COLUMN])) continue;
              const event = this.toEvent(inv, rowToRecord(row), job.region, tagger);
              if (!event) {
                untagged++;
                continue;
              }
              yield event;
              regionStats.matches++;
            }
          } catch (err) {
            if (signal.aborted) throw cancelled(signal);
            regionStats.status = regionStats.matches > 0 ? 'incomplete' : 'failed';
            regionStats.errors.push(`${job.location.description}: ${oneLine(errorMessage(err))}`);
          }
        }
        regionStats.durationMs += clock.now() - job.startedAt;
        done++;
        options.onProgress?.({
          objectsDone: done,
          objectsTotal: jobs.length,
          bytesDone: stats.bytesScanned ?? 0,
          bytesTotal: 0,
          listingDone: true,
          unit: 'queries',
        });
      }
      if (deliveries && deliveries.rowsOutsideRange > 0) {
        logger.debug(
          `athena: ${deliveries.rowsOutsideRange} row(s) came from files outside this run's deliveries (read before, or left to the next run)`,
        );
      }
      if (untagged > 0) {
        // Both compilers follow one set of matching rules, so this means they disagree: say so.
        warn(
          `${plural(untagged, 'record')} Athena returned for the rules matched none of them once read back; left out (please report this).`,
        );
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      // Stop whatever still runs (a consumer that stopped early, an error in another region).
      if (!controller.signal.aborted) controller.abort(new Error('athena run finished'));
      await Promise.allSettled(jobs.map((j) => j.outcome));
      if (inv.athena.cleanup) await this.cleanup(clients, clock, inv, started, createdTables, warn);
    }
  }

  private regionStats(stats: SearchStats, region: string): RegionStats {
    let entry = stats.regions.find((r) => r.region === region);
    if (!entry) {
      entry = { ...emptyRegionStats(region), bytesScanned: 0 };
      stats.regions.push(entry);
    }
    return entry;
  }

  private toEvent(
    inv: Investigation,
    record: Record<string, unknown>,
    region: string,
    tagger: RuleTagger | undefined,
  ): MatchedEvent | undefined {
    // The same selection rules as the scan engine (predicate.ts), applied to the record as read.
    const ruleIds = tagger?.match(record);
    if (ruleIds && ruleIds.length === 0) return undefined;
    decorateMatch(
      record,
      { filter: inv.query, usesResources: inv.usesResources, ...(tagger ? { rules: tagger.rules } : {}) },
      ruleIds,
    );
    return {
      record,
      json: JSON.stringify(record),
      eventID: typeof record.eventID === 'string' ? record.eventID : undefined,
      region,
      ...(ruleIds ? { ruleIds } : {}),
    };
  }

  private async cleanup(
    clients: ReturnType<AthenaEngine['clients']>,
    clock: Clock,
    inv: Investigation,
    started: StartedQuery[],
    createdTables: CreatedTable[],
    warn: (m: string) => void,
  ): Promise<void> {
    const deadline = clock.now() + CLEANUP_TIMEOUT_MS;
    for (const table of createdTables) {
      const outcome = await runQuery(
        table.athena,
        {
          sql: dropTableDdl(table.spec.database, table.spec.table),
          parameters: [],
          workgroup: inv.athena.workgroup,
          ...(table.outputLocation ? { outputLocation: table.outputLocation } : {}),
        },
        {
          clock,
          deadline,
          onStarted: (id) =>
            started.push({
              id,
              athena: table.athena,
              s3Region: table.s3Region,
              resultsPrefix: table.resultsPrefix,
            }),
        },
      ).catch((err: unknown): QueryOutcome => ({
        id: undefined,
        state: 'FAILED',
        reason: errorMessage(err),
        bytesScanned: 0,
      }));
      if (outcome.resultLocation) {
        const entry = started.find((s) => s.id === outcome.id);
        if (entry) entry.result = outcome.resultLocation;
      }
      if (outcome.state !== 'SUCCEEDED')
        warn(
          `cleanup: could not drop table ${table.spec.database}.${table.spec.table}: ${outcome.reason ?? outcome.state}`,
        );
    }
    for (const query of started) {
      const location =
        query.result ??
        (query.resultsPrefix ? `${query.resultsPrefix.replace(/\/+$/, '')}/${query.id}.csv` : undefined);
      if (!location) {
        warn(
          `cleanup: the results of query ${query.id} are in the workgroup's managed storage; Athena removes them itself.`,
        );
        continue;
      }
      try {
        const { errors } = await deleteQueryResults(clients.s3(query.s3Region), location);
        for (const e of errors) warn(`cleanup: could not delete ${e}`);
      } catch (err) {
        warn(
          `cleanup: could not delete the results of query ${query.id}: ${errorMessage(err)} (needs s3:ListBucket and s3:DeleteObject on the output location)`,
        );
      }
    }
  }
}

/**
 * Athena's reasons can quote log data (e.g. HIVE_BAD_DATA with a field value): keep each message
 * on one line so nothing in it can start a line of its own (a workflow command) in a log.
 */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

interface RuleTagger {
  rules: readonly CompiledRule[];
  match: RuleMatcher;
}

function ruleTagger(rules: readonly CompiledRule[]): RuleTagger {
  return { rules, match: createRuleMatcher({ rules }) };
}

function cancelled(signal: AbortSignal): SearchError {
  return new SearchError('The Athena search was cancelled; running queries were stopped.', {
    cause: signal.reason,
  });
}
