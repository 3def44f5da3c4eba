/**
 * Listing never waits on one folder after another: the planner lists every day folder of every
 * region (here 3 regions x 5 day folders) at once, up to LIST_CONCURRENCY, and hands out the
 * first folder's objects while slower folders are still being listed. Against the S3 test server,
 * with the last day's folders answered late on purpose.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_LAG_MS } from '../../src/source/layout.js';
import { LIST_CONCURRENCY, planObjects } from '../../src/source/planner.js';
import { S3Store } from '../../src/source/s3-store.js';
import type { ObjectStore } from '../../src/source/types.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';

const BUCKET = 'parallel-listing';
const ACCOUNT = '123456789012';
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2'];
const DAYS = ['2024/01/01', '2024/01/02', '2024/01/03', '2024/01/04', '2024/01/05'];

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server();
  const body = gzipSync('{"Records":[]}');
  const objects = REGIONS.flatMap((region) =>
    DAYS.flatMap((day) =>
      ['0010', '1210'].map((hhmm) => ({
        key: `AWSLogs/${ACCOUNT}/CloudTrail/${region}/${day}/${ACCOUNT}_CloudTrail_${region}_${day.replaceAll('/', '')}T${hhmm}Z_abcdefghijklmnop.json.gz`,
        body,
      })),
    ),
  );
  await server.seed(BUCKET, objects);
});

afterAll(async () => {
  await server?.close();
});

describe('S3 listing', () => {
  it('lists every day folder of every region at once and reads the first while the rest are listed', async () => {
    // The window's 4 days and the next (late deliveries): 5 day folders in each of 3 regions.
    server.inject({ kind: 'delay', operation: 'list', key: /2024\/01\/05\/$/, ms: 1_500 });
    const s3 = new S3Store({ client: server.createClient(), bucket: BUCKET });
    let inFlight = 0;
    let most = 0;
    const counting: ObjectStore = {
      description: s3.description,
      get: (key, signal, size) => s3.get(key, signal, size),
      listFolders: (prefix, signal) => s3.listFolders(prefix, signal),
      async *list(prefix, signal) {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          yield* s3.list(prefix, signal);
        } finally {
          inFlight--;
        }
      },
    };
    const plan = planObjects(
      counting,
      { kind: 's3', prefix: '' },
      {
        window: { since: new Date('2024-01-01T00:00:00Z'), until: new Date('2024-01-05T00:00:00Z') },
        regions: 'all',
        accounts: 'all',
        lagMs: DELIVERY_LAG_MS,
      },
    );
    let listingAtFirstObject: number | undefined;
    const keys: string[] = [];
    for await (const o of plan.objects) {
      listingAtFirstObject ??= inFlight;
      keys.push(o.key);
    }
    expect(LIST_CONCURRENCY).toBeGreaterThanOrEqual(15);
    expect(most).toBe(REGIONS.length * DAYS.length);
    // The first folder's objects came out while the late folders were still being listed.
    expect(listingAtFirstObject).toBeGreaterThanOrEqual(REGIONS.length);
    // 2 files a day in each region for the 4 days; on the 5th day only the 00:10 delivery falls
    // within the hour of late deliveries.
    expect(keys).toHaveLength(REGIONS.length * (4 * 2 + 1));
    server.clearFaults();
  });
});
