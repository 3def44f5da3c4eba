/**
 * What a search would read, estimated by listing a sample of it: every account folder in scope
 * (one call per location, plus one per organization), the regions of a few accounts spread over
 * the list, and a few of their day folders spread over the window. The sampled folders' objects
 * in the window, averaged per folder, are extrapolated to accounts x regions x days. The time of
 * each call is measured: the fastest is the latency the scan would wait on every request.
 */
import type { TimeWindow } from '../investigation.js';
import {
  dayFolders,
  parseLogFileName,
  baseName,
  classifyKey,
  regionPrefix,
  stampInWindow,
} from '../source/layout.js';
import { LIST_CONCURRENCY, accountRegions, discoverAccounts, type PlanRoot } from '../source/planner.js';
import type { ObjectStore } from '../source/types.js';
import type { LayoutEstimate } from './cost-model.js';

/** Accounts whose regions are listed, at most, per location. */
export const SAMPLE_ACCOUNTS = 8;
/** Day folders listed, at most, per location. */
export const SAMPLE_FOLDERS = 24;

export interface SampleScope {
  window: TimeWindow;
  regions: string[] | 'all';
  accounts: string[] | 'all';
  lagMs: number;
}

/**
 * `k` items of `items` spread over the list without a fixed stride (the golden ratio's multiples,
 * modulo 1): a stride would alias with the layout's own periods (every other folder the lag's
 * extra day, every 17th us-east-1). All of them when there are no more than `k`.
 */
export function spread<T>(items: readonly T[], k: number): T[] {
  if (items.length <= k) return [...items];
  const picked = new Set<number>();
  for (let i = 0; picked.size < k; i++) {
    picked.add(Math.floor((((i + 0.5) * GOLDEN) % 1) * items.length));
  }
  return [...picked].sort((a, b) => a - b).map((i) => items[i] as T);
}

const GOLDEN = (Math.sqrt(5) - 1) / 2;

/** `store` with the duration of every listing call recorded in `times`. */
function timed(store: ObjectStore, times: number[], now: () => number): ObjectStore {
  return {
    description: store.description,
    get: (key, signal, size) => store.get(key, signal, size),
    listFolders: async (prefix, signal) => {
      const t = now();
      const folders = await store.listFolders(prefix, signal);
      times.push(now() - t);
      return folders;
    },
    async *list(prefix, signal) {
      let t = now();
      for await (const o of store.list(prefix, signal)) {
        if (t >= 0) times.push(now() - t);
        t = -1;
        yield o;
      }
      if (t >= 0) times.push(now() - t);
    },
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface LocationSample {
  accounts: number;
  regions: number;
  folders: number;
  sampled: number;
  objects: number;
  bytes: number;
}

async function sampleLocation(
  store: ObjectStore,
  root: PlanRoot,
  scope: SampleScope,
  signal: AbortSignal | undefined,
): Promise<LocationSample> {
  const days = dayFolders(scope.window, scope.lagMs);
  const accounts = (await discoverAccounts(store, root.prefix, LIST_CONCURRENCY, signal)).filter(
    (a) => scope.accounts === 'all' || scope.accounts.includes(a.account),
  );
  const sampledAccounts = spread(accounts, SAMPLE_ACCOUNTS);
  const regionLists = await mapLimit(sampledAccounts, LIST_CONCURRENCY, async (a) =>
    (await accountRegions(store, root.prefix, a, signal)).filter(
      (r) => scope.regions === 'all' || scope.regions.includes(r),
    ),
  );
  const regionsPerAccount =
    regionLists.reduce((n, list) => n + list.length, 0) / Math.max(1, sampledAccounts.length);
  const distinctRegions = new Set(regionLists.flat()).size;
  const candidates = sampledAccounts.flatMap((a, i) =>
    (regionLists[i] ?? []).flatMap((region) =>
      days.map((day) => `${regionPrefix(root.prefix, a.orgId, a.account, region)}${day}/`),
    ),
  );
  const sampled = spread(candidates, SAMPLE_FOLDERS);
  const listed = await mapLimit(sampled, LIST_CONCURRENCY, async (prefix) => {
    let objects = 0;
    let bytes = 0;
    for await (const o of store.list(prefix, signal)) {
      const name = classifyKey(o.key) === 'log' ? parseLogFileName(baseName(o.key)) : undefined;
      if (name && stampInWindow(name.delivered, scope.window, scope.lagMs)) {
        objects++;
        bytes += o.size;
      }
    }
    return { objects, bytes };
  });
  const folders = accounts.length * regionsPerAccount * days.length;
  const perFolder = (pick: (x: { objects: number; bytes: number }) => number) =>
    sampled.length === 0 ? 0 : listed.reduce((n, x) => n + pick(x), 0) / sampled.length;
  return {
    accounts: accounts.length,
    regions: distinctRegions,
    folders,
    sampled: sampled.length,
    objects: perFolder((x) => x.objects) * folders,
    bytes: perFolder((x) => x.bytes) * folders,
  };
}

/** The layout of every location, from a sample of each (listed in parallel). */
export async function sampleLayout(
  targets: ReadonlyArray<{ store: ObjectStore; root: PlanRoot }>,
  scope: SampleScope,
  signal?: AbortSignal,
  now: () => number = () => performance.now(),
): Promise<LayoutEstimate> {
  const times: number[] = [];
  const samples = await Promise.all(
    targets.map((t) => sampleLocation(timed(t.store, times, now), t.root, scope, signal)),
  );
  const sum = (pick: (s: LocationSample) => number) => samples.reduce((n, s) => n + pick(s), 0);
  return {
    accounts: sum((s) => s.accounts),
    regionQueries: sum((s) => s.regions),
    locations: samples.length,
    dayFolders: Math.round(sum((s) => s.folders)),
    objects: Math.round(sum((s) => s.objects)),
    bytes: Math.round(sum((s) => s.bytes)),
    sampledFolders: sum((s) => s.sampled),
    // The fastest call: a round trip with nothing queued (a GET is answered faster than a LIST,
    // and a busy moment of the machine making the calls should not decide the engine).
    latencyMs: times.length === 0 ? 0 : Math.min(...times),
  };
}
