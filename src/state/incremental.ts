/**
 * Incremental mode at the edges of a search: load the state before it (refusing one written by
 * another search), give the engine the deliveries to read, and after a complete run save the
 * advanced state, compare-and-swap. A run that is incomplete, cancelled or loses the race to
 * another run leaves the state as it was: the next run covers its ground again.
 */
import type { Investigation } from '../investigation.js';
import { ConfigurationError } from '../errors.js';
import { describeSource } from '../report/summary.js';
import type { IncrementalReport } from '../report/types.js';
import {
  MAX_REPORTED_IDS,
  advance,
  fingerprintOf,
  firstRange,
  nextRange,
  type CursorState,
  type DeliveryRange,
  type ReportedEvent,
} from './cursor.js';
import { DeliveryLedger } from './deliveries.js';
import {
  StateConflictError,
  stateStoreFor,
  type CacheStoreFactory,
  type LoadedState,
  type StateStore,
} from './store.js';

export class IncrementalRun {
  readonly ledger: DeliveryLedger;
  /** eventIDs an earlier run reported: dropped if delivered again. */
  readonly reportedBefore: ReadonlySet<string>;
  private readonly reported: ReportedEvent[] = [];
  private readonly idsFrom: number;
  eventsAlreadyReported = 0;

  constructor(
    private readonly inv: Investigation & { incremental: NonNullable<Investigation['incremental']> },
    private readonly store: StateStore,
    private readonly loaded: LoadedState,
    readonly range: DeliveryRange,
    private readonly identity: { fingerprint: string; describes: string },
  ) {
    this.ledger = DeliveryLedger.forRange(range, inv.incremental.marginMs);
    this.reportedBefore = new Set((loaded.state?.reported ?? []).map(([id]) => id));
    this.idsFrom = range.to.getTime() - inv.incremental.marginMs - 60 * 60 * 1000;
  }

  /** The investigation the engine runs: deliveries in the range, every event in them. */
  engineInvestigation(): Investigation {
    return { ...this.inv, delivery: this.range, window: { since: this.range.from, until: this.range.to } };
  }

  /** False when an earlier run reported this event (a copy delivered into another folder). */
  isNew(eventID: string | undefined): boolean {
    if (eventID === undefined || !this.reportedBefore.has(eventID)) return true;
    this.eventsAlreadyReported++;
    return false;
  }

  /** Remembers a reported match for the next runs, while its event could still be delivered again. */
  noteReported(eventID: string | undefined, eventTime: string | undefined): void {
    if (eventID === undefined) return;
    const t = eventTime === undefined ? Number.NaN : Date.parse(eventTime);
    if (!Number.isNaN(t) && t < this.idsFrom) return;
    this.reported.push({ eventID, eventTime: t });
    if (this.reported.length > 2 * MAX_REPORTED_IDS) {
      // Keep the newest: the sort puts unreadable times (NaN) last, and they are rare.
      this.reported.sort((a, b) => (b.eventTime || 0) - (a.eventTime || 0));
      this.reported.length = MAX_REPORTED_IDS;
    }
  }

  /**
   * After the search: save the advanced state when the run was complete. Returns the report for
   * summary.json and, when another run won the race, the failure that makes this one incomplete.
   */
  async finish(complete: boolean, now: Date): Promise<{ report: IncrementalReport; conflict?: string }> {
    const base: IncrementalReport = {
      state: this.store.description,
      firstRun: this.loaded.state === undefined,
      from: this.range.from.toISOString(),
      to: this.range.to.toISOString(),
      filesAlreadyHandled: this.ledger.alreadyHandled,
      eventsAlreadyReported: this.eventsAlreadyReported,
      advanced: false,
    };
    if (!complete) {
      return { report: { ...base, reason: 'the run was incomplete: the next run reads this range again' } };
    }
    const next: CursorState = advance({
      previous: this.loaded.state,
      identity: this.identity,
      range: this.range,
      marginMs: this.inv.incremental.marginMs,
      files: this.ledger.files,
      reported: this.reported,
      newestDelivery: this.ledger.newest,
      now,
    });
    try {
      await this.store.save(next, this.loaded.version);
    } catch (err) {
      if (err instanceof StateConflictError) {
        return { report: { ...base, reason: err.message }, conflict: err.message };
      }
      throw err;
    }
    return { report: { ...base, advanced: true } };
  }

  /** The newest delivery known: this run's listing, else what the state remembers. */
  newestDelivery(): Date | undefined {
    const remembered = this.loaded.state?.newestDelivery;
    const times = [this.ledger.newest?.getTime(), remembered ? Date.parse(remembered) : undefined].filter(
      (t): t is number => t !== undefined && !Number.isNaN(t),
    );
    return times.length > 0 ? new Date(Math.max(...times)) : undefined;
  }
}

/** What identifies a search for its state: where, what, and which accounts and regions. */
export function searchIdentity(inv: Investigation): { fingerprint: string; describes: string } {
  const source = describeSource(inv.source);
  const describes = `${source}; filter ${inv.filterText ?? '(none)'}; rules ${
    inv.rules ? inv.rules.rules.map((r) => r.id).join(',') : '(none)'
  }; regions ${String(inv.regions)}; accounts ${String(inv.accounts)}`;
  const fingerprint = fingerprintOf({
    source,
    query: inv.query,
    rules: inv.rules?.rules.map((r) => ({ id: r.id, query: r.query })) ?? null,
    regions: inv.regions,
    accounts: inv.accounts,
  });
  return { fingerprint, describes };
}

/** Loads the state and decides the deliveries of this run. */
export async function openIncremental(
  inv: Investigation,
  now: Date,
  cacheStore?: CacheStoreFactory,
): Promise<IncrementalRun | undefined> {
  const options = inv.incremental;
  if (!options) return undefined;
  const identity = searchIdentity(inv);
  const store = stateStoreFor(options.state, inv.credentials, identity.fingerprint, cacheStore);
  const loaded = await store.load();
  if (loaded.state && loaded.state.fingerprint !== identity.fingerprint) {
    throw new ConfigurationError(
      `The state ${store.description} belongs to another search (${loaded.state.describes}); this one is ${identity.describes}. ` +
        'Give each search its own --state location (or remove the old state to start over).',
      '--state',
    );
  }
  const range = loaded.state ? nextRange(loaded.state, now) : firstRange(now, options.lookBackMs);
  return new IncrementalRun({ ...inv, incremental: options }, store, loaded, range, identity);
}
