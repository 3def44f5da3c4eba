/**
 * A stand-in for the GitHub Actions artifact service (v4 / "results" API), as `@actions/artifact`
 * 6 talks to it:
 *
 * - Twirp JSON at `$ACTIONS_RESULTS_URL/twirp/github.actions.results.api.v1.ArtifactService/`
 *   `CreateArtifact` (answers a signed upload URL) and `FinalizeArtifact` (answers the artifact
 *   id), with `Authorization: Bearer $ACTIONS_RUNTIME_TOKEN`; request fields in proto names
 *   (`workflow_run_backend_id`...), checked against the JWT's `Actions.Results:<run>:<job>` scope.
 * - The signed URL, served here too, speaking enough of Azure Blob Storage's block-blob protocol
 *   for `@azure/storage-blob`'s `uploadStream`: Put Block (`?comp=block&blockid=`), Put Block List
 *   (`?comp=blocklist`, XML body) and Put Blob.
 *
 * Listens on 127.0.0.1. Finalized artifacts (with their bytes) are in `artifacts`.
 */
import http from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

const SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/';

export interface StoredArtifact {
  id: number;
  name: string;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  mimeType: string | undefined;
  expiresAt: string | undefined;
  /** As declared by FinalizeArtifact. */
  size: number;
  hash: string | undefined;
  content: Buffer;
}

export interface ArtifactServer {
  /** ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN for the job. */
  env: { ACTIONS_RESULTS_URL: string; ACTIONS_RUNTIME_TOKEN: string };
  runBackendId: string;
  jobBackendId: string;
  readonly artifacts: StoredArtifact[];
  /** Twirp calls received, by method name. */
  readonly calls: Array<{ method: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A JWT shaped like the runner's ACTIONS_RUNTIME_TOKEN (unsigned; the client only decodes it). */
export function runtimeToken(runBackendId: string, jobBackendId: string): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = {
    scp: `Actions.ExampleScope Actions.Results:${runBackendId}:${jobBackendId}`,
    iss: 'vstoken.actions.githubusercontent.com',
    exp: Math.floor(Date.now() / 1000) + 3600,
  };
  return `${part({ typ: 'JWT', alg: 'RS256' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
}

/** A blob behind a signed URL: blocks staged by Put Block, the content once committed. */
export interface PendingBlob {
  blocks: Map<string, Buffer>;
  committed: Buffer | undefined;
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startArtifactServer(): Promise<ArtifactServer> {
  const runBackendId = randomUUID();
  const jobBackendId = randomUUID();
  const token = runtimeToken(runBackendId, jobBackendId);
  const sig = randomBytes(16).toString('hex');
  const artifacts: StoredArtifact[] = [];
  const calls: ArtifactServer['calls'] = [];
  const created = new Map<string, { mimeType: string | undefined; expiresAt: string | undefined }>();
  const blobs = new Map<string, PendingBlob>();
  let origin = '';

  const twirpError = (res: http.ServerResponse, status: number, code: string, msg: string): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, msg }));
  };

  async function twirp(method: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${token}`)
      return twirpError(res, 401, 'unauthenticated', 'bad runtime token');
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return twirpError(res, 415, 'malformed', 'JSON only');
    const body = JSON.parse((await readBody(req)).toString('utf8')) as Record<string, unknown>;
    calls.push({ method, body });
    if (body.workflow_run_backend_id !== runBackendId || body.workflow_job_run_backend_id !== jobBackendId) {
      return twirpError(res, 400, 'invalid_argument', 'backend ids do not match the runtime token');
    }
    const name = String(body.name ?? '');
    const key = `${runBackendId}/${name}`;
    if (method === 'CreateArtifact') {
      if (body.version !== 7) return twirpError(res, 400, 'invalid_argument', 'unsupported version');
      if (created.has(key))
        return twirpError(
          res,
          409,
          'already_exists',
          'an artifact with this name already exists on the workflow run',
        );
      created.set(key, {
        mimeType: body.mime_type as string | undefined,
        expiresAt: body.expires_at as string | undefined,
      });
      const blobPath = `/blob/actions-results/${runBackendId}/${jobBackendId}/${encodeURIComponent(name)}.zip`;
      blobs.set(blobPath, { blocks: new Map(), committed: undefined });
      const url = signedBlobUrl(origin, blobPath, 'cw', sig);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, signed_upload_url: url }));
      return undefined;
    }
    if (method === 'FinalizeArtifact') {
      const meta = created.get(key);
      const blob = [...blobs.entries()].find(
        ([p]) => p.endsWith(`/${encodeURIComponent(name)}.zip`) && p.includes(runBackendId),
      )?.[1];
      if (!meta || !blob?.committed)
        return twirpError(res, 404, 'not_found', 'no uploaded artifact with this name');
      const id = 1000 + artifacts.length;
      const hash = body.hash as string | undefined;
      artifacts.push({
        id,
        name,
        workflowRunBackendId: runBackendId,
        workflowJobRunBackendId: jobBackendId,
        mimeType: meta.mimeType,
        expiresAt: meta.expiresAt,
        size: Number(body.size),
        hash,
        content: blob.committed,
      });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, artifact_id: String(id) }));
      return;
    }
    twirpError(res, 404, 'bad_route', `no method ${method}`);
  }

  const blob = azureBlobHandler(blobs, sig);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const handle = url.pathname.startsWith(SERVICE)
      ? req.method === 'POST'
        ? twirp(url.pathname.slice(SERVICE.length), req, res)
        : Promise.resolve(void twirpError(res, 405, 'bad_route', 'POST only'))
      : blob(req, res, url);
    handle.catch((err: unknown) => {
      if (!res.headersSent) twirpError(res, 500, 'internal', String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: { ACTIONS_RESULTS_URL: `${origin}/`, ACTIONS_RUNTIME_TOKEN: token },
    runBackendId,
    jobBackendId,
    artifacts,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The sha256 the client reports in FinalizeArtifact (`sha256:<hex>`). */
export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A SAS-style URL for `blobPath` on `origin`, as the service hands them out (`sp`: permissions). */
export function signedBlobUrl(origin: string, blobPath: string, permissions: string, sig: string): string {
  const se = new Date(Date.now() + 3_600_000).toISOString();
  return `${origin}${blobPath}?sv=2021-12-02&se=${encodeURIComponent(se)}&sr=b&sp=${permissions}&sig=${sig}`;
}

/**
 * Serves the signed URLs of `blobs` (by path) with enough of Azure Blob Storage's protocol for
 * `@azure/storage-blob` and `@actions/http-client`: Put Block (`?comp=block&blockid=`), Put Block
 * List (`?comp=blocklist`, XML body), Put Blob, and Get Blob / Get Blob Properties of a committed
 * blob. A wrong signature or an unknown blob is refused as Azure does (403 AuthenticationFailed).
 */
export function azureBlobHandler(
  blobs: Map<string, PendingBlob>,
  sig: string,
): (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> {
  return async (req, res, url) => {
    const azureReply = (status: number, extra: Record<string, string> = {}, body?: Buffer): void => {
      res
        .writeHead(status, {
          'x-ms-request-id': randomUUID(),
          'x-ms-version': '2021-12-02',
          date: new Date().toUTCString(),
          ...extra,
        })
        .end(body);
    };
    const entry = blobs.get(url.pathname);
    if (url.searchParams.get('sig') !== sig || !entry) {
      res
        .writeHead(403, { 'content-type': 'application/xml' })
        .end(
          '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>bad signature</Message></Error>',
        );
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (!entry.committed) return azureReply(404);
      const headers = {
        'content-length': String(entry.committed.length),
        'content-type': 'application/octet-stream',
        'x-ms-blob-type': 'BlockBlob',
        'last-modified': new Date().toUTCString(),
      };
      return azureReply(200, headers, req.method === 'GET' ? entry.committed : undefined);
    }
    if (req.method !== 'PUT') return azureReply(405);
    const body = await readBody(req);
    const comp = url.searchParams.get('comp');
    const etag = `"0x${randomBytes(8).toString('hex').toUpperCase()}"`;
    if (comp === 'block') {
      const id = url.searchParams.get('blockid');
      if (!id) return azureReply(400);
      entry.blocks.set(id, body);
      return azureReply(201, { 'x-ms-request-server-encrypted': 'true' });
    }
    if (comp === 'blocklist') {
      const ids = Array.from(
        body.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g),
        (m) => m[1]!,
      );
      const parts = ids.map((id) => entry.blocks.get(id));
      if (parts.some((p) => p === undefined)) return azureReply(400);
      entry.committed = Buffer.concat(parts as Buffer[]);
      return azureReply(201, {
        etag,
        'last-modified': new Date().toUTCString(),
        'x-ms-request-server-encrypted': 'true',
      });
    }
    if (comp === null && req.headers['x-ms-blob-type'] === 'BlockBlob') {
      entry.committed = body;
      return azureReply(201, { etag, 'last-modified': new Date().toUTCString() });
    }
    azureReply(400);
  };
}
