/**
 * The gunzip-only floor: read the listed files (16 at a time, like the scan engine) and gunzip
 * each, nothing else, as fast as Node's zlib can on this machine: on libuv's thread pool (which
 * uses every core), one output buffer sized from the gzip trailer. Prints one JSON line:
 * {"workMs", "uncompressed", "maxRssKb", "cpuMs"}.
 *
 * Usage: node floor.js <list-file>   (list-file: one absolute path per line)
 */
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';

function chunkFor(gz: Buffer): number {
  const announced = gz.readUInt32LE(gz.length - 4);
  return Math.max(64 * 1024, Math.min(announced + 1, 64 * 1024 * 1024));
}

function inflate(gz: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    gunzip(gz, { chunkSize: chunkFor(gz) }, (err, out) => (err ? reject(err) : resolve(out))),
  );
}

/** CPU time of this process so far, every thread (ms). */
function cpuMs(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
}

const [listFile = ''] = process.argv.slice(2);
const files = (await readFile(listFile, 'utf8')).split('\n').filter(Boolean);
const started = performance.now();
let next = 0;
let uncompressed = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < files.length) {
      const out = await inflate(await readFile(files[next++]!));
      uncompressed += out.length;
    }
  }),
);
const workMs = performance.now() - started;
console.log(
  JSON.stringify({ workMs, uncompressed, maxRssKb: process.resourceUsage().maxRSS, cpuMs: cpuMs() }),
);
