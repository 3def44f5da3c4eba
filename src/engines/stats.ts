/** Empty statistics, the starting point of every engine's counts. */
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
