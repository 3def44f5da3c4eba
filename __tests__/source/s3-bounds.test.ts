/**
 * The S3 store's bounds against a hostile endpoint (a real HTTP server on 127.0.0.1), through
 * signed GETs and through the SDK: listings capped in pages, bodies capped at their listed size,
 * reads capped in time by a deadline proportional to the listed size; and the listing parser's
 * cost linear in the answer's length.
 */
import type http from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { S3Store, S3StoreError } from '../../src/source/s3-store.js';
import { parseListObjectsV2 } from '../../src/source/s3-xml.js';
import { startHostileS3, type HostileS3, type HostileS3Options } from '../helpers/hostile-s3.js';

const BUCKET = 'bounds';
let server: HostileS3 | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function storeOn(
  options: Partial<HostileS3Options>,
  reads: 'signed' | 'sdk',
  extra: Partial<ConstructorParameters<typeof S3Store>[0]> = {},
): Promise<S3Store> {
  server = await startHostileS3({ bucket: BUCKET, objects: new Map(), ...options });
  const client = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' },
  });
  return new S3Store({ client, bucket: BUCKET, reads, maxAttempts: 1, ...extra });
}

async function failureOf(p: Promise<unknown>): Promise<S3StoreError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(S3StoreError);
    return err as S3StoreError;
  }
  throw new Error('expected a failure');
}

async function drain(items: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of items) n++;
  return n;
}

describe.each(['signed', 'sdk'] as const)('S3 bounds, %s reads', (reads) => {
  it('a listing with fresh tokens forever stops at the page cap, naming the prefix', async () => {
    let next = 0;
    const store = await storeOn(
      {
        listing: () =>
          `<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>k${next}</Key><Size>1</Size></Contents>` +
          `<NextContinuationToken>tok-${next++}</NextContinuationToken></ListBucketResult>`,
      },
      reads,
      { maxPages: 5 },
    );
    const err = await failureOf(drain(store.list('some/prefix/')));
    expect(err.message).toContain(`s3://${BUCKET}/some/prefix/`);
    expect(err.message).toMatch(/more than 5 pages/);
    expect(server!.lists).toHaveLength(5);
  });

  it('a body longer than its listed size fails at once, unread beyond it, and is not retried', async () => {
    let sent = 0;
    const store = await storeOn(
      {
        object: (_key, res: http.ServerResponse) => {
          // 64 MiB announced and streamed in 64 KiB chunks, while the listing said 4 KiB.
          res.writeHead(200, { 'content-length': 64 * 1024 * 1024 });
          const chunk = Buffer.alloc(64 * 1024, 0x41);
          const pump = (): void => {
            while (sent < 64 * 1024 * 1024 && !res.destroyed) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
          return true;
        },
      },
      reads,
      { maxAttempts: 4 },
    );
    const err = await failureOf(store.get('AWSLogs/big.json.gz', undefined, 4096));
    expect(err.message).toContain('AWSLogs/big.json.gz');
    expect(err.message).toMatch(/larger than the 4096 bytes/);
    expect(err.transient).toBe(false);
    expect(server!.gets).toHaveLength(1);
    // Far less than the 64 MiB were ever sent (the connection was dropped).
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it('a body trickled slower than the minimum rate fails at its deadline', async () => {
    const timers: NodeJS.Timeout[] = [];
    const store = await storeOn(
      {
        object: (_key, res: http.ServerResponse) => {
          // 4 KiB at one byte per 20 ms: 82 s in all; never idle for long.
          res.writeHead(200, { 'content-length': 4096 });
          const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write('x')), 20);
          timers.push(t);
          return true;
        },
      },
      reads,
      // Deadline = idle timeout (500 ms) + 4096 B at 8 KiB/s (500 ms) = 1 s.
      { idleTimeoutMs: 500, minBytesPerSecond: 8 * 1024 },
    );
    const start = Date.now();
    const err = await failureOf(store.get('AWSLogs/slow.json.gz', undefined, 4096));
    const took = Date.now() - start;
    for (const t of timers) clearInterval(t);
    expect(err.message).toContain('AWSLogs/slow.json.gz');
    expect(err.message).toMatch(/within 1000 ms/);
    expect(err.transient).toBe(true);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
  });
});

describe.each(['signed', 'sdk'] as const)('403s about credentials or the clock, %s reads', (reads) => {
  const cases: Array<[string, RegExp]> = [
    ['ExpiredToken', /session token has expired/],
    ['TokenRefreshRequired', /must be refreshed/],
    ['InvalidToken', /session token is malformed/],
    ['RequestTimeTooSkewed', /clock differs from AWS's/],
  ];
  for (const [code, hint] of cases) {
    it(`${code} is said as such, never as a missing permission`, async () => {
      const answer = (res: http.ServerResponse) =>
        res
          .writeHead(403, { 'content-type': 'application/xml' })
          .end(`<Error><Code>${code}</Code><Message>refused</Message></Error>`);
      const store = await storeOn(
        {
          listing: () => null,
          object: (_key, res) => {
            answer(res);
            return true;
          },
        },
        reads,
      );
      const err = await failureOf(store.get('AWSLogs/k.json.gz'));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(hint);
      expect(err.message).toContain('s3://bounds/AWSLogs/k.json.gz');
      expect(err.message).not.toMatch(/Access denied|s3:GetObject|s3:ListBucket/);
      expect(err.transient).toBe(false);
    });
  }
});

describe('parseListObjectsV2 costs time linear in the answer', () => {
  /** Fastest of three parses (the machine is shared): ms. Flat text, as a response body decodes to. */
  function timeOf(text: string): number {
    const xml = Buffer.from(text).toString('utf8');
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const start = process.hrtime.bigint();
      try {
        parseListObjectsV2(xml);
      } catch {
        // malformed on purpose
      }
      best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
    }
    return best;
  }
  const shapes: Array<[string, (n: number) => string]> = [
    [
      'Contents left open, each holding a Key',
      (n) => `<ListBucketResult>${'<Contents><Key>k</Key><Size>1</Size>'.repeat(n)}`,
    ],
    [
      'Contents left open (the 40 k example)',
      (n) => `<ListBucketResult><IsTruncated>true</IsTruncated>${'<Contents>'.repeat(n)}`,
    ],
    [
      'closed entries, then one left open',
      (n) => `<ListBucketResult>${'<Contents><Key>k</Key></Contents>'.repeat(n)}<Contents>`,
    ],
    [
      'a valid page of many keys',
      (n) =>
        `<ListBucketResult><IsTruncated>false</IsTruncated>${'<Contents><Key>k&amp;</Key><Size>1</Size></Contents>'.repeat(n)}</ListBucketResult>`,
    ],
    ['keys never closed', (n) => `<ListBucketResult><Contents>${'<Key>k'.repeat(n)}`],
    ['tags never ended', (n) => `<ListBucketResult>${'<Contents '.repeat(n)}`],
  ];
  for (const [name, make] of shapes) {
    it(name, () => {
      const small = make(50_000);
      const big = make(400_000);
      // 8x the input: linear is ~8x, quadratic ~64x (the old parser: 40 k open Contents took 21 s).
      const ratio = timeOf(big) / Math.max(timeOf(small), 1);
      expect(ratio).toBeLessThan(32);
      expect(timeOf(big)).toBeLessThan(5_000);
    });
  }
});
