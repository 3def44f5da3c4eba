/**
 * An ObjectStore over a local folder (or a single file): keys are '/'-separated paths relative to
 * the root, listed in the same order S3 lists keys.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  promises as fs,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import path from 'node:path';
import { SearchError, errorMessage } from '../errors.js';
import type { ObjectStore, StoredObject } from './types.js';

/** The file's stat, or the error code when it cannot be had (gone, broken link, link loop, no access). */
function statOrCode(file: string): Stats | string {
  try {
    // Synchronous: one call per file of a day folder, each a few microseconds.
    return statSync(file);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error';
  }
}

function realpathOrUndefined(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

/** What kind of entry a stat is, for reasons (never the entry's content). */
function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

interface Entry {
  name: string;
  /** Sort key: a folder sorts as `name/`, which makes a depth-first walk yield keys in full-key order. */
  sortKey: string;
  dir: boolean;
  size: number;
  /** Why it cannot be read (see StoredObject.unreadable). */
  unreadable?: string;
}

/** Whether `real` (a resolved path) is `root` or below it. */
function within(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

export class LocalStore implements ObjectStore {
  readonly description: string;
  private readonly root: string;
  /** The root with every link resolved: nothing outside it is read. */
  private readonly realRoot: string;
  private readonly singleFile: string | undefined;

  /** @param root an existing folder, or a file (then the store holds that one file, keyed by its name). */
  private constructor(root: string, singleFile: string | undefined) {
    this.root = root;
    this.realRoot = realpathSync(root);
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
        // Named by the user: read even if it is a link, but only if it is a regular file.
        yield stat.isFile()
          ? { key: this.singleFile, size: stat.size }
          : { key: this.singleFile, size: 0, unreadable: `${kindOf(stat)}; not read` };
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
      .filter((e) => e.dir && e.unreadable === undefined && `${folder}${e.name}/`.startsWith(prefix))
      .map((e) => `${folder}${e.name}/`);
  }

  async get(key: string, signal?: AbortSignal, listedSize?: number): Promise<Uint8Array> {
    signal?.throwIfAborted();
    const file = this.absolute(key);
    if (this.singleFile === undefined) {
      // A link swapped in since the listing must not lead outside the folder either.
      let real: string;
      try {
        real = realpathSync(file);
      } catch (err) {
        throw new SearchError(`Cannot read ${file}: ${errorMessage(err)}`, { cause: err });
      }
      if (!within(this.realRoot, real))
        throw new SearchError(`${file} now leads outside ${this.root}; not read`);
    }
    // Synchronous on purpose: a log file is read in well under a millisecond, and the promise
    // API's round trips cost the main thread ~0.3 ms per file. O_NONBLOCK: opening a FIFO
    // swapped in since the listing returns at once (and is then refused) instead of blocking.
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      throw new SearchError(`Cannot read ${file}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new SearchError(`${file} is ${kindOf(stat)}; not read`);
      const limit = listedSize ?? stat.size;
      if (stat.size > limit) {
        throw new SearchError(
          `${file} is ${stat.size} bytes, more than the ${limit} listed (it grew); not read`,
        );
      }
      const bytes = Buffer.allocUnsafeSlow(stat.size);
      let at = 0;
      while (at < bytes.length) {
        const n = readSync(fd, bytes, at, bytes.length - at, at);
        if (n === 0) break;
        at += n;
      }
      return new Uint8Array(bytes.buffer, 0, at);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (err instanceof SearchError) throw err;
      throw new SearchError(`Cannot read ${file}: ${errorMessage(err)}`, { cause: err });
    } finally {
      closeSync(fd);
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
        if (entry.unreadable !== undefined) {
          yield { key: key + '/', size: 0, unreadable: entry.unreadable };
          continue;
        }
        const full = path.join(dir, entry.name);
        const real = await fs.realpath(full).catch(() => undefined);
        if (real === undefined || seen.has(real)) continue; // gone since, or a symlink loop
        seen.add(real);
        try {
          yield* this.walk(full, key + '/', filter, seen);
        } catch (err) {
          // One folder that cannot be listed: the rest is still searched, and the run says
          // which folder was not (never the whole search lost, never a silent gap).
          if (!(err instanceof UnlistableFolder)) throw err;
          yield {
            key: key + '/',
            size: 0,
            unreadable: `the folder could not be listed (${err.code}); nothing in it was searched`,
          };
        }
        seen.delete(real);
      } else if (key.startsWith(filter)) {
        yield entry.unreadable !== undefined
          ? { key, size: 0, unreadable: entry.unreadable }
          : { key, size: entry.size };
      }
    }
  }

  /**
   * Files and folders of `dir` (symlinks followed within the root), sorted as S3 sorts keys. An
   * entry that is neither, whose link is dangling, or that leads outside the root is kept with
   * why it cannot be read: the planner reports the ones a search needed.
   */
  private async entries(dir: string): Promise<Entry[]> {
    let dirents: Dirent[];
    try {
      dirents = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new UnlistableFolder(dir, err);
    }
    const entries: Entry[] = [];
    for (const d of dirents) {
      const full = path.join(dir, d.name);
      const stat = statOrCode(full); // follows symlinks
      if (typeof stat === 'string') {
        const reason = d.isSymbolicLink()
          ? `a symbolic link whose target cannot be read (${stat}); not read`
          : `cannot be read (${stat})`;
        entries.push({ name: d.name, sortKey: d.name, dir: false, size: 0, unreadable: reason });
        continue;
      }
      const isDir = stat.isDirectory();
      const entry: Entry = {
        name: d.name,
        sortKey: isDir ? `${d.name}/` : d.name,
        dir: isDir,
        size: stat.isFile() ? stat.size : 0,
      };
      if (d.isSymbolicLink()) {
        const real = realpathOrUndefined(full);
        if (real === undefined || !within(this.realRoot, real)) {
          entry.unreadable = `a symbolic link that leads outside ${this.root}; not followed`;
        }
      }
      if (!isDir && !stat.isFile()) entry.unreadable ??= `${kindOf(stat)}; not read`;
      entries.push(entry);
    }
    return entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  }
}

/** A folder readdir refused: the walk reports it and goes on with the others. */
class UnlistableFolder extends SearchError {
  readonly code: string;
  constructor(dir: string, cause: unknown) {
    super(`Cannot list ${dir}: ${errorMessage(cause)}`, { cause });
    this.code = (cause as NodeJS.ErrnoException).code ?? 'error';
  }
}
