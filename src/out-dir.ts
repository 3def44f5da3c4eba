/**
 * The output folder, checked before anything is read and written to with clear errors:
 *
 *  - It may not be reached through a symbolic link, nor may the files the run writes be links: a
 *    link planted in a checked-out repository (or by an earlier workflow step) would otherwise
 *    send the results, and the artifact built from them, wherever it points.
 *  - In the Action it must be inside GITHUB_WORKSPACE or RUNNER_TEMP ("confined"), and no folder
 *    from that root down may be a link. The CLI checks the folders below the current directory
 *    when the output folder is inside it; an absolute path elsewhere is the user's explicit
 *    choice, and only the output folder itself is checked (system paths such as macOS's /tmp are
 *    links themselves).
 *  - A folder that cannot be created or written (read-only file system, a file in the way, no
 *    permission) is refused up front, as invalid input (exit code 2: nothing was read).
 *
 * Write failures during the run (a full disk) are `OutputWriteError`s: the search failed (exit 3).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, unlinkSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, SearchError } from './errors.js';

export interface OutDirPolicy {
  /** Folders the output folder may be in; symbolic links are refused from the containing one down. */
  roots: string[];
  /** true: the output folder must be inside one of `roots` (the Action). */
  confined: boolean;
  /** Names of the files the run will write there (none may be a link or a folder). */
  files: string[];
  /** The flag or input named in errors (e.g. `--out-dir`). */
  field?: string;
}

/** Writing a results or summary file failed mid-run (e.g. the disk is full). */
export class OutputWriteError extends SearchError {}

/** True when `child` is `parent` or below it (lexically: both absolute). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** What a file-system error means for the user, without its stack. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `no space left on the device (${e.code})`;
    case 'EFBIG':
      return 'the file grew over the size allowed by the system (EFBIG)';
    case 'EROFS':
      return 'the file system is read-only (EROFS)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${e.code})`;
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder (ENOTDIR)';
    case 'EEXIST':
      return 'a file is in the way (EEXIST)';
    case 'ENOENT':
      return 'the path cannot be created (ENOENT)';
    default:
      return e?.code ? `${e.code}: ${e.message}` : String((err as Error)?.message ?? err);
  }
}

async function lstatIfExists(file: string, field: string | undefined): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigurationError(
      `The output folder cannot be used: ${file}: ${describeFsError(err)}.`,
      field,
    );
  }
}

function linkRefused(link: string, field: string | undefined): ConfigurationError {
  return new ConfigurationError(
    `The output path ${link} is a symbolic link: results are never written through a link. Choose another output folder or remove the link.`,
    field,
  );
}

/** The nearest folder up from `dir` that exists (as anything: a file there fails later, clearly). */
async function existingAncestor(dir: string): Promise<string> {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      await lstat(d);
      return d;
    } catch {
      if (path.dirname(d) === d) return d;
    }
  }
}

/** Checks, creates and test-writes the output folder; throws a ConfigurationError saying why it cannot be used. */
export async function prepareOutDir(dir: string, policy: OutDirPolicy): Promise<void> {
  const { field } = policy;
  const target = path.resolve(dir);
  const roots = policy.roots.map((r) => path.resolve(r));
  const root = roots.find((r) => isInside(target, r));
  if (!root && policy.confined) {
    throw new ConfigurationError(
      `The output folder ${target} is outside the workspace: it must be inside ${roots.join(' or ')}.`,
      field,
    );
  }
  // Each folder from below the anchor down to the output folder: no link, no file; missing
  // ones are created one at a time (Node's recursive mkdir never returns for some paths, e.g.
  // under /proc).
  let current = root ?? (await existingAncestor(path.dirname(target)));
  for (const part of path.relative(current, target).split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    let st = await lstatIfExists(current, field);
    if (!st) {
      try {
        await mkdir(current);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new ConfigurationError(
            `The output folder ${target} cannot be created: ${describeFsError(err)}.`,
            field,
          );
        }
      }
      // Created by us or not, it must now be a real folder (nothing swapped a link in meanwhile).
      st = await lstatIfExists(current, field);
    }
    if (st?.isSymbolicLink()) throw linkRefused(current, field);
    if (!st?.isDirectory()) {
      throw new ConfigurationError(`The output folder cannot be used: ${current} is not a folder.`, field);
    }
  }
  for (const name of policy.files) {
    const st = await lstatIfExists(path.join(target, name), field);
    if (st?.isSymbolicLink()) throw linkRefused(path.join(target, name), field);
    if (st?.isDirectory()) {
      throw new ConfigurationError(
        `The output file ${path.join(target, name)} is a folder: remove it or choose another output folder.`,
        field,
      );
    }
  }
  await checkWritable(target, field);
}

/** Creates and removes an empty file, named like the run's temporary files. */
async function checkWritable(dir: string, field: string | undefined): Promise<void> {
  const probe = path.join(dir, `.write-check.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(probe, 'wx');
    await handle.close();
  } catch (err) {
    throw new ConfigurationError(`The output folder ${dir} is not writable: ${describeFsError(err)}.`, field);
  } finally {
    await rm(probe, { force: true }).catch(() => {});
  }
}

/**
 * Removes this process's temporary files from `dir` (names `.<name>.<pid>.<hex>.tmp`, see
 * report/atomic-file.ts), synchronously: for a forced exit, where nothing asynchronous runs.
 */
export function removeOwnTempFiles(dir: string, pid: number = process.pid): string[] {
  const mine = new RegExp(`^\\..+\\.${pid}\\.[0-9a-f]{8}\\.tmp$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!mine.test(name)) continue;
    try {
      unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      // Already gone (a rename or cleanup won the race).
    }
  }
  return removed;
}

/** The files a search writes in its output folder, after the test id's prefix (see search.ts). */
export const OUTPUT_FILE_NAMES = [
  'results.jsonl',
  'results.json',
  'results.csv',
  'summary.json',
  'plan.json',
];

/**
 * Removes the files an earlier run with the same prefix wrote in `dir` (OUTPUT_FILE_NAMES: results
 * in any format, summary, plan), so that none outlives this run beside a summary that does not
 * describe it; returns their names. Nothing else in the folder is touched, and files of another
 * test id are another run's. A link under one of these names is removed, never what it points to.
 */
export async function removeStaleOutputs(dir: string, prefix: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of OUTPUT_FILE_NAMES) {
    const file = path.join(dir, `${prefix}${name}`);
    try {
      // A folder under such a name is no file of ours (prepareOutDir refuses one the run writes).
      if ((await lstat(file)).isDirectory()) continue;
      await unlink(file);
      removed.push(`${prefix}${name}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}
