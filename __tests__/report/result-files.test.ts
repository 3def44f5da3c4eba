/**
 * The result files as a user checks them, through the CLI over the shipped examples: rows in time
 * order in every format (expected: jq over the same log files, sorted by eventTime then eventID);
 * a `matched_rules` column in CSV when rules ran; a run owns its output folder (an earlier run's
 * results in another format are removed, a user's other files are not); a stray JSON file that is
 * no CloudTrail log is skipped and listed, while a file named like a CloudTrail log that cannot be
 * read still makes the run incomplete.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { cloudTrailFiles, inWindow } from '../helpers/jq.js';

const EXAMPLES = path.join(repoRoot, 'examples/cloudtrail');
const SINCE = '2023-07-10T00:00:00Z';
const UNTIL = '2023-07-11T00:00:00Z';
const WINDOW = ['--since', SINCE, '--until', UNTIL];

let dir: string;
let files: string[];
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ct-result-files-'));
  files = await cloudTrailFiles(EXAMPLES);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** eventIDs of the records of `logFiles` selected by `select`, one per id, by eventTime then eventID (jq). */
function jqOrderedIds(logFiles: string[], select: string): string[] {
  const program = `[inputs | (if type == "array" then .[] else .Records[] end) | select(${select})] | unique_by(.eventID) | sort_by(.eventTime, .eventID) | .[].eventID`;
  const quoted = logFiles.map((f) => `'${f.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = execFileSync('bash', ['-c', `zcat -f ${quoted} | jq -n -r '${program}'`], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split('\n').filter(Boolean);
}

/** A CSV file's rows as Python's csv module reads them. */
function csvRows(file: string): string[][] {
  const script =
    'import csv,json,sys\nprint(json.dumps(list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))))';
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as string[][];
}

async function summaryOf(outDir: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path.join(outDir, 'summary.json'), 'utf8')) as Record<string, any>;
}

describe('rows in time order', () => {
  it('JSONL, JSON and CSV list the events by eventTime, then eventID, as jq sorts them', async () => {
    const expected = jqOrderedIds(files, inWindow(SINCE, UNTIL));
    expect(expected.length).toBeGreaterThan(100);
    for (const format of ['jsonl', 'json', 'csv'] as const) {
      const out = path.join(dir, `order-${format}`);
      const run = await runCli(['--source', EXAMPLES, ...WINDOW, '--format', format, '--out-dir', out]);
      expect(run.code, run.stderr).toBe(0);
      const file = path.join(out, `results.${format}`);
      let ids: string[];
      if (format === 'csv') {
        const [header, ...rows] = csvRows(file);
        ids = rows.map((r) => r[header!.indexOf('eventID')]!);
      } else {
        const program = format === 'json' ? '.[].eventID' : '.eventID';
        ids = execFileSync('jq', ['-r', program, file], { encoding: 'utf8' }).split('\n').filter(Boolean);
      }
      expect(ids, format).toEqual(expected);
    }
  }, 120_000);
});

describe('CSV with rules', () => {
  it('has a matched_rules column naming the rule of each row; without rules, no such column', async () => {
    const rule = path.join(dir, 'console-login.yml');
    await writeFile(
      rule,
      [
        'title: Console sign-in',
        'id: 6f1c6c1e-5d1a-4a57-9a39-0b9e1d1c0001',
        'level: low',
        'logsource:',
        '  product: aws',
        '  service: cloudtrail',
        'detection:',
        '  selection:',
        '    eventName: ConsoleLogin',
        '  condition: selection',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'rules-csv');
    const run = await runCli([
      '--source',
      EXAMPLES,
      ...WINDOW,
      '--rules',
      rule,
      '--format',
      'csv',
      '--out-dir',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const [header, ...rows] = csvRows(path.join(out, 'results.csv'));
    expect(header!.at(-1)).toBe('matched_rules');
    expect(header).not.toContain('matched_correlations');
    const expected = jqOrderedIds(files, `${inWindow(SINCE, UNTIL)} and .eventName == "ConsoleLogin"`);
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => r[header!.indexOf('eventID')])).toEqual(expected);
    for (const row of rows) {
      expect(JSON.parse(row[header!.indexOf('matched_rules')]!)).toEqual([
        { id: '6f1c6c1e-5d1a-4a57-9a39-0b9e1d1c0001', title: 'Console sign-in', level: 'low' },
      ]);
    }

    const plain = path.join(dir, 'plain-csv');
    const without = await runCli(['--source', EXAMPLES, ...WINDOW, '--format', 'csv', '--out-dir', plain]);
    expect(without.code, without.stderr).toBe(0);
    const [plainHeader] = csvRows(path.join(plain, 'results.csv'));
    expect(plainHeader).toHaveLength(31);
    expect(plainHeader).not.toContain('matched_rules');
  }, 120_000);
});

describe('a run owns its output folder', () => {
  it("removes an earlier run's results in another format, and nothing else", async () => {
    const out = path.join(dir, 'owned');
    const first = await runCli(['--source', EXAMPLES, ...WINDOW, '--format', 'csv', '--out-dir', out]);
    expect(first.code, first.stderr).toBe(0);
    // A user's files, and another test id's results: not this run's.
    await writeFile(path.join(out, 'notes.txt'), 'mine');
    await writeFile(path.join(out, 'results.csv.bak'), 'mine too');
    await writeFile(path.join(out, 'T1-results.csv'), 'another run');
    const second = await runCli(['--source', EXAMPLES, ...WINDOW, '--format', 'jsonl', '--out-dir', out]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("Removed an earlier run's results.csv, summary.json");
    expect((await readdir(out)).sort()).toEqual(
      ['T1-results.csv', 'notes.txt', 'results.csv.bak', 'results.jsonl', 'summary.json'].sort(),
    );
    expect(await readFile(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect((await summaryOf(out)).files.results).toBe('results.jsonl');
  }, 120_000);
});

describe('a folder with a stray JSON file', () => {
  /** A folder holding one example log file of the day, as a person might copy it. */
  async function folderWithLog(name: string): Promise<{ folder: string; log: string }> {
    const folder = path.join(dir, name);
    await mkdir(folder);
    const source = files.find((f) => path.basename(f).includes('_us-east-1_20230710T0801Z_'))!;
    const log = path.join(folder, path.basename(source));
    await copyFile(source, log);
    return { folder, log };
  }

  it('skips valid JSON that is no CloudTrail log, says so and lists it: the run stays complete', async () => {
    const { folder, log } = await folderWithLog('stray');
    await writeFile(path.join(folder, 'notes.json'), '{"hello":1}');
    await writeFile(path.join(folder, 'count.json'), '42');
    const out = path.join(dir, 'stray-out');
    const run = await runCli(['--source', folder, ...WINDOW, '--out-dir', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Skipped notes\.json: valid JSON, but not a CloudTrail log/);
    const summary = await summaryOf(out);
    expect(summary.complete).toBe(true);
    expect(summary.result).toBe('matched');
    expect(summary.failures).toEqual([]);
    expect(summary.skippedFiles).toEqual([
      { key: 'count.json', reason: expect.stringMatching(/not a CloudTrail log: a number/) },
      { key: 'notes.json', reason: expect.stringMatching(/not a CloudTrail log: no "Records" array/) },
    ]);
    expect(summary.matches).toBe(jqOrderedIds([log], inWindow(SINCE, UNTIL)).length);
  }, 60_000);

  it('a file named like a CloudTrail log that is not one still makes the run incomplete (exit 3)', async () => {
    const { folder } = await folderWithLog('named');
    const forged = '111122223333_CloudTrail_us-east-1_20230710T1200Z_AbCdEfGhIjKlMnOp.json';
    await writeFile(path.join(folder, forged), '{"hello":1}');
    const out = path.join(dir, 'named-out');
    const run = await runCli(['--source', folder, ...WINDOW, '--out-dir', out]);
    expect(run.code, run.stderr).toBe(3);
    const summary = await summaryOf(out);
    expect(summary.complete).toBe(false);
    expect(summary.failures).toEqual([
      { key: forged, reason: expect.stringMatching(/not a CloudTrail log/) },
    ]);
    expect(summary.skippedFiles).toBeUndefined();
  }, 60_000);
});
