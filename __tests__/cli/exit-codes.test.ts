/**
 * The CLI's contract: exit codes and clear messages for bad input — the message names the flag or
 * key and the fix, and no stack trace is printed. Invalid input makes no AWS call: these runs point
 * the SDK at a closed port, so any call would show up as a connection error instead of exit 2.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';

const examples = path.join(repoRoot, 'examples/cloudtrail');
const WINDOW = ['--since', '2023-07-10T00:00:00Z', '--until', '2023-07-11T00:00:00Z'];
const NO_AWS = {
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_REGION: 'us-east-1',
};

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'ct-cli-'));
}

describe('exit codes', () => {
  it('0: search done, with or without matches', async () => {
    const run = await runCli([
      '--source',
      examples,
      '--filter',
      '{"eventname":"ConsoleLogin"}',
      ...WINDOW,
      '--out-dir',
      await tmp(),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const none = await runCli([
      '--source',
      examples,
      '--filter',
      '{"eventname":"NoSuchEvent"}',
      ...WINDOW,
      '--out-dir',
      await tmp(),
      '--fail-on-match',
    ]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/^0 matches/m);
  });

  it('1: matches found with --fail-on-match', async () => {
    const run = await runCli([
      '--source',
      examples,
      '--filter',
      '{"eventname":"ConsoleLogin"}',
      ...WINDOW,
      '--out-dir',
      await tmp(),
      '--fail-on-match',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/4 matching CloudTrail events found/);
  });

  it('3: an unreadable object makes the search incomplete, even with --fail-on-match', async () => {
    const dir = await tmp();
    await writeFile(
      path.join(dir, 'good.json'),
      JSON.stringify([{ eventID: 'a', eventName: 'X', eventTime: '2023-07-10T01:00:00Z' }]),
    );
    await writeFile(path.join(dir, 'broken.json'), '{"Records": [ {"eventID": "b"');
    const out = await tmp();
    const run = await runCli(['--source', dir, ...WINDOW, '--out-dir', out, '--fail-on-match']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/broken\.json: not valid JSON/);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ complete: false, matches: 1, failures: [{ key: 'broken.json' }] });
  });

  it('3: a source that cannot be searched at all (bucket unreachable)', async () => {
    const run = await runCli(['--source', 's3://some-bucket/logs', ...WINDOW, '--out-dir', await tmp()], {
      env: { ...NO_AWS, AWS_MAX_ATTEMPTS: '1' },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('invalid input: exit 2, a message naming the field and the fix, no stack trace', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['malformed JSON filter', ['--filter', '{"eventname": "ConsoleLogin"'], /filter/i],
    ['malformed YAML filter', ['--filter', 'eventname: [a, b'], /filter/i],
    [
      'unknown field with a suggestion',
      ['--filter', '{"eventnme":"ConsoleLogin"}'],
      /eventnme.*did you mean.*eventName/i,
    ],
    ['bad regex', ['--filter', '{"eventname|re":"("}'], /eventname\|re/],
    [
      'regex needing backtracking (lookaround)',
      ['--filter', '{"useragent|re":"(?=(a+)+b)"}'],
      /useragent\|re.*lookaround/,
    ],
    ['bad CIDR', ['--filter', '{"sourceipaddress|cidr":"10.0.0.0/33"}'], /cidr/],
    ['unknown modifier', ['--filter', '{"eventname|contans":"x"}'], /contans/],
    ['wrong value type', ['--filter', '{"eventname":{"a":1}}'], /eventname/],
    ['bad region', ['--regions', 'us-east-1,narnia'], /--regions: "narnia" is not an AWS region/],
    ['bad API region', ['--aws-region', 'us east 1'], /--aws-region: "us east 1" is not an AWS region/],
    ['bad account', ['--accounts', '12345'], /--accounts: "12345"/],
    ['negative days', ['--days', '-1'], /--days must be at least 0.01/],
    ['zero days', ['--days', '0'], /--days must be at least 0.01/],
    [
      'since after until',
      ['--since', '2023-07-11T00:00:00Z', '--until', '2023-07-10T00:00:00Z'],
      /--since .* must be before --until/,
    ],
    [
      'window in the future',
      ['--since', '2999-01-01T00:00:00Z', '--until', '2999-01-02T00:00:00Z'],
      /future/,
    ],
    ['bad time', ['--since', 'last tuesday'], /--since must be an ISO-8601 time/],
    ['bad format', ['--format', 'xml'], /format/],
    ['bad engine', ['--engine', 'spark'], /engine/],
    ['unknown flag', ['--regoins', 'us-east-1'], /unknown option '--regoins'.*--regions/s],
    ['half a key pair', ['--aws-access-key-id', 'AKIAEXAMPLE'], /secret access key/],
    ['missing source', ['--no-source-given'], /--source/],
    ['bad s3 location', ['--source', 's3://Bad_Bucket/x'], /--source/],
    ['missing folder', ['--source', '/nonexistent/folder'], /nonexistent/],
    ['athena on a local folder', ['--engine', 'athena'], /Athena/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const hasSource = args.includes('--source') || name === 'missing source';
      const hasWindow = args.some((a) => a === '--since' || a === '--days');
      const argv = [
        ...(hasSource ? [] : ['--source', examples]),
        ...(hasWindow ? [] : WINDOW),
        ...(name === 'missing source' ? [] : args),
        '--out-dir',
        await tmp(),
      ];
      const run = await runCli(argv, { env: NO_AWS });
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe('');
    });
  }

  it('an unreadable config file', async () => {
    const dir = await tmp();
    const missing = await runCli(['--file', path.join(dir, 'missing.yml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read config file .*missing\.yml \(ENOENT\)/);
    const bad = path.join(dir, 'bad.yml');
    await writeFile(bad, 'regions: [us-east-1\n');
    const malformed = await runCli(['--file', bad, '--source', examples]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/bad\.yml is not valid YAML/);
  });

  it("reads the original tool's config file keys, flags overriding them", async () => {
    const dir = await tmp();
    const file = path.join(dir, 'config.json');
    await writeFile(
      file,
      JSON.stringify({
        actionParams: { eventname: 'ConsoleLogin' },
        outputType: 'json',
        outDir: path.join(dir, 'from-file'),
        testId: 'cfg',
      }),
    );
    const run = await runCli(['--file', file, '--source', examples, ...WINDOW, '--outputType', 'jsonl']);
    expect(run.code, run.stderr).toBe(0);
    const lines = (await readFile(path.join(dir, 'from-file', 'cfg-results.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean);
    expect(lines).toHaveLength(4);
  });
});

describe('--dry-run', () => {
  it('writes plan.json with the objects it would read, reading no log data', async () => {
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
    const plan = JSON.parse(await readFile(path.join(out, 'plan.json'), 'utf8'));
    expect(plan.engine).toBe('scan');
    const { execFileSync } = await import('node:child_process');
    // Independently: us-east-1 log files stamped from 00:00 up to 01:00 the next day (lag margin).
    const expected = execFileSync('bash', [
      '-c',
      `cd '${examples}' && find . -path '*/CloudTrail/us-east-1/*' -name '*.json.gz' | sed 's#^./##' | sort`,
    ])
      .toString()
      .split('\n')
      .filter((k) => k && /_(20230710T\d{4}Z|20230711T00\d{2}Z|20230711T0100Z)_/.test(k));
    expect(plan.objects.map((o: { key: string }) => o.key).sort()).toEqual(expected);
    expect(run.stdout).toMatch(/Dry run/);
  });
});
