/**
 * The cursor of incremental mode, as pure functions: what a run must read given the previous
 * run's state, and the state a successful run leaves for the next one.
 *
 * Driven by delivery, not by event time: a CloudTrail file's name stamp says when it was
 * delivered, and its events can be much older. A run reads every log file delivered in
 * `[from, to)` that an earlier run has not handled, and every event in those files, whatever its
 * eventTime. `to` is the run's start; `from` is the previous run's `to` minus a margin that is
 * listed again, so a file that shows up in the bucket (or folder) after its stamp, up to `margin`
 * late, is still read; the files already handled inside the margin are remembered by name, so none
 * is read twice. The state therefore holds one time and, per account/region folder, the names
 * delivered within the margin: its size does not grow with the number of runs.
 */
import { createHash } from 'node:crypto';

/** `<account>/<region>`: the folder of the key layout whose files a name list describes. */
export type FolderId = string;

export function folderId(account: string, region: string): FolderId {
  return `${account}/${region}`;
}

/** A run's selection of log files by delivery. */
export interface DeliveryRange {
  /** Files stamped at or after this... */
  from: Date;
  /** ...and before this (the run's start). */
  to: Date;
  /** Files handled by earlier runs (names per folder): never read again. */
  handled: ReadonlyMap<FolderId, ReadonlySet<string>>;
}

/** What a successful run hands to the next one (the JSON document, version 1). */
export interface CursorState {
  format: typeof STATE_FORMAT;
  version: 1;
  /** Hash of what was searched (source, filter, rules, scope): a state serves one search only. */
  fingerprint: string;
  /** The same, readable: for the message that refuses a state written by another search. */
  describes: string;
  /** Every file stamped before `through - marginMs` was handled (or never existed). */
  through: string;
  marginMs: number;
  /** File names stamped within the margin that were handled, per folder. */
  handled: Record<FolderId, string[]>;
  /**
   * Matches reported lately, `[eventID, eventTime in epoch ms]` (a copy of one event can reach
   * another folder later); an unreadable time is stored as the end of the run that reported it.
   */
  reported: Array<[string, number]>;
  /** The newest delivery stamp ever seen: how long a location has been silent. */
  newestDelivery: string | null;
  /** Runs that advanced this state, and when the last one did. */
  runs: number;
  updatedAt: string;
}

export const STATE_FORMAT = 'cloudtrail-investigate/state';

/** Matched eventIDs remembered across runs, at most (the most recent events are kept). */
export const MAX_REPORTED_IDS = 100_000;

/** What a search is, for its fingerprint: a state can only continue the same search. */
export interface SearchIdentity {
  source: string;
  query: unknown;
  rules: unknown;
  regions: string[] | 'all';
  accounts: string[] | 'all';
}

export function fingerprintOf(identity: SearchIdentity): string {
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** The first run's range: a bounded look-back, nothing handled yet. */
export function firstRange(now: Date, lookBackMs: number): DeliveryRange {
  return { from: new Date(now.getTime() - lookBackMs), to: now, handled: new Map() };
}

/** The range that continues `state` up to `now`. */
export function nextRange(state: CursorState, now: Date): DeliveryRange {
  const through = Date.parse(state.through);
  const handled = new Map<FolderId, ReadonlySet<string>>();
  for (const [folder, names] of Object.entries(state.handled)) handled.set(folder, new Set(names));
  return { from: new Date(through - state.marginMs), to: now, handled };
}

/** One file a run handled (read completely). */
export interface HandledFile {
  folder: FolderId;
  name: string;
  delivered: Date;
}

/** One match a run reported. */
export interface ReportedEvent {
  eventID: string;
  /** Epoch ms of eventTime; NaN when unreadable (such ids are kept, as the newest). */
  eventTime: number;
}

export interface AdvanceInput {
  previous: CursorState | undefined;
  identity: { fingerprint: string; describes: string };
  range: DeliveryRange;
  marginMs: number;
  /** Files this run read, every one completely. */
  files: Iterable<HandledFile>;
  reported: Iterable<ReportedEvent>;
  newestDelivery: Date | undefined;
  now: Date;
}

/**
 * The state after a complete run. Names are kept while their stamp is within the margin of the
 * new cursor (the next run lists that far back); reported ids while their event could still be
 * delivered again within it (an hour of delivery lag before the margin), newest first, capped.
 */
export function advance(input: AdvanceInput): CursorState {
  const { previous, range, marginMs, now } = input;
  const keepFrom = range.to.getTime() - marginMs;
  const handled = new Map<FolderId, Set<string>>();
  const keep = (folder: FolderId, name: string): void => {
    let set = handled.get(folder);
    if (!set) handled.set(folder, (set = new Set()));
    set.add(name);
  };
  for (const [folder, names] of range.handled) {
    for (const name of names) if (stampOfName(name) >= keepFrom) keep(folder, name);
  }
  for (const f of input.files) if (f.delivered.getTime() >= keepFrom) keep(f.folder, f.name);

  // Ids age out with their event: once it is older than the margin and a delivery lag, no copy
  // of it can arrive in a file the next run reads.
  const idsFrom = keepFrom - REDELIVERY_LAG_MS;
  const ids = new Map<string, number>();
  const note = (id: string, t: number): void => {
    if (t >= idsFrom) ids.set(id, t);
  };
  for (const [id, t] of previous?.reported ?? []) note(id, t);
  for (const e of input.reported)
    note(e.eventID, Number.isNaN(e.eventTime) ? range.to.getTime() : e.eventTime);
  const reported = [...ids.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_REPORTED_IDS);

  const newest = [
    previous?.newestDelivery ? Date.parse(previous.newestDelivery) : NaN,
    input.newestDelivery?.getTime() ?? NaN,
  ].filter((t) => !Number.isNaN(t));
  return {
    format: STATE_FORMAT,
    version: 1,
    fingerprint: input.identity.fingerprint,
    describes: input.identity.describes,
    through: range.to.toISOString(),
    marginMs,
    handled: Object.fromEntries(
      [...handled.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([f, s]) => [f, [...s].sort()]),
    ),
    reported,
    newestDelivery: newest.length > 0 ? new Date(Math.max(...newest)).toISOString() : null,
    runs: (previous?.runs ?? 0) + 1,
    updatedAt: now.toISOString(),
  };
}

/** How long after its event a copy of it may still be delivered into another folder. */
const REDELIVERY_LAG_MS = 60 * 60 * 1000;

const STAMP = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/;

/** Epoch ms of a CloudTrail file name's delivery stamp; NaN when the name has none. */
export function stampOfName(name: string): number {
  const m = STAMP.exec(name);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi);
}

/** Whether a file delivered at `delivered` belongs to `range` and was not handled before. */
export function inRange(range: DeliveryRange, folder: FolderId, name: string, delivered: Date): boolean {
  const t = delivered.getTime();
  if (t < range.from.getTime() || t >= range.to.getTime()) return false;
  return !(range.handled.get(folder)?.has(name) ?? false);
}
