/**
 * A hostile or broken S3 endpoint (__tests__/helpers/hostile-s3.ts, a real HTTP server on
 * 127.0.0.1) against the shipped CLI: listings that never end, end early or do not parse, bodies
 * larger than listed, bodies trickled a byte at a time. Each must end as an incomplete run (exit
 * 3) whose summary.json names the prefix or key it could not read, in bounded time and memory.
 *
 * The CLI is the bundle (dist/cli.js); HOSTILE_FROM_SOURCE=1 runs src/cli.ts instead while
 * iterating.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCli } from '../reliability/spawn-cli.js';
import {
  DAY_PREFIX,
  dayArgs,
  logBody,
  logKey,
  startHostileS3,
  trueListing,
  xmlEscape,
  type HostileS3,
  type HostileS3Options,
  type ListQuery,
} from '../helpers/hostile-s3.js';

const BUCKET = 'hostile-bucket';
const bundle = process.env.HOSTILE_FROM_SOURCE !== '1';
/** Idle timeout of these runs (ms): the per-object deadline starts from it. */
const TIMEOUT_MS = '1000';

/** Four log files of the day, two events each: ids known by construction. */
function dayObjects(): Map<string, Uint8Array> {
  const objects = new Map<string, Uint8Array>();
  for (const hour of [1, 2, 3, 4]) objects.set(logKey(hour), logBody(hour, [`ev-${hour}-a`, `ev-${hour}-b`]));
  return objects;
}

let server: HostileS3 | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function search(options: Partial<HostileS3Options>, env: Record<string, string> = {}) {
  const objects = options.objects ?? dayObjects();
  server = await startHostileS3({ bucket: BUCKET, objects, ...options });
  const out = await mkdtemp(path.join(os.tmpdir(), 'ct-hostile-s3-'));
  const run = await runCli(dayArgs(BUCKET, out), {
    bundle,
    env: { ...server.env, CLOUDTRAIL_INVESTIGATE_S3_TIMEOUT_MS: TIMEOUT_MS, ...env },
    timeoutMs: 120_000,
  });
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
    complete: boolean;
    failures: Array<{ key: string; reason: string }>;
  };
  return { run, summary, out };
}

/** The listing of the day folder, as `page` says for each continuation token. */
function dayListing(page: (q: ListQuery) => string | undefined): HostileS3Options['listing'] {
  return (q) => (q.prefix === DAY_PREFIX ? page(q) : undefined);
}

function page(keys: string[], rest: string): string {
  const contents = keys
    .map((k) => `<Contents><Key>${xmlEscape(k)}</Key><Size>100</Size></Contents>`)
    .join('');
  return `<ListBucketResult><Name>${BUCKET}</Name>${contents}${rest}</ListBucketResult>`;
}

describe('listings that would never end, or end early, fail the run naming the prefix', () => {
  it('a continuation token that repeats (the listing would loop forever)', async () => {
    const { run, summary } = await search({
      listing: dayListing((q) =>
        q.token === undefined
          ? page(
              [logKey(1)],
              '<IsTruncated>true</IsTruncated><NextContinuationToken>AAA</NextContinuationToken>',
            )
          : page(
              [logKey(2)],
              '<IsTruncated>true</IsTruncated><NextContinuationToken>AAA</NextContinuationToken>',
            ),
      ),
    });
    expect(run.code, run.stderr).toBe(3);
    expect(summary.complete).toBe(false);
    const failure = summary.failures.find((f) => f.reason.includes(`s3://${BUCKET}/${DAY_PREFIX}`));
    expect(failure?.reason).toMatch(/repeated a continuation token/);
    // Two pages, then the repeat is seen: no request storm.
    expect(server!.lists.filter((q) => q.prefix === DAY_PREFIX)).toHaveLength(2);
  });

  it('a token that cycles through several values is caught as well', async () => {
    const tokens = ['t1', 't2', 't3'];
    const { run, summary } = await search({
      listing: dayListing((q) => {
        const next = tokens[(tokens.indexOf(q.token ?? 't3') + 1) % tokens.length];
        return page(
          [],
          `<IsTruncated>true</IsTruncated><NextContinuationToken>${next}</NextContinuationToken>`,
        );
      }),
    });
    expect(run.code, run.stderr).toBe(3);
    expect(summary.failures.some((f) => f.reason.includes(DAY_PREFIX) && /repeated/.test(f.reason))).toBe(
      true,
    );
    expect(server!.lists.filter((q) => q.prefix === DAY_PREFIX).length).toBe(4);
  });

  it('IsTruncated=true without a NextContinuationToken', async () => {
    const { run, summary } = await search({
      listing: dayListing(() => page([logKey(1)], '<IsTruncated>true</IsTruncated>')),
    });
    expect(run.code, run.stderr).toBe(3);
    expect(summary.complete).toBe(false);
    expect(
      summary.failures.some(
        (f) => f.reason.includes(`s3://${BUCKET}/${DAY_PREFIX}`) && /no continuation token/.test(f.reason),
      ),
    ).toBe(true);
  });

  it('an empty token with IsTruncated=true', async () => {
    const { run, summary } = await search({
      listing: dayListing(() =>
        page([logKey(1)], '<IsTruncated>true</IsTruncated><NextContinuationToken></NextContinuationToken>'),
      ),
    });
    expect(run.code, run.stderr).toBe(3);
    expect(summary.failures.some((f) => f.reason.includes(DAY_PREFIX))).toBe(true);
  });
});

describe('a listing that is not a well-formed ListBucketResult fails the run naming the prefix', () => {
  const bodies: Array<[string, string]> = [
    ['an HTML page', '<html><body>proxy error</body></html>'],
    ['an empty body', ''],
    [
      'a Contents left open, 40,000 times',
      `<ListBucketResult><IsTruncated>false</IsTruncated>${'<Contents>'.repeat(40_000)}`,
    ],
    ['a document cut in the middle', page([logKey(1)], '<IsTruncated>false</IsTruncated>').slice(0, 90)],
    ['no IsTruncated', page([logKey(1)], '')],
    ['IsTruncated neither true nor false', page([logKey(1)], '<IsTruncated>maybe</IsTruncated>')],
    [
      'a Size that is not a number',
      page([], '<IsTruncated>false</IsTruncated>').replace(
        '</Name>',
        '</Name><Contents><Key>k</Key><Size>-1</Size></Contents>',
      ),
    ],
    [
      'a Contents without a Key',
      page([], '<IsTruncated>false</IsTruncated><Contents><Size>1</Size></Contents>'),
    ],
    [
      'closing tags out of order',
      `<ListBucketResult><Contents><Key>a</Contents></Key><IsTruncated>false</IsTruncated></ListBucketResult>`,
    ],
    [
      'two documents',
      `${page([], '<IsTruncated>false</IsTruncated>')}${page([], '<IsTruncated>false</IsTruncated>')}`,
    ],
  ];
  for (const [name, body] of bodies) {
    it(name, async () => {
      const { run, summary } = await search({ listing: dayListing(() => body) });
      expect(run.code, run.stderr).toBe(3);
      expect(summary.complete).toBe(false);
      expect(
        summary.failures.some((f) => f.reason.includes(`s3://${BUCKET}/${DAY_PREFIX}`)),
        JSON.stringify(summary.failures),
      ).toBe(true);
    });
  }

  it('also when it is a folder listing (accounts, regions)', async () => {
    const { run, summary } = await search({
      listing: (q) =>
        q.prefix === 'AWSLogs/'
          ? '<ListBucketResult><IsTruncated>false</IsTruncated><CommonPrefixes>'
          : undefined,
    });
    expect(run.code, run.stderr).toBe(3);
    expect(summary.failures.some((f) => f.reason.includes(`s3://${BUCKET}/AWSLogs/`))).toBe(true);
  });

  it('the same server answering truly gives every event (the cases above fail only for their fault)', async () => {
    const { run, summary, out } = await search({
      listing: (q) => trueListing({ bucket: BUCKET, objects: dayObjects() }, { ...q, maxKeys: 1 }),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(summary.complete).toBe(true);
    const ids = (await readFile(path.join(out, 'results.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { eventID: string }).eventID)
      .sort();
    expect(ids).toEqual([1, 2, 3, 4].flatMap((h) => [`ev-${h}-a`, `ev-${h}-b`]));
    // One page per key: the listing really was paged.
    expect(server!.lists.filter((q) => q.prefix === DAY_PREFIX).length).toBe(4);
  });
});

describe('bodies are bounded by the listing, in size and in time', () => {
  it('objects listed small but served as 256 MiB each: failed at their listed size, the rest searched', async () => {
    let sent = 0;
    const big = new Set([logKey(1), logKey(2), logKey(3)]);
    const { run, summary, out } = await search({
      object: (key, res) => {
        if (!big.has(key)) return false;
        res.writeHead(200, { 'content-length': 256 * 1024 * 1024 });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = (): void => {
          while (sent < 3 * 256 * 1024 * 1024 && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        pump();
        return true;
      },
    });
    expect(run.code, run.stderr).toBe(3);
    expect(summary.failures.map((f) => f.key).sort()).toEqual([...big].sort());
    for (const f of summary.failures) expect(f.reason).toMatch(/larger than the \d+ bytes the listing gave/);
    // Each read was cut at once: nowhere near the 768 MiB offered were sent.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    const ids = (await readFile(path.join(out, 'results.jsonl'), 'utf8')).split('\n').filter(Boolean);
    expect(ids.map((l) => (JSON.parse(l) as { eventID: string }).eventID).sort()).toEqual([
      'ev-4-a',
      'ev-4-b',
    ]);
  });

  it('an object trickled a byte at a time fails at its deadline, not after hours', async () => {
    const timers: NodeJS.Timeout[] = [];
    const start = Date.now();
    const { run, summary } = await search({
      object: (key, res) => {
        if (key !== logKey(2)) return false;
        const body = dayObjects().get(key)!;
        res.writeHead(200, { 'content-length': body.byteLength });
        let at = 0;
        // One byte every 100 ms: never idle for the 1 s timeout, minutes for the whole body.
        const t = setInterval(() => {
          if (res.destroyed || at >= body.byteLength) return clearInterval(t);
          res.write(body.subarray(at, ++at));
        }, 100);
        timers.push(t);
        return true;
      },
    });
    for (const t of timers) clearInterval(t);
    expect(run.code, run.stderr).toBe(3);
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]!.key).toBe(logKey(2));
    expect(summary.failures[0]!.reason).toMatch(/did not send the whole answer within \d+ ms/);
    // 4 tries of ~1 s each, with backoff: well under a minute.
    expect(Date.now() - start).toBeLessThan(60_000);
  });
});

describe('a retry storm leaks no listeners', () => {
  for (const reads of ['signed', 'sdk']) {
    it(`every read answered 503 SlowDown, 96 objects, ${reads} reads: no MaxListenersExceededWarning`, async () => {
      const objects = new Map<string, Uint8Array>();
      for (let hour = 0; hour < 24; hour++) {
        for (const s of ['a', 'b', 'c', 'd'])
          objects.set(logKey(hour, s), logBody(hour, [`ev-${hour}-${s}`]));
      }
      const { run, summary } = await search(
        {
          objects,
          object: (_key, res) => {
            res
              .writeHead(503, { 'content-type': 'application/xml' })
              .end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
            return true;
          },
        },
        { CLOUDTRAIL_INVESTIGATE_S3_READS: reads },
      );
      expect(run.code, run.stderr).toBe(3);
      expect(summary.failures).toHaveLength(96);
      // Each object tried 4 times: the backoffs of many reads were pending at once.
      expect(server!.gets.length).toBe(96 * 4);
      expect(run.stderr).not.toMatch(/MaxListenersExceeded|memory leak/);
    }, 180_000);
  }
});

describe('a listing that hangs is cancelled by the first signal', () => {
  // With `auto`, the day folder is first listed by the sample that estimates each engine's cost.
  it.each(['scan', 'auto'])(
    'SIGTERM while the day listing is unanswered (--engine %s): exit 3 at once, summary incomplete',
    async (engine) => {
      server = await startHostileS3({
        bucket: BUCKET,
        objects: dayObjects(),
        listing: (q) => (q.prefix === DAY_PREFIX ? null : undefined),
      });
      const out = await mkdtemp(path.join(os.tmpdir(), 'ct-hostile-s3-'));
      // The idle timeout (30 s here) must not be what ends the listing.
      const { child, done } = startCli([...dayArgs(BUCKET, out), '--engine', engine], {
        env: { ...server.env, CLOUDTRAIL_INVESTIGATE_S3_TIMEOUT_MS: '30000' },
      });
      // Wait for the day listing to be asked, then signal.
      const start = Date.now();
      while (!server.lists.some((q) => q.prefix === DAY_PREFIX) && Date.now() - start < 30_000) {
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGTERM');
      const signalled = Date.now();
      const run = await done;
      expect(Date.now() - signalled).toBeLessThan(5_000);
      expect(run.code, run.stderr).toBe(3);
      const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
        complete: boolean;
      };
      expect(summary.complete).toBe(false);
    },
    60_000,
  );
});
