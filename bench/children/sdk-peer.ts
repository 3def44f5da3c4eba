/**
 * The peer a user would write with the AWS SDK's own S3 client, default settings (only path-style
 * addressing, which a local endpoint needs): ListObjectsV2 pages under a prefix, a GetObject for
 * each key as it is listed with p-limit's concurrency (16 unless told), gunzip, JSON.parse, and a
 * filter on eventName and eventTime. Times the first listing to the last object. Prints one JSON
 * line: {"workMs", "count", "objects", "bytes", "maxRssKb", "cpuMs"}.
 *
 * Usage: node sdk-peer.js <bucket> <prefix> <concurrency> <eventName> <since> <until>
 * (endpoint, region and keys from the environment, as for any SDK program).
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';

const gunzipAsync = promisify(gunzip);

interface CloudTrailRecord {
  eventName?: string;
  eventTime?: string;
}

async function main(): Promise<void> {
  const [bucket = '', prefix = '', concurrencyText = '16', eventName = '', since = '', until = ''] =
    process.argv.slice(2);
  const client = new S3Client({ forcePathStyle: true });
  const limit = pLimit(Number(concurrencyText));
  const started = performance.now();
  let count = 0;
  let objects = 0;
  let bytes = 0;
  const reads: Array<Promise<void>> = [];
  for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) {
      const key = o.Key;
      if (key === undefined || !key.endsWith('.json.gz')) continue;
      reads.push(
        limit(async () => {
          const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          const body = await res.Body!.transformToByteArray();
          const doc = JSON.parse((await gunzipAsync(body)).toString('utf8')) as {
            Records?: CloudTrailRecord[];
          };
          for (const r of doc.Records ?? []) {
            if (
              r.eventName === eventName &&
              r.eventTime !== undefined &&
              r.eventTime >= since &&
              r.eventTime < until
            )
              count++;
          }
          objects++;
          bytes += body.length;
        }),
      );
    }
  }
  await Promise.all(reads);
  const workMs = performance.now() - started;
  const usage = process.resourceUsage();
  console.log(
    JSON.stringify({
      workMs,
      count,
      objects,
      bytes,
      maxRssKb: usage.maxRSS,
      cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    }),
  );
  client.destroy();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
