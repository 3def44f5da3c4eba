/**
 * A misbehaving S3 endpoint for tests, on 127.0.0.1: it answers ListObjectsV2 and GetObject for
 * one bucket from objects held in memory, correctly by default (prefix, `/` delimiter, pages of
 * `max-keys` with continuation tokens), and lets a test replace any listing page or object answer
 * with what a hostile or broken server would send. Signatures are not checked (the client's
 * signing has its own tests); every request is recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface ListQuery {
  prefix: string;
  delimiter: string | undefined;
  token: string | undefined;
  maxKeys: number;
}

export interface HostileS3Options {
  bucket: string;
  objects: Map<string, Uint8Array>;
  /** Sizes the listing gives instead of the true ones. */
  listedSizes?: Map<string, number>;
  /** A listing page's XML instead of the true one (undefined: the true one; null: no answer ever). */
  listing?: (q: ListQuery) => string | null | undefined;
  /** Answers an object GET itself when it returns true. */
  object?: (key: string, res: http.ServerResponse) => boolean;
}

export interface HostileS3 {
  endpoint: string;
  /** Environment for the CLI: endpoint, fake credentials, region. */
  env: Record<string, string>;
  readonly lists: ListQuery[];
  readonly gets: string[];
  close(): Promise<void>;
}

export function xmlEscape(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The true ListObjectsV2 page for `q` (tokens are key indexes). */
export function trueListing(options: HostileS3Options, q: ListQuery): string {
  const keys = [...options.objects.keys()].filter((k) => k.startsWith(q.prefix)).sort();
  const items: Array<{ key: string } | { prefix: string }> = [];
  const seenPrefixes = new Set<string>();
  for (const key of keys) {
    const rest = key.slice(q.prefix.length);
    const cut = q.delimiter ? rest.indexOf(q.delimiter) : -1;
    if (cut === -1) items.push({ key });
    else {
      const p = q.prefix + rest.slice(0, cut + 1);
      if (!seenPrefixes.has(p)) {
        seenPrefixes.add(p);
        items.push({ prefix: p });
      }
    }
  }
  const start = q.token ? Number(q.token) : 0;
  const page = items.slice(start, start + q.maxKeys);
  const truncated = start + q.maxKeys < items.length;
  const body = page
    .map((i) =>
      'key' in i
        ? `<Contents><Key>${xmlEscape(i.key)}</Key><Size>${
            options.listedSizes?.get(i.key) ?? options.objects.get(i.key)!.byteLength
          }</Size></Contents>`
        : `<CommonPrefixes><Prefix>${xmlEscape(i.prefix)}</Prefix></CommonPrefixes>`,
    )
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${options.bucket}</Name>` +
    `<Prefix>${xmlEscape(q.prefix)}</Prefix><IsTruncated>${truncated}</IsTruncated>${body}` +
    (truncated ? `<NextContinuationToken>${start + q.maxKeys}</NextContinuationToken>` : '') +
    '</ListBucketResult>'
  );
}

export async function startHostileS3(options: HostileS3Options): Promise<HostileS3> {
  const lists: ListQuery[] = [];
  const gets: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucket, ...rest] = url.pathname.split('/');
    if (bucket !== options.bucket) {
      res.writeHead(404).end();
      return;
    }
    if (rest.length === 0 || rest.join('/') === '') {
      const q: ListQuery = {
        prefix: url.searchParams.get('prefix') ?? '',
        delimiter: url.searchParams.get('delimiter') ?? undefined,
        token: url.searchParams.get('continuation-token') ?? undefined,
        maxKeys: Number(url.searchParams.get('max-keys') ?? 1000),
      };
      lists.push(q);
      const override = options.listing?.(q);
      if (override === null) return; // held open until the client gives up or the server closes
      const xml = override ?? trueListing(options, q);
      res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
      return;
    }
    const key = rest.map((s) => decodeURIComponent(s)).join('/');
    gets.push(key);
    if (options.object?.(key, res)) return;
    const body = options.objects.get(key);
    if (!body) {
      res
        .writeHead(404, { 'content-type': 'application/xml' })
        .end('<Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>');
      return;
    }
    res.writeHead(200, { 'content-length': body.byteLength }).end(body);
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: 'AKIAHOSTILETEST00000',
      AWS_SECRET_ACCESS_KEY: 'hostile-test-secret',
      AWS_REGION: 'us-east-1',
      AWS_MAX_ATTEMPTS: '1',
    },
    lists,
    gets,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const ACCOUNT = '111122223333';
export const DAY_PREFIX = `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/05/01/`;

/** A log file key of 2024-05-01 at `hour` (0-23), named as CloudTrail names them. */
export function logKey(hour: number, suffix = 'a'): string {
  const hh = String(hour).padStart(2, '0');
  return `${DAY_PREFIX}${ACCOUNT}_CloudTrail_us-east-1_20240501T${hh}05Z_${suffix.padEnd(16, 'x')}.json.gz`;
}

/** A gzipped CloudTrail file holding events `ids`, at minute 1.. of `hour`. */
export function logBody(hour: number, ids: string[]): Buffer {
  const hh = String(hour).padStart(2, '0');
  const Records = ids.map((eventID, i) => ({
    eventVersion: '1.08',
    eventTime: `2024-05-01T${hh}:${String(i + 1).padStart(2, '0')}:00Z`,
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateUser',
    awsRegion: 'us-east-1',
    eventID,
    recipientAccountId: ACCOUNT,
  }));
  return gzipSync(JSON.stringify({ Records }));
}

/**
 * The search's arguments for the day, against `s3://bucket`, with the scan engine: `auto` would
 * first list a sample of the bucket to estimate each engine's cost, and meet the faults meant for
 * the search (a later `--engine` overrides this one).
 */
export function dayArgs(bucket: string, outDir: string): string[] {
  return [
    '--engine',
    'scan',
    '--source',
    `s3://${bucket}`,
    '--since',
    '2024-05-01T00:00:00Z',
    '--until',
    '2024-05-02T00:00:00Z',
    '--regions',
    'us-east-1',
    '--out-dir',
    outDir,
    '--max-rows',
    '0',
  ];
}
