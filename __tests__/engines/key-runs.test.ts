/**
 * Keys spilled to disk must be found exactly as a Set of the same keys would find them: whatever
 * the keys' hashes (equal ones spanning blocks included), however often the Bloom filters answer
 * "maybe", after any number of merges; and the temporary folder must go when the runs are closed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRuns, type KeyRunsOptions } from '../../src/engines/key-runs.js';
import { seededRandom } from '../../tools/generate/prng.js';
import { repoRoot } from '../helpers/cli.js';

const made: KeyRuns[] = [];
afterEach(() => {
  for (const runs of made.splice(0)) runs.close();
});

function keyRuns(options: KeyRunsOptions = {}): KeyRuns {
  const runs = new KeyRuns(options);
  made.push(runs);
  return runs;
}

/** `n` random keys (four words each), with some words shared to make near misses. */
function randomKeys(rand: () => number, n: number): Int32Array {
  const keys = new Int32Array(n * 4);
  for (let i = 0; i < keys.length; i++) keys[i] = rand() < 0.1 ? 7 : Math.floor(rand() * 2 ** 32) | 0;
  return keys;
}

const name = (k: ArrayLike<number>, i: number) => `${k[i]},${k[i + 1]},${k[i + 2]},${k[i + 3]}`;

/**
 * Spills `batches` batches of fresh keys, then asks for every spilled key and as many never
 * spilled ones; the answers that differ from a Set's.
 */
function wrongAnswers(runs: KeyRuns, rand: () => number, batches: number, perBatch: number): string[] {
  const spilled = new Set<string>();
  const wrong: string[] = [];
  for (let b = 0; b < batches; b++) {
    const fresh: number[] = [];
    const keys = randomKeys(rand, perBatch);
    for (let i = 0; i < keys.length; i += 4) {
      const n = name(keys, i);
      if (spilled.has(n) || fresh.some((_, j) => j % 4 === 0 && name(fresh, j) === n)) continue;
      fresh.push(keys[i]!, keys[i + 1]!, keys[i + 2]!, keys[i + 3]!);
    }
    runs.spill(Int32Array.from(fresh));
    for (let i = 0; i < fresh.length; i += 4) spilled.add(name(fresh, i));
  }
  for (const n of spilled) {
    const [a, b, c, d] = n.split(',').map(Number) as [number, number, number, number];
    if (!runs.has(a, b, c, d)) wrong.push(`missed ${n}`);
  }
  const others = randomKeys(rand, spilled.size);
  for (let i = 0; i < others.length; i += 4) {
    const n = name(others, i);
    if (runs.has(others[i]!, others[i + 1]!, others[i + 2]!, others[i + 3]!) !== spilled.has(n))
      wrong.push(`wrong ${n}`);
  }
  expect(runs.size).toBe(spilled.size);
  return wrong;
}

describe('KeyRuns', () => {
  it('finds exactly the spilled keys, through many merges, with small blocks and Bloom filters that mostly say "maybe"', () => {
    for (const seed of [1, 2, 3]) {
      const runs = keyRuns({ blockKeys: 4, bloomBudgetBytes: 64 });
      expect(wrongAnswers(runs, seededRandom(seed), 37, 50), `seed ${seed}`).toEqual([]);
      // A binary counter of 37 equal spills has popcount(37) = 3 runs.
      expect(runs.runCount).toBe(3);
    }
  });

  it('finds them with full-size Bloom filters too (the default budget)', () => {
    const runs = keyRuns({ blockKeys: 8 });
    expect(wrongAnswers(runs, seededRandom(9), 10, 500)).toEqual([]);
  });

  it('finds keys whose order hashes are all equal (one hash spanning every block) or few', () => {
    const same = keyRuns({ blockKeys: 3, orderHash: () => 12345 });
    expect(wrongAnswers(same, seededRandom(4), 9, 20)).toEqual([]);
    const few = keyRuns({ blockKeys: 3, orderHash: (a) => (a & 3) * 0x40000000 });
    expect(wrongAnswers(few, seededRandom(5), 9, 40)).toEqual([]);
    const extremes = keyRuns({ blockKeys: 2, orderHash: (a) => (a & 1 ? 0xffffffff : 0) });
    expect(wrongAnswers(extremes, seededRandom(6), 5, 30)).toEqual([]);
  });

  it('keeps its files in one temporary folder under the given parent, and removes it on close', () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'ct-key-runs-'));
    try {
      const runs = new KeyRuns({ parentDir: parent, blockKeys: 4 });
      expect(runs.folder).toBeUndefined(); // nothing is written before the first spill
      runs.spill(randomKeys(seededRandom(7), 100));
      runs.spill(randomKeys(seededRandom(8), 10));
      const folder = runs.folder!;
      expect(path.dirname(folder)).toBe(parent);
      expect(readdirSync(folder)).toHaveLength(2);
      runs.close();
      expect(existsSync(folder)).toBe(false);
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('removes its folder when the process exits without closing the runs', () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'ct-key-runs-'));
    try {
      const code = `
        import { KeyRuns } from ${JSON.stringify(path.join(repoRoot, 'src/engines/key-runs.ts'))};
        const runs = new KeyRuns({ parentDir: ${JSON.stringify(parent)} });
        runs.spill(Int32Array.from({ length: 400 }, (_, i) => i + 1));
        process.stdout.write(runs.folder);
        process.exit(0);`;
      const folder = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        cwd: repoRoot,
        encoding: 'utf8',
      });
      expect(path.dirname(folder)).toBe(parent);
      expect(existsSync(folder)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('throws when a run cannot be written, and answers as before', () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'ct-key-runs-'));
    const runs = keyRuns({ parentDir: parent, blockKeys: 4 });
    const first = randomKeys(seededRandom(10), 50);
    runs.spill(first);
    // The folder disappears (a cleaner, a full disk): the next run cannot be written.
    rmSync(parent, { recursive: true, force: true });
    expect(() => runs.spill(randomKeys(seededRandom(11), 50))).toThrow(/ENOENT/);
    expect(runs.size).toBe(50);
    expect(runs.runCount).toBe(1);
    for (let i = 0; i < first.length; i += 4)
      expect(runs.has(first[i]!, first[i + 1]!, first[i + 2]!, first[i + 3]!)).toBe(true);
  });
});
