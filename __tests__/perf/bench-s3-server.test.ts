/**
 * The benchmark's lean S3-protocol server (bench/s3-server.ts) as the real AWS SDK sees it: listings
 * hold exactly the folder's files in S3's order (expected from a separate walk of the folder),
 * objects read back byte for byte, errors carry S3's codes; and the CLI finds the same events
 * through it as in the folder itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBenchS3Server, type BenchS3Server } from '../../bench/s3-server.js';
import { generateObjects } from '../../tools/generate/index.js';
import { runCli } from '../helpers/cli.js';
import { cloudTrailFiles, inWindow, jqEventIds } from '../helpers/jq.js';

/** Names that S3 and JS order differently (U+FFFD sorts before an emoji in UTF-8 order, after it in UTF-16) or that XML must escape. */
const ODD_NAMES = ['a&b<c>"d\'.txt', 'sp ace+plus.txt', '\u{1F600}.txt', '\uFFFD.txt', 'z%41.txt', 'é.txt'];

let dir = '';
let server: BenchS3Server;
let client: S3Client;

/** Keys of every file under `root`, by a walk of its own. */
async function walk(root: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for (const name of await readdir(path.join(root, prefix))) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const sub = await readdir(path.join(root, rel)).catch(() => undefined);
    if (sub) keys.push(...(await walk(root, rel)));
    else keys.push(rel);
  }
  return keys;
}

/** S3 lists keys in UTF-8 byte order, which is Unicode code point order. */
function codePointOrder(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bench-s3-'));
  const objects = [
    ...generateObjects({
      seed: 'bench-s3-server',
      accounts: ['111111111111', '222222222222'],
      regions: ['us-east-1', 'eu-west-1'],
      start: '2024-05-01T00:00:00Z',
      days: 2,
      filesPerHour: 1,
      recordsPerFile: [3, 8],
    }),
  ];
  for (const o of objects) {
    const file = path.join(dir, 'logs', ...o.key.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, o.body);
  }
  await mkdir(path.join(dir, 'odd', 'deep', 'er'), { recursive: true });
  for (const name of ODD_NAMES) await writeFile(path.join(dir, 'odd', name), name);
  await writeFile(path.join(dir, 'odd', 'deep', 'er', 'x.txt'), 'x');
  await writeFile(path.join(dir, 'odd', 'deep', 'y.txt'), 'y');
  await writeFile(path.join(dir, 'top.txt'), 'top');
  await writeFile(path.join(dir, 'odd', 'big.bin'), randomBytes(300_000));
  server = await startBenchS3Server({ dir, bucket: 'bench-bucket', bufferLimit: 64 * 1024 });
  client = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every page of a listing: keys, common prefixes, and how many pages it took. */
async function listAll(params: {
  Prefix?: string;
  Delimiter?: string;
  MaxKeys?: number;
  StartAfter?: string;
}) {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: 'bench-bucket', ...params, ContinuationToken: token }),
    );
    pages++;
    const contents = page.Contents ?? [];
    const common = page.CommonPrefixes ?? [];
    expect(page.KeyCount).toBe(contents.length + common.length);
    if (params.MaxKeys !== undefined) expect(page.KeyCount).toBeLessThanOrEqual(params.MaxKeys);
    keys.push(...contents.map((c) => c.Key!));
    prefixes.push(...common.map((c) => c.Prefix!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated) expect(token).toBeTruthy();
  } while (token);
  return { keys, prefixes, pages };
}

describe('the benchmark S3 server, through the AWS SDK', () => {
  it('lists every file of the folder, in UTF-8 byte order, across pages', async () => {
    const expected = (await walk(dir)).sort(codePointOrder);
    expect(expected.length).toBeGreaterThan(150);
    const all = await listAll({});
    expect(all.keys).toEqual(expected);
    expect(all.pages).toBe(1);
    const paged = await listAll({ MaxKeys: 7 });
    expect(paged.keys).toEqual(expected);
    expect(paged.pages).toBe(Math.ceil(expected.length / 7));
    // The order really is not JS string order for these names.
    const odd = expected.filter((k) => k.startsWith('odd/') && !k.includes('deep'));
    expect(odd).not.toEqual([...odd].sort());
  });

  it('rolls keys into CommonPrefixes at any depth and pages through them', async () => {
    const files = await walk(dir);
    for (const prefix of ['', 'odd/', 'logs/AWSLogs/', 'logs/AWSLogs/111111111111/CloudTrail/']) {
      const under = files.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      const expectedKeys = under
        .filter((k) => !k.includes('/'))
        .map((k) => prefix + k)
        .sort(codePointOrder);
      const expectedPrefixes = [...new Set(under.filter((k) => k.includes('/')).map((k) => k.split('/')[0]!))]
        .map((k) => `${prefix}${k}/`)
        .sort(codePointOrder);
      expect(expectedKeys.length + expectedPrefixes.length, prefix).toBeGreaterThan(1);
      for (const maxKeys of [1, 2, 1000]) {
        const got = await listAll({ Prefix: prefix, Delimiter: '/', MaxKeys: maxKeys });
        expect(got.keys, `${prefix} ${maxKeys}`).toEqual(expectedKeys);
        expect(got.prefixes, `${prefix} ${maxKeys}`).toEqual(expectedPrefixes);
      }
    }
  });

  it('starts after StartAfter and lists nothing for an unknown prefix', async () => {
    const expected = (await walk(dir)).sort(codePointOrder);
    const from = expected[10]!;
    expect((await listAll({ StartAfter: from, MaxKeys: 50 })).keys).toEqual(expected.slice(11));
    expect((await listAll({ Prefix: 'nothing/here/' })).keys).toEqual([]);
  });

  it('returns each object byte for byte with its length and type, small and streamed', async () => {
    const files = await walk(dir);
    const picks = [
      files.find((k) => k.endsWith('.json.gz'))!,
      ...ODD_NAMES.map((n) => `odd/${n}`),
      'top.txt',
      // Larger than the buffer limit (64 KB here): streamed from disk.
      'odd/big.bin',
    ];
    expect(files).toContain('odd/big.bin');
    for (const key of picks) {
      const bytes = await readFile(path.join(dir, ...key.split('/')));
      const res = await client.send(new GetObjectCommand({ Bucket: 'bench-bucket', Key: key }));
      const body = await res.Body!.transformToByteArray();
      expect(Buffer.from(body).equals(bytes), key).toBe(true);
      expect(res.ContentLength).toBe(bytes.length);
      expect(res.ContentType).toBe('binary/octet-stream');
      expect(res.ETag).toMatch(/^".+"$/);
      expect(res.LastModified).toBeInstanceOf(Date);
      const head = await client.send(new HeadObjectCommand({ Bucket: 'bench-bucket', Key: key }));
      expect(head.ContentLength).toBe(bytes.length);
      expect(head.ETag).toBe(res.ETag);
    }
  });

  it('answers NoSuchKey and NoSuchBucket with 404 and S3 error codes', async () => {
    const missing = await client
      .send(new GetObjectCommand({ Bucket: 'bench-bucket', Key: 'logs/no-such-key.json.gz' }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(S3ServiceException);
    expect((missing as S3ServiceException).name).toBe('NoSuchKey');
    expect((missing as S3ServiceException).$metadata.httpStatusCode).toBe(404);
    const bucket = await client
      .send(new ListObjectsV2Command({ Bucket: 'other-bucket' }))
      .catch((e: unknown) => e);
    expect((bucket as S3ServiceException).name).toBe('NoSuchBucket');
    expect((bucket as S3ServiceException).$metadata.httpStatusCode).toBe(404);
    await expect(client.send(new HeadBucketCommand({ Bucket: 'bench-bucket' }))).resolves.toBeTruthy();
  });
});

describe('the CLI through the benchmark S3 server', () => {
  it('finds the same events over s3:// as over the local folder', async () => {
    const since = '2024-05-01T03:00:00Z';
    const until = '2024-05-02T20:00:00Z';
    const filter = '{"eventname":["ConsoleLogin","AssumeRole","GetObject","PutObject"]}';
    const select =
      '(.eventName == "ConsoleLogin" or .eventName == "AssumeRole" or .eventName == "GetObject" or .eventName == "PutObject")';
    const ids = async (source: string, env: Record<string, string>): Promise<string[]> => {
      const out = await mkdtemp(path.join(os.tmpdir(), 'bench-s3-out-'));
      try {
        const run = await runCli(
          ['--source', source, '--filter', filter, '--since', since, '--until', until, '--out-dir', out],
          { env },
        );
        expect([0, 1], run.stderr).toContain(run.code);
        const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
          complete: boolean;
        };
        expect(summary.complete).toBe(true);
        const text = await readFile(path.join(out, 'results.jsonl'), 'utf8');
        return text
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { eventID: string }).eventID)
          .sort();
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    };
    const local = await ids(path.join(dir, 'logs'), {});
    const s3 = await ids(`s3://bench-bucket/logs`, server.env);
    const expected = await jqEventIds(
      await cloudTrailFiles(path.join(dir, 'logs')),
      `${select} and ${inWindow(since, until)}`,
    );
    expect(expected.length).toBeGreaterThan(10);
    expect(local).toEqual(expected);
    expect(s3).toEqual(expected);
  }, 120_000);
});
