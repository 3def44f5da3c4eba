/**
 * Signed GETs (src/source/s3-signed.ts) against real HTTP servers: the same paths as the SDK
 * for awkward keys, signatures that botocore (an independent SigV4 implementation) accepts,
 * session tokens and refreshed credentials, region redirects, S3 error bodies, stalled
 * connections, and endpoints left to the SDK.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { S3_READS_ENV, s3ReadMode } from '../../src/aws/settings.js';
import { SignedS3Bucket, encodeKeyPath, parseS3Error } from '../../src/source/s3-signed.js';
import { parseListObjectsV2, xmlUnescape } from '../../src/source/s3-xml.js';
import { S3Store, S3StoreError } from '../../src/source/s3-store.js';
import { S3RVER_CREDENTIALS, startS3Server } from '../helpers/s3-server.js';
import type { RecordedRequest, S3TestServer } from '../helpers/s3-server.js';

const BUCKET = 'signed-gets';
const VERIFIER = fileURLToPath(new URL('../helpers/sigv4-verify.py', import.meta.url));

/** Keys that need every part of the path encoding: spaces, reserved and sub-delimiter characters, non-ASCII. */
const AWKWARD_KEYS = [
  'AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/29/plain_20240229T1000Z.json.gz',
  'AWSLogs/with space/a+b=c&d;e,f@g:h$i.json.gz',
  "AWSLogs/sub-delims/!'()*~._-.json.gz",
  'AWSLogs/query-like/what?is#this[0].json.gz',
  'AWSLogs/percent/100%25 sure%.json.gz',
  'AWSLogs/ünïcödé/日本語/😀.json.gz',
];
const bodyOf = (key: string) => Buffer.from(`body of ${key}`);

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  for (const key of AWKWARD_KEYS) await server.put(BUCKET, key, bodyOf(key));
});
afterAll(() => server?.close());

/** botocore's verdict on each request, signed with `secret`. */
async function verifySignatures(
  requests: RecordedRequest[],
  secret: string,
): Promise<{ ok: boolean; why: string }[]> {
  const input = JSON.stringify(
    requests.map((r) => ({
      method: r.method,
      url: `http://${r.headers.host}${r.rawUrl}`,
      headers: r.headers,
    })),
  );
  const child = promisify(execFile)('python3', [VERIFIER, secret], { maxBuffer: 1 << 24 });
  child.child.stdin?.end(input);
  const { stdout } = await child;
  return JSON.parse(stdout) as { ok: boolean; why: string }[];
}

/** The GETs of object `key` the server received from `from` on. */
const getsFor = (key: string, from: number) =>
  server.requests.slice(from).filter((r) => r.method === 'GET' && r.key === key);

describe('signed GETs against an S3-protocol server', () => {
  it('reads every awkward key byte for byte, by the same path the SDK uses', async () => {
    const signed = new S3Store({ client: server.client, bucket: BUCKET, reads: 'signed' });
    const sdk = new S3Store({ client: server.client, bucket: BUCKET, reads: 'sdk' });
    for (const key of AWKWARD_KEYS) {
      let from = server.requests.length;
      expect(Buffer.from(await signed.get(key)).equals(bodyOf(key)), key).toBe(true);
      const ours = getsFor(key, from);
      from = server.requests.length;
      expect(Buffer.from(await sdk.get(key)).equals(bodyOf(key)), key).toBe(true);
      const theirs = getsFor(key, from);
      expect(ours).toHaveLength(1);
      expect(theirs).toHaveLength(1);
      // The SDK asks for a response checksum (`?x-id=GetObject` and a header); the path is the same.
      expect(ours[0]!.rawUrl.split('?')[0], key).toBe(theirs[0]!.rawUrl.split('?')[0]);
      expect(ours[0]!.userAgent).toMatch(/^cloudtrail-investigate\//);
    }
  });

  it('signs requests that botocore verifies, and the verifier rejects a tampered one', async () => {
    const store = new S3Store({ client: server.client, bucket: BUCKET, reads: 'signed' });
    const from = server.requests.length;
    for (const key of AWKWARD_KEYS) await store.get(key);
    const ours = server.requests.slice(from).filter((r) => r.method === 'GET');
    expect(ours).toHaveLength(AWKWARD_KEYS.length);
    const verdicts = await verifySignatures(ours, S3RVER_CREDENTIALS.secretAccessKey);
    expect(verdicts).toEqual(ours.map(() => ({ ok: true, why: '' })));

    // The verifier can fail: another path, another secret, the SDK's own request as a control.
    const sdkFrom = server.requests.length;
    await new S3Store({ client: server.client, bucket: BUCKET, reads: 'sdk' }).get(AWKWARD_KEYS[1]!);
    const sdkRequest = server.requests.slice(sdkFrom).find((r) => r.method === 'GET')!;
    const tampered = { ...ours[0]!, rawUrl: ours[0]!.rawUrl.replace('plain', 'plainer') };
    const [control, moved, wrongSecret] = await verifySignatures(
      [sdkRequest, tampered, ours[0]!],
      S3RVER_CREDENTIALS.secretAccessKey,
    ).then(async (v) => [v[0], v[1], (await verifySignatures([ours[0]!], 'not-the-secret'))[0]]);
    expect(control).toEqual({ ok: true, why: '' });
    expect(moved?.ok).toBe(false);
    expect(wrongSecret?.ok).toBe(false);
  });

  it('lists awkward keys and folders page by page exactly as the SDK does, with signatures botocore verifies', async () => {
    const listing = async (reads: 'signed' | 'sdk') => {
      const store = new S3Store({ client: server.client, bucket: BUCKET, reads, pageSize: 2 });
      const keys = [];
      for await (const o of store.list('AWSLogs/')) keys.push(o);
      const folders = await store.listFolders('AWSLogs/');
      const deeper = await store.listFolders('AWSLogs/ünïcödé/');
      return { keys, folders, deeper };
    };
    const from = server.requests.length;
    const ours = await listing('signed');
    const lists = server.requests.slice(from).filter((r) => r.method === 'GET' && r.key === undefined);
    const theirs = await listing('sdk');
    expect(ours).toEqual(theirs);
    expect(ours.keys.map((o) => o.key).sort()).toEqual([...AWKWARD_KEYS].sort());
    expect(ours.keys.map((o) => o.size)).toEqual(ours.keys.map((o) => bodyOf(o.key).length));
    expect(ours.deeper).toEqual(['AWSLogs/ünïcödé/日本語/']);
    // Pages of 2: several requests, continuation tokens included.
    expect(lists.length).toBeGreaterThan(4);
    expect(lists.some((r) => r.rawUrl.includes('continuation-token='))).toBe(true);
    expect(await verifySignatures(lists, S3RVER_CREDENTIALS.secretAccessKey)).toEqual(
      lists.map(() => ({ ok: true, why: '' })),
    );
  });

  it('signs with a session token, and with credentials the provider refreshed', async () => {
    let issued = 0;
    const client = server.createClient({
      // Expiring within the SDK's refresh window: every request asks the provider again.
      credentials: async () => ({
        ...S3RVER_CREDENTIALS,
        sessionToken: `token-${++issued}`,
        expiration: new Date(Date.now() + 60_000),
      }),
    });
    const store = new S3Store({ client, bucket: BUCKET, reads: 'signed' });
    const key = AWKWARD_KEYS[0]!;
    const from = server.requests.length;
    await store.get(key);
    await store.get(key);
    const gets = getsFor(key, from);
    const tokens = gets.map((r) => r.headers['x-amz-security-token']);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toMatch(/^token-\d+$/);
    expect(tokens[1]).toMatch(/^token-\d+$/);
    expect(tokens[0]).not.toBe(tokens[1]);
    for (const r of gets) expect(r.headers.authorization).toContain('x-amz-security-token');
    expect(await verifySignatures(gets, S3RVER_CREDENTIALS.secretAccessKey)).toEqual(
      gets.map(() => ({ ok: true, why: '' })),
    );
  });

  it('leaves to the SDK what it does not sign with plain SigV4', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
    // S3 Express directory buckets use session auth.
    expect(await SignedS3Bucket.forBucket(client, 'trail--use1-az4--x-s3', { idleTimeoutMs: 1000 })).toBe(
      undefined,
    );
    expect(
      await SignedS3Bucket.forBucket(client, 'ordinary-trail-bucket', { idleTimeoutMs: 1000 }),
    ).toBeInstanceOf(SignedS3Bucket);
  });
});

/** A one-bucket server answering with `answer(region signed for, request)`. */
async function withServer(
  answer: (signedRegion: string, req: http.IncomingMessage, res: http.ServerResponse) => void,
  run: (client: S3Client, seen: { url: string; region: string }[]) => Promise<void>,
  credentials: S3ClientConfig['credentials'] = S3RVER_CREDENTIALS,
): Promise<void> {
  const seen: { url: string; region: string }[] = [];
  const httpServer = http.createServer((req, res) => {
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
    seen.push({ url: req.url ?? '', region });
    answer(region, req, res);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
  });
  try {
    await run(client, seen);
  } finally {
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
  }
}

const xmlError = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>1</RequestId></Error>`;

describe('signed GETs: protocol edge cases', () => {
  it('follows a region redirect once, then signs for the bucket region', async () => {
    await withServer(
      (region, _req, res) => {
        if (region !== 'eu-west-2') {
          res.writeHead(301, { 'x-amz-bucket-region': 'eu-west-2', 'content-type': 'application/xml' });
          res.end(
            xmlError(
              'PermanentRedirect',
              'The bucket you are attempting to access must be addressed using the specified endpoint.',
            ),
          );
          return;
        }
        res.writeHead(200, { 'content-length': '5' });
        res.end('hello');
      },
      async (client, seen) => {
        const store = new S3Store({ client, bucket: 'b', reads: 'signed', maxAttempts: 1 });
        expect(Buffer.from(await store.get('k/1')).toString()).toBe('hello');
        expect(Buffer.from(await store.get('k/2')).toString()).toBe('hello');
        expect(seen).toEqual([
          { url: '/b/k/1', region: 'us-east-1' },
          { url: '/b/k/1', region: 'eu-west-2' },
          { url: '/b/k/2', region: 'eu-west-2' },
        ]);
      },
    );
  });

  it('leaves a redirect it cannot follow to the SDK, for that read and the next ones', async () => {
    await withServer(
      (_region, req, res) => {
        // The SDK's GetObject says so in its query; a signed GET has none.
        if (!req.url?.includes('x-id=GetObject')) {
          res.writeHead(301, { 'content-type': 'application/xml' });
          res.end(xmlError('PermanentRedirect', 'Use the other endpoint.'));
          return;
        }
        res.writeHead(200, { 'content-length': '2' });
        res.end('ok');
      },
      async (client, seen) => {
        const store = new S3Store({ client, bucket: 'b', reads: 'signed', maxAttempts: 1 });
        expect(Buffer.from(await store.get('k/1')).toString()).toBe('ok');
        expect(Buffer.from(await store.get('k/2')).toString()).toBe('ok');
        expect(seen.map((r) => r.url.split('?')[0])).toEqual(['/b/k/1', '/b/k/1', '/b/k/2']);
        expect(seen.map((r) => r.url.includes('x-id=GetObject'))).toEqual([false, true, true]);
      },
    );
  });

  it('explains S3 errors from their XML body, and errors without one from their status', async () => {
    const answers: [number, string][] = [
      [403, xmlError('AccessDenied', 'Access Denied')],
      [503, xmlError('SlowDown', 'Please reduce your request rate &amp; retry.')],
      [502, '<html><body>Bad gateway</body></html>'],
    ];
    let next = 0;
    await withServer(
      (_region, _req, res) => {
        const [status, body] = answers[next++]!;
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(body);
      },
      async (client) => {
        const store = new S3Store({ client, bucket: 'b', reads: 'signed', maxAttempts: 1 });
        const errors: S3StoreError[] = [];
        for (let i = 0; i < answers.length; i++) {
          errors.push(
            await store.get('k').then(
              () => expect.fail('read should fail'),
              (e: S3StoreError) => e,
            ),
          );
        }
        expect(errors.map((e) => [e.code, e.transient])).toEqual([
          ['AccessDenied', false],
          ['SlowDown', true],
          ['BadGateway', true],
        ]);
        expect(errors[0]!.message).toContain('s3:GetObject');
        expect(errors[1]!.message).toContain('Please reduce your request rate & retry.');
        expect(errors[2]!.message).toContain('HTTP 502');
      },
    );
  });

  it('fails a stalled body with a retryable timeout', async () => {
    await withServer(
      (_region, _req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('only the start'); // then silence
      },
      async (client) => {
        const store = new S3Store({
          client,
          bucket: 'b',
          reads: 'signed',
          maxAttempts: 1,
          idleTimeoutMs: 300,
        });
        const err = await store.get('k').then(
          () => expect.fail('read should fail'),
          (e: S3StoreError) => e,
        );
        expect(err).toBeInstanceOf(S3StoreError);
        expect(err.transient).toBe(true);
      },
    );
  });

  it.each([
    ['before the answer', (_res: http.ServerResponse) => {}],
    [
      'in the middle of the body',
      (res: http.ServerResponse) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('only the start');
      },
    ],
  ])('stops a read %s as soon as the search is cancelled', async (_when, stall) => {
    await withServer(
      (_region, _req, res) => stall(res),
      async (client) => {
        // A long idle timeout: only the cancellation can end these reads quickly.
        const store = new S3Store({ client, bucket: 'b', reads: 'signed', idleTimeoutMs: 60_000 });
        const controller = new AbortController();
        const reads = [store.get('k/1', controller.signal), store.get('k/2', controller.signal)];
        const other = new AbortController();
        const untouched = store.get('k/3', other.signal);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const started = Date.now();
        controller.abort(new Error('run cancelled'));
        await Promise.all(reads.map((read) => expect(read).rejects.toThrow('run cancelled')));
        expect(Date.now() - started).toBeLessThan(2_000);
        // A read under another signal goes on until its own signal says stop.
        const state = await Promise.race([
          untouched.then(
            () => 'settled',
            () => 'settled',
          ),
          new Promise((resolve) => setTimeout(() => resolve('pending'), 200)),
        ]);
        expect(state).toBe('pending');
        other.abort(new Error('other cancelled'));
        await expect(untouched).rejects.toThrow('other cancelled');
      },
    );
  });

  it('sends nothing for a read cancelled while its credentials were being fetched', async () => {
    const controller = new AbortController();
    // The provider answers after the search was cancelled (an STS call, a slow metadata service).
    const slowCredentials = async () => {
      controller.abort(new Error('run cancelled'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      return S3RVER_CREDENTIALS;
    };
    await withServer(
      (_region, _req, res) => res.end('body'),
      async (client, seen) => {
        const store = new S3Store({ client, bucket: 'b', reads: 'signed', idleTimeoutMs: 60_000 });
        await expect(store.get('k', controller.signal)).rejects.toThrow('run cancelled');
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(seen).toEqual([]);
      },
      slowCredentials,
    );
  });

  it('parses the fields of an error body, unescaping XML entities', () => {
    const err = parseS3Error(404, xmlError('NoSuchKey', 'The key &lt;a&gt; &quot;b&quot; does not exist'));
    expect([err.Code, err.message, err.$metadata.httpStatusCode]).toEqual([
      'NoSuchKey',
      'The key <a> "b" does not exist',
      404,
    ]);
    expect(parseS3Error(429, '').Code).toBe('TooManyRequests');
    // A proxy's entities are kept as written rather than failing the report.
    const proxied = parseS3Error(503, '<Error><Code>SlowDown</Code><Message>busy&nbsp;now</Message></Error>');
    expect([proxied.Code, proxied.message]).toEqual(['SlowDown', 'busy&nbsp;now']);
  });

  it('reads a ListObjectsV2 document: escapes, empty pages, truncation, and refuses what is not one', () => {
    const page = parseListObjectsV2(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Name>b</Name><Prefix>a&amp;b/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>' +
        '<IsTruncated>true</IsTruncated>' +
        '<Contents><Key>a&amp;b/&lt;x&gt; &quot;y&quot; &apos;z&apos; &#x0D;&#233;.json.gz</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>' +
        '<ETag>&quot;abc&quot;</ETag><Size>42</Size><StorageClass>STANDARD</StorageClass></Contents>' +
        '<CommonPrefixes><Prefix>a&amp;b/c/</Prefix></CommonPrefixes>' +
        '<NextContinuationToken>1/+tok=</NextContinuationToken></ListBucketResult>',
    );
    expect(page).toEqual({
      Contents: [{ Key: 'a&b/<x> "y" \'z\' \ré.json.gz', Size: 42 }],
      CommonPrefixes: [{ Prefix: 'a&b/c/' }],
      IsTruncated: true,
      NextContinuationToken: '1/+tok=',
    });
    expect(
      parseListObjectsV2('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>'),
    ).toEqual({
      Contents: [],
      CommonPrefixes: [],
      IsTruncated: false,
    });
    expect(() => parseListObjectsV2('<html>proxy error</html>')).toThrow(/ListBucketResult/);
    expect(() => xmlUnescape('a &bogus; b')).toThrow(/unknown XML reference/);
    expect(() => xmlUnescape('a & b')).toThrow(/malformed XML reference/);
  });

  it('encodes keys segment by segment, as RFC 3986 unreserved characters only stay', () => {
    expect(encodeKeyPath("a b/c+d/!'()*~._-/ü")).toBe('a%20b/c%2Bd/%21%27%28%29%2A~._-/%C3%BC');
  });
});

describe(S3_READS_ENV, () => {
  it('selects signed or SDK reads, and refuses anything else naming the variable', () => {
    expect(s3ReadMode({})).toBe('signed');
    expect(s3ReadMode({ [S3_READS_ENV]: ' SDK ' })).toBe('sdk');
    expect(s3ReadMode({ [S3_READS_ENV]: 'signed' })).toBe('signed');
    expect(() => s3ReadMode({ [S3_READS_ENV]: 'fast' })).toThrow(ConfigurationError);
    expect(() => s3ReadMode({ [S3_READS_ENV]: 'fast' })).toThrow(
      /CLOUDTRAIL_INVESTIGATE_S3_READS must be "signed".*got "fast"/,
    );
  });
});
