/**
 * A stand-in for the GitHub Actions cache service (v2, the "results" API), as `@actions/cache` 6
 * talks to it with ACTIONS_CACHE_SERVICE_V2 set:
 *
 * - Twirp JSON at `$ACTIONS_RESULTS_URL/twirp/github.actions.results.api.v1.CacheService/`, with
 *   `Authorization: Bearer $ACTIONS_RUNTIME_TOKEN`, fields in proto names:
 *   `CreateCacheEntry` {key, version} reserves the entry and answers a signed upload URL, or 409
 *   `already_exists` ("cache entry with the same key, version, and scope already exists") when the
 *   key was reserved before, as the service does; `FinalizeCacheEntryUpload` {key, version,
 *   size_bytes} makes an uploaded entry visible and answers its `entry_id`;
 *   `GetCacheEntryDownloadURL` {key, restore_keys, version} answers `ok: false` on a miss, else a
 *   signed download URL and `matched_key`: the key exactly, else the most recently created entry
 *   whose key starts with `key`, then with each restore key in turn (same version only).
 * - The signed URLs, served by the artifact stand-in's Azure blob code (upload and download).
 *
 * `denyWrites` makes CreateCacheEntry answer as for a read-only token. Listens on 127.0.0.1. Entries (finalized or not) are in `entries`, in creation order.
 */
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  azureBlobHandler,
  readBody,
  runtimeToken,
  signedBlobUrl,
  type PendingBlob,
} from './artifact-server.js';

const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';

export interface CacheEntry {
  id: number;
  key: string;
  version: string;
  blobPath: string;
  /** Set by FinalizeCacheEntryUpload: only then can the entry be restored. */
  finalized: boolean;
  sizeBytes: number | undefined;
}

export interface CacheServer {
  /** What the runner gives a JavaScript action for the cache. */
  env: { ACTIONS_RESULTS_URL: string; ACTIONS_RUNTIME_TOKEN: string; ACTIONS_CACHE_SERVICE_V2: string };
  readonly entries: CacheEntry[];
  /** The content of a finalized entry (the archive as uploaded). */
  content(key: string): Buffer | undefined;
  readonly calls: Array<{ method: string; body: Record<string, unknown> }>;
  /**
   * Answers CreateCacheEntry as the service does for a read-only runtime token (`ok: false`,
   * "cache write denied: ..."), or normally again with `false`.
   */
  denyWrites(deny: boolean): void;
  close(): Promise<void>;
}

export async function startCacheServer(): Promise<CacheServer> {
  const token = runtimeToken(randomUUID(), randomUUID());
  const sig = randomBytes(16).toString('hex');
  const entries: CacheEntry[] = [];
  const calls: CacheServer['calls'] = [];
  const blobs = new Map<string, PendingBlob>();
  const blob = azureBlobHandler(blobs, sig);
  let origin = '';
  let writesDenied = false;

  const reply = (res: http.ServerResponse, status: number, body: object): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const twirpError = (res: http.ServerResponse, status: number, code: string, msg: string): void =>
    reply(res, status, { code, msg });

  /** The restorable entry for a lookup, as the service picks it. */
  function match(key: string, restoreKeys: string[], version: string): CacheEntry | undefined {
    const visible = entries.filter((e) => e.finalized && e.version === version);
    const newest = (prefix: string) => visible.filter((e) => e.key.startsWith(prefix)).at(-1);
    return visible.find((e) => e.key === key) ?? [key, ...restoreKeys].map(newest).find(Boolean);
  }

  async function twirp(method: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${token}`)
      return twirpError(res, 401, 'unauthenticated', 'bad runtime token');
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return twirpError(res, 415, 'malformed', 'JSON only');
    const body = JSON.parse((await readBody(req)).toString('utf8')) as Record<string, unknown>;
    calls.push({ method, body });
    const key = String(body.key ?? '');
    const version = String(body.version ?? '');
    if (!key || !/^[0-9a-f]{64}$/.test(version))
      return twirpError(res, 400, 'invalid_argument', 'key and version are required');
    if (method === 'CreateCacheEntry') {
      if (writesDenied)
        return reply(res, 200, { ok: false, message: 'cache write denied: token has no writable scopes' });
      if (entries.some((e) => e.key === key && e.version === version))
        return twirpError(
          res,
          409,
          'already_exists',
          'cache entry with the same key, version, and scope already exists',
        );
      const blobPath = `/cache/${randomUUID()}.tzst`;
      blobs.set(blobPath, { blocks: new Map(), committed: undefined });
      entries.push({
        id: entries.length + 1,
        key,
        version,
        blobPath,
        finalized: false,
        sizeBytes: undefined,
      });
      return reply(res, 200, { ok: true, signed_upload_url: signedBlobUrl(origin, blobPath, 'cw', sig) });
    }
    if (method === 'FinalizeCacheEntryUpload') {
      const entry = entries.find((e) => e.key === key && e.version === version && !e.finalized);
      const uploaded = entry ? blobs.get(entry.blobPath)?.committed : undefined;
      if (!entry || !uploaded)
        return twirpError(res, 404, 'not_found', 'no uploaded cache entry to finalize');
      if (Number(body.size_bytes) !== uploaded.length)
        return twirpError(res, 400, 'invalid_argument', 'size_bytes does not match the upload');
      entry.finalized = true;
      entry.sizeBytes = uploaded.length;
      return reply(res, 200, { ok: true, entry_id: String(entry.id) });
    }
    if (method === 'GetCacheEntryDownloadURL') {
      const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [];
      const found = match(key, restoreKeys, version);
      if (!found) return reply(res, 200, { ok: false });
      return reply(res, 200, {
        ok: true,
        signed_download_url: signedBlobUrl(origin, found.blobPath, 'r', sig),
        matched_key: found.key,
      });
    }
    twirpError(res, 404, 'bad_route', `no method ${method}`);
  }

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
    env: {
      ACTIONS_RESULTS_URL: `${origin}/`,
      ACTIONS_RUNTIME_TOKEN: token,
      ACTIONS_CACHE_SERVICE_V2: 'true',
    },
    entries,
    content: (key) => {
      const entry = entries.find((e) => e.key === key && e.finalized);
      return entry ? blobs.get(entry.blobPath)?.committed : undefined;
    },
    calls,
    denyWrites: (deny) => {
      writesDenied = deny;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
