/**
 * The gunzip-only floor: read the listed files (16 at a time, like the scan engine) and gunzip
 * each on one of N worker threads, as fast as Node's zlib can (one output buffer sized from the
 * gzip trailer, as the scan engine does). Nothing is parsed. Prints one JSON line:
 * {"workMs", "uncompressed", "maxRssKb"}.
 *
 * Usage: node floor.js <workers> <list-file>   (list-file: one absolute path per line)
 */
import { readFile } from 'node:fs/promises';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';

interface Task {
  id: number;
  bytes: Uint8Array;
}

function chunkFor(gz: Buffer): number {
  const announced = gz.readUInt32LE(gz.length - 4);
  return Math.max(64 * 1024, Math.min(announced + 1, 64 * 1024 * 1024));
}

if (!isMainThread) {
  const port = parentPort!;
  port.on('message', (task: Task) => {
    const gz = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
    const out = gunzipSync(gz, { chunkSize: chunkFor(gz) });
    port.postMessage({ id: task.id, length: out.length });
  });
} else {
  const [workersText = '2', listFile = ''] = process.argv.slice(2);
  const files = (await readFile(listFile, 'utf8')).split('\n').filter(Boolean);
  const started = performance.now();
  const workers = Array.from({ length: Number(workersText) }, () => new Worker(new URL(import.meta.url)));
  const load = workers.map(() => 0);
  const pending = new Map<number, (length: number) => void>();
  workers.forEach((w, i) =>
    w.on('message', (m: { id: number; length: number }) => {
      load[i]!--;
      pending.get(m.id)!(m.length);
      pending.delete(m.id);
    }),
  );
  let next = 0;
  let uncompressed = 0;
  let id = 0;
  const one = async (file: string): Promise<void> => {
    const bytes = await readFile(file);
    const w = load.indexOf(Math.min(...load));
    load[w]!++;
    const taskId = id++;
    uncompressed += await new Promise<number>((resolve) => {
      pending.set(taskId, resolve);
      workers[w]!.postMessage({ id: taskId, bytes }, [bytes.buffer as ArrayBuffer]);
    });
  };
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < files.length) await one(files[next++]!);
    }),
  );
  const workMs = performance.now() - started;
  await Promise.all(workers.map((w) => w.terminate()));
  console.log(JSON.stringify({ workMs, uncompressed, maxRssKb: process.resourceUsage().maxRSS }));
}
