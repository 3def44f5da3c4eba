/**
 * An ObjectStore over a local folder (or a single file): keys are '/'-separated paths relative to
 * the root, listed in the same order S3 lists keys.
 */
import { promises as fs, readFileSync, statSync } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import path from 'node:path';
import { SearchError, errorMessage } from '../errors.js';
import type { ObjectStore, StoredObject } from './types.js';

/** The file's stat, or undefined when it cannot be had (gone, broken link, link loop, no access). */
function statOrUndefined(file: string): Stats | undefined {
  try {
    // Synchronous: one call per file of a day folder, each a few microseconds.
    return statSync(file);
  } catch {
    return undefined;
  }
}

interface Entry {
  name: string;
  /** Sort key: a folder sorts as `name/`, which makes a depth-first walk yield keys in full-key order. */
  sortKey: string;
  dir: boolean;
  size: number;
}

export class LocalStore implements ObjectStore {
  readonly description: string;
  private readonly root: string;
  private readonly singleFile: string | undefined;

  /** @param root an existing folder, or a file (then the store holds that one file, keyed by its name). */
  private constructor(root: string, singleFile: string | undefined) {
    this.root = root;
    this.singleFile = singleFile;
    this.description = singleFile ? path.join(root, singleFile) : root;
  }

  static async open(location: string): Promise<LocalStore> {
    const absolute = path.resolve(location);
    let stat;
    try {
      stat = await fs.stat(absolute);
    } catch (err) {
      throw new SearchError(`Cannot read ${absolute}: ${errorMessage(err)}`, { cause: err });
    }
    return stat.isDirectory()
      ? new LocalStore(absolute, undefined)
      : new LocalStore(path.dirname(absolute), path.basename(absolute));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    if (this.singleFile !== undefined) {
      if (this.singleFile.startsWith(prefix)) {
        const stat = await fs.stat(this.absolute(this.singleFile));
        yield { key: this.singleFile, size: stat.size };
      }
      return;
    }
    // Start from the deepest folder the prefix names entirely, then filter on the rest.
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const start = this.absolute(folder);
    const startReal = await fs.realpath(start).catch(() => undefined);
    const startStat = startReal === undefined ? undefined : await fs.stat(startReal).catch(() => undefined);
    if (startReal === undefined || !startStat?.isDirectory()) return; // no such folder: nothing under it
    yield* this.walk(start, folder, prefix, new Set([startReal]));
  }

  async listFolders(prefix: string): Promise<string[]> {
    if (this.singleFile !== undefined) return [];
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const entries = await this.entries(this.absolute(folder)).catch(() => []);
    return entries
      .filter((e) => e.dir && `${folder}${e.name}/`.startsWith(prefix))
      .map((e) => `${folder}${e.name}/`);
  }

  async get(key: string, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    const file = this.absolute(key);
    try {
      // Synchronous on purpose: a log file is read in well under a millisecond, and the promise
      // API's open/stat/read/close round trips cost the main thread ~0.3 ms per file.
      const bytes = readFileSync(file);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new SearchError(`Cannot read ${file}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Absolute path of a key; keys never leave the root. */
  private absolute(key: string): string {
    const file = path.resolve(this.root, ...key.split('/').filter(Boolean));
    if (file !== this.root && !file.startsWith(this.root + path.sep)) {
      throw new SearchError(`Key "${key}" is outside ${this.root}`);
    }
    return file;
  }

  private async *walk(
    dir: string,
    keyPrefix: string,
    filter: string,
    seen: Set<string>,
  ): AsyncIterable<StoredObject> {
    for (const entry of await this.entries(dir)) {
      const key = keyPrefix + entry.name;
      if (entry.dir) {
        // Skip sub-trees that cannot hold a key starting with the filter.
        if (!(key + '/').startsWith(filter) && !filter.startsWith(key + '/')) continue;
        const full = path.join(dir, entry.name);
        const real = await fs.realpath(full).catch(() => undefined);
        if (real === undefined || seen.has(real)) continue; // broken link or symlink loop
        seen.add(real);
        yield* this.walk(full, key + '/', filter, seen);
        seen.delete(real);
      } else if (key.startsWith(filter)) {
        yield { key, size: entry.size };
      }
    }
  }

  /** Files and folders of `dir` (symlinks followed), sorted as S3 sorts keys. */
  private async entries(dir: string): Promise<Entry[]> {
    let dirents: Dirent[];
    try {
      dirents = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new SearchError(`Cannot list ${dir}: ${errorMessage(err)}`, { cause: err });
    }
    const entries: Entry[] = [];
    for (const d of dirents) {
      const full = path.join(dir, d.name);
      const stat = statOrUndefined(full); // follows symlinks
      if (!stat) continue;
      if (stat.isDirectory()) entries.push({ name: d.name, sortKey: `${d.name}/`, dir: true, size: 0 });
      else if (stat.isFile()) entries.push({ name: d.name, sortKey: d.name, dir: false, size: stat.size });
    }
    return entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  }
}
