/**
 * The gunzip-only floor: read the listed files and gunzip each, nothing else, as fast as Node's
 * zlib can on these cores: one worker thread per core (as many as the scan engine uses), each
 * taking the next file, reading it and gunzipping it synchronously into one buffer sized from the
 * gzip trailer, then freeing that buffer at once (so the next file reuses the same warm memory:
 * left to the garbage collector, fresh pages made gunzip ~3x as expensive). Times worker start-up
 * to the last gunzip, like the scan engine's own duration. Prints one JSON line:
 * {"workMs", "uncompressed", "maxRssKb", "cpuMs"}.
 *
 * Usage: node floor.js <list-file> [threads]   (list-file: one absolute path per line)
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';

interface Job {
  files: string[];
  /** Index of the next file to take, shared by every thread. */
  next: Int32Array;
}

function chunkFor(gz: Buffer): number {
  const announced = gz.readUInt32LE(gz.length - 4);
  return Math.max(64 * 1024, Math.min(announced + 1, 64 * 1024 * 1024));
}

/** Gunzips files until none is left; returns the uncompressed bytes. */
function drain({ files, next }: Job): number {
  let uncompressed = 0;
  for (let i = Atomics.add(next, 0, 1); i < files.length; i = Atomics.add(next, 0, 1)) {
    const gz = readFileSync(files[i]!);
    const out = gunzipSync(gz, { chunkSize: chunkFor(gz) });
    uncompressed += out.length;
    (out.buffer as ArrayBuffer & { transfer?: (n: number) => ArrayBuffer }).transfer?.(0);
  }
  return uncompressed;
}

/** CPU time of this process so far, every thread (ms). */
function cpuMs(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
}

if (isMainThread) {
  const [listFile = '', threadsArg = '2'] = process.argv.slice(2);
  const files = (await readFile(listFile, 'utf8')).split('\n').filter(Boolean);
  const threads = Math.max(1, Number(threadsArg));
  const next = new Int32Array(new SharedArrayBuffer(4));
  const started = performance.now();
  const totals = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { files, next } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const workMs = performance.now() - started;
  const uncompressed = totals.reduce((a, b) => a + b, 0);
  console.log(
    JSON.stringify({ workMs, uncompressed, maxRssKb: process.resourceUsage().maxRSS, cpuMs: cpuMs() }),
  );
} else {
  parentPort!.postMessage(drain(workerData as Job));
}
