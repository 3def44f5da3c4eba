/**
 * An ObjectStore over one S3 bucket: paginated listing, whole-object reads with retries of
 * transient failures, and errors that say which permission is missing.
 */
import { GetObjectCommand, ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { SearchError, errorMessage } from '../errors.js';
import { childSignal, onAbort } from '../abort-fanout.js';
import { s3IdleTimeoutMs, s3ReadMode, type S3ReadMode } from '../aws/settings.js';
import { readBody } from './s3-body.js';
import { MAX_LIST_BODY_BYTES, SignedS3Bucket } from './s3-signed.js';
import type { ObjectStore, StoredObject } from './types.js';

/** A failed S3 call, with the S3 error code (e.g. `AccessDenied`) and what was being read. */
export class S3StoreError extends SearchError {
  readonly code: string;
  readonly bucket: string;
  readonly key: string | undefined;
  /** True when retrying could help (throttling, 5xx, dropped connection). */
  readonly transient: boolean;
  constructor(
    message: string,
    details: { code: string; bucket: string; key?: string; transient: boolean; cause: unknown },
  ) {
    super(message, { cause: details.cause });
    this.code = details.code;
    this.bucket = details.bucket;
    this.key = details.key;
    this.transient = details.transient;
  }
}

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** MaxKeys of each list call (S3's maximum is 1000). */
  pageSize?: number;
  /** Tries per object read, the first included. */
  maxAttempts?: number;
  /** Base of the exponential backoff between reads. */
  baseDelayMs?: number;
  /** Cap of one backoff delay. */
  maxDelayMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /**
   * How objects are read and listed: `signed` (default; plain signed GETs, see s3-signed.ts) or
   * `sdk` (the SDK's GetObject and ListObjectsV2). Defaults to `CLOUDTRAIL_INVESTIGATE_S3_READS` (see clients.ts).
   */
  reads?: S3ReadMode;
  /** Silence after which a signed request fails (default: the S3 idle timeout). */
  idleTimeoutMs?: number;
  /** Pages one listing may have before it fails (default MAX_LIST_PAGES). */
  maxPages?: number;
  /**
   * Slowest rate an object's body may arrive at, in bytes per second (default MIN_BYTES_PER_SECOND):
   * a read must end within the idle timeout plus its listed size at this rate.
   */
  minBytesPerSecond?: number;
}

/** See `minBytesPerSecond`: 64 KiB/s, one second per 64 KiB listed, on top of the idle timeout. */
export const MIN_BYTES_PER_SECOND = 64 * 1024;

/**
 * Pages of one listing at most: 10 million keys under one prefix (a day folder of one account
 * and region holds a few hundred to a few thousand log files). Past it, the listing fails.
 */
export const MAX_LIST_PAGES = 10_000;

/** What the store reads of a page, from the signed GET or the SDK. */
type ListPageShape = Pick<
  ListObjectsV2CommandOutput,
  'Contents' | 'CommonPrefixes' | 'IsTruncated' | 'NextContinuationToken'
>;

const TRANSIENT_CODES = new Set([
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'TimeoutError',
  'TruncatedBody',
]);

/**
 * Answers that ask the client to slow down, and requests that got no answer in time: the scan
 * engine's concurrency backs off on them (more requests at once would only wait longer).
 */
const THROTTLE_CODES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'TimeoutError',
]);

/** Whether a failed call was S3 (or a proxy) asking for fewer requests, or timed out. */
export function isThrottle(err: unknown): boolean {
  const status = err instanceof S3StoreError ? undefined : httpStatus(err);
  const code = err instanceof S3StoreError ? err.code : errorCode(err);
  return status === 503 || status === 429 || THROTTLE_CODES.has(code);
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** S3's error codes about the credentials or the clock (403s that are not a missing permission), with what to do. */
const CREDENTIAL_CODES: Record<string, string> = {
  ExpiredToken:
    'the session token has expired; get fresh credentials (a longer role session, or re-run the OIDC step) and search again.',
  TokenRefreshRequired: 'the session token must be refreshed; get fresh credentials and search again.',
  InvalidToken:
    'the session token is malformed or not valid; check AWS_SESSION_TOKEN or the credentials source.',
  RequestTimeTooSkewed:
    "this machine's clock differs from AWS's by more than 15 minutes; correct the clock (NTP) and search again.",
  InvalidAccessKeyId: 'the access key id does not exist in AWS; check the credentials.',
  SignatureDoesNotMatch: 'the secret access key does not match the access key id; check the credentials.',
};

function errorCode(err: unknown): string {
  const e = (err ?? {}) as SdkErrorShape;
  return e.Code ?? e.code ?? e.name ?? 'Error';
}

function httpStatus(err: unknown): number | undefined {
  return ((err ?? {}) as SdkErrorShape).$metadata?.httpStatusCode;
}

/** Whether a failed read may succeed when tried again. */
export function isTransient(err: unknown): boolean {
  if (err instanceof S3StoreError) return err.transient;
  const status = httpStatus(err);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (((err ?? {}) as SdkErrorShape).$retryable) return true;
  return TRANSIENT_CODES.has(errorCode(err)) || (err instanceof Error && err.message === 'aborted');
}

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/** A backoff that a signal cuts short; many at once share one listener on it (abort-fanout.ts). */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const unsubscribe = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(signal.reason);
        })
      : () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
  });
}

export class S3Store implements ObjectStore {
  readonly description: string;
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly pageSize: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  /** Resolves to undefined when the SDK makes every call. */
  private signedBucket: Promise<SignedS3Bucket | undefined> | undefined;
  private readonly reads: S3ReadMode;
  private readonly idleTimeoutMs: number;
  private readonly maxPages: number;
  private readonly minBytesPerSecond: number;
  /** See ObjectStore.throttles. */
  throttles = 0;

  constructor(options: S3StoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.description = `s3://${options.bucket}`;
    this.pageSize = options.pageSize ?? 1000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
    this.reads = options.reads ?? s3ReadMode();
    this.idleTimeoutMs = options.idleTimeoutMs ?? s3IdleTimeoutMs();
    this.maxPages = Math.max(1, options.maxPages ?? MAX_LIST_PAGES);
    this.minBytesPerSecond = Math.max(1, options.minBytesPerSecond ?? MIN_BYTES_PER_SECOND);
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredObject> {
    for await (const page of this.pages(prefix, undefined, signal)) {
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0 };
      }
    }
  }

  async listFolders(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const folders: string[] = [];
    for await (const page of this.pages(prefix, '/', signal)) {
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) folders.push(p.Prefix);
    }
    return folders;
  }

  /**
   * Every page of a listing. Fails closed (an S3StoreError naming the prefix) rather than end early
   * or never: a page that says it is truncated but gives no token to go on with, a token S3 already
   * gave for this listing (it would loop forever), or more than `maxPages` pages.
   */
  private async *pages(
    prefix: string,
    delimiter: string | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ListPageShape> {
    const tokens = new Set<string>();
    let token: string | undefined;
    for (let pages = 1; ; pages++) {
      const page = await this.listPage(prefix, delimiter, token, signal);
      yield page;
      if (!page.IsTruncated) return;
      token = page.NextContinuationToken;
      let problem: string | undefined;
      if (!token) problem = 'S3 said the listing goes on but gave no continuation token';
      else if (tokens.has(token)) problem = 'S3 repeated a continuation token (the listing would never end)';
      else if (pages >= this.maxPages) problem = `the listing has more than ${this.maxPages} pages`;
      if (problem) {
        throw new S3StoreError(
          `Listing s3://${this.bucket}/${prefix} stopped after ${pages} page${pages === 1 ? '' : 's'}: ${problem}; what it holds was not all searched.`,
          { code: 'IncompleteListing', bucket: this.bucket, transient: false, cause: undefined },
        );
      }
      tokens.add(token as string);
    }
  }

  /**
   * With `listedSize`: a body longer than that fails the read at once (not retried), and the read
   * must end by its deadline (`deadlineMs`).
   */
  async get(key: string, signal?: AbortSignal, listedSize?: number): Promise<Uint8Array> {
    return this.withRetries('get', key, () => this.readOnce(key, signal, listedSize), signal);
  }

  /** Time a read of `bytes` may take, first byte to last. */
  deadlineMs(bytes: number): number {
    return this.idleTimeoutMs + Math.ceil((bytes / this.minBytesPerSecond) * 1000);
  }

  /**
   * Runs one S3 call, again after a backoff while it fails transiently (signed requests have no
   * other retries; through the SDK, this comes on top of its own, which do not cover a body cut
   * mid-stream). Listings too: a failed listing loses a whole day folder, or the whole search.
   */
  private async withRetries<T>(
    op: 'get' | 'list',
    keyOrPrefix: string,
    call: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      try {
        return await call();
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (isThrottle(err)) this.throttles++;
        const failure = this.toError(err, op, keyOrPrefix);
        if (!failure.transient || attempt + 1 >= this.maxAttempts) throw failure;
        await this.sleep(backoffDelay(attempt, this.baseDelayMs, this.maxDelayMs, this.random), signal);
      }
    }
  }

  private listPage(
    prefix: string,
    delimiter: string | undefined,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ListPageShape> {
    return this.withRetries(
      'list',
      prefix,
      async () => {
        const signed = await this.signed();
        if (signed?.active) {
          const page = await signed.list(
            { prefix, delimiter, continuationToken: token, maxKeys: this.pageSize },
            signal,
            this.deadlineMs(MAX_LIST_BODY_BYTES),
          );
          if (page) return page;
        }
        // The SDK adds listeners to the signal it is given: a signal of its own per call.
        const call = childSignal(signal);
        try {
          return await this.client.send(
            new ListObjectsV2Command({
              Bucket: this.bucket,
              Prefix: prefix,
              MaxKeys: this.pageSize,
              ...(delimiter ? { Delimiter: delimiter } : {}),
              ...(token ? { ContinuationToken: token } : {}),
            }),
            { abortSignal: call.controller.signal },
          );
        } finally {
          call.dispose();
        }
      },
      signal,
    );
  }

  /** Signed requests to the bucket, unless the SDK makes every call (`reads: 'sdk'`, or an endpoint it alone signs). */
  private signed(): Promise<SignedS3Bucket | undefined> {
    this.signedBucket ??=
      this.reads === 'signed'
        ? SignedS3Bucket.forBucket(this.client, this.bucket, { idleTimeoutMs: this.idleTimeoutMs })
        : Promise.resolve(undefined);
    return this.signedBucket;
  }

  private async readOnce(key: string, signal?: AbortSignal, listedSize?: number): Promise<Uint8Array> {
    const limits =
      listedSize === undefined ? {} : { maxBytes: listedSize, deadlineMs: this.deadlineMs(listedSize) };
    const signed = await this.signed();
    if (signed?.active) {
      const bytes = await signed.get(key, signal, limits);
      if (bytes) return bytes;
    }
    // Through the SDK, the deadline aborts the call (its own signal, chained to the search's).
    const { controller: deadline, dispose } = childSignal(signal);
    const timer =
      limits.deadlineMs === undefined
        ? undefined
        : setTimeout(
            () =>
              deadline.abort(
                Object.assign(new Error(`S3 did not send the whole answer within ${limits.deadlineMs} ms`), {
                  code: 'TimeoutError',
                }),
              ),
            limits.deadlineMs,
          );
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: deadline.signal,
      });
      if (!res.Body) throw Object.assign(new Error('empty response body'), { code: 'TruncatedBody' });
      return await readBody(res.Body, res.ContentLength, limits.maxBytes);
    } catch (err) {
      // The deadline's reason, not the SDK's generic AbortError, when it is what stopped the read.
      throw deadline.signal.aborted && !signal?.aborted ? deadline.signal.reason : err;
    } finally {
      clearTimeout(timer);
      dispose();
    }
  }

  /** An S3StoreError whose message names the object and, for denials, the permission needed. */
  private toError(err: unknown, op: 'get' | 'list', keyOrPrefix: string): S3StoreError {
    if (err instanceof S3StoreError) return err;
    const code = errorCode(err);
    const status = httpStatus(err);
    const where = `s3://${this.bucket}/${keyOrPrefix}`;
    const transient = isTransient(err);
    let message: string;
    if (code === 'NoSuchBucket') {
      message = `The bucket "${this.bucket}" does not exist (NoSuchBucket): check --source or the trail's bucket.`;
    } else if (CREDENTIAL_CODES[code] !== undefined) {
      // A 403 that is about the credentials or the clock, not a missing permission.
      message = `AWS refused the credentials while ${op === 'list' ? 'listing' : 'reading'} ${where} (${code}): ${CREDENTIAL_CODES[code]}`;
    } else if (code === 'AccessDenied' || code === 'Forbidden' || status === 403) {
      message =
        op === 'list'
          ? `Access denied listing ${where} (${code}): the credentials need s3:ListBucket on arn:aws:s3:::${this.bucket}.`
          : `Access denied reading ${where} (${code}): the credentials need s3:GetObject on arn:aws:s3:::${this.bucket}/*` +
            " (and kms:Decrypt on the trail's KMS key if its logs are SSE-KMS encrypted;" +
            ' S3 also answers AccessDenied for a missing key when s3:ListBucket is not granted).';
    } else if (code === 'NoSuchKey' || (op === 'get' && status === 404)) {
      message = `${where} does not exist (NoSuchKey): it was listed but is gone (deleted or moved by a lifecycle rule?).`;
    } else {
      const verb = op === 'list' ? 'listing' : 'reading';
      message = `Failed ${verb} ${where} (${code}${status ? `, HTTP ${status}` : ''}): ${errorMessage(err)}`;
    }
    return new S3StoreError(message, {
      code,
      bucket: this.bucket,
      ...(op === 'get' ? { key: keyOrPrefix } : {}),
      transient,
      cause: err,
    });
  }
}
