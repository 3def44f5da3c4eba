/**
 * A lean, read-only S3-protocol server for the benchmark: one bucket served from a local folder
 * over plain HTTP on 127.0.0.1 (random port, keep-alive), so the `scan-s3` row measures our S3
 * client rather than the server. The tests' s3rver (__tests__/helpers/s3-server.ts) spent more CPU
 * serving a bench run than the scan itself, on the same cores.
 *
 * It answers what the CLI asks, path-style (`/bucket/key`): ListObjectsV2 (prefix, delimiter with
 * CommonPrefixes, max-keys up to 1000, continuation-token, start-after, encoding-type=url, keys in
 * UTF-8 byte order as S3 lists them), GetObject and HeadObject (whole objects: Range is ignored, which
 * HTTP allows), HeadBucket, GetBucketLocation and ListBuckets; S3's XML errors otherwise (NoSuchKey,
 * NoSuchBucket, 405 for writes, 501 for the rest).
 *
 * Not S3: it does NOT verify SigV4 signatures (any credentials pass), the folder is indexed once at
 * start (files added later are not listed, and a file must keep its size), and ETags are derived
 * from size and modification time (as web servers do) instead of the content's MD5.
 */
import { readFileSync, createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export const BENCH_S3_REGION = 'us-east-1';

/** One object of the bucket. */
export interface Entry {
  key: string;
  /** The key's UTF-8 bytes: S3 orders keys by them (JS string order differs past U+FFFF). */
  bytes: Buffer;
  file: string;
  size: number;
  etag: string;
  lastModifiedIso: string;
  lastModifiedHttp: string;
}

export interface BenchS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** Environment for a child process whose SDK clients should talk to this server, path-style. */
  env: Record<string, string>;
  /** Objects served. */
  objects: number;
  close(): Promise<void>;
}

export interface BenchS3Options {
  /** Folder whose files are the bucket's objects (keys: '/'-separated paths relative to it). */
  dir: string;
  bucket?: string;
  /** Objects up to this size are read with one call and sent as one buffer; larger ones streamed. */
  bufferLimit?: number;
}

/** Largest page S3 returns, whatever max-keys asks. */
const MAX_KEYS = 1000;
const DEFAULT_BUFFER_LIMIT = 1024 * 1024;
/** Past the client's idle sockets, so the server never closes a connection the client is about to reuse. */
const KEEP_ALIVE_MS = 120_000;

/** Files under `dir` (symlinks followed), sorted by key bytes. */
export async function indexFolder(dir: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  const walk = async (folder: string, prefix: string): Promise<void> => {
    for (const d of await fs.readdir(folder, { withFileTypes: true })) {
      const file = path.join(folder, d.name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat?.isDirectory()) await walk(file, `${prefix}${d.name}/`);
      else if (stat?.isFile()) {
        const key = prefix + d.name;
        const modified = new Date(Math.floor(stat.mtimeMs / 1000) * 1000);
        entries.push({
          key,
          bytes: Buffer.from(key, 'utf8'),
          file,
          size: stat.size,
          etag: `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`,
          lastModifiedIso: modified.toISOString(),
          lastModifiedHttp: modified.toUTCString(),
        });
      }
    }
  };
  await walk(path.resolve(dir), '');
  return entries.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
}

/** XML text: the five characters XML reserves. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** First index whose key bytes are greater than `marker` (binary search). */
function firstAfter(entries: readonly Entry[], marker: Buffer, inclusive: boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = Buffer.compare(entries[mid]!.bytes, marker);
    if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A common prefix resumes past every key under it: its bytes followed by 0xFF, a byte that UTF-8
 * never holds, so that marker sorts after all of them and before the next key that differs.
 */
function pastPrefix(prefix: string): Buffer {
  return Buffer.concat([Buffer.from(prefix, 'utf8'), Buffer.from([0xff])]);
}

export interface ListRequest {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  /** Resume strictly after these bytes (from a continuation token or start-after). */
  after: Buffer | undefined;
}

export interface ListPage {
  contents: Entry[];
  commonPrefixes: string[];
  truncated: boolean;
  /** Where the next page starts, when truncated. */
  next: Buffer | undefined;
}

/** One ListObjectsV2 page over the sorted entries. Pure. */
export function listPage(entries: readonly Entry[], req: ListRequest): ListPage {
  const prefixBytes = Buffer.from(req.prefix, 'utf8');
  let i =
    req.after !== undefined && Buffer.compare(req.after, prefixBytes) >= 0
      ? firstAfter(entries, req.after, false)
      : firstAfter(entries, prefixBytes, true);
  const contents: Entry[] = [];
  const commonPrefixes: string[] = [];
  let last: Buffer | undefined;
  while (i < entries.length && entries[i]!.key.startsWith(req.prefix)) {
    if (contents.length + commonPrefixes.length >= req.maxKeys) {
      // Nothing returned (max-keys 0) leaves no place to resume from: S3 then says not truncated.
      return { contents, commonPrefixes, truncated: last !== undefined, next: last };
    }
    const entry = entries[i]!;
    const cut = req.delimiter ? entry.key.indexOf(req.delimiter, req.prefix.length) : -1;
    if (cut === -1) {
      contents.push(entry);
      last = entry.bytes;
      i++;
    } else {
      const common = entry.key.slice(0, cut + req.delimiter.length);
      commonPrefixes.push(common);
      last = pastPrefix(common);
      i = firstAfter(entries, last, false);
    }
  }
  return { contents, commonPrefixes, truncated: false, next: undefined };
}

class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly resource = '',
  ) {
    super(message);
  }
}

function errorXml(err: S3Failure, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' +
    `<Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message>` +
    (err.resource ? `<Resource>${xmlEscape(err.resource)}</Resource>` : '') +
    `<RequestId>${requestId}</RequestId></Error>`
  );
}

function sendXml(res: http.ServerResponse, status: number, body: string, head = false): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': bytes.length });
  res.end(head ? undefined : bytes);
}

/** Token text <-> resume bytes: opaque to clients, like S3's. */
const encodeToken = (after: Buffer): string => after.toString('base64url');
function decodeToken(token: string): Buffer {
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length === 0 || encodeToken(bytes) !== token) {
    throw new S3Failure(400, 'InvalidArgument', 'The continuation token provided is incorrect');
  }
  return bytes;
}

/** `encoding-type=url`: S3 encodes keys like a URL component but keeps '/' readable. */
const urlEncodeKey = (key: string): string => encodeURIComponent(key).replace(/%2F/g, '/');

export function listXml(bucket: string, query: URLSearchParams, entries: readonly Entry[]): string {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxKeysText = query.get('max-keys');
  const maxKeys = maxKeysText === null ? MAX_KEYS : Number(maxKeysText);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new S3Failure(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
  }
  const encoding = query.get('encoding-type');
  if (encoding !== null && encoding !== 'url') {
    throw new S3Failure(400, 'InvalidArgument', 'Invalid Encoding Method specified in Request');
  }
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after');
  const after =
    token !== null ? decodeToken(token) : startAfter ? Buffer.from(startAfter, 'utf8') : undefined;
  const page = listPage(entries, { prefix, delimiter, maxKeys: Math.min(maxKeys, MAX_KEYS), after });
  const text = (s: string) => xmlEscape(encoding === 'url' ? urlEncodeKey(s) : s);
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Name>${xmlEscape(bucket)}</Name><Prefix>${text(prefix)}</Prefix>`,
    delimiter ? `<Delimiter>${text(delimiter)}</Delimiter>` : '',
    `<MaxKeys>${maxKeys}</MaxKeys>`,
    encoding ? `<EncodingType>${encoding}</EncodingType>` : '',
    `<KeyCount>${page.contents.length + page.commonPrefixes.length}</KeyCount>`,
    `<IsTruncated>${page.truncated}</IsTruncated>`,
    token !== null ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '',
    page.next ? `<NextContinuationToken>${encodeToken(page.next)}</NextContinuationToken>` : '',
    startAfter ? `<StartAfter>${text(startAfter)}</StartAfter>` : '',
  ];
  for (const e of page.contents) {
    parts.push(
      `<Contents><Key>${text(e.key)}</Key><LastModified>${e.lastModifiedIso}</LastModified>` +
        `<ETag>${xmlEscape(e.etag)}</ETag><Size>${e.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
  }
  for (const p of page.commonPrefixes)
    parts.push(`<CommonPrefixes><Prefix>${text(p)}</Prefix></CommonPrefixes>`);
  parts.push('</ListBucketResult>');
  return parts.join('');
}

function sendObject(res: http.ServerResponse, entry: Entry, head: boolean, bufferLimit: number): void {
  const headers = {
    'Content-Type': 'binary/octet-stream',
    'Content-Length': entry.size,
    ETag: entry.etag,
    'Last-Modified': entry.lastModifiedHttp,
    'Accept-Ranges': 'bytes',
  };
  if (head) {
    res.writeHead(200, headers);
    res.end();
  } else if (entry.size <= bufferLimit) {
    // Small objects (CloudTrail's are tens of KB): one read from the page cache, one write.
    const body = readFileSync(entry.file);
    res.writeHead(200, headers);
    res.end(body);
  } else {
    res.writeHead(200, headers);
    createReadStream(entry.file)
      .on('error', () => res.destroy())
      .pipe(res);
  }
}

/** Serves `options.dir` as one bucket until `close()`. */
export async function startBenchS3Server(options: BenchS3Options): Promise<BenchS3Server> {
  const bucket = options.bucket ?? 'bench-trail-logs';
  const bufferLimit = options.bufferLimit ?? DEFAULT_BUFFER_LIMIT;
  const entries = await indexFolder(options.dir);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  let requests = 0;

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const requestId = (++requests).toString(16).padStart(16, '0');
    res.setHeader('x-amz-request-id', requestId);
    const head = req.method === 'HEAD';
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const pathname = q === -1 ? url : url.slice(0, q);
      const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
      const slash = pathname.indexOf('/', 1);
      const name = decodeURIComponent(slash === -1 ? pathname.slice(1) : pathname.slice(1, slash));
      const key = slash === -1 ? '' : decodeURIComponent(pathname.slice(slash + 1));
      if (req.method !== 'GET' && !head) {
        throw new S3Failure(405, 'MethodNotAllowed', 'This server is read-only.', pathname);
      }
      if (name === '') {
        const list =
          '<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          `<Owner><ID>bench</ID><DisplayName>bench</DisplayName></Owner><Buckets><Bucket><Name>${xmlEscape(bucket)}</Name>` +
          `<CreationDate>${new Date(0).toISOString()}</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>`;
        return sendXml(res, 200, list, head);
      }
      if (name !== bucket)
        throw new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist', name);
      if (key === '') {
        res.setHeader('x-amz-bucket-region', BENCH_S3_REGION);
        if (head) return sendXml(res, 200, '', true); // HeadBucket
        if (query.has('location')) {
          const location =
            '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>';
          return sendXml(res, 200, location);
        }
        if (query.get('list-type') !== '2') {
          throw new S3Failure(
            501,
            'NotImplemented',
            'Only ListObjectsV2 (list-type=2) is implemented.',
            name,
          );
        }
        return sendXml(res, 200, listXml(bucket, query, entries));
      }
      const entry = byKey.get(key);
      if (!entry)
        throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.', `/${name}/${key}`);
      sendObject(res, entry, head, bufferLimit);
    } catch (err) {
      const failure =
        err instanceof S3Failure
          ? err
          : err instanceof URIError
            ? new S3Failure(400, 'InvalidURI', "Couldn't parse the specified URI.")
            : new S3Failure(500, 'InternalError', err instanceof Error ? err.message : String(err));
      if (!res.headersSent) sendXml(res, failure.status, errorXml(failure, requestId), head);
      else res.destroy();
    }
  };

  const server = http.createServer({ keepAlive: true }, handle);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    bucket,
    objects: entries.length,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      // Any keys do: signatures are not checked. Set so the SDK's credential chain finds some.
      AWS_ACCESS_KEY_ID: 'BENCH',
      AWS_SECRET_ACCESS_KEY: 'BENCH',
      AWS_REGION: BENCH_S3_REGION,
      // No checksum settings: the client runs with the SDK's defaults, as it does against S3.
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
