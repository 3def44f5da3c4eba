/**
 * A real S3-protocol server for tests: s3rver on 127.0.0.1 (random port, temp folder), with three
 * of its quirks fixed here so it lists like S3 (never worked around in product code):
 *
 *  1. Its continuation tokens are DES-encrypted and OpenSSL 3 has no DES: `des` cipher calls are
 *     mapped to 3DES with the key repeated three times, which is the same cipher (EDE with
 *     K1 = K2 = K3 is single DES), so s3rver's own tokens work unchanged.
 *  2. Its listing walks folders in file-system order and only reports CommonPrefixes one level
 *     above objects: the store's `listObjects` is replaced by one that sorts keys as S3 does,
 *     rolls keys into CommonPrefixes at any depth and counts both against MaxKeys.
 *  3. Its controller builds the next token from the last *object*: for Delimiter listings the
 *     harness sets the token from the last entry (object or common prefix), in s3rver's format.
 *
 * Clients must use path-style addressing and `WHEN_REQUIRED` checksums (else uploads are stored
 * with their chunk framing): `client`, `createClient()` and `env` are set up that way.
 *
 * Tests can also see every request (`requests`) and make the server fail on purpose (`inject`).
 * The server runs in the test's own process: start child processes that use it asynchronously
 * (`execFile`, `spawn`), never with `execFileSync`, which would stop it from answering.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

const require = createRequire(import.meta.url);

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const S3RVER_REGION = 'us-east-1';

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  query: Record<string, string>;
  userAgent: string | undefined;
  /** The request line's target as sent (path and query, still percent-encoded). */
  rawUrl: string;
  /** The request's headers (lowercase names). */
  headers: Record<string, string>;
}

export type FaultKind = 'SlowDown' | 'InternalError' | 'AccessDenied' | 'reset' | 'truncate' | 'delay';

/** Make matching requests fail `times` times (default: always). */
export interface FaultRule {
  kind: FaultKind;
  method?: string;
  bucket?: string;
  /** Exact key, or a pattern; for list requests the `prefix` parameter is matched instead. */
  key?: string | RegExp;
  /** `get` = object GET, `list` = bucket GET (ListObjects). */
  operation?: 'get' | 'list' | 'put';
  times?: number;
  /** `delay`: answer normally after this many milliseconds. */
  ms?: number;
}

export interface S3TestServer {
  /** `http://127.0.0.1:<port>`: usable as AWS_ENDPOINT_URL_S3 from another process. */
  endpoint: string;
  /** Path-style, us-east-1, S3RVER/S3RVER, WHEN_REQUIRED checksums. */
  client: S3Client;
  /** Environment for a child process whose SDK clients should talk to this server. */
  env: Record<string, string>;
  /** A new client for this server, e.g. `{ maxAttempts: 1 }` to see every failure. */
  createClient(overrides?: Partial<S3ClientConfig>): S3Client;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  putMany(
    bucket: string,
    objects: Iterable<{ key: string; body: string | Uint8Array }>,
    concurrency?: number,
  ): Promise<void>;
  /**
   * Write objects straight into the server's storage folder (no HTTP): ~20x faster than `putMany`
   * for fixtures of hundreds of objects. They read back like uploaded ones (binary/octet-stream).
   */
  seed(bucket: string, objects: Iterable<{ key: string; body: string | Uint8Array }>): Promise<void>;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  inject(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

// ---- quirk 1: DES for s3rver's continuation tokens ----

let desShimInstalled = false;

function installDesShim(): void {
  if (desShimInstalled) return;
  desShimInstalled = true;
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const asTripleDes = (
    algorithm: string,
    key: import('node:crypto').CipherKey,
  ): [string, Buffer] | undefined => {
    if (algorithm.toLowerCase() !== 'des' && algorithm.toLowerCase() !== 'des-cbc') return undefined;
    const k = Buffer.from(key as Buffer);
    return ['des-ede3-cbc', Buffer.concat([k, k, k])];
  };
  const createCipheriv = crypto.createCipheriv;
  const createDecipheriv = crypto.createDecipheriv;
  crypto.createCipheriv = ((algorithm: string, key: Buffer, iv: Buffer, options?: never) => {
    const mapped = asTripleDes(algorithm, key);
    return mapped
      ? createCipheriv(mapped[0], mapped[1], iv, options)
      : createCipheriv(algorithm, key, iv, options);
  }) as typeof crypto.createCipheriv;
  crypto.createDecipheriv = ((algorithm: string, key: Buffer, iv: Buffer, options?: never) => {
    const mapped = asTripleDes(algorithm, key);
    return mapped
      ? createDecipheriv(mapped[0], mapped[1], iv, options)
      : createDecipheriv(algorithm, key, iv, options);
  }) as typeof crypto.createDecipheriv;
}

/** A continuation token in s3rver's own format (see generateContinuationToken in its bucket controller). */
function s3rverToken(bucket: string, lastEntry: string): string {
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const key = Buffer.alloc(8, 'S3RVER', 'utf8');
  const iv = crypto.randomBytes(8);
  iv[0] = ((iv[0] ?? 0) & 0b11) | 0b11010100;
  const cipher = crypto.createCipheriv('des', key, iv);
  return Buffer.concat([
    iv,
    cipher.update(`${S3RVER_REGION}/${bucket}/${lastEntry}`, 'utf8'),
    cipher.final(),
  ]).toString('base64');
}

// ---- quirk 2: listing like S3 ----

interface ListOptions {
  delimiter?: string;
  startAfter?: string;
  prefix?: string;
  maxKeys?: number;
}

interface ListingState {
  truncated: boolean;
  lastEntry: string | undefined;
}

const OBJECT_SUFFIX = '._S3rver_object';

/** Keys under `prefix` and after `startAfter`, in byte order; folders that cannot hold one are not walked. */
async function keysOf(bucketPath: string, prefix: string, startAfter: string): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (dir: string, keyPrefix: string): Promise<void> => {
    for (const d of await fs.readdir(dir, { withFileTypes: true })) {
      if (d.isDirectory()) {
        const sub = `${keyPrefix}${d.name}/`;
        const meetsPrefix = sub.startsWith(prefix) || prefix.startsWith(sub);
        const allBefore = sub < startAfter && !startAfter.startsWith(sub);
        if (meetsPrefix && !allBefore) await walk(path.join(dir, d.name), sub);
      } else if (d.name.endsWith(OBJECT_SUFFIX)) {
        keys.push(keyPrefix + d.name.slice(0, -OBJECT_SUFFIX.length));
      }
    }
  };
  await walk(bucketPath, '');
  return keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

// Minimal shapes of the s3rver internals the harness touches (the package ships no types).
interface S3rverStore {
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string, resource: string): string;
  putBucket(bucket: string): Promise<unknown>;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  listObjects(bucket: string, options: ListOptions): Promise<unknown>;
}
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  respond: boolean;
  req: import('node:http').IncomingMessage;
  res: import('node:http').ServerResponse;
  response: { headers: Record<string, string | string[] | number> };
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rverInstance {
  store: S3rverStore;
  middleware: Middleware[];
  httpServer?: import('node:http').Server;
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

function patchListing(store: S3rverStore, als: AsyncLocalStorage<ListingState>): void {
  const S3Object = require('s3rver/lib/models/object') as new (
    bucket: string,
    key: string,
    content: null,
    metadata: Record<string, unknown>,
  ) => unknown;
  store.listObjects = async (bucket, options) => {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = 1000 } = options;
    const entries: Array<{ key: string } | { commonPrefix: string }> = [];
    let truncated = false;
    let lastPrefix: string | undefined;
    for (const key of await keysOf(store.getBucketPath(bucket), prefix, startAfter)) {
      if (!key.startsWith(prefix) || key <= startAfter) continue;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      let entry: { key: string } | { commonPrefix: string };
      if (cut === -1) {
        entry = { key };
      } else {
        const commonPrefix = key.slice(0, cut + delimiter.length);
        // A token naming a common prefix resumes after every key under it.
        if (commonPrefix === lastPrefix || commonPrefix <= startAfter) continue;
        lastPrefix = commonPrefix;
        entry = { commonPrefix };
      }
      if (entries.length === maxKeys) {
        truncated = true;
        break;
      }
      entries.push(entry);
    }
    const keys = entries.flatMap((e) => ('key' in e ? [e.key] : []));
    const objects = await Promise.all(
      keys.map(async (key) => new S3Object(bucket, key, null, await store.getMetadata(bucket, key))),
    );
    const commonPrefixes = entries.flatMap((e) => ('commonPrefix' in e ? [e.commonPrefix] : []));
    if (!delimiter) return { objects, commonPrefixes, isTruncated: truncated };
    // s3rver would build the token from the last object (or crash on a page of prefixes only):
    // report the page as complete and let the listing middleware set the token.
    const state = als.getStore();
    if (state) {
      const last = entries[entries.length - 1];
      state.truncated = truncated;
      state.lastEntry = last === undefined ? undefined : 'key' in last ? last.key : last.commonPrefix;
    }
    return { objects, commonPrefixes, isTruncated: false };
  };
}

function listingMiddleware(als: AsyncLocalStorage<ListingState>): Middleware {
  return async (ctx, next) => {
    const state: ListingState = { truncated: false, lastEntry: undefined };
    await als.run(state, next);
    const result = (ctx.body as { ListBucketResult?: Record<string, unknown> } | undefined)?.ListBucketResult;
    if (!result) return;
    const contents = (result.Contents as unknown[] | undefined) ?? [];
    const prefixes = (result.CommonPrefixes as unknown[] | undefined) ?? [];
    if (ctx.query['list-type'] === '2') result.KeyCount = contents.length + prefixes.length; // S3 counts both
    if (state.truncated && state.lastEntry !== undefined) {
      result.IsTruncated = true;
      const bucket = String(result.Name);
      if (ctx.query['list-type'] === '2') result.NextContinuationToken = s3rverToken(bucket, state.lastEntry);
      else result.NextMarker = state.lastEntry;
    }
  };
}

// ---- request log and fault injection ----

function parseTarget(ctx: KoaContext): { bucket: string | undefined; key: string | undefined } {
  const [, bucket, ...rest] = ctx.path.split('/');
  const key = rest.length > 0 ? rest.map((s) => decodeURIComponent(s)).join('/') : undefined;
  return { bucket: bucket ? decodeURIComponent(bucket) : undefined, key: key === '' ? undefined : key };
}

function queryRecord(ctx: KoaContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.query)) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

function faultMatches(rule: FaultRule, req: RecordedRequest): boolean {
  const operation =
    req.key === undefined
      ? req.method === 'GET'
        ? 'list'
        : 'bucket'
      : req.method === 'PUT'
        ? 'put'
        : req.method === 'GET'
          ? 'get'
          : 'other';
  if (rule.operation && rule.operation !== operation) return false;
  if (rule.method && rule.method.toUpperCase() !== req.method) return false;
  if (rule.bucket && rule.bucket !== req.bucket) return false;
  if (rule.key !== undefined) {
    const subject = operation === 'list' ? (req.query.prefix ?? '') : (req.key ?? '');
    if (typeof rule.key === 'string' ? rule.key !== subject : !rule.key.test(subject)) return false;
  }
  return true;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function requestMiddleware(requests: RecordedRequest[], faults: FaultRule[]): Middleware {
  const S3Error = require('s3rver/lib/models/error') as new (
    code: string,
    message: string,
    detail?: Record<string, string>,
  ) => Error;
  const messages: Record<string, string> = {
    SlowDown: 'Please reduce your request rate.',
    InternalError: 'We encountered an internal error. Please try again.',
    AccessDenied: 'Access Denied',
  };
  return async (ctx, next) => {
    const { bucket, key } = parseTarget(ctx);
    const ua = ctx.headers['user-agent'];
    const req: RecordedRequest = {
      method: ctx.method,
      bucket,
      key,
      query: queryRecord(ctx),
      userAgent: Array.isArray(ua) ? ua.join(' ') : ua,
      rawUrl: ctx.req.url ?? ctx.path,
      headers: Object.fromEntries(
        Object.entries(ctx.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(',') : (value ?? ''),
        ]),
      ),
    };
    requests.push(req);
    const rule = faults.find((f) => (f.times ?? Infinity) > 0 && faultMatches(f, req));
    if (!rule) return next();
    if (rule.times !== undefined) rule.times--;
    switch (rule.kind) {
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, rule.ms ?? 0));
        return next();
      case 'reset':
        ctx.respond = false;
        ctx.req.socket.destroy();
        return;
      case 'truncate': {
        await next();
        const body = ctx.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== 'function') return;
        const full = await readAll(body);
        ctx.respond = false;
        const headers = { ...ctx.response.headers, 'content-length': String(full.length) };
        ctx.res.writeHead(ctx.status, headers as Record<string, string>);
        ctx.res.write(full.subarray(0, Math.floor(full.length / 2)));
        // Give the half body time to leave before the connection drops.
        await new Promise((resolve) => setTimeout(resolve, 20));
        ctx.res.socket?.destroy();
        return;
      }
      default:
        throw new S3Error(rule.kind, messages[rule.kind] ?? rule.kind);
    }
  };
}

// ---- quirk 4: conditional writes ----

/**
 * S3's conditional PutObject, which s3rver ignores: `If-None-Match: *` fails with 412 when the key
 * exists, `If-Match: <etag>` when it is missing or its ETag differs (AWS S3 User Guide, "How to
 * prevent object overwrites with conditional writes"). Conditional writes to one key are applied
 * one at a time, so two racing writers cannot both pass the check.
 */
function conditionalWriteMiddleware(store: S3rverInstance['store']): Middleware {
  const S3Error = require('s3rver/lib/models/error') as new (
    code: string,
    message: string,
  ) => Error & {
    status?: number;
  };
  const queues = new Map<string, Promise<void>>();
  return async (ctx, next) => {
    const ifMatch = ctx.headers['if-match'];
    const ifNoneMatch = ctx.headers['if-none-match'];
    const { bucket, key } = parseTarget(ctx);
    if (ctx.method !== 'PUT' || !bucket || !key || (ifMatch === undefined && ifNoneMatch === undefined)) {
      return next();
    }
    const id = `${bucket}/${key}`;
    const previous = queues.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    queues.set(
      id,
      previous.then(() => mine),
    );
    await previous;
    try {
      const meta = await store.getMetadata(bucket, key).catch(() => undefined);
      const failed =
        (ifNoneMatch !== undefined && meta !== undefined) ||
        (ifMatch !== undefined && (meta === undefined || meta.etag !== ifMatch));
      if (failed) {
        const err = new S3Error(
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
        err.status = 412;
        throw err;
      }
      await next();
    } finally {
      release();
    }
  };
}

// ---- the server ----

export async function startS3Server(options: { buckets?: string[] } = {}): Promise<S3TestServer> {
  installDesShim();
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const als = new AsyncLocalStorage<ListingState>();
  patchListing(server.store, als);
  const requests: RecordedRequest[] = [];
  const faults: FaultRule[] = [];
  // Middleware order: [logger, xml, mount, vhost, router] -> log/faults first, listing fix-up
  // inside the XML encoder (so it edits the body object before it is serialised).
  server.middleware.splice(server.middleware.length - 1, 0, listingMiddleware(als));
  server.middleware.unshift(conditionalWriteMiddleware(server.store));
  server.middleware.unshift(requestMiddleware(requests, faults));

  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const createClient = (overrides: Partial<S3ClientConfig> = {}) =>
    new S3Client({
      endpoint,
      region: S3RVER_REGION,
      forcePathStyle: true,
      credentials: { ...S3RVER_CREDENTIALS },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...overrides,
    });
  const client = createClient();
  const clients = [client];

  const put = async (bucket: string, key: string, body: string | Uint8Array) => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };

  return {
    endpoint,
    client,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: S3RVER_REGION,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    },
    createClient(overrides) {
      const c = createClient(overrides);
      clients.push(c);
      return c;
    },
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    put,
    async putMany(bucket, objects, concurrency = 16) {
      const queue = [...objects];
      const worker = async () => {
        for (let o = queue.shift(); o; o = queue.shift()) await put(bucket, o.key, o.body);
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    },
    async seed(bucket, objects) {
      await server.store.putBucket(bucket);
      for (const { key, body } of objects) {
        const file = server.store.getResourcePath(bucket, key, 'object');
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, body);
      }
    },
    requests,
    inject(rule) {
      faults.push({ ...rule });
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      for (const c of clients) c.destroy();
      const closing = server.close();
      server.httpServer?.closeAllConnections();
      await closing;
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
