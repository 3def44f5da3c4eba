/**
 * runSearch's results: the engine's events are transient (freed once the next is asked for), so
 * the first matches it keeps for tables and annotations must be copies that read back equal to the
 * results file; and a chunk of the results file that cannot be written fails the run with an
 * OutputWriteError naming the file, leaving no results behind. De-duplication that spills its ids
 * to disk gives the same results, leaves no files behind, and falls back to memory, saying so,
 * when it cannot write them.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildInvestigation } from '../../src/config/build.js';
import { silentLogger } from '../../src/logger.js';
import { OutputWriteError } from '../../src/out-dir.js';
import { openResultWriter, type ResultWriter } from '../../src/report/writers.js';
import { runSearch } from '../../src/search.js';
import type { EngineProgress } from '../../src/engines/types.js';
import { repoRoot } from '../helpers/cli.js';

vi.mock('../../src/report/writers.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/report/writers.js')>();
  return { ...real, openResultWriter: vi.fn(real.openResultWriter) };
});

/** A day of the examples: 24 objects, 234 matches, ~330 KB of results (more than one chunk). */
function investigation(outDir: string) {
  return buildInvestigation({
    source: path.join(repoRoot, 'examples/cloudtrail'),
    since: '2023-07-10',
    until: '2023-07-11',
    engine: 'scan',
    outDir,
    workers: 0,
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ct-search-'));
});
afterEach(async () => {
  vi.mocked(openResultWriter).mockClear();
  await rm(dir, { recursive: true, force: true });
});

describe('runSearch keeps readable copies of the first matches', () => {
  it('the earliest matches by eventTime then eventID, each equal to its line of the results file', async () => {
    const result = await runSearch(investigation(dir), { logger: silentLogger, keepFirst: 200 });
    const lines = (await readFile(result.resultsPath, 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(200);
    // Independently: the results file's lines, sorted by time then id.
    const key = (line: string) => {
      const r = JSON.parse(line) as { eventTime: string; eventID: string };
      return `${r.eventTime} ${r.eventID}`;
    };
    const earliest = [...lines]
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
      .slice(0, 200);
    expect(result.firstMatches).toHaveLength(200);
    result.firstMatches.forEach((event, i) => {
      const record = JSON.parse(earliest[i]!) as Record<string, unknown>;
      expect(event.json).toBe(earliest[i]);
      expect(event.record).toEqual(record);
      expect(event.fields?.eventName).toBe(record.eventName);
    });
  });
});

describe('progress', () => {
  it('once listing is done, the totals are final: done/total reaches the objects of the window', async () => {
    const seen: EngineProgress[] = [];
    await runSearch(investigation(dir), { logger: silentLogger, onProgress: (p) => seen.push({ ...p }) });
    // Independently: the day's CloudTrail log files (stamped 00:00 up to 01:00 the next day).
    const objects = execFileSync('bash', [
      '-c',
      `cd '${path.join(repoRoot, 'examples/cloudtrail')}' && find . -path '*/CloudTrail/*' -name '*.json.gz' | grep -cE '_(20230710T[0-9]{4}Z|20230711T00[0-9]{2}Z|20230711T0100Z)_'`,
    ])
      .toString()
      .trim();
    const last = seen.at(-1)!;
    expect(last).toMatchObject({
      listingDone: true,
      objectsDone: Number(objects),
      objectsTotal: Number(objects),
    });
    for (const p of seen.filter((p) => p.listingDone)) expect(p.objectsTotal).toBe(Number(objects));
    expect(seen.filter((p) => !p.listingDone).every((p) => p.objectsTotal <= Number(objects))).toBe(true);
  });
});

describe('a results chunk that cannot be written', () => {
  /** The real writer, except that its `failAt`-th write fails as `fail` says. */
  function failingWriter(fail: 'rejects' | 'throws', failAt: number) {
    vi.mocked(openResultWriter).mockImplementationOnce(async (...args) => {
      const real = await vi.importActual<typeof import('../../src/report/writers.js')>(
        '../../src/report/writers.js',
      );
      const writer = await real.openResultWriter(...args);
      let writes = 0;
      const error = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      return new Proxy(writer, {
        get(target, key) {
          if (key !== 'write') return Reflect.get(target, key, target) as unknown;
          return (event: Parameters<ResultWriter['write']>[0]) => {
            if (++writes < failAt) return target.write(event);
            if (fail === 'throws') throw error;
            return Promise.reject(error);
          };
        },
      });
    });
  }

  for (const fail of ['rejects', 'throws'] as const) {
    it(`fails the run with an OutputWriteError naming the file (the write ${fail})`, async () => {
      failingWriter(fail, 120);
      const run = runSearch(investigation(dir), { logger: silentLogger });
      await expect(run).rejects.toThrow(OutputWriteError);
      await expect(run).rejects.toThrow(
        `Could not write ${path.join(dir, 'results.jsonl')}: no space left on the device (ENOSPC)`,
      );
      expect(await readdir(dir)).toEqual([]);
    });
  }
});

describe('de-duplication with its ids spilled to disk', () => {
  /** The search's results file and counts, with `dedupe` settings, into a folder of its own. */
  async function search(name: string, dedupe?: Parameters<typeof runSearch>[1]['dedupe']) {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warning: (m: string) => void warnings.push(m) };
    const inv = investigation(path.join(dir, name));
    const result = await runSearch(inv, { logger, ...(dedupe ? { dedupe } : {}) });
    const { matches, duplicatesDropped, complete } = result.summary;
    return {
      results: await readFile(result.resultsPath, 'utf8'),
      matches,
      duplicatesDropped,
      complete,
      warnings,
    };
  }

  it('finds what the in-memory set finds, and leaves its temporary folder behind it removed', async () => {
    const plain = await search('plain');
    expect(plain.duplicatesDropped).toBeGreaterThan(0); // the examples deliver an event twice
    const spillTo = path.join(dir, 'spill');
    await mkdir(spillTo);
    // 16 ids in memory: the day's 234 matches spill 14 times.
    const spilled = await search('spilled', { memoryKeys: 16, runs: { parentDir: spillTo, blockKeys: 4 } });
    expect(spilled).toEqual(plain);
    expect(await readdir(spillTo)).toEqual([]);
  });

  it('keeps the ids in memory when the folder cannot be written, and warns', async () => {
    const plain = await search('plain');
    const stuck = await search('stuck', {
      memoryKeys: 16,
      runs: { parentDir: path.join(dir, 'no', 'such') },
    });
    expect({ ...stuck, warnings: [] }).toEqual(plain);
    expect(stuck.warnings).toEqual([expect.stringMatching(/Could not spill seen eventIDs .*Set TMPDIR/)]);
  });
});
