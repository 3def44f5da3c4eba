/**
 * Scheduled audits in incremental mode, end to end: consecutive runs of the shipped CLI and Action
 * against a real S3-protocol server while a writer delivers log files late (events up to an hour
 * older than their file; files that reach the bucket after their stamp, some while a run is going
 * on), with a run skipped, a run killed mid-way and two runs overlapping. Across the runs that
 * advanced the state, every matching event is reported exactly once, and together they equal
 * what `jq` finds in every file delivered since the first run's look-back.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { jqEventIds } from '../helpers/jq.js';
import { repoRoot } from '../helpers/cli.js';
import { runAction } from '../helpers/run-action.js';
import { WATCHED, event, logFile, minutesAgo, mirror, type Delivered } from './fixture.js';

const BUCKET = 'org-trail';
const STATE_BUCKET = 'audit-state';
const STATE = `s3://${STATE_BUCKET}/scheduled/state.json`;
const FILTER = JSON.stringify({ eventName: WATCHED });
const WATCHED_JQ = `(.eventName | IN(${WATCHED.map((n) => JSON.stringify(n)).join(', ')}))`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
}

let s3: S3TestServer;
let work: string;
let mirrorDir: string;
const mirrored: string[] = [];
let runNumber = 0;

async function deliver(...files: Delivered[]): Promise<void> {
  for (const f of files) {
    await s3.put(BUCKET, f.key, f.body);
    mirrored.push(await mirror(mirrorDir, f));
  }
}

/** The shipped CLI as a child process; `onStart` sees it running. */
function cli(extra: string[] = []): { done: Promise<Run>; kill: () => void } {
  const outDir = path.join(work, `run-${++runNumber}`);
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'dist/cli.js'),
      '--source',
      `s3://${BUCKET}`,
      '--filter',
      FILTER,
      '--state',
      STATE,
      '--since',
      '2h',
      '--out-dir',
      outDir,
      '--max-rows',
      '0',
      ...extra,
    ],
    {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: work, ...s3.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, outDir }));
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

async function summaryOf(outDir: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path.join(outDir, 'summary.json'), 'utf8'));
}

async function resultIds(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => String(JSON.parse(l).eventID));
}

async function stateEtag(): Promise<string | undefined> {
  try {
    const out = await s3.client.send(
      new GetObjectCommand({ Bucket: STATE_BUCKET, Key: 'scheduled/state.json' }),
    );
    await out.Body?.transformToString();
    return out.ETag;
  } catch {
    return undefined;
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > 30_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET, STATE_BUCKET] });
  work = await mkdtemp(path.join(os.tmpdir(), 'scheduled-runs-'));
  mirrorDir = path.join(work, 'mirror');
});

afterAll(async () => {
  await s3?.close();
});

describe('consecutive scheduled runs in incremental mode', () => {
  it('report every matching event exactly once across runs, whatever the delivery order', async () => {
    const t0 = Date.now();
    // Before the first run's look-back (2 h): never read by any run, so not expected either.
    const tooOld = logFile('us-east-1', minutesAgo(t0, 180), 12, 1);
    await s3.put(BUCKET, tooOld.key, tooOld.body);

    // Batch A, then run 1 (the first: no state, looks back 2 h).
    const global = event('ConsoleLogin', minutesAgo(t0, 35), 'us-east-1');
    await deliver(
      logFile('us-east-1', minutesAgo(t0, 50), 12, 2),
      logFile('us-east-1', minutesAgo(t0, 30), 12, 3, [global]),
      logFile('eu-west-1', minutesAgo(t0, 10), 12, 4),
    );
    const advanced: Run[] = [];
    const run1 = await cli().done;
    expect(run1.code, run1.stderr).toBe(0);
    expect((await summaryOf(run1.outDir)).incremental).toMatchObject({ firstRun: true, advanced: true });
    advanced.push(run1);

    // Batch B: a file stamped before run 1 that reaches the bucket only now, a copy of an event
    // already reported delivered into another region's folder, and new files. Run 2 is skipped
    // (a dropped schedule): nothing runs.
    await deliver(
      logFile('us-east-1', minutesAgo(t0, 20), 12, 5),
      logFile('eu-west-1', new Date(), 12, 6, [{ ...global, awsRegion: 'us-east-1' }]),
      logFile('us-east-1', new Date(), 12, 7),
    );

    // Batch C, then run 3, killed mid-way: the state must not move.
    await deliver(logFile('us-east-1', new Date(), 12, 8), logFile('eu-west-1', new Date(), 12, 9));
    const before3 = await stateEtag();
    s3.inject({ kind: 'delay', operation: 'get', bucket: BUCKET, ms: 400 });
    const run3 = cli(['--concurrency', '1', '--workers', '0']);
    const seen = s3.requests.length;
    await until(
      () =>
        s3.requests
          .slice(seen)
          .some((r) => r.method === 'GET' && r.bucket === BUCKET && r.key?.endsWith('.json.gz')),
      'run 3 to read an object',
    );
    run3.kill();
    await run3.done;
    expect(await stateEtag()).toBe(before3);

    // Batch D, then runs 4 and 5 at once; a file stamped before they started arrives while they run.
    await deliver(logFile('us-east-1', new Date(), 12, 10));
    const run4 = cli(['--concurrency', '2']);
    const run5 = cli(['--concurrency', '2']);
    await new Promise((r) => setTimeout(r, 1500));
    await deliver(logFile('eu-west-1', minutesAgo(Date.now(), 1), 12, 11));
    const [r4, r5] = await Promise.all([run4.done, run5.done]);
    s3.clearFaults();
    const pair = await Promise.all([r4, r5].map(async (r) => ({ r, s: await summaryOf(r.outDir) })));
    const winners = pair.filter((p) => p.s.incremental.advanced);
    const losers = pair.filter((p) => !p.s.incremental.advanced);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0]!.r.code).toBe(3);
    expect(losers[0]!.s.result).toBe('incomplete');
    expect(losers[0]!.s.failures.map((f: { reason: string }) => f.reason).join(' ')).toMatch(
      /Another run advanced the state/,
    );
    expect(winners[0]!.r.code).toBe(0);
    advanced.push(winners[0]!.r);

    // Batch E, then run 6: the Action, as the runner runs it, on the same state.
    await deliver(
      logFile('us-east-1', new Date(), 12, 12),
      logFile('eu-west-1', minutesAgo(Date.now(), 2), 12, 13),
    );
    const action = await runAction({
      inputs: {
        source: `s3://${BUCKET}`,
        filters: FILTER,
        state: STATE,
        'upload-artifact': 'false',
      },
      env: s3.env,
    });
    expect(action.exitCode, action.stdout).toBe(0);
    expect(action.outputs['state-advanced']).toBe('true');
    expect(['matched', 'clean']).toContain(action.outputs.result);
    advanced.push({ code: 0, stdout: '', stderr: '', outDir: path.dirname(action.outputs['results-file']!) });

    // Run 7: the CLI again picks up what is left.
    await deliver(logFile('us-east-1', new Date(), 12, 14));
    const run7 = await cli().done;
    expect(run7.code, run7.stderr).toBe(0);
    advanced.push(run7);

    const reported = (
      await Promise.all(advanced.map((r) => resultIds(path.join(r.outDir, 'results.jsonl'))))
    ).flat();
    const expected = await jqEventIds(mirrored, WATCHED_JQ);
    expect(expected.length).toBeGreaterThan(20);
    // Exactly once: no event in two runs (nor twice in one), and none missing.
    expect(reported.length).toBe(new Set(reported).size);
    expect([...reported].sort()).toEqual(expected);
    // The copy of an already reported event was recognised and dropped.
    const dropped = await Promise.all(
      advanced.map(async (r) => (await summaryOf(r.outDir)).incremental.eventsAlreadyReported),
    );
    expect(dropped.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
