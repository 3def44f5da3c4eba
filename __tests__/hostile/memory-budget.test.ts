/**
 * One decompression budget for the whole process, however many workers: eight gzip bombs (each
 * 700 MiB of zeros, past the 512 MiB per-object cap) scanned by 4 workers sharing the 1 GiB
 * budget. Each fails naming its key and the cap, and the run ends (no worker waits forever for a
 * share). Peak RSS (getrusage's ru_maxrss, written at exit by a preloaded module) is printed, not
 * asserted: a bomb's discarded output is freed by the worker's garbage collector some time after
 * its share is given back, so on Node 20 the peak depends on GC timing (measured from under 1.6 GB to 1.95 GB with
 * the budget, 1.8 GB without). The count itself is tested in __tests__/scan/inflate-budget.test.ts.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

const bundle = process.env.HOSTILE_FROM_SOURCE !== '1';
const MIB = 1024 * 1024;

const RSS_PROBE =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { writeFileSync } from 'node:fs';" +
      "process.on('exit', () => writeFileSync(process.env.RSS_FILE, String(process.resourceUsage().maxRSS)));",
  );

/** 700 MiB of zeros, gzipped as a stream (the test never holds them). */
async function writeBomb(file: string): Promise<void> {
  const zero = Buffer.alloc(MIB);
  let left = 700;
  const source = new Readable({
    read() {
      this.push(left-- > 0 ? zero : null);
    },
  });
  await pipeline(source, createGzip({ level: 1 }), createWriteStream(file));
}

describe('the decompression budget is shared by every worker', () => {
  it('8 gzip bombs, 4 workers: each fails at the cap, naming its key', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'ct-bombs-'));
    await writeBomb(path.join(root, 'bomb-0.json.gz'));
    for (let i = 1; i < 8; i++)
      copyFileSync(path.join(root, 'bomb-0.json.gz'), path.join(root, `bomb-${i}.json.gz`));
    const out = mkdtempSync(path.join(os.tmpdir(), 'ct-bombs-out-'));
    const rssFile = path.join(out, 'rss');
    const entry = bundle
      ? [path.join(repoRoot, 'dist/cli.js')]
      : ['--import', 'tsx', path.join(repoRoot, 'src/cli.ts')];
    const args = [
      '--import',
      RSS_PROBE,
      ...entry,
      '--source',
      root,
      '--days',
      '1',
      '--workers',
      '4',
      '--out-dir',
      out,
    ];
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), RSS_FILE: rssFile },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    expect(code, stderr).toBe(3);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
      failures: Array<{ key: string; reason: string }>;
    };
    expect(summary.failures.map((f) => f.key).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `bomb-${i}.json.gz`),
    );
    for (const f of summary.failures) expect(f.reason).toMatch(/decompressed size exceeds 536870912 bytes/);
    const peakBytes = Number(readFileSync(rssFile, 'utf8')) * 1024;
    console.log(`8 bombs, 4 workers: peak RSS ${Math.round(peakBytes / MIB)} MiB`);
  }, 300_000);
});
