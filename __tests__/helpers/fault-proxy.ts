/**
 * A fault-injecting HTTP proxy for tests, on 127.0.0.1, in front of an S3-protocol server (the
 * s3rver harness). The tool under test is pointed at it with AWS_ENDPOINT_URL_S3 (`env`).
 * Requests are forwarded unchanged (Host header included, so SigV4 signatures still verify) and
 * the upstream answer is read whole; a matching rule then replaces or damages it the way real
 * networks and S3 do:
 *
 *  - `SlowDown` / `InternalError`: S3's 503 / 500 XML error instead of the answer.
 *  - `reset`: the connection is reset before any byte of the answer.
 *  - `cut`: status, headers (full Content-Length) and half the body, then a reset.
 *  - `truncate`: status, headers (full Content-Length) and half the body, then a clean close (FIN):
 *    the body just ends early.
 *  - `delay`: nothing is sent for `delayMs`, then the answer (a client with a shorter idle
 *    timeout gives up first).
 *  - `corrupt`: the body with bytes in its middle flipped, same length: for a gzip object, a
 *    stream whose data no longer matches its checksum.
 *
 * Every request is logged with the fault it got, so tests can prove a fault really happened.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyFaultKind =
  'SlowDown' | 'InternalError' | 'reset' | 'cut' | 'truncate' | 'delay' | 'corrupt';

export interface ProxyFaultRule {
  kind: ProxyFaultKind;
  /** `get` = object GET, `list` = bucket GET (ListObjects), `any` (default). */
  operation?: 'get' | 'list' | 'any';
  /** Object key (exact or pattern); for listings, the `prefix` parameter. */
  key?: string | RegExp;
  /** How many matching requests get the fault; default: all of them. */
  times?: number;
  /** For `delay`. */
  delayMs?: number;
}

export interface ProxiedRequest {
  method: string;
  operation: 'get' | 'list' | 'other';
  key: string | undefined;
  /** The `prefix` parameter of a listing. */
  prefix: string | undefined;
  /** The fault applied, if any. */
  fault: ProxyFaultKind | undefined;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** `upstreamEnv` with AWS_ENDPOINT_URL_S3 pointing at the proxy. */
  env: Record<string, string>;
  readonly requests: ProxiedRequest[];
  inject(rule: ProxyFaultRule): void;
  clearFaults(): void;
  /** Requests that got `kind` (any kind when omitted). */
  faulted(kind?: ProxyFaultKind): ProxiedRequest[];
  close(): Promise<void>;
}

const S3_ERRORS: Record<'SlowDown' | 'InternalError', { status: number; message: string }> = {
  SlowDown: { status: 503, message: 'Please reduce your request rate.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
};

function classify(
  method: string,
  url: URL,
): { operation: ProxiedRequest['operation']; key: string | undefined; subject: string } {
  const [, , ...rest] = url.pathname.split('/');
  const key =
    rest.length > 0 && rest.join('/') !== '' ? rest.map((s) => decodeURIComponent(s)).join('/') : undefined;
  if (method !== 'GET') return { operation: 'other', key, subject: key ?? '' };
  if (key === undefined) return { operation: 'list', key, subject: url.searchParams.get('prefix') ?? '' };
  return { operation: 'get', key, subject: key };
}

function matches(rule: ProxyFaultRule, operation: ProxiedRequest['operation'], subject: string): boolean {
  if ((rule.times ?? Infinity) <= 0) return false;
  if (rule.operation && rule.operation !== 'any' && rule.operation !== operation) return false;
  if (rule.key === undefined) return true;
  return typeof rule.key === 'string' ? rule.key === subject : rule.key.test(subject);
}

function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function forward(target: URL, req: http.IncomingMessage, body: Buffer, agent: http.Agent): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const up = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (res) => {
        readBody(res).then(
          (b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }),
          reject,
        );
      },
    );
    up.on('error', reject);
    up.end(body);
  });
}

function resetSocket(socket: Socket): void {
  // A TCP RST (not a FIN): what a dropped connection looks like to the client.
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

function flipMiddle(body: Buffer): Buffer {
  const out = Buffer.from(body);
  const start = Math.floor(out.length / 2);
  for (let i = start; i < Math.min(out.length, start + 16); i++) out[i] = out[i]! ^ 0xff;
  return out;
}

function s3Error(code: 'SlowDown' | 'InternalError', resource: string): { status: number; body: string } {
  const { status, message } = S3_ERRORS[code];
  return {
    status,
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource>` +
      '<RequestId>FAULTPROXY</RequestId></Error>',
  };
}

export async function startFaultProxy(
  upstream: string,
  upstreamEnv: Record<string, string> = {},
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true });
  const rules: ProxyFaultRule[] = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const method = req.method ?? 'GET';
      const { operation, key, subject } = classify(method, url);
      const rule = rules.find((r) => matches(r, operation, subject));
      if (rule && rule.times !== undefined) rule.times--;
      const prefix = operation === 'list' ? subject : undefined;
      requests.push({ method, operation, key, prefix, fault: rule?.kind });
      const requestBody = await readBody(req);

      if (rule?.kind === 'reset') return resetSocket(req.socket);
      if (rule?.kind === 'SlowDown' || rule?.kind === 'InternalError') {
        const { status, body } = s3Error(rule.kind, url.pathname);
        res.writeHead(status, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(body),
        });
        return res.end(body);
      }
      if (rule?.kind === 'delay') {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, rule.delayMs ?? 5_000);
          timers.add(t);
        });
        // The client gave up meanwhile: nothing left to answer.
        if (req.socket.destroyed) return;
      }
      const answer = await forward(target, req, requestBody, agent);
      const headers = { ...answer.headers, 'content-length': String(answer.body.length) };
      delete headers['transfer-encoding'];
      if (rule?.kind === 'cut' || rule?.kind === 'truncate') {
        res.writeHead(answer.status, headers);
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
        // Let the half body leave before the connection ends.
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (rule.kind === 'cut') resetSocket(req.socket);
        else req.socket.end();
        return;
      }
      const body = rule?.kind === 'corrupt' && answer.status === 200 ? flipMiddle(answer.body) : answer.body;
      res.writeHead(answer.status, headers);
      res.end(body);
    })().catch(() => {
      // The client went away (timeout, reset): nothing to report to anyone.
      if (!req.socket.destroyed) req.socket.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    env: { ...upstreamEnv, AWS_ENDPOINT_URL_S3: endpoint },
    requests,
    inject(rule) {
      rules.push({ ...rule });
    },
    clearFaults() {
      rules.length = 0;
    },
    faulted(kind) {
      return requests.filter((r) => (kind ? r.fault === kind : r.fault !== undefined));
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
