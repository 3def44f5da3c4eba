/**
 * Which objects a search must read. S3: discover accounts (and organization ids) under AWSLogs/,
 * their regions, then list only the day folders of the window. Local: walk everything and prune
 * what the file names allow. Objects come out in key order.
 */
import type { TimeWindow } from '../investigation.js';
import { noun, plural } from '../report/format.js';
import {
  ACCOUNT_ID,
  ORG_ID,
  REGION_NAME,
  accountPrefix,
  awsLogsPrefix,
  baseName,
  classifyKey,
  dayFolders,
  parseLogFileName,
  regionPrefix,
  stampInWindow,
} from './layout.js';
import type { LogFileName, ObjectStore, PlanStats, PlannedObject, StoredObject } from './types.js';
import { folderId, inRange, type DeliveryRange } from '../state/cursor.js';

export interface PlanRoot {
  kind: 's3' | 'local';
  /** Key prefix of the trail (S3) or of the walk (local), without leading/trailing '/'; may be empty. */
  prefix: string;
}

export interface PlanScope {
  window: TimeWindow;
  regions: string[] | 'all';
  accounts: string[] | 'all';
  /** Delivery-lag margin, usually DELIVERY_LAG_MS. */
  lagMs: number;
  /**
   * Incremental mode: log files are chosen by delivery (their name stamp) instead of the window,
   * and files not named like CloudTrail's (which say nothing of their delivery) are left out.
   */
  delivery?: DeliveryRange;
  /** Told of every CloudTrail log file listed in scope (account, region), selected or not. */
  onLogFile?: (file: ListedLogFile) => void;
}

/** A CloudTrail log file seen by listing, in the asked accounts and regions. */
export interface ListedLogFile {
  key: string;
  name: LogFileName;
  /** The file will be read. */
  selected: boolean;
}

export interface PlanOptions {
  /** Day folders listed at once (S3; default LIST_CONCURRENCY); output order is kept. */
  listConcurrency?: number;
  signal?: AbortSignal;
}

/** Accounts and regions present in the location (S3: folders; local: log file names). */
export interface FoundScope {
  accounts: string[];
  regions: string[];
}

/** A plan being produced: iterate `objects` once, then read the rest (final after the iteration). */
export interface Plan {
  objects: AsyncIterable<PlannedObject>;
  stats(): PlanStats;
  found(): FoundScope;
  /** Scope warnings (see scopeWarnings), using what was found. */
  warnings(): string[];
}

/**
 * Folders listed at once (S3): a listing waits a round trip per page, and a window of many days,
 * regions or accounts is many folders of one page each.
 */
export const LIST_CONCURRENCY = 32;

/** Files read whole when not named like CloudTrail's (exports, `jq` output, test fixtures). */
const GENERIC_EVENT_FILE = /\.(json|jsonl)(\.gz)?$/i;

const GLOBAL_REGION = 'us-east-1';

class PlanState {
  readonly stats: PlanStats = { listed: 0, selected: 0, skipped: 0, prefixes: [] };
  readonly accounts = new Set<string>();
  readonly regions = new Set<string>();
  /** Event files left out because their name carries no delivery stamp (incremental mode). */
  unstamped = 0;
  done = false;

  found(): FoundScope {
    return { accounts: [...this.accounts].sort(), regions: [...this.regions].sort() };
  }
}

export function planObjects(
  store: ObjectStore,
  root: PlanRoot,
  scope: PlanScope,
  options: PlanOptions = {},
): Plan {
  const state = new PlanState();
  const objects =
    root.kind === 's3'
      ? s3Objects(store, root, scope, state, options)
      : localObjects(store, root, scope, state, options);
  return {
    objects,
    stats: () => ({ ...state.stats, prefixes: [...state.stats.prefixes] }),
    found: () => state.found(),
    warnings: () => {
      const where = `${store.description}${root.prefix ? `/${root.prefix}` : ''}`;
      const found = state.done ? state.found() : undefined;
      const warnings = scopeWarnings(scope, found, where);
      // A wrong trail prefix lists nothing and would otherwise look like a clean result.
      if (root.kind === 's3' && found && found.accounts.length === 0) {
        warnings.push(
          `No CloudTrail logs under ${where}: expected ${awsLogsPrefix(where)}<account>/CloudTrail/; ` +
            "check the bucket and the trail's S3 key prefix.",
        );
      }
      if (state.unstamped > 0) {
        warnings.push(
          `${plural(state.unstamped, 'event file')} not named like CloudTrail's log files ${noun(state.unstamped, 'was', 'were')} left out: incremental mode (--state) selects files by the delivery stamp in their name.`,
        );
      }
      return warnings;
    },
  };
}

/**
 * Warnings about the scope: a region list that leaves out us-east-1 (where global services
 * record), and requested accounts or regions the location does not hold (when `found` is known
 * and not empty).
 */
export function scopeWarnings(
  scope: Pick<PlanScope, 'regions' | 'accounts'>,
  found?: FoundScope,
  where = 'the location',
): string[] {
  const warnings: string[] = [];
  if (scope.regions !== 'all' && !scope.regions.includes(GLOBAL_REGION)) {
    warnings.push(
      `The regions searched (${scope.regions.join(', ')}) leave out ${GLOBAL_REGION}: global-service events ` +
        `(IAM, STS, CloudFront, console sign-in) are recorded in ${GLOBAL_REGION} and will not be found.`,
    );
  }
  if (found && found.accounts.length === 0 && found.regions.length === 0) return warnings;
  if (found && scope.accounts !== 'all') {
    const missing = scope.accounts.filter((a) => !found.accounts.includes(a));
    if (missing.length > 0) {
      warnings.push(
        `No logs of account ${missing.join(', ')} in ${where} (accounts found: ${listForMessage(found.accounts)}).`,
      );
    }
  }
  if (found && scope.regions !== 'all') {
    const missing = scope.regions.filter((r) => !found.regions.includes(r));
    if (missing.length > 0) {
      warnings.push(
        `No logs of region ${missing.join(', ')} in ${where} (regions found: ${listForMessage(found.regions)}).`,
      );
    }
  }
  return warnings;
}

function listForMessage(items: string[]): string {
  if (items.length === 0) return 'none';
  return items.length <= 10
    ? items.join(', ')
    : `${items.slice(0, 10).join(', ')} and ${items.length - 10} more`;
}

function inScope(name: LogFileName, scope: PlanScope): boolean {
  return (
    (scope.regions === 'all' || scope.regions.includes(name.region)) &&
    (scope.accounts === 'all' || scope.accounts.includes(name.account))
  );
}

/**
 * Whether a log file in scope is read: by its delivery in incremental mode, else by the window.
 * Tells `scope.onLogFile` of every file in scope (the Athena engine lists deliveries with it too).
 */
export function selectLogFile(key: string, name: LogFileName, scope: PlanScope): boolean {
  if (!inScope(name, scope)) return false;
  const selected = scope.delivery
    ? inRange(scope.delivery, folderId(name.account, name.region), baseName(key), name.delivered)
    : stampInWindow(name.delivered, scope.window, scope.lagMs);
  scope.onLogFile?.({ key, name, selected });
  return selected;
}

/** The day folders to list: those of the delivery range, else of the window and its lag. */
function daysToList(scope: PlanScope): string[] {
  if (!scope.delivery) return dayFolders(scope.window, scope.lagMs);
  const { from, to } = scope.delivery;
  return dayFolders({ since: from, until: to }, 0);
}

function planned(object: StoredObject, name: LogFileName | undefined): PlannedObject {
  const unreadable = object.unreadable !== undefined ? { unreadable: object.unreadable } : {};
  return name
    ? {
        key: object.key,
        size: object.size,
        account: name.account,
        region: name.region,
        delivered: name.delivered,
        ...unreadable,
      }
    : { key: object.key, size: object.size, ...unreadable };
}

/** The last segment of a folder key (`a/b/c/` -> `c`). */
function folderName(folder: string): string {
  return baseName(folder.replace(/\/$/, ''));
}

export interface AccountFolder {
  orgId: string | undefined;
  account: string;
}

/** The region folders of an account, sorted (anything not named like a region is left out). */
export async function accountRegions(
  store: Pick<ObjectStore, 'listFolders'>,
  prefix: string,
  a: AccountFolder,
  signal?: AbortSignal,
): Promise<string[]> {
  const folders = await store.listFolders(accountPrefix(prefix, a.orgId, a.account), signal);
  return folders
    .map(folderName)
    .filter((r) => REGION_NAME.test(r))
    .sort();
}

async function* s3Objects(
  store: ObjectStore,
  root: PlanRoot,
  scope: PlanScope,
  state: PlanState,
  options: PlanOptions,
): AsyncGenerator<PlannedObject> {
  const concurrency = Math.max(1, options.listConcurrency ?? LIST_CONCURRENCY);
  const { signal } = options;
  const accounts = await discoverAccounts(store, root.prefix, concurrency, signal);
  for (const a of accounts) state.accounts.add(a.account);
  const wanted = accounts.filter((a) => scope.accounts === 'all' || scope.accounts.includes(a.account));

  // Day folders to list, in key order: an account's as soon as its regions are known, so the
  // first objects are read while the other accounts' regions are still being listed (an
  // organization trail can hold hundreds of accounts). An explicit region list is intersected
  // with those present, so absent regions cost no calls.
  const days = daysToList(scope);
  async function* dayPrefixes(): AsyncGenerator<string> {
    for await (const [a, present] of mapOrdered(wanted, concurrency, (a) =>
      accountRegions(store, root.prefix, a, signal),
    )) {
      for (const r of present) state.regions.add(r);
      const regions =
        scope.regions === 'all' ? present : present.filter((r) => (scope.regions as string[]).includes(r));
      for (const region of regions) {
        for (const day of days) yield `${regionPrefix(root.prefix, a.orgId, a.account, region)}${day}/`;
      }
    }
  }

  for await (const [prefix, listing] of mapOrdered(dayPrefixes(), concurrency, (p) =>
    collect(store.list(p, signal)),
  )) {
    options.signal?.throwIfAborted();
    state.stats.prefixes.push(prefix);
    for (const object of listing) {
      state.stats.listed++;
      const name = classifyKey(object.key) === 'log' ? parseLogFileName(baseName(object.key)) : undefined;
      if (name && selectLogFile(object.key, name, scope)) {
        state.stats.selected++;
        yield planned(object, name);
      } else {
        state.stats.skipped++;
      }
    }
  }
  state.done = true;
}

/**
 * `AWSLogs/<account>/` and `AWSLogs/<o-org>/<account>/` folders, in key order (plain accounts
 * first). Shared with the Athena engine's discovery (trail.ts), so both engines find the same.
 */
export async function discoverAccounts(
  store: Pick<ObjectStore, 'listFolders'>,
  prefix: string,
  concurrency: number,
  signal?: AbortSignal,
): Promise<AccountFolder[]> {
  const top = await store.listFolders(awsLogsPrefix(prefix), signal);
  const found: AccountFolder[] = [];
  for await (const [folder, members] of mapOrdered(top, concurrency, async (f) =>
    ORG_ID.test(folderName(f)) ? store.listFolders(f, signal) : [],
  )) {
    const name = folderName(folder);
    if (ACCOUNT_ID.test(name)) found.push({ orgId: undefined, account: name });
    for (const m of members)
      if (ACCOUNT_ID.test(folderName(m))) found.push({ orgId: name, account: folderName(m) });
  }
  return found;
}

async function* localObjects(
  store: ObjectStore,
  root: PlanRoot,
  scope: PlanScope,
  state: PlanState,
  options: PlanOptions,
): AsyncGenerator<PlannedObject> {
  const prefix = root.prefix ? `${root.prefix}/` : '';
  state.stats.prefixes.push(prefix);
  for await (const object of store.list(prefix)) {
    options.signal?.throwIfAborted();
    state.stats.listed++;
    const kind = classifyKey(object.key);
    const name = kind === 'log' ? parseLogFileName(baseName(object.key)) : undefined;
    if (name) {
      state.accounts.add(name.account);
      state.regions.add(name.region);
    }
    // A folder that could not be listed may have held anything: always a failure.
    const unreadFolder = object.unreadable !== undefined && object.key.endsWith('/');
    const select =
      unreadFolder ||
      (name
        ? selectLogFile(object.key, name, scope)
        : kind === 'other' && !scope.delivery && isGenericEventFile(object.key));
    if (select) {
      state.stats.selected++;
      yield planned(object, name);
    } else {
      if (!name && scope.delivery && kind === 'other' && isGenericEventFile(object.key)) state.unstamped++;
      state.stats.skipped++;
    }
  }
  state.done = true;
}

/**
 * A JSON file read whole. Inside a copy of a log bucket, only the CloudTrail/ tree holds events:
 * AWS Config, ELB and other services also deliver under AWSLogs/<account>/.
 */
function isGenericEventFile(key: string): boolean {
  if (!GENERIC_EVENT_FILE.test(key)) return false;
  const folders = key.split('/').slice(0, -1);
  const awsLogs = folders.indexOf('AWSLogs');
  return awsLogs === -1 || folders.slice(awsLogs + 1).includes('CloudTrail');
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * `fn` over `items` with at most `concurrency` calls in flight, results yielded in input order.
 * Items may arrive asynchronously (day folders as accounts' regions are listed): new calls are
 * started in the background, so a result that is ready is never held back by an item still to
 * come; an error of `items` surfaces after the results of the items before it.
 */
async function* mapOrdered<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<[T, R]> {
  const source =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (async function* () {
          yield* items as Iterable<T>;
        })();
  const inFlight: Array<[T, Promise<R>]> = [];
  let exhausted = false;
  let failure: { error: unknown } | undefined;
  let filling: Promise<void> | undefined;
  /** Called when a call is started: the loop may be waiting for a first one. */
  let started: (() => void) | undefined;
  const fill = async (): Promise<void> => {
    while (!exhausted && inFlight.length < concurrency) {
      const next = await source.next();
      if (next.done === true) exhausted = true;
      else {
        const p = fn(next.value);
        p.catch(() => undefined); // surfaced when awaited in order; avoids unhandled rejections after an early stop
        inFlight.push([next.value, p]);
        started?.();
      }
    }
  };
  /** One fill at a time, in the background; its error is kept for its turn. */
  const refill = (): Promise<void> =>
    (filling ??= fill()
      .catch((error: unknown) => {
        failure = { error };
        exhausted = true;
      })
      .finally(() => (filling = undefined)));
  try {
    void refill();
    while (inFlight.length > 0 || !exhausted) {
      if (inFlight.length === 0) {
        // Until one call starts (or the items run out), not until the whole fill is done: the
        // next item after it may be a long way off.
        const oneStarted = new Promise<void>((resolve) => (started = resolve));
        await Promise.race([oneStarted, refill()]);
        started = undefined;
        continue;
      }
      const [item, result] = inFlight.shift() as [T, Promise<R>];
      const value = await result;
      void refill();
      yield [item, value];
    }
    if (failure) throw failure.error;
  } finally {
    await filling;
    await source.return?.(undefined);
  }
}
