/**
 * Output safety: the results never go through a symbolic link or out of the working folder by a
 * relative path, an unusable output folder is refused before anything is read (exit 2, a clear
 * message, no stack trace), and a disk that fills up mid-run fails the run (exit 5, `error`) without
 * leaving a partial file, or an older run's summary, to be taken for this run's result.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { prepareOutDir, removeOwnTempFiles } from '../../src/out-dir.js';
import { repoRoot } from '../helpers/cli.js';
import { runAction } from '../helpers/run-action.js';
import { startCli } from './spawn-cli.js';

const EXAMPLES = path.join(repoRoot, 'examples/cloudtrail');
/** A day of the examples: 24 objects, a few hundred records. */
const SEARCH = [
  '--source',
  EXAMPLES,
  '--since',
  '2023-07-10',
  '--until',
  '2023-07-11',
  '--max-rows',
  '0',
  '--workers',
  '0',
];
const STACK = /\n\s+at /;

async function workspace(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'ct-out-'));
}

function cli(args: string[], options: { cwd?: string; shellPrefix?: string } = {}) {
  return startCli([...SEARCH, ...args], options).done;
}

describe('the CLI refuses unsafe output paths (exit 2, nothing read or written)', () => {
  it('an output folder that is a symbolic link', async () => {
    const ws = await workspace();
    await mkdir(path.join(ws, 'elsewhere'));
    await symlink(path.join(ws, 'elsewhere'), path.join(ws, 'out'));
    const run = await cli(['--out-dir', path.join(ws, 'out')]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${path.join(ws, 'out')} is a symbolic link`);
    expect(run.stderr).not.toMatch(STACK);
    expect(await readdir(path.join(ws, 'elsewhere'))).toEqual([]);
  });

  it('a relative output folder below a symbolic link inside the current folder', async () => {
    const ws = await workspace();
    const outside = await workspace();
    await symlink(outside, path.join(ws, 'reports'));
    const run = await cli(['--out-dir', 'reports/today'], { cwd: ws });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${path.join(ws, 'reports')} is a symbolic link`);
    expect(await readdir(outside)).toEqual([]);
  });

  it('a results file that is a symbolic link (the target is left untouched)', async () => {
    const ws = await workspace();
    const victim = path.join(ws, 'victim.txt');
    await writeFile(victim, 'do not overwrite\n');
    await mkdir(path.join(ws, 'out'));
    await symlink(victim, path.join(ws, 'out', 'results.jsonl'));
    const run = await cli(['--out-dir', path.join(ws, 'out')]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('results.jsonl is a symbolic link');
    expect(await readFile(victim, 'utf8')).toBe('do not overwrite\n');
  });

  it('a relative output folder that climbs out of the current folder', async () => {
    const ws = await workspace();
    await mkdir(path.join(ws, 'project'));
    const run = await cli(['--out-dir', '../escaped'], { cwd: path.join(ws, 'project') });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('--out-dir "../escaped" leads out of the current folder');
    expect(existsSync(path.join(ws, 'escaped'))).toBe(false);
  });
});

describe('the CLI refuses an output folder it cannot use (exit 2, clear message)', () => {
  it('below a regular file (ENOTDIR)', async () => {
    const ws = await workspace();
    await writeFile(path.join(ws, 'afile'), 'x');
    const run = await cli(['--out-dir', path.join(ws, 'afile', 'out')]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/error: The output folder cannot be used: .*afile.*(not a folder|ENOTDIR)/);
    expect(run.stderr).not.toMatch(STACK);
  });

  it('a folder that cannot be created (under /proc; tests run as root, so permissions cannot be used)', async () => {
    const run = await cli(['--out-dir', '/proc/self/cloudtrail-out']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/error: The output folder \/proc\/self\/cloudtrail-out cannot be created/);
    expect(run.stderr).not.toMatch(STACK);
  });

  it('an existing folder that refuses new files (a /proc process folder)', async () => {
    const run = await cli(['--out-dir', '/proc/1']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/error: The output folder \/proc\/1 is not writable/);
    expect(run.stderr).not.toMatch(STACK);
  });
});

describe('a disk that fills up mid-run', () => {
  it('fails the run (exit 5, error) and leaves neither a partial results file nor an older summary', async () => {
    const ws = await workspace();
    const out = path.join(ws, 'out');
    // An earlier, complete run's summary: it must not survive to be read as this run's.
    await mkdir(out);
    await writeFile(path.join(out, 'summary.json'), JSON.stringify({ complete: true, matches: 1 }));
    // The file size limit (40 KiB) makes writes fail the way a full disk does (EFBIG instead of
    // ENOSPC: the same write error path); the day's results are several times larger.
    const run = await cli(['--out-dir', out], { shellPrefix: 'ulimit -f 40' });
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toContain(`error: Could not write ${path.join(out, 'results.jsonl')}`);
    expect(run.stderr).toMatch(/EFBIG/);
    expect(run.stderr).not.toMatch(STACK);
    expect(await readdir(out)).toEqual([]);
  });
});

describe('prepareOutDir (the Action policy: confined to the workspace and runner temp)', () => {
  it('accepts and creates a folder inside a root, refuses one outside, and any link on the way', async () => {
    const ws = await workspace();
    const temp = await workspace();
    const policy = { roots: [ws, temp], confined: true, files: ['results.jsonl', 'summary.json'] };

    await prepareOutDir(path.join(temp, 'a', 'b'), policy);
    expect(await readdir(path.join(temp, 'a', 'b'))).toEqual([]);

    const outside = await workspace();
    await expect(prepareOutDir(path.join(outside, 'out'), policy)).rejects.toThrow(ConfigurationError);
    await expect(prepareOutDir(path.join(outside, 'out'), policy)).rejects.toThrow(/outside the workspace/);
    expect(existsSync(path.join(outside, 'out'))).toBe(false);

    await symlink(outside, path.join(ws, 'link'));
    await expect(prepareOutDir(path.join(ws, 'link', 'out'), policy)).rejects.toThrow(
      /link is a symbolic link/,
    );
    expect(existsSync(path.join(outside, 'out'))).toBe(false);
  });

  it("removeOwnTempFiles removes only this process's temporary files", async () => {
    const dir = await workspace();
    const names = [
      `.results.jsonl.${process.pid}.0123abcd.tmp`,
      `.summary.json.${process.pid}.89abcdef.tmp`,
      // The sorted runs of the results' rows (report/sorted-rows.ts).
      `.results.csv.sort.${process.pid}.4567cdef.tmp`,
      `.results.jsonl.${process.pid + 1}.0123abcd.tmp`,
      'results.jsonl',
    ];
    for (const n of names) await writeFile(path.join(dir, n), '');
    expect(removeOwnTempFiles(dir).sort()).toEqual(names.slice(0, 3).sort());
    expect((await readdir(dir)).sort()).toEqual(names.slice(3).sort());
  });
});

describe('the Action refuses a link at its output folder', () => {
  it('exits 2 with the reason and writes nothing through the link', async () => {
    const runnerTemp = await workspace();
    const target = await workspace();
    // The Action's output folder is <RUNNER_TEMP>/cloudtrail-investigate-<run id>-<job>: an
    // earlier step of the job could have planted a link there.
    await symlink(target, path.join(runnerTemp, 'cloudtrail-investigate-7000000555-investigate'));
    const run = await runAction({
      runId: '7000000555',
      inputs: { source: EXAMPLES, since: '2023-07-10', until: '2023-07-11', 'upload-artifact': 'false' },
      env: { RUNNER_TEMP: runnerTemp },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(2);
    const errors = run.commands.filter((c) => c.command === 'error').map((c) => c.message);
    expect(errors).toEqual([
      expect.stringMatching(/cloudtrail-investigate-7000000555-investigate is a symbolic link/),
    ]);
    expect(await readdir(target)).toEqual([]);
  });
});
