/**
 * Gzip bombs (each 700 MiB of zeros, past the 512 MiB per-object cap), 8 of them, 4 workers. A
 * bomb whose trailer tells its size is refused before inflating, and the peak RSS is asserted. A
 * bomb whose trailer lies must be inflated to the cap: the workers share one 1 GiB budget, each
 * fails naming its key and the cap, and the run ends (no worker waits forever for a share). Its
 * peak RSS (getrusage's ru_maxrss, written at exit by a preloaded module) is printed, not
 * asserted: a bomb's discarded output is freed by the worker's garbage collector some time after
 * its share is given back, so the peak depends on GC timing. The count itself is tested in
 * __tests__/scan/inflate-budget.test.ts.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
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

/** Runs the bundled CLI over `root` with 4 workers; its exit code, stderr, summary and peak RSS. */
async function scanBombs(root: string): Promise<{
  code: number | null;
  stderr: string;
  failures: Array<{ key: string; reason: string }>;
  peakBytes: number;
}> {
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
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
    failures: Array<{ key: string; reason: string }>;
  };
  return {
    code,
    stderr,
    failures: summary.failures,
    peakBytes: Number(readFileSync(rssFile, 'utf8')) * 1024,
  };
}

const BOMBS = Array.from({ length: 8 }, (_, i) => `bomb-${i}.json.gz`);

describe('gzip bombs', () => {
  let honest: string;
  let lying: string;

  beforeAll(async () => {
    honest = mkdtempSync(path.join(os.tmpdir(), 'ct-bombs-'));
    lying = mkdtempSync(path.join(os.tmpdir(), 'ct-lying-bombs-'));
    const bomb = path.join(honest, BOMBS[0]!);
    await writeBomb(bomb);
    // The same bomb whose trailer claims 1,000 bytes: only inflating it tells its true size.
    const forged = readFileSync(bomb);
    forged.writeUInt32LE(1000, forged.length - 4);
    for (const name of BOMBS) {
      if (name !== BOMBS[0]) copyFileSync(bomb, path.join(honest, name));
      writeFileSync(path.join(lying, name), forged);
    }
  }, 120_000);

  it('a trailer announcing more than the cap is refused before inflating: memory stays low', async () => {
    const run = await scanBombs(honest);
    expect(run.code, run.stderr).toBe(3);
    expect(run.failures.map((f) => f.key).sort()).toEqual(BOMBS);
    for (const f of run.failures) {
      expect(f.reason).toMatch(
        /decompressed size exceeds 536870912 bytes by its gzip trailer \(734003200 announced; possible gzip bomb\)/,
      );
    }
    // Nothing was inflated: far below one bomb's 512 MiB cap (a Node process with 4 workers).
    expect(run.peakBytes).toBeLessThan(400 * MIB);
  }, 300_000);

  it('8 bombs with a lying trailer, 4 workers sharing the budget: each fails at the cap, naming its key', async () => {
    const run = await scanBombs(lying);
    expect(run.code, run.stderr).toBe(3);
    expect(run.failures.map((f) => f.key).sort()).toEqual(BOMBS);
    for (const f of run.failures) expect(f.reason).toMatch(/decompressed size exceeds 536870912 bytes/);
    console.log(`8 lying bombs, 4 workers: peak RSS ${Math.round(run.peakBytes / MIB)} MiB`);
  }, 300_000);
});
