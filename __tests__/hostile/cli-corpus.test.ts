/**
 * The hostile-input corpus (cases.ts) against the CLI, run as a user runs it. For every case: the
 * documented exit code, a specific message, no stack trace. For invalid input (exit 2) also:
 * nothing on stdout, no output folder created, and no AWS call — every AWS endpoint points at a
 * local listener that counts connections, and none may arrive.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { startAwsListener } from './aws-listener.js';
import { CASES, type HostileCase } from './cases.js';
import { prepareCaseFiles } from './prepare.js';

const examples = path.join(repoRoot, 'examples/cloudtrail');
const WINDOW = ['--since', '2023-07-10T00:00:00Z', '--until', '2023-07-11T00:00:00Z'];
const WINDOW_FLAGS = new Set(['--since', '--until', '--days']);
const STACK_TRACE = /\n\s+at .+[:(]/;

const work = mkdtemp(path.join(os.tmpdir(), 'ct-hostile-cli-'));
afterAll(async () => {
  const { rm } = await import('node:fs/promises');
  await rm(await work, { recursive: true, force: true });
});

/** The case's CLI arguments, placeholders filled in, source and window added when absent. */
async function prepareCase(c: HostileCase, dir: string): Promise<{ args: string[] }> {
  const { data, config } = await prepareCaseFiles(c, dir);
  const args = (c.args ?? []).map((a) => (a === '{config}' ? config : a));
  if (!args.includes('--source')) args.push('--source', data ?? examples);
  if (!args.some((a) => WINDOW_FLAGS.has(a))) args.push(...WINDOW);
  return { args };
}

/**
 * The corpus runs the bundled CLI (dist/cli.js, what `npx cloudtrail-investigate` runs; CI checks
 * it is rebuilt from the source): a third of the start-up cost of tsx, for ~90 processes.
 * HOSTILE_CLI=source runs the source instead.
 */
const bundle = process.env.HOSTILE_CLI !== 'source';

describe.concurrent('hostile and bad input: the CLI', () => {
  for (const [index, c] of CASES.entries()) {
    if (c.actionOnly) continue;
    it(`${c.name} -> exit ${c.exit}`, async () => {
      const dir = path.join(await work, `case-${index}`);
      const { args } = await prepareCase(c, dir);
      const out = path.join(dir, 'out');
      const listener = await startAwsListener();
      try {
        const run = await runCli([...args, '--out-dir', out, '--no-progress'], {
          env: listener.env,
          timeoutMs: 90_000,
          bundle,
        });
        const said = `exit ${run.code}\nstdout:\n${run.stdout.slice(0, 2000)}\nstderr:\n${run.stderr.slice(0, 2000)}`;
        expect(run.code, said).toBe(c.exit);
        expect(c.exit === 0 ? run.stdout + run.stderr : run.stderr, said).toMatch(c.message);
        expect(run.stderr + run.stdout, said).not.toMatch(STACK_TRACE);
        expect(listener.connections, 'AWS calls made').toBe(0);
        if (c.exit === 2) {
          expect(run.stdout).toBe('');
          expect(existsSync(out), 'nothing may be written for invalid input').toBe(false);
        } else {
          const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
          expect(summary.complete).toBe(c.exit === 0);
          if (c.expectSummary) expect(summary).toMatchObject(c.expectSummary);
          // Bounded terminal output whatever the data (a 10 MB value is cut in the table).
          expect(run.stdout.length).toBeLessThan(64 * 1024);
        }
      } finally {
        await listener.close();
      }
    });
  }

  it('the listener does see AWS calls: a valid S3 search connects to it (and fails, exit 3)', async () => {
    const listener = await startAwsListener();
    try {
      const out = path.join(await work, 'control-out');
      const run = await runCli(['--source', 's3://my-trail-bucket/logs', ...WINDOW, '--out-dir', out], {
        env: { ...listener.env, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
        bundle,
      });
      expect(run.code, run.stderr).toBe(3);
      expect(listener.connections).toBeGreaterThan(0);
      expect(run.stderr).not.toMatch(STACK_TRACE);
    } finally {
      await listener.close();
    }
  });

  it('a 10 MB value is written whole to the results (checked with jq)', async () => {
    const c = CASES.find((x) => x.name.startsWith('data: a 10 MB value'))!;
    const dir = path.join(await work, 'ten-mb');
    const { args } = await prepareCase(c, dir);
    const out = path.join(dir, 'out');
    const run = await runCli([...args, '--out-dir', out], { bundle });
    expect(run.code, run.stderr).toBe(0);
    const { execFileSync } = await import('node:child_process');
    const length = execFileSync('jq', ['-r', '.userAgent | length', path.join(out, 'results.jsonl')])
      .toString()
      .trim();
    expect(Number(length)).toBe(10 * 1024 * 1024);
  });
});
