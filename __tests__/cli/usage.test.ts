/**
 * What a person meets first on the command line: --help with examples, the filter's modifiers and
 * the exit codes; usage when run with nothing; the original tool's `cloudtrail` word; a filter
 * read from a file; messages in one readable sentence (no literal \n, no "..", counts that agree).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { MODIFIERS } from '../../src/query/parse-filter.js';

const examples = path.join(repoRoot, 'examples/cloudtrail');
const WINDOW = ['--since', '2023-07-10T00:00:00Z', '--until', '2023-07-11T00:00:00Z'];

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'ct-usage-'));
}

/** Lines of a JSONL results file. */
async function resultLines(dir: string): Promise<string[]> {
  return (await readFile(path.join(dir, 'results.jsonl'), 'utf8')).split('\n').filter(Boolean);
}

describe('--help', () => {
  it('shows examples, every filter modifier and every exit code', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: cloudtrail-investigate /);
    expect(run.stdout).toMatch(/\nExamples:\n {2}# /);
    expect(run.stdout).toContain('--filter @filter.yml');
    for (const modifier of MODIFIERS) expect(run.stdout).toMatch(new RegExp(`\\b${modifier}\\b`));
    // The codes of README's "Exit codes" table, written out here.
    for (const [code, result] of [
      [0, 'clean'],
      [1, 'matched'],
      [2, 'invalid-input'],
      [3, 'incomplete'],
      [4, 'no-logs'],
      [5, 'error'],
    ] as const) {
      expect(run.stdout).toMatch(new RegExp(`\\n {2}${code} {2}${result} +\\S`));
    }
    expect(run.stdout).toContain('--wide');
  });

  it('no arguments (or only `cloudtrail`): usage on stderr, exit 2, nothing searched', async () => {
    const cwd = await tmp();
    for (const args of [[], ['cloudtrail']]) {
      const run = await runCli(args, { cwd });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^Usage: cloudtrail-investigate /);
      expect(run.stderr).toContain('Examples:');
      expect(run.stderr).toContain("Run 'cloudtrail-investigate --help'");
    }
    expect(await readdir(cwd)).toEqual([]);
  });
});

describe("the original tool's `cloudtrail` word", () => {
  it('is accepted and changes nothing', async () => {
    const filter = ['--filter', '{"eventname":"ConsoleLogin"}'];
    const [withWord, without] = [await tmp(), await tmp()];
    const a = await runCli(['cloudtrail', '--source', examples, ...filter, ...WINDOW, '--out-dir', withWord]);
    const b = await runCli(['--source', examples, ...filter, ...WINDOW, '--out-dir', without]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(await resultLines(withWord)).toHaveLength(4);
    expect(await resultLines(withWord)).toEqual(await resultLines(without));
  });

  it('any other word is refused, named', async () => {
    const run = await runCli(['cloudtrial', '--source', examples, ...WINDOW]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: unexpected argument "cloudtrial": /);
  });
});

describe('--filter @file', () => {
  it('reads the filter from a YAML or a JSON file', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'f.yml'), 'eventName: ConsoleLogin\n');
    await writeFile(path.join(dir, 'f.json'), '{"eventName": ["ConsoleLogin"]}');
    for (const file of ['f.yml', 'f.json']) {
      const out = await tmp();
      const run = await runCli(['--source', examples, '--filter', `@${file}`, ...WINDOW, '--out-dir', out], {
        cwd: dir,
      });
      expect(run.code, run.stderr).toBe(0);
      const names = (await resultLines(out)).map((l) => (JSON.parse(l) as { eventName: string }).eventName);
      expect(names).toEqual(['ConsoleLogin', 'ConsoleLogin', 'ConsoleLogin', 'ConsoleLogin']);
    }
  });

  it('a missing, unreadable or wrong file: exit 2 naming the file', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'typo.yml'), 'eventnme: ConsoleLogin\n');
    await writeFile(path.join(dir, 'big.yml'), `# ${'x'.repeat(1024 * 1024)}\n`);
    const cases: Array<[string, RegExp]> = [
      ['@missing.yml', /Cannot read filter file missing\.yml \(ENOENT\)\. Check the --filter path\./],
      ['@typo.yml', /--filter @typo\.yml: .*"eventnme".*Did you mean "eventName"\?/],
      ['@big.yml', /Filter file big\.yml is 1\.0 MB, larger than the limit of 1 MiB/],
      ['@.', /Filter file \. is not a regular file/],
    ];
    for (const [arg, message] of cases) {
      const run = await runCli(['--source', examples, '--filter', arg, ...WINDOW], { cwd: dir });
      expect(run.code, arg).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});

describe('messages read as one sentence', () => {
  const refused = async (args: string[], options: { cwd?: string } = {}) => {
    const run = await runCli(args, options);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).not.toContain('\\n');
    expect(run.stderr).not.toMatch(/\.\.(\s|$)|\?\./);
    return run.stderr;
  };

  it('an unknown flag, with its suggestion', async () => {
    expect(await refused(['--fitler', 'x'])).toBe(
      "error: unknown option '--fitler' (did you mean --filter?). Run with --help for the flags.\n",
    );
  });

  it('a flag without its value, a value not allowed', async () => {
    expect(await refused(['--source', examples, '--days'])).toBe(
      "error: option '--days <n>' argument missing. Run with --help for the flags.\n",
    );
    expect(await refused(['--source', examples, '--engine', 'spark'])).toMatch(
      /^error: option '-e, --engine <engine>' argument 'spark' is invalid\. Allowed choices are scan, athena, auto\. Run with --help/,
    );
  });

  it("a config file's unknown key, with its suggestion", async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'c.json'), '{"assetId": ["my-trail"]}');
    expect(await refused(['--file', 'c.json'], { cwd: dir })).toBe(
      'error: c.json: unknown key "assetId". Did you mean "assetIds"?\n',
    );
  });

  it('a config file value is named by the key the user wrote (outDir), not by a flag', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'c.yml'), `outDir: ../elsewhere\nsource: ${examples}\n`);
    const stderr = await refused(['--file', 'c.yml', ...WINDOW], { cwd: dir });
    expect(stderr).toMatch(/^error: c\.yml: outDir "\.\.\/elsewhere" leads out of the current folder/);
    expect(stderr).not.toContain('--out-dir');
    // The same value given as a flag is named by the flag.
    const flag = await refused(['--source', examples, '--out-dir', '../elsewhere', ...WINDOW], { cwd: dir });
    expect(flag).toMatch(/^error: --out-dir "\.\.\/elsewhere" leads out/);
  });

  it('the dry run counts agree with their nouns and gives sizes in units', async () => {
    const out = await tmp();
    const run = await runCli([
      '--source',
      examples,
      ...WINDOW,
      '--regions',
      'us-east-1',
      '--out-dir',
      out,
      '--dry-run',
    ]);
    expect(run.code, run.stderr).toBe(0);
    // Independently: us-east-1 log files stamped from 00:00 up to 01:00 the next day, and their size.
    const listing = execFileSync('bash', [
      '-c',
      `cd '${examples}' && find . -path '*/CloudTrail/us-east-1/*' -name '*.json.gz' -printf '%f %s\\n'`,
    ])
      .toString()
      .split('\n')
      .filter((l) => /_(20230710T\d{4}Z|20230711T00\d{2}Z|20230711T0100Z)_/.test(l));
    const bytes = listing.reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
    expect(bytes).toBeGreaterThan(1000);
    expect(bytes).toBeLessThan(1_000_000);
    expect(run.stdout).toContain(
      `would read ${listing.length} objects (${(bytes / 1000).toFixed(1)} KB) under `,
    );
    expect(run.stdout).not.toMatch(/\b1 prefixes|\b1 objects|\d bytes\)/);
  });
});
