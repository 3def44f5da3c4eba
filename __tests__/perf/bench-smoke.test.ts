/**
 * `npm run bench -- --smoke` as CI runs it: a child process on tiny generated data that must exit 0
 * with every tool finding the same events. No timing is asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

interface Results {
  scenarios: Array<{ scenario: string; tools: Array<{ tool: string; count?: number }> }>;
  latency?: { rows: Array<{ latencyMs: number; tool: string; count: number }> };
  targets: unknown[];
}

describe('the benchmark smoke run', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 and every tool counts the same events', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bench-smoke-'));
    const out = path.join(dir, 'results.json');
    await run(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out, '--data-dir', dir],
      {
        cwd: repoRoot,
        timeout: 120_000,
      },
    );
    const results = JSON.parse(await readFile(out, 'utf8')) as Results;
    expect(results.scenarios.map((s) => s.scenario)).toEqual(['selective', 'broad', 'window']);
    for (const s of results.scenarios) {
      const tools = s.tools.map((t) => t.tool);
      expect(tools).toEqual(expect.arrayContaining(['scan', 'duckdb', 'gunzip-floor']));
      const counts = new Set(s.tools.filter((t) => t.tool !== 'gunzip-floor').map((t) => t.count));
      expect(counts.size, s.scenario).toBe(1);
    }
    // The generated data holds events for every scenario: agreement is not on zero.
    expect(results.scenarios.every((s) => (s.tools[0]?.count ?? 0) > 0)).toBe(true);
    expect(results.targets.length).toBeGreaterThan(0);
    // S3 with injected latency: the scan engine and the SDK peer at 0 and 20 ms, same events.
    const rows = results.latency?.rows ?? [];
    expect(rows.map((r) => `${r.latencyMs}/${r.tool}`)).toEqual([
      '0/scan-s3',
      '0/sdk-peer',
      '20/scan-s3',
      '20/sdk-peer',
    ]);
    expect(new Set(rows.map((r) => r.count)).size).toBe(1);
    expect(rows[0]?.count).toBeGreaterThan(0);
  }, 150_000);
});
