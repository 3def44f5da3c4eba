/**
 * The test S3 server lists like S3: paging with small MaxKeys (s3rver's DES tokens), CommonPrefixes
 * at any depth, and both counted against MaxKeys. Expected listings come from the fixture keys.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server } from '../helpers/s3-server.js';
import type { S3TestServer } from '../helpers/s3-server.js';

const BUCKET = 'harness-check';
// Deep keys only (no object one level below AWSLogs/), plus names where file-system order and key
// order differ ('-' and '.' sort before '/').
const KEYS = [
  ...['111111111111', '222222222222', '333333333333', 'o-abcdefghij'].flatMap((a) =>
    ['us-east-1', 'eu-west-1'].map(
      (r) => `AWSLogs/${a}/CloudTrail/${r}/2024/02/29/${a}_CloudTrail_${r}_20240229T1000Z_x.json.gz`,
    ),
  ),
  'AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/02/29/d.json.gz',
  'AWSLogs/111111111111/CloudTrail.txt',
  'AWSLogs/readme',
  'a-b',
  'a.c',
  'a/b/c',
  'top',
];

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  await server.putMany(
    BUCKET,
    KEYS.map((key) => ({ key, body: `body of ${key}` })),
  );
});
afterAll(() => server?.close());

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function pages(input: {
  Prefix?: string;
  Delimiter?: string;
  MaxKeys: number;
}): Promise<ListObjectsV2CommandOutput[]> {
  const out: ListObjectsV2CommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await server.client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, ...input, ContinuationToken: token }),
    );
    out.push(page);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

describe('s3rver harness', () => {
  it('pages through every key in byte order with MaxKeys 3', async () => {
    const all = await pages({ MaxKeys: 3 });
    expect(all.map((p) => p.Contents?.length ?? 0)).toEqual([
      ...Array(Math.floor(KEYS.length / 3)).fill(3),
      ...(KEYS.length % 3 ? [KEYS.length % 3] : []),
    ]);
    expect(all.flatMap((p) => p.Contents ?? []).map((c) => c.Key)).toEqual([...KEYS].sort(byteOrder));
  });

  it('pages within a prefix', async () => {
    const prefix = 'AWSLogs/111111111111/';
    const all = await pages({ Prefix: prefix, MaxKeys: 2 });
    expect(all.length).toBeGreaterThan(1);
    expect(all.flatMap((p) => p.Contents ?? []).map((c) => c.Key)).toEqual(
      KEYS.filter((k) => k.startsWith(prefix)).sort(byteOrder),
    );
  });

  it('returns CommonPrefixes at any depth, paged one entry at a time', async () => {
    for (const prefix of ['', 'AWSLogs/', 'AWSLogs/111111111111/', 'AWSLogs/222222222222/CloudTrail/']) {
      const expectedPrefixes = new Set<string>();
      const expectedKeys: string[] = [];
      for (const key of KEYS.filter((k) => k.startsWith(prefix))) {
        const rest = key.slice(prefix.length);
        if (rest.includes('/')) expectedPrefixes.add(prefix + rest.slice(0, rest.indexOf('/') + 1));
        else expectedKeys.push(key);
      }
      const all = await pages({ Prefix: prefix, Delimiter: '/', MaxKeys: 1 });
      // S3 counts keys and prefixes together against MaxKeys.
      expect(
        all.every((p) => (p.Contents?.length ?? 0) + (p.CommonPrefixes?.length ?? 0) === 1),
        prefix,
      ).toBe(true);
      expect(
        all.flatMap((p) => p.CommonPrefixes ?? []).map((p) => p.Prefix),
        prefix,
      ).toEqual([...expectedPrefixes].sort(byteOrder));
      expect(
        all.flatMap((p) => p.Contents ?? []).map((c) => c.Key),
        prefix,
      ).toEqual(expectedKeys.sort(byteOrder));
    }
  });

  it('stores uploaded bytes exactly (no chunk framing)', async () => {
    const key = 'a/b/c';
    const res = await server.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await res.Body?.transformToString()).toBe(`body of ${key}`);
  });

  it('serves seeded objects like uploaded ones', async () => {
    const seeded = ['seeded/2', 'seeded/1', 'seeded/deeper/3'];
    await server.seed(
      BUCKET,
      seeded.map((key) => ({ key, body: `seeded ${key}` })),
    );
    const listed = (await pages({ Prefix: 'seeded/', MaxKeys: 2 })).flatMap((p) => p.Contents ?? []);
    expect(listed.map((c) => [c.Key, c.Size])).toEqual(
      [...seeded].sort(byteOrder).map((k) => [k, `seeded ${k}`.length]),
    );
    const res = await server.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'seeded/deeper/3' }));
    expect(res.ContentLength).toBe('seeded seeded/deeper/3'.length);
    expect(await res.Body?.transformToString()).toBe('seeded seeded/deeper/3');
  });

  it('records requests and injects a fault a given number of times', async () => {
    server.inject({ kind: 'SlowDown', operation: 'get', key: 'top', times: 1 });
    const client = server.createClient({ maxAttempts: 1 });
    await expect(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'top' }))).rejects.toMatchObject({
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    const ok = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'top' }));
    expect(await ok.Body?.transformToString()).toBe('body of top');
    expect(server.requests.filter((r) => r.method === 'GET' && r.key === 'top')).toHaveLength(2);
  });
});
