/**
 * Files that appear whole or not at all: written to a temporary name in the same folder, flushed
 * to disk, then renamed over the final name. A crash or a failed search never leaves a truncated
 * results file or summary.json for a script (or the deployment gate) to read as complete.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** A hidden temporary name beside `finalPath` (same folder, so the rename is atomic). */
export function tempPathFor(finalPath: string): string {
  const dir = path.dirname(finalPath);
  return path.join(dir, `.${path.basename(finalPath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** fsync the folder so the rename itself survives a crash; not supported everywhere (Windows). */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort: some platforms refuse to open or fsync a directory.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Makes a finished temporary file the final one: flush, close, rename, flush the folder. */
export async function publishFile(handle: FileHandle, tempPath: string, finalPath: string): Promise<void> {
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tempPath, finalPath);
  await syncDir(path.dirname(finalPath));
}

/** Writes `data` to `finalPath` atomically (used for summary.json and plan.json). */
export async function atomicWriteFile(finalPath: string, data: string | Uint8Array): Promise<void> {
  const tempPath = tempPathFor(finalPath);
  const handle = await open(tempPath, 'wx');
  try {
    await handle.writeFile(data);
    await publishFile(handle, tempPath, finalPath);
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(tempPath, { force: true });
    throw err;
  }
}
