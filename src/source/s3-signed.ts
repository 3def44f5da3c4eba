/**
 * A bucket's object reads and listings as plain signed GETs, without the SDK's per-request
 * middleware stack.
 *
 * A scan reads thousands of small objects (CloudTrail delivers one per account, region and ~5
 * minutes). Through the SDK, each GetObject costs ~1-2 ms of main-thread CPU (a dozen middlewares,
 * S3's endpoint rules evaluated per key, response deserialisation), about what scanning the object
 * costs, and a listing page of 1,000 keys tens of milliseconds (its XML parser); signed here, a
 * third of that and less. What is not rewritten is taken from the SDK client the store was given:
 * the endpoint comes from the SDK's own endpoint rules for GetObject (custom endpoints, path
 * style, FIPS, dual-stack), resolved once per bucket and region; the credentials are the client's
 * provider (cached, and refreshed before they expire); the connections are the client's keep-alive
 * pool. The signature is SigV4 for a bodiless GET (sigv4.ts: the SDK's general signer cost about
 * half as much CPU per object as the HTTP request itself).
 *
 * Only endpoints signed with plain SigV4 for `s3` are used this way (S3 Express directory buckets
 * and multi-region access points sign differently: `forBucket` says undefined and the store keeps
 * the SDK). Responses other than 200 become errors shaped like the SDK's (`Code`, `$metadata`), so
 * the store explains and retries them as it does the SDK's. A region redirect (301 or 400 with
 * `x-amz-bucket-region`) is followed, and later requests to the bucket go to that region, as the
 * SDK's `followRegionRedirects` does; a redirect without that header is left to the SDK.
 * No response checksum is asked for: gzip's CRC-32 and the Content-Length check already catch a
 * damaged body.
 */
import http from 'node:http';
import https from 'node:https';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import { connectionAgent } from '../aws/clients.js';
import { USER_AGENT } from '../aws/settings.js';
import { readBody } from './s3-body.js';
import { parseErrorXml, parseListObjectsV2, type ListPage } from './s3-xml.js';
import { GetSigner, sigv4Encode } from './sigv4.js';

/** Error bodies are short XML documents; no more than this is read of one. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;
/** A listing page of 1,000 keys is a few hundred KB; a longer answer is refused. */
export const MAX_LIST_BODY_BYTES = 16 * 1024 * 1024;

/** Limits of one read: the most bytes accepted, and the time the whole answer may take. */
export interface ReadLimits {
  maxBytes?: number;
  /** Milliseconds from sending the request to the body's last byte. */
  deadlineMs?: number;
}

/**
 * A key as S3 expects it in the path: each `/`-separated segment percent-encoded, RFC 3986's
 * unreserved characters (A-Z a-z 0-9 - . _ ~) left alone, `/` kept. `encodeURIComponent` leaves
 * `!'()*` as they are, which SigV4's canonical form does not.
 */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(sigv4Encode).join('/');
}

/** The response's Content-Length, when it has one. */
function contentLength(res: http.IncomingMessage): number | undefined {
  const length = res.headers['content-length'];
  return length === undefined ? undefined : Number(length);
}

/** A failed GET, shaped like the SDK's service errors so the store handles both alike. */
export class S3HttpError extends Error {
  readonly Code: string;
  readonly $metadata: { httpStatusCode: number };
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = code;
    this.Code = code;
    this.$metadata = { httpStatusCode: status };
  }
}

/** The error an answer other than 200 stands for: its XML's code and message, else its status's. */
export function parseS3Error(status: number, body: string): S3HttpError {
  const { code, message } = parseErrorXml(body);
  return new S3HttpError(
    status,
    code ?? (http.STATUS_CODES[status] ?? `HTTP${status}`).replace(/\s+/g, ''),
    message ?? `HTTP ${status} from S3`,
  );
}

/** Where a bucket's objects are and how requests to them are signed. */
interface BucketEndpoint {
  readonly region: string;
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number | undefined;
  /** The `host` header: hostname, and the port when it is not the protocol's default. */
  readonly host: string;
  /** The path objects' keys are appended to (`/bucket` path-style, empty virtual-hosted). */
  readonly basePath: string;
  /** Ours, and the SDK app id (`AWS_SDK_UA_APP_ID`) as `app/<id>` like the SDK's: CloudTrail records it. */
  readonly userAgent: string;
}

/** What an SDK S3 client's resolved configuration has that is used here. */
type ClientConfig = S3Client['config'];

/**
 * The endpoint the SDK would send a GetObject for `bucket` to, with `region` in place of the
 * client's when given; undefined when it is not signed with plain SigV4 for `s3`, or carries
 * headers of its own, or cannot be resolved (the SDK will say why).
 */
async function resolveEndpoint(
  config: ClientConfig,
  bucket: string,
  region?: string,
): Promise<BucketEndpoint | undefined> {
  const resolved = region ? { ...config, region: () => Promise.resolve(region) } : config;
  let endpoint;
  try {
    endpoint = await getEndpointFromInstructions(
      { Bucket: bucket, Key: 'k' },
      GetObjectCommand as unknown as Parameters<typeof getEndpointFromInstructions>[1],
      resolved as unknown as Parameters<typeof getEndpointFromInstructions>[2],
    );
  } catch {
    return undefined;
  }
  const scheme = (
    endpoint.properties?.authSchemes as
      { name?: string; signingName?: string; signingRegion?: string }[] | undefined
  )?.[0];
  const { url } = endpoint;
  if (
    scheme?.name !== 'sigv4' ||
    scheme.signingName !== 's3' ||
    !scheme.signingRegion ||
    Object.keys(endpoint.headers ?? {}).length > 0 ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== ''
  ) {
    return undefined;
  }
  const appId = await config.userAgentAppId();
  return {
    userAgent: appId ? `${USER_AGENT} app/${appId}` : USER_AGENT,
    region: scheme.signingRegion,
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : undefined,
    host: url.host,
    basePath: url.pathname.replace(/\/+$/, ''),
  };
}

/** Statuses S3 answers a request sent to the wrong region or endpoint with. */
const MISDIRECTED = new Set([301, 307, 400]);
/** 400 codes that mean "wrong region" rather than a bad request. */
const WRONG_REGION_CODES = new Set(['AuthorizationHeaderMalformed', 'IllegalLocationConstraintException']);

/** The region S3 says the bucket is in, when it is not `current`. */
function bucketRegion(res: http.IncomingMessage, current: string): string | undefined {
  const region = res.headers['x-amz-bucket-region'];
  return typeof region === 'string' && region !== current && /^[a-z0-9-]+$/.test(region) ? region : undefined;
}

/** At most `limit` bytes of a response body, as text. */
function readErrorBody(res: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (text.length < limit) text += chunk.slice(0, limit - text.length);
    });
    res.on('end', () => resolve(text));
    res.on('error', () => resolve(text));
  });
}

/**
 * In-flight requests by the signal that cancels them, with one listener per signal: Node's
 * `signal` request option adds a listener and end-of-stream tracking to every request, a
 * measurable share of a small object's cost. A request leaves its set when it closes, which is
 * after its response's body ended or failed.
 */
class Cancellable {
  private readonly bySignal = new WeakMap<AbortSignal, Set<http.ClientRequest>>();

  track(req: http.ClientRequest, signal: AbortSignal): void {
    // Aborted already (while the credentials were awaited): the listener would never fire.
    if (signal.aborted) {
      req.destroy(abortError(signal));
      return;
    }
    let requests = this.bySignal.get(signal);
    if (!requests) {
      const set = (requests = new Set());
      this.bySignal.set(signal, set);
      signal.addEventListener(
        'abort',
        () => {
          for (const r of set) r.destroy(abortError(signal));
          set.clear();
        },
        { once: true },
      );
    }
    requests.add(req);
    req.once('close', () => requests.delete(req));
  }
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('request aborted'), { name: 'AbortError', cause: signal.reason });
}

export interface SignedS3Options {
  /** Silence on the connection after which a request fails with a (retryable) TimeoutError. */
  idleTimeoutMs: number;
}

/** One page of a ListObjectsV2 request. */
export interface ListRequest {
  prefix: string;
  delimiter?: string | undefined;
  continuationToken?: string | undefined;
  maxKeys: number;
}

/** Where a request goes: a path below the bucket's, and a query. */
interface Target {
  /** Encoded, without the leading `/`; empty for the bucket itself. */
  path: string;
  /** Names and values percent-encoded as SigV4 canonicalises them. */
  query: Array<[string, string]>;
}

/** The query as sent. */
function queryString(query: ReadonlyArray<readonly [string, string]>): string {
  return query.length === 0 ? '' : `?${query.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

/** Reads one bucket's objects and listings with signed requests. */
export class SignedS3Bucket {
  private endpoint: BucketEndpoint;
  /**
   * False once S3 redirected in a way only the SDK knows how to follow (no `x-amz-bucket-region`
   * header, or still misdirected in that region): from then on the store calls the SDK.
   */
  active = true;
  private readonly signer = new GetSigner();
  private readonly cancellable = new Cancellable();

  private constructor(
    private readonly config: ClientConfig,
    private readonly bucket: string,
    private readonly options: SignedS3Options,
    first: BucketEndpoint,
  ) {
    this.endpoint = first;
  }

  /** Requests to `bucket` through `client`'s endpoint and credentials; undefined when its endpoint is not plain SigV4. */
  static async forBucket(
    client: S3Client,
    bucket: string,
    options: SignedS3Options,
  ): Promise<SignedS3Bucket | undefined> {
    const endpoint = await resolveEndpoint(client.config, bucket);
    return endpoint ? new SignedS3Bucket(client.config, bucket, options, endpoint) : undefined;
  }

  /**
   * The whole object, or undefined when the SDK should read it (see `active`). Rejects with an
   * S3HttpError for any other answer but 200, with the connection's error (a reset, a
   * TimeoutError, an abort) when it fails, and with a TruncatedBody error when the body is not
   * Content-Length bytes long.
   */
  async get(key: string, signal?: AbortSignal, limits: ReadLimits = {}): Promise<Uint8Array | undefined> {
    const res = await this.request({ path: encodeKeyPath(key), query: [] }, signal, limits.deadlineMs);
    return res && readBody(res, contentLength(res), limits.maxBytes);
  }

  /** One ListObjectsV2 page (undefined: the SDK should list), rejecting as `get` does. */
  async list(req: ListRequest, signal?: AbortSignal, deadlineMs?: number): Promise<ListPage | undefined> {
    const params: Array<[string, string]> = [
      ['list-type', '2'],
      ['prefix', req.prefix],
      ['max-keys', String(req.maxKeys)],
    ];
    if (req.delimiter !== undefined) params.push(['delimiter', req.delimiter]);
    if (req.continuationToken !== undefined) params.push(['continuation-token', req.continuationToken]);
    const query = params.map(([k, v]): [string, string] => [sigv4Encode(k), sigv4Encode(v)]);
    const res = await this.request({ path: '', query }, signal, deadlineMs);
    if (!res) return undefined;
    const body = await readBody(res, contentLength(res), MAX_LIST_BODY_BYTES);
    return parseListObjectsV2(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  }

  /**
   * Sends a signed GET; the response when S3 answered 200 (after following a region redirect),
   * undefined when the SDK should take over, an S3HttpError otherwise.
   */
  private async request(
    target: Target,
    signal?: AbortSignal,
    deadlineMs?: number,
  ): Promise<http.IncomingMessage | undefined> {
    const deadline = deadlineMs === undefined ? undefined : { at: Date.now() + deadlineMs, ms: deadlineMs };
    let endpoint = this.endpoint;
    let res = await this.send(endpoint, target, signal, deadline);
    const moved = MISDIRECTED.has(res.statusCode ?? 0) ? bucketRegion(res, endpoint.region) : undefined;
    const there = moved ? await resolveEndpoint(this.config, this.bucket, moved) : undefined;
    if (there) {
      res.resume();
      // Every later request goes to the bucket's region too.
      this.endpoint = endpoint = there;
      res = await this.send(endpoint, target, signal, deadline);
    }
    const status = res.statusCode ?? 0;
    if (status === 200) return res;
    const err = parseS3Error(status, await readErrorBody(res, MAX_ERROR_BODY_BYTES));
    if (status === 301 || status === 307 || (status === 400 && WRONG_REGION_CODES.has(err.Code))) {
      this.active = false;
      return undefined;
    }
    throw err;
  }

  /**
   * Fails the request, or its response's body, once `deadline` (epoch ms) passes: the idle timeout
   * alone lets a server trickle a byte now and then for hours.
   */
  private enforceDeadline(req: http.ClientRequest, deadline: number, deadlineMs: number): void {
    let res: http.IncomingMessage | undefined;
    const timer = setTimeout(
      () => {
        const err = Object.assign(new Error(`S3 did not send the whole answer within ${deadlineMs} ms`), {
          code: 'TimeoutError',
        });
        if (res) res.destroy(err);
        req.destroy(err);
      },
      Math.max(0, deadline - Date.now()),
    );
    timer.unref();
    req.once('response', (r: http.IncomingMessage) => {
      res = r;
      r.once('close', () => clearTimeout(timer));
    });
    req.once('close', () => {
      if (!res) clearTimeout(timer);
    });
  }

  private async send(
    endpoint: BucketEndpoint,
    target: Target,
    signal?: AbortSignal,
    deadline?: { at: number; ms: number },
  ): Promise<http.IncomingMessage> {
    signal?.throwIfAborted();
    // The bucket itself is `/bucket` path-style and `/` virtual-hosted, as the SDK sends it.
    const path = target.path === '' ? endpoint.basePath || '/' : `${endpoint.basePath}/${target.path}`;
    // The client's provider caches the credentials and refreshes them before they expire; the
    // clock offset is the skew the SDK measured on an earlier answer (0 until then).
    const identity = await this.config.credentials();
    const now = new Date(Date.now() + (this.config.systemClockOffset ?? 0));
    const signed = this.signer.sign(
      { host: endpoint.host, path, query: target.query, region: endpoint.region, service: 's3' },
      identity,
      now,
    );
    const request = endpoint.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = request({
        method: 'GET',
        hostname: endpoint.hostname,
        ...(endpoint.port !== undefined ? { port: endpoint.port } : {}),
        path: path + queryString(target.query),
        headers: { host: endpoint.host, ...signed, 'user-agent': endpoint.userAgent },
        agent: connectionAgent(endpoint.protocol),
      });
      if (signal) this.cancellable.track(req, signal);
      req.setTimeout(this.options.idleTimeoutMs, () => {
        const err = Object.assign(new Error(`no data from S3 for ${this.options.idleTimeoutMs} ms`), {
          code: 'TimeoutError',
        });
        req.destroy(err);
      });
      if (deadline !== undefined) this.enforceDeadline(req, deadline.at, deadline.ms);
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
  }
}
