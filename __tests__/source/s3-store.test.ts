/**
 * S3Store against a real S3-protocol server: listing, clear permission errors, retries of
 * transient failures (faults injected by the server), abort; and the client factory.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, credentialProvider } from '../../src/aws/clients.js';
import { ConfigurationError, SearchError } from '../../src/errors.js';
import { S3Store, S3StoreError, backoffDelay } from '../../src/source/s3-store.js';
import { startS3Server } from '../helpers/s3-server.js';
import type { S3TestServer } from '../helpers/s3-server.js';

const BUCKET = 'store-tests';
const KEY =
  'AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/29/111122223333_CloudTrail_us-east-1_20240229T1000Z_abcdefghijklmnop.json.gz';
const BODY = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)); // binary, as gzip files are

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  await server.put(BUCKET, KEY, BODY);
  await server.put(BUCKET, 'AWSLogs/111122223333/CloudTrail/eu-west-1/x', 'x');
});
afterAll(() => server?.close());
afterEach(() => server.clearFaults());

/** A store whose client does not retry by itself, with a recorded, instant sleep. */
function storeWithoutSdkRetries(reads: 'signed' | 'sdk', maxAttempts = 3) {
  const sleeps: number[] = [];
  const store = new S3Store({
    reads,
    client: server.createClient({ maxAttempts: 1 }),
    bucket: BUCKET,
    maxAttempts,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { store, sleeps };
}

const getsOf = (key: string) => server.requests.filter((r) => r.method === 'GET' && r.key === key).length;

async function rejection(promise: Promise<unknown>): Promise<S3StoreError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(S3StoreError);
    expect(err).toBeInstanceOf(SearchError);
    return err as S3StoreError;
  }
  throw new Error('expected a rejection');
}

// Every behaviour holds whichever way objects are read: signed GETs (the default) or the SDK's GetObject.
describe.each(['signed', 'sdk'] as const)('S3Store (%s reads)', (reads) => {
  it('reads an object byte for byte and lists folders', async () => {
    const store = new S3Store({
      reads,
      client: server.client,
      bucket: BUCKET,
      pageSize: 1,
    });
    expect(Buffer.from(await store.get(KEY)).equals(BODY)).toBe(true);
    expect(await store.listFolders('AWSLogs/111122223333/CloudTrail/')).toEqual([
      'AWSLogs/111122223333/CloudTrail/eu-west-1/',
      'AWSLogs/111122223333/CloudTrail/us-east-1/',
    ]);
    const listed = [];
    for await (const o of store.list('AWSLogs/')) listed.push(o);
    expect(listed).toEqual([
      { key: 'AWSLogs/111122223333/CloudTrail/eu-west-1/x', size: 1 },
      { key: KEY, size: BODY.length },
    ]);
  });

  it('names the bucket and s3:ListBucket when listing is denied', async () => {
    server.inject({ kind: 'AccessDenied', operation: 'list' });
    const store = new S3Store({
      reads,
      client: server.client,
      bucket: BUCKET,
    });
    const err = await rejection(store.listFolders('AWSLogs/'));
    expect(err.code).toBe('AccessDenied');
    expect(err.message).toContain('s3:ListBucket');
    expect(err.message).toContain(`arn:aws:s3:::${BUCKET}`);
    expect(err.message).toContain(`s3://${BUCKET}/AWSLogs/`);
  });

  it('names the key and s3:GetObject when a read is denied, without retrying', async () => {
    server.inject({ kind: 'AccessDenied', operation: 'get', key: KEY });
    const { store, sleeps } = storeWithoutSdkRetries(reads);
    const before = getsOf(KEY);
    const err = await rejection(store.get(KEY));
    expect(err.message).toContain(`s3://${BUCKET}/${KEY}`);
    expect(err.message).toContain('s3:GetObject');
    expect(err.transient).toBe(false);
    expect(getsOf(KEY) - before).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('says when a key or the bucket does not exist', async () => {
    const { store } = storeWithoutSdkRetries(reads);
    const missingKey = await rejection(store.get('AWSLogs/gone.json.gz'));
    expect(missingKey.code).toBe('NoSuchKey');
    expect(missingKey.message).toContain(`s3://${BUCKET}/AWSLogs/gone.json.gz`);

    const noBucket = new S3Store({
      reads,
      client: server.client,
      bucket: 'no-such-bucket-here',
    });
    const err = await rejection(noBucket.listFolders('AWSLogs/'));
    expect(err.code).toBe('NoSuchBucket');
    expect(err.message).toContain('"no-such-bucket-here" does not exist');
  });

  it.each(['SlowDown', 'InternalError', 'reset', 'truncate'] as const)(
    'retries a transient failure (%s) with backoff',
    async (kind) => {
      server.inject({ kind, operation: 'get', key: KEY, times: 2 });
      const { store, sleeps } = storeWithoutSdkRetries(reads);
      const before = getsOf(KEY);
      expect(Buffer.from(await store.get(KEY)).equals(BODY)).toBe(true);
      expect(getsOf(KEY) - before).toBe(3);
      // full jitter with random() = 0.5: half of 100 * 2^attempt
      expect(sleeps).toEqual([50, 100]);
    },
  );

  it('counts the answers asking it to slow down (the scan engine backs off on them), and no others', async () => {
    server.inject({ kind: 'SlowDown', operation: 'get', key: KEY, times: 2 });
    const { store } = storeWithoutSdkRetries(reads);
    expect(store.throttles).toBe(0);
    expect(Buffer.from(await store.get(KEY)).equals(BODY)).toBe(true);
    expect(store.throttles).toBe(2);
    server.inject({ kind: 'InternalError', operation: 'get', key: KEY, times: 1 });
    expect(Buffer.from(await store.get(KEY)).equals(BODY)).toBe(true);
    expect(store.throttles).toBe(2);
  });

  it('gives up after maxAttempts and reports the failure as transient', async () => {
    server.inject({ kind: 'SlowDown', operation: 'get', key: KEY });
    const { store, sleeps } = storeWithoutSdkRetries(reads, 3);
    const before = getsOf(KEY);
    const err = await rejection(store.get(KEY));
    expect(err.code).toBe('SlowDown');
    expect(err.transient).toBe(true);
    expect(err.message).toContain(KEY);
    expect(getsOf(KEY) - before).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it('stops retrying when aborted', async () => {
    server.inject({ kind: 'SlowDown', operation: 'get', key: KEY });
    const controller = new AbortController();
    const store = new S3Store({
      reads,
      client: server.createClient({ maxAttempts: 1 }),
      bucket: BUCKET,
      maxAttempts: 5,
      sleep: async () => controller.abort(new Error('run cancelled')),
    });
    const before = getsOf(KEY);
    await expect(store.get(KEY, controller.signal)).rejects.toThrow('run cancelled');
    expect(getsOf(KEY) - before).toBe(1);
    await expect(store.get(KEY, controller.signal)).rejects.toThrow('run cancelled');
    expect(getsOf(KEY) - before).toBe(1);
  });

  it('treats a body shorter than Content-Length as truncated and retries', async () => {
    let calls = 0;
    const shortThenFull = {
      handle: async () => {
        calls++;
        const body = calls === 1 ? Buffer.from('abc') : Buffer.from('abcdef');
        return {
          response: { statusCode: 200, headers: { 'content-length': '6' }, body: Readable.from([body]) },
        };
      },
    };
    const client = new S3Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      requestHandler: shortThenFull,
      maxAttempts: 1,
    });
    // The handler stands in for the SDK's HTTP layer: signed GETs do not use it (the 'truncate'
    // fault above covers them).
    const store = new S3Store({
      reads: 'sdk',
      client,
      bucket: BUCKET,
      sleep: async () => undefined,
    });
    expect(Buffer.from(await store.get('k')).toString()).toBe('abcdef');
    expect(calls).toBe(2);
  });

  it('computes full-jitter delays within the exponential cap', () => {
    expect(backoffDelay(0, 100, 1000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 1000, () => 0.999)).toBe(799);
    expect(backoffDelay(10, 100, 1000, () => 0.999)).toBe(999);
    expect(backoffDelay(5, 100, 1000, () => 0)).toBe(0);
  });
});

describe('createS3Client', () => {
  const saved = { ...process.env };
  const tmpHome = mkdtempSync(path.join(os.tmpdir(), 'home-'));
  afterAll(() => rmSync(tmpHome, { recursive: true, force: true }));
  afterEach(() => {
    for (const name of [
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_SHARED_CREDENTIALS_FILE',
      'AWS_CONFIG_FILE',
    ]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('talks to the endpoint of AWS_ENDPOINT_URL_S3, path-style, with our user agent', async () => {
    process.env.AWS_ENDPOINT_URL_S3 = server.endpoint;
    const client = createS3Client({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    expect(await client.config.forcePathStyle).toBe(true);
    expect(client.config.followRegionRedirects).toBe(true);
    const store = new S3Store({ client, bucket: BUCKET });
    const before = server.requests.length;
    expect(Buffer.from(await store.get(KEY)).equals(BODY)).toBe(true);
    const version = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'),
    ).version as string;
    const seen = server.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) expect(r.userAgent).toContain(`cloudtrail-investigate/${version}`);
    client.destroy();
  });

  it('reaches the test server from another process through its env', async () => {
    const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
    const script = path.join(tmpHome, 'list.mts');
    writeFileSync(
      script,
      [
        `import { createS3Client } from ${JSON.stringify(path.join(repoRoot, 'src/aws/clients.ts'))};`,
        `import { S3Store } from ${JSON.stringify(path.join(repoRoot, 'src/source/s3-store.ts'))};`,
        `const store = new S3Store({ client: createS3Client({}), bucket: ${JSON.stringify(BUCKET)} });`,
        "const keys = []; for await (const o of store.list('AWSLogs/')) keys.push(o.key);",
        'console.log(JSON.stringify(keys));',
      ].join('\n'),
    );
    // Asynchronous on purpose: the server lives in this process and must keep answering.
    const { stdout } = await promisify(execFile)(path.join(repoRoot, 'node_modules/.bin/tsx'), [script], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: tmpHome, ...server.env },
    });
    expect(JSON.parse(stdout.trim().split('\n').pop() ?? '')).toEqual([
      'AWSLogs/111122223333/CloudTrail/eu-west-1/x',
      KEY,
    ]);
  });

  it('uses virtual-hosted addressing against AWS itself', async () => {
    delete process.env.AWS_ENDPOINT_URL_S3;
    delete process.env.AWS_ENDPOINT_URL;
    const client = createS3Client({ accessKeyId: 'a', secretAccessKey: 'b' }, 'eu-west-1');
    expect(await client.config.forcePathStyle).toBeFalsy();
    expect(await client.config.region()).toBe('eu-west-1');
  });
});

describe('credentialProvider', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'creds-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('returns static keys as given', async () => {
    await expect(
      credentialProvider({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'tok' })(),
    ).resolves.toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'tok',
    });
  });

  it('refuses half a key pair, naming the missing input', () => {
    expect(() => credentialProvider({ accessKeyId: 'AKIDEXAMPLE' })).toThrow(ConfigurationError);
    try {
      credentialProvider({ accessKeyId: 'AKIDEXAMPLE' });
    } catch (err) {
      expect((err as ConfigurationError).field).toBe('aws-secret-access-key');
    }
  });

  it('reads a named profile', async () => {
    const credentialsFile = path.join(tmp, 'credentials');
    writeFileSync(
      credentialsFile,
      '[audit]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n',
    );
    process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
    process.env.AWS_CONFIG_FILE = path.join(tmp, 'config-absent');
    try {
      await expect(credentialProvider({ profile: 'audit' })()).resolves.toMatchObject({
        accessKeyId: 'AKIDPROFILE',
        secretAccessKey: 'profile-secret',
      });
    } finally {
      delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      delete process.env.AWS_CONFIG_FILE;
    }
  });
});
