/**
 * An S3-protocol server with the latency of a real one: every answer leaves `ttfbMs` after its
 * request arrived, and no sooner than the shared link (`bytesPerSecond`, all connections together)
 * can carry it. Cheap enough not to be what is measured: the objects are held in memory with their
 * response headers prepared, HTTP/1.1 is parsed by hand over plain sockets (keep-alive, GET and
 * HEAD without bodies), and each answer costs one timer and one write. Read-only, path-style, one
 * bucket; ListObjectsV2 is the lean bench server's (bench/s3-server.ts), signatures are not checked.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { BENCH_S3_REGION, indexFolder, listXml, type Entry } from './s3-server.js';

export interface LatencyS3Options {
  dir: string;
  bucket?: string;
  /** Time to first byte of every answer, ms. */
  ttfbMs: number;
  /** Bytes per second of the link all answers share; 0 = unlimited. */
  bytesPerSecond: number;
  /** Told of every request as it arrives (diagnostics: a timeline of a run). */
  onRequest?: (method: string, target: string, at: number) => void;
}

export interface LatencyS3Server {
  endpoint: string;
  bucket: string;
  env: Record<string, string>;
  objects: number;
  bytes: number;
  /** Requests answered so far. */
  requests(): number;
  /** Changes the injected latency and link for the requests that follow. */
  configure(settings: { ttfbMs: number; bytesPerSecond: number }): void;
  close(): Promise<void>;
}

interface Prepared {
  head: Buffer;
  body: Buffer;
}

const CRLF2 = Buffer.from('\r\n\r\n');

function responseHead(status: string, headers: Record<string, string | number>): Buffer {
  let text = `HTTP/1.1 ${status}\r\n`;
  for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}

function xmlAnswer(status: string, xml: string, headers: Record<string, string> = {}): Prepared {
  const body = Buffer.from(xml, 'utf8');
  return {
    head: responseHead(status, {
      'Content-Type': 'application/xml',
      'Content-Length': body.length,
      ...headers,
    }),
    body,
  };
}

function errorAnswer(status: string, code: string, message: string): Prepared {
  return xmlAnswer(
    status,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  );
}

export async function startLatencyS3Server(options: LatencyS3Options): Promise<LatencyS3Server> {
  const bucket = options.bucket ?? 'bench-trail-logs';
  const entries = await indexFolder(options.dir);
  const objects = new Map<string, Prepared>();
  let totalBytes = 0;
  for (const e of entries) objects.set(e.key, prepareObject(e));
  let ttfbMs = options.ttfbMs;
  let bytesPerMs = options.bytesPerSecond / 1000;
  /** When the shared link is free again (performance.now() ms). */
  let linkFreeAt = 0;
  let answered = 0;

  function prepareObject(e: Entry): Prepared {
    const body = readFileSync(e.file);
    totalBytes += body.length;
    return {
      head: responseHead('200 OK', {
        'Content-Type': 'binary/octet-stream',
        'Content-Length': body.length,
        ETag: e.etag,
        'Last-Modified': e.lastModifiedHttp,
        'x-amz-request-id': 'BENCH',
      }),
      body,
    };
  }

  function answer(method: string, target: string): Prepared {
    const q = target.indexOf('?');
    const pathname = q === -1 ? target : target.slice(0, q);
    const slash = pathname.indexOf('/', 1);
    const name = decodeURIComponent(slash === -1 ? pathname.slice(1) : pathname.slice(1, slash));
    const key = slash === -1 ? '' : decodeURIComponent(pathname.slice(slash + 1));
    if (method !== 'GET' && method !== 'HEAD')
      return errorAnswer('405 Method Not Allowed', 'MethodNotAllowed', 'read-only');
    if (name !== bucket) return errorAnswer('404 Not Found', 'NoSuchBucket', 'no such bucket');
    if (key === '') {
      const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
      const regionHeader = { 'x-amz-bucket-region': BENCH_S3_REGION };
      if (method === 'HEAD') return xmlAnswer('200 OK', '', regionHeader);
      if (query.has('location')) {
        return xmlAnswer(
          '200 OK',
          '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>',
        );
      }
      if (query.get('list-type') !== '2')
        return errorAnswer('501 Not Implemented', 'NotImplemented', 'ListObjectsV2 only');
      return xmlAnswer('200 OK', listXml(bucket, query, entries), regionHeader);
    }
    return objects.get(key) ?? errorAnswer('404 Not Found', 'NoSuchKey', 'The specified key does not exist.');
  }

  /** Sends `a` once its latency and its turn on the link have passed. */
  function send(socket: net.Socket, a: Prepared, head: boolean, arrived: number, done: () => void): void {
    const bytes = a.head.length + (head ? 0 : a.body.length);
    const ready = arrived + ttfbMs;
    const at = bytesPerMs > 0 ? (linkFreeAt = Math.max(ready, linkFreeAt) + bytes / bytesPerMs) : ready;
    const write = (): void => {
      if (socket.destroyed) return;
      socket.cork();
      socket.write(a.head);
      if (!head && a.body.length > 0) socket.write(a.body);
      socket.uncork();
      answered++;
      done();
    };
    const wait = at - performance.now();
    if (wait > 0.5) setTimeout(write, wait);
    else setImmediate(write);
  }

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    // One answer at a time per connection, in order (clients here do not pipeline, but may).
    const queue: Array<{ method: string; target: string; arrived: number }> = [];
    let busy = false;
    const next = (): void => {
      const r = queue.shift();
      if (!r) {
        busy = false;
        return;
      }
      busy = true;
      let a: Prepared;
      try {
        a = answer(r.method, r.target);
      } catch {
        a = errorAnswer('400 Bad Request', 'InvalidRequest', 'bad request');
      }
      send(socket, a, r.method === 'HEAD', r.arrived, next);
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf(CRLF2); end !== -1; end = pending.indexOf(CRLF2)) {
        const headText = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 4);
        const eol = headText.indexOf('\r\n');
        const line = eol === -1 ? headText : headText.slice(0, eol);
        const [method = '', target = '/'] = line.split(' ');
        const arrived = performance.now();
        options.onRequest?.(method, target, arrived);
        queue.push({ method, target, arrived });
      }
      if (!busy) next();
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    endpoint,
    bucket,
    objects: entries.length,
    bytes: totalBytes,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: 'BENCH',
      AWS_SECRET_ACCESS_KEY: 'BENCH',
      AWS_REGION: BENCH_S3_REGION,
    },
    requests: () => answered,
    configure(settings) {
      ttfbMs = settings.ttfbMs;
      bytesPerMs = settings.bytesPerSecond / 1000;
      linkFreeAt = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const s of sockets) s.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
