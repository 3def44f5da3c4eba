/**
 * The terminal's answer, end to end through the CLI over the real Stratus Red Team logs: rows in
 * time order whatever order the log files hold them in; rule runs ordered by level, with level
 * and rule columns and the skipped rules named.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeCorpus, sharedData } from '../helpers/corpus.js';

const stratus = path.join(sharedData, 'stratus-detonation-logs');
const sigmaRules = path.join(sharedData, 'sigma-aws-cloudtrail');
const WINDOW = ['--since', '2013-11-01T00:00:00Z', '--until', '2026-01-01T00:00:00Z'];

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'ct-answers-'));
}

/** The table's rows (between the header and the first line after it that is not a row). */
function tableRows(stdout: string, header: RegExp): string[][] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  expect(start, stdout).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (!/^(\w+ {2,})?\d{4}-\d\d-\d\dT/.test(line)) break;
    rows.push(line.split(/ {2,}/));
  }
  return rows;
}

describeCorpus('the terminal table (real Stratus Red Team logs and SigmaHQ rules)', () => {
  it('rows come out by eventTime, then eventID, though the files hold them out of order', async () => {
    // The files list events newest first (a detonation's log, as exported).
    const firstFile = JSON.parse(
      execFileSync('jq', [
        '-c',
        '[.[].eventTime]',
        path.join(stratus, 'aws.execution.ec2-launch-unusual-instances.json'),
      ]).toString(),
    ) as string[];
    expect([...firstFile].sort()).not.toEqual(firstFile);
    const expected = JSON.parse(
      execFileSync('bash', [
        '-c',
        `jq -c '.[]' '${stratus}'/*.json | jq -sc 'sort_by(.eventTime, .eventID) | .[0:15] | map([.eventTime, .eventID])'`,
      ]).toString(),
    ) as Array<[string, string]>;
    const run = await runCli([
      '--source',
      stratus,
      ...WINDOW,
      '--wide',
      '--max-rows',
      '15',
      '--out-dir',
      await tmp(),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const rows = tableRows(run.stdout, /^time +event +principal +status/);
    expect(rows.map((r) => [r[0], r.find((c) => /^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(c))])).toEqual(expected);
    expect(run.stdout).toMatch(/\nShowing 15 of 310 events \(by time\); all of them in /);
  });

  it('a rule run: level and rule columns, highest level first, then time; skipped rules named', async () => {
    const out = await tmp();
    const run = await runCli(
      ['--source', stratus, ...WINDOW, '--rules', 'builtin:all', '--max-rows', '12', '--out-dir', out],
      { env: { COLUMNS: '200' } },
    );
    expect(run.code, run.stderr).toBe(0);
    const rows = tableRows(run.stdout, /^level +time +rule +event/);
    expect(rows).toHaveLength(12);
    const rank = ['informational', 'low', 'medium', 'high', 'critical'];
    for (let i = 1; i < rows.length; i++) {
      const [level, time] = [rank.indexOf(rows[i]![0]!), rows[i]![1]!];
      const [before, beforeTime] = [rank.indexOf(rows[i - 1]![0]!), rows[i - 1]![1]!];
      expect(level).toBeLessThanOrEqual(before);
      if (level === before) expect(time >= beforeTime).toBe(true);
    }
    // The high findings the issue saw hidden behind ten medium ones.
    const stop = rows.find((r) => r.includes('StopLogging'));
    const del = rows.find((r) => r.includes('DeleteTrail'));
    expect(stop?.slice(0, 3)).toEqual(['high', '2024-07-31T13:06:24Z', 'CloudTrail logging stopped']);
    expect(del?.slice(0, 3)).toEqual(['high', '2024-07-31T12:46:41Z', 'CloudTrail trail deleted']);
  });

  it('names each rule that could not run, with why', async () => {
    // Independently: the rule files whose condition aggregates (count()) or correlates (near, timeframe).
    const skippedFiles = execFileSync('bash', [
      '-c',
      `cd '${sigmaRules}' && grep -lE 'count\\(\\)|\\| near |^ *timeframe:' -r . | sort`,
    ])
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((f) => path.basename(f));
    expect(skippedFiles.length).toBeGreaterThan(3);
    const run = await runCli([
      '--source',
      stratus,
      ...WINDOW,
      '--rules',
      sigmaRules,
      '--max-rows',
      '0',
      '--out-dir',
      await tmp(),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const section = run.stdout.slice(run.stdout.indexOf('\nSkipped '));
    expect(section).toMatch(/^\nSkipped \d+ of \d+ rules: they cannot run on CloudTrail records\.\n/);
    for (const file of skippedFiles) {
      expect(section).toMatch(
        new RegExp(
          `\\n {2}[^\\n]*${file.replace(/\./g, '\\.')}\\): [^\\n]*(aggregat|near|timeframe|correlat)`,
        ),
      );
    }
  });
});
