/**
 * The latency bench's S3 server (bench/latency-server.ts) speaks enough S3 for the AWS SDK and the
 * CLI: ListObjectsV2 pages and GetObject bodies byte for byte, with latency and a link cap set
 * (how long answers take is not asserted: no timing in tests). And the latency report's ratios
 * from hand-made runs.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLatencyS3Server, type LatencyS3Server } from '../../bench/latency-server.js';
import { latencyRows, latencyTargets, type LatencyRun } from '../../bench/latency-report.js';

let dir = '';
let server: LatencyS3Server;
let client: S3Client;
const files: Record<string, Buffer> = {
  'AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/01/a.json.gz': Buffer.from([1, 2, 3, 0, 255]),
  'AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/02/b.json.gz': Buffer.alloc(70_000, 7),
  'AWSLogs/111111111111/CloudTrail/eu-west-1/2024/01/01/c.json.gz': Buffer.from('c'),
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'latency-server-'));
  for (const [key, body] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, key)), { recursive: true });
    await writeFile(path.join(dir, key), body);
  }
  server = await startLatencyS3Server({ dir, ttfbMs: 30, bytesPerSecond: 1e6 });
  client = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('latency S3 server', () => {
  it('lists keys in order, with folders, in pages', async () => {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: server.bucket,
        Prefix: 'AWSLogs/111111111111/CloudTrail/',
        Delimiter: '/',
      }),
    );
    expect(page.CommonPrefixes?.map((p) => p.Prefix)).toEqual([
      'AWSLogs/111111111111/CloudTrail/eu-west-1/',
      'AWSLogs/111111111111/CloudTrail/us-east-1/',
    ]);
    const first = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, MaxKeys: 2 }));
    expect(first.IsTruncated).toBe(true);
    const rest = await client.send(
      new ListObjectsV2Command({ Bucket: server.bucket, ContinuationToken: first.NextContinuationToken }),
    );
    expect([...(first.Contents ?? []), ...(rest.Contents ?? [])].map((o) => o.Key)).toEqual(
      Object.keys(files).sort(),
    );
  });

  it('serves every object byte for byte, also after its latency is changed', async () => {
    for (const ttfbMs of [30, 0]) {
      server.configure({ ttfbMs, bytesPerSecond: 0 });
      for (const [key, body] of Object.entries(files)) {
        const res = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: key }));
        expect(Buffer.from(await res.Body!.transformToByteArray()).equals(body)).toBe(true);
      }
    }
    expect(server.objects).toBe(3);
    expect(server.requests()).toBeGreaterThanOrEqual(6);
  });

  it('answers a missing key with NoSuchKey', async () => {
    await expect(
      client.send(new GetObjectCommand({ Bucket: server.bucket, Key: 'nope' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});

describe('latency report', () => {
  const run = (workMs: number): LatencyRun => ({
    workMs,
    count: 7,
    cpuMs: 1,
    serverCpuMs: 1,
    maxRssKb: 1024,
  });
  it('compares each tool with itself at 0 ms and the scan engine with the SDK peer', () => {
    const runs = new Map([
      ['0/scan-s3', [run(10_000)]],
      ['0/sdk-peer', [run(20_000)]],
      ['50/scan-s3', [run(12_500), run(11_000), run(14_000)]],
      ['50/sdk-peer', [run(100_000)]],
    ]);
    const rows = latencyRows(runs, [0, 50], { objects: 1_000, bytes: 10e6, uncompressed: 100e6 });
    const scan50 = rows.find((r) => r.tool === 'scan-s3' && r.latencyMs === 50)!;
    // Median 12.5 s: 80 objects/s, 0.8 MB/s gzip; 0.8x its 100 objects/s at 0 ms; 8x the peer's 10.
    expect(scan50.objectsPerSecond).toBeCloseTo(80, 6);
    expect(scan50.mbPerSecond).toBeCloseTo(0.8, 6);
    expect(scan50.vsNoLatency).toBeCloseTo(0.8, 6);
    expect(scan50.vsSdk).toBeCloseTo(8, 6);
    expect(latencyTargets(rows)).toEqual([expect.objectContaining({ value: '0.80x', met: true })]);
  });
});
