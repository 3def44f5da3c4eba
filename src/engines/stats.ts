/** Empty statistics, the starting point of every engine's counts, and their order. */
import type { RegionStats, SearchStats } from './types.js';

export function emptySearchStats(engine: 'scan' | 'athena', engineReason: string): SearchStats {
  return {
    engine,
    engineReason,
    objectsListed: 0,
    objectsRead: 0,
    objectsSkipped: 0,
    bytesRead: 0,
    bytesUncompressed: 0,
    recordsScanned: 0,
    recordsOutsideWindow: 0,
    failures: [],
    regions: [],
    warnings: [],
  };
}

export function emptyRegionStats(region: string): RegionStats {
  return {
    region,
    status: 'complete',
    objects: 0,
    bytes: 0,
    records: 0,
    matches: 0,
    durationMs: 0,
    errors: [],
  };
}

/**
 * The order of `SearchStats.regions` for every engine: by region name, in code-point order (not
 * the locale's), so the same search lists its regions alike whatever engine ran it and wherever.
 */
export function byRegionName(a: RegionStats, b: RegionStats): number {
  return a.region < b.region ? -1 : a.region > b.region ? 1 : 0;
}

/** Everything asked for was read: no failure, every region complete. */
export function isComplete(stats: Pick<SearchStats, 'failures' | 'regions'>): boolean {
  return stats.failures.length === 0 && stats.regions.every((r) => r.status === 'complete');
}
