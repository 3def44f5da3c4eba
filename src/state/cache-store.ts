/**
 * `state: cache` (the Action only): the state in GitHub's Actions cache, one immutable entry per
 * generation. Keys are `cloudtrail-investigate-state-<search fingerprint>-<generation>`; a run
 * restores by the key prefix (the service answers the most recently created match), and saves the
 * next generation's key. The service refuses to create a key that exists, so of two runs that
 * restored the same generation only one can advance it: the other learns it lost
 * (StateConflictError). Generations are fixed-width, so no key is a prefix of another.
 *
 * @actions/cache reports most failures as a warning and a miss (restore) or -1 (save): a -1 is a
 * conflict only when the next generation's key is then found; anything else is a failure.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as cache from '@actions/cache';
import { ConfigurationError, SearchError, errorMessage } from '../errors.js';
import type { CursorState } from './cursor.js';
import { StateConflictError, parseState, type LoadedState, type StateStore } from './store.js';

const KEY_PREFIX = 'cloudtrail-investigate-state-';
const GENERATION_DIGITS = 10;
/**
 * The file while it is archived or restored, relative to the workspace: the cache's version is a
 * hash of this path, so it must not change between runs (nor runners). Removed after each use.
 */
const STATE_DIR = '.cloudtrail-investigate-state';
const STATE_PATH = `${STATE_DIR}/state.json`;
/** After a refused save: how long to wait for the other run's entry to become visible. */
const CONFLICT_LOOKUPS = 5;
const CONFLICT_LOOKUP_DELAY_MS = 1000;

export function cacheKeyPrefix(fingerprint: string): string {
  return `${KEY_PREFIX}${fingerprint.slice(0, 20)}-`;
}

export function cacheKey(fingerprint: string, generation: number): string {
  return `${cacheKeyPrefix(fingerprint)}${String(generation).padStart(GENERATION_DIGITS, '0')}`;
}

/**
 * The Action's store for `state: cache`; refused where the cache service cannot be reached or
 * written (outside GitHub Actions, or a read-only cache).
 */
export function cacheStateStore(fingerprint: string, env: NodeJS.ProcessEnv): CacheStateStore {
  if (!env.ACTIONS_RUNTIME_TOKEN || !cache.isFeatureAvailable()) {
    throw new ConfigurationError(
      '`cache` needs the GitHub Actions cache service, and this step has none (ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN are not set). Give s3://bucket/key or a file path.',
      '--state',
    );
  }
  const mode = (env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
  if (mode === 'none' || mode === 'read') {
    throw new ConfigurationError(
      `\`cache\` needs to write the GitHub Actions cache, and this run may not (ACTIONS_CACHE_MODE=${mode}, e.g. a pull request from a fork). Give s3://bucket/key.`,
      '--state',
    );
  }
  return new CacheStateStore(fingerprint, env.GITHUB_WORKSPACE || process.cwd());
}

export class CacheStateStore implements StateStore {
  readonly description: string;
  private readonly dir: string;
  private readonly file: string;

  constructor(
    private readonly fingerprint: string,
    workspace: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.description = `the GitHub Actions cache (keys ${cacheKeyPrefix(fingerprint)}*)`;
    this.dir = path.join(workspace, STATE_DIR);
    this.file = path.join(workspace, STATE_PATH);
  }

  async load(): Promise<LoadedState> {
    // Nothing left by an earlier step may pass for what was restored.
    await rm(this.dir, { recursive: true, force: true });
    const prefix = cacheKeyPrefix(this.fingerprint);
    try {
      let key: string | undefined;
      try {
        key = await cache.restoreCache([STATE_PATH], prefix, [prefix]);
      } catch (err) {
        throw new SearchError(`Could not restore the state from ${this.description}: ${errorMessage(err)}`);
      }
      if (key === undefined) return { state: undefined, version: undefined };
      const generation = Number(key.slice(prefix.length));
      if (!Number.isSafeInteger(generation) || generation < 1) {
        throw new SearchError(`The cache entry ${key} is not a state generation of this search.`);
      }
      let text: string;
      try {
        text = await readFile(this.file, 'utf8');
      } catch (err) {
        throw new SearchError(`The cache entry ${key} was restored without its state: ${errorMessage(err)}`);
      }
      return { state: parseState(text, `the cache entry ${key}`), version: String(generation) };
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  async save(state: CursorState, version: string | undefined): Promise<void> {
    const key = cacheKey(this.fingerprint, (version === undefined ? 0 : Number(version)) + 1);
    try {
      let id: number;
      try {
        await mkdir(this.dir, { recursive: true });
        await writeFile(this.file, `${JSON.stringify(state)}\n`, { mode: 0o600 });
        id = await cache.saveCache([STATE_PATH], key);
      } catch (err) {
        throw new SearchError(`Could not save the state to the cache as ${key}: ${errorMessage(err)}`);
      }
      if (id !== -1) return;
      if (await this.exists(key)) {
        throw new StateConflictError(
          `Another run advanced the state in the GitHub Actions cache while this one ran (it created ${key}); this run's progress was not saved (its deliveries stay with the run that won).`,
        );
      }
      throw new SearchError(
        `Could not save the state to the GitHub Actions cache as ${key} (the cache's message above says why); the next run reads these deliveries again.`,
      );
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  /** Whether `key` was created (by another run): looked up a few times, as its upload may be finishing. */
  private async exists(key: string): Promise<boolean> {
    for (let i = 0; i < CONFLICT_LOOKUPS; i++) {
      if (i > 0) await this.sleep(CONFLICT_LOOKUP_DELAY_MS);
      const found = await cache.restoreCache([STATE_PATH], key, [], { lookupOnly: true });
      if (found === key) return true;
    }
    return false;
  }
}
