/**
 * Where the cursor state lives between runs: a local file, or an S3 object. Both are
 * compare-and-swap: a run loads the state with a version and saves only if nobody saved since,
 * so of two overlapping runs only one advances the state; the other learns it lost
 * (StateConflictError) and ends as incomplete. S3 uses conditional writes (If-Match on the ETag
 * it read, If-None-Match: * when there was none); a file uses an exclusive lock file and a hash of
 * the content it read.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, SearchError, errorMessage } from '../errors.js';
import type { Credentials } from '../investigation.js';
import { STATE_FORMAT, type CursorState } from './cursor.js';

/** Another run saved the state after this one loaded it. */
export class StateConflictError extends SearchError {}

export interface LoadedState {
  state: CursorState | undefined;
  /** Opaque: what `save` checks was not changed meanwhile (undefined = there was no state). */
  version: string | undefined;
}

export interface StateStore {
  readonly description: string;
  load(): Promise<LoadedState>;
  save(state: CursorState, version: string | undefined): Promise<void>;
}

/** A state document larger than this is not ours (ours holds names within a margin, capped ids). */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

/** Makes the store of `state: cache` for a search: only the Action has one. */
export type CacheStoreFactory = (fingerprint: string) => StateStore;

/** `--state`: `s3://bucket/key`, `cache` (the Action's cache) or a file path. */
export function stateStoreFor(
  location: string,
  credentials: Credentials,
  fingerprint: string,
  cacheStore?: CacheStoreFactory,
): StateStore {
  if (location === 'cache') {
    if (cacheStore) return cacheStore(fingerprint);
    throw new ConfigurationError(
      '--state cache keeps the state in the GitHub Actions cache, which only the Action (state: cache) can reach. Give a file path (./cache for a file named cache) or s3://bucket/key.',
      '--state',
    );
  }
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (m) return new S3StateStore(m[1] as string, m[2] as string, credentials);
  if (location.startsWith('s3://')) {
    throw new ConfigurationError(
      `--state "${location}" names no object: give s3://bucket/path/state.json.`,
      '--state',
    );
  }
  return new FileStateStore(path.resolve(location));
}

/** Parses and checks a state document; a damaged one is refused, never silently restarted. */
export function parseState(text: string, where: string): CursorState {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigurationError(
      `The state in ${where} is not valid JSON (${errorMessage(err)}). Restore it, or remove it to start over with a first run.`,
      '--state',
    );
  }
  const s = doc as Partial<CursorState> | null;
  const ok =
    s !== null &&
    typeof s === 'object' &&
    s.format === STATE_FORMAT &&
    s.version === 1 &&
    typeof s.fingerprint === 'string' &&
    typeof s.through === 'string' &&
    !Number.isNaN(Date.parse(s.through)) &&
    typeof s.marginMs === 'number' &&
    Number.isFinite(s.marginMs) &&
    s.marginMs >= 0 &&
    s.handled !== null &&
    typeof s.handled === 'object' &&
    Object.values(s.handled).every((v) => Array.isArray(v) && v.every((n) => typeof n === 'string')) &&
    Array.isArray(s.reported) &&
    s.reported.every(
      (r) =>
        Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'number' && Number.isFinite(r[1]),
    );
  if (!ok) {
    throw new ConfigurationError(
      `${where} does not hold a cloudtrail-investigate state (format ${STATE_FORMAT}, version 1). Point --state at the state of this search, or at a new location to start over.`,
      '--state',
    );
  }
  return s as CursorState;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class FileStateStore implements StateStore {
  readonly description: string;
  constructor(private readonly file: string) {
    this.description = file;
  }

  async load(): Promise<LoadedState> {
    let text: string;
    try {
      const info = await stat(this.file);
      if (!info.isFile() || info.size > MAX_STATE_BYTES) {
        throw new ConfigurationError(`--state ${this.file} is not a state file.`, '--state');
      }
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: undefined, version: undefined };
      if (err instanceof ConfigurationError) throw err;
      throw new SearchError(`Could not read the state ${this.file}: ${errorMessage(err)}`);
    }
    return { state: parseState(text, this.file), version: digest(text) };
  }

  async save(state: CursorState, version: string | undefined): Promise<void> {
    const lock = `${this.file}.lock`;
    let handle;
    try {
      handle = await open(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new StateConflictError(
          `Another run is saving the state ${this.file} (${lock} exists); this run's progress was not saved. If no run is active, remove the lock file.`,
        );
      }
      throw new SearchError(`Could not lock the state ${this.file}: ${errorMessage(err)}`);
    }
    try {
      let current: string | undefined;
      try {
        current = await readFile(this.file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if ((current === undefined ? undefined : digest(current)) !== version) {
        throw new StateConflictError(
          `Another run advanced the state ${this.file} while this one ran; this run's progress was not saved (its deliveries stay with the run that won).`,
        );
      }
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
      await rename(temp, this.file);
    } catch (err) {
      if (err instanceof SearchError) throw err;
      throw new SearchError(`Could not save the state ${this.file}: ${errorMessage(err)}`);
    } finally {
      await handle.close();
      await rm(lock, { force: true });
    }
  }
}

interface SdkError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

export class S3StateStore implements StateStore {
  readonly description: string;
  constructor(
    private readonly bucket: string,
    private readonly key: string,
    private readonly credentials: Credentials,
  ) {
    this.description = `s3://${bucket}/${key}`;
  }

  private async client() {
    // Imported on use: a local search never loads the AWS SDK.
    const { createS3Client } = await import(/* webpackMode: "eager" */ '../aws/clients.js');
    const sdk = await import(/* webpackMode: "eager" */ '@aws-sdk/client-s3');
    return { s3: createS3Client(this.credentials), sdk };
  }

  async load(): Promise<LoadedState> {
    const { s3, sdk } = await this.client();
    try {
      const out = await s3.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      if ((out.ContentLength ?? 0) > MAX_STATE_BYTES) {
        throw new ConfigurationError(`--state ${this.description} is not a state object.`, '--state');
      }
      const text = (await out.Body?.transformToString('utf-8')) ?? '';
      return { state: parseState(text, this.description), version: out.ETag };
    } catch (err) {
      const e = err as SdkError;
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) {
        return { state: undefined, version: undefined };
      }
      if (err instanceof ConfigurationError) throw err;
      throw new SearchError(`Could not read the state ${this.description}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  async save(state: CursorState, version: string | undefined): Promise<void> {
    const { s3, sdk } = await this.client();
    try {
      await s3.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: `${JSON.stringify(state)}\n`,
          ContentType: 'application/json',
          ...(version === undefined ? { IfNoneMatch: '*' } : { IfMatch: version }),
        }),
      );
    } catch (err) {
      const e = err as SdkError;
      const status = e.$metadata?.httpStatusCode;
      // 412: the object changed (or appeared) since it was read; 409: a concurrent conditional write.
      if (status === 412 || status === 409 || e.name === 'PreconditionFailed') {
        throw new StateConflictError(
          `Another run advanced the state ${this.description} while this one ran; this run's progress was not saved (its deliveries stay with the run that won).`,
        );
      }
      throw new SearchError(`Could not save the state ${this.description}: ${errorMessage(err)}`);
    }
  }
}
