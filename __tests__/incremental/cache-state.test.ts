/**
 * `state: cache`: the Action keeps its incremental state in GitHub's Actions cache. Consecutive
 * runs of the shipped Action (each on a fresh runner: a new workspace and RUNNER_TEMP) against a
 * real S3-protocol server and a stand-in of the cache service speaking its protocol to the real
 * `@actions/cache`: the second run reads only what was delivered after the first (checked with
 * jq), two runs that restored the same generation cannot both advance it, and the CLI refuses it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { startCacheServer, type CacheServer } from '../helpers/cache-server.js';
import { jqEventIds } from '../helpers/jq.js';
import { runCli } from '../helpers/cli.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { WATCHED, logFile, minutesAgo, mirror, type Delivered } from './fixture.js';

const BUCKET = 'org-trail';
const FILTER = JSON.stringify({ eventName: WATCHED });
const WATCHED_JQ = `(.eventName | IN(${WATCHED.map((n) => JSON.stringify(n)).join(', ')}))`;
const KEY = /^cloudtrail-investigate-state-[0-9a-f]{20}-(\d{10})$/;

let s3: S3TestServer;
let cacheService: CacheServer;
let mirrorDir: string;

async function deliver(...files: Delivered[]): Promise<string[]> {
  const paths: string[] = [];
  for (const f of files) {
    await s3.put(BUCKET, f.key, f.body);
    paths.push(await mirror(mirrorDir, f));
  }
  return paths;
}

function audit(): Promise<ActionRun> {
  return runAction({
    inputs: {
      source: `s3://${BUCKET}`,
      filters: FILTER,
      state: 'cache',
      since: '2h',
      'upload-artifact': 'false',
    },
    env: { ...s3.env, ...cacheService.env },
  });
}

async function reportedIds(run: ActionRun): Promise<string[]> {
  const text = await readFile(run.outputs['results-file']!, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => String(JSON.parse(l).eventID))
    .sort();
}

const generations = () =>
  cacheService.entries.filter((e) => e.finalized).map((e) => Number(KEY.exec(e.key)?.[1]));

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
  cacheService = await startCacheServer();
  mirrorDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'cache-state-')), 'mirror');
});

afterAll(async () => {
  await s3?.close();
  await cacheService?.close();
});

describe('state: cache (the Action)', () => {
  it('continues from run to run through the cache, each event once; overlapping runs cannot both advance it', async () => {
    const t0 = Date.now();
    const batchA = await deliver(
      logFile('us-east-1', minutesAgo(t0, 50), 12, 2),
      logFile('eu-west-1', minutesAgo(t0, 10), 12, 4),
    );
    const run1 = await audit();
    expect(run1.exitCode, run1.stdout).toBe(0);
    expect(run1.outputs['state-advanced']).toBe('true');
    const summary1 = JSON.parse(await readFile(run1.outputs['summary-file']!, 'utf8'));
    expect(summary1.incremental).toMatchObject({ firstRun: true, advanced: true });
    expect(generations()).toEqual([1]);
    // The file the cache archived is gone from the runner's workspace.
    expect(existsSync(path.join(run1.workspace, '.cloudtrail-investigate-state'))).toBe(false);

    // A file stamped before run 1 that reaches the bucket only now, and a new one.
    const batchB = await deliver(
      logFile('us-east-1', minutesAgo(Date.now(), 0.5), 12, 5),
      logFile('us-east-1', new Date(), 12, 6),
    );
    const run2 = await audit();
    expect(run2.exitCode, run2.stdout).toBe(0);
    expect(run2.outputs['state-advanced']).toBe('true');
    const summary2 = JSON.parse(await readFile(run2.outputs['summary-file']!, 'utf8'));
    expect(summary2.incremental).toMatchObject({ firstRun: false, advanced: true });
    expect(generations()).toEqual([1, 2]);
    const keys = cacheService.entries.map((e) => e.key);
    expect(keys[1]!.slice(0, -10)).toBe(keys[0]!.slice(0, -10));

    // Each run reported exactly what was delivered for it: run 2 only the files after run 1.
    expect(await reportedIds(run1)).toEqual(await jqEventIds(batchA, WATCHED_JQ));
    expect(await reportedIds(run2)).toEqual(await jqEventIds(batchB, WATCHED_JQ));
    expect((await jqEventIds(batchB, WATCHED_JQ)).length).toBeGreaterThan(0);

    // Runs 3 and 4 at once, each read slowed down: both restore generation 2 before either saves.
    await deliver(logFile('us-east-1', new Date(), 12, 7), logFile('eu-west-1', new Date(), 12, 8));
    s3.inject({ kind: 'delay', operation: 'get', bucket: BUCKET, ms: 1500 });
    const [run3, run4] = await Promise.all([audit(), audit()]);
    s3.clearFaults();
    for (const run of [run3, run4]) expect(run.stdout).toContain(`Cache hit for restore-key: ${keys[1]}`);
    const winners = [run3, run4].filter((r) => r.outputs['state-advanced'] === 'true');
    const losers = [run3, run4].filter((r) => r.outputs['state-advanced'] !== 'true');
    expect(winners).toHaveLength(1);
    expect(winners[0]!.exitCode, winners[0]!.stdout).toBe(0);
    expect(losers).toHaveLength(1);
    const loser = losers[0]!;
    expect(loser.exitCode, loser.stdout).toBe(3);
    expect(loser.outputs.result).toBe('incomplete');
    expect(loser.outputs['state-advanced']).toBe('false');
    const failures = JSON.parse(await readFile(loser.outputs['summary-file']!, 'utf8')).failures;
    expect(failures.map((f: { reason: string }) => f.reason).join(' ')).toMatch(
      /Another run advanced the state in the GitHub Actions cache/,
    );
    // Only the winner's generation exists.
    expect(generations()).toEqual([1, 2, 3]);
  }, 180_000);

  it('a save the cache refuses for another reason fails the run (exit 5), never passes for a conflict', async () => {
    const late = await deliver(logFile('us-east-1', new Date(), 12, 9));
    const before = cacheService.entries.length;
    cacheService.denyWrites(true);
    const run = await audit().finally(() => cacheService.denyWrites(false));
    expect(run.exitCode, run.stdout).toBe(5);
    expect(run.outputs.result).toBe('error');
    expect(run.outputs['state-advanced']).toBe('false');
    const message = run.commands.find((c) => c.command === 'error')?.message ?? '';
    expect(message).toMatch(/Could not save the state to the GitHub Actions cache/);
    expect(message).not.toMatch(/Another run/);
    expect(cacheService.entries.length).toBe(before);

    // The state did not move: the next run reads that delivery.
    const next = await audit();
    expect(next.exitCode, next.stdout).toBe(0);
    expect(next.outputs['state-advanced']).toBe('true');
    expect(await reportedIds(next)).toEqual(await jqEventIds(late, WATCHED_JQ));
  }, 60_000);

  it('is refused where the cache service is missing or read-only, and by the CLI (exit 2)', async () => {
    const action = await runAction({
      inputs: { source: `s3://${BUCKET}`, state: 'cache', 'upload-artifact': 'false' },
      env: s3.env,
    });
    expect(action.exitCode).toBe(2);
    expect(action.outputs.result).toBe('invalid-input');
    expect(action.commands.find((c) => c.command === 'error')?.message).toMatch(
      /Invalid input `state`:.*GitHub Actions cache/,
    );

    // A read-only cache (a pull request from a fork) could never advance the state.
    const readOnly = await runAction({
      inputs: { source: `s3://${BUCKET}`, state: 'cache', 'upload-artifact': 'false' },
      env: { ...s3.env, ...cacheService.env, ACTIONS_CACHE_MODE: 'read' },
    });
    expect(readOnly.exitCode).toBe(2);
    expect(readOnly.commands.find((c) => c.command === 'error')?.message).toMatch(
      /Invalid input `state`:.*ACTIONS_CACHE_MODE=read/,
    );

    const cli = await runCli(['--source', `s3://${BUCKET}`, '--state', 'cache'], {
      env: { ...s3.env, ...cacheService.env },
      bundle: true,
    });
    expect(cli.code, cli.stderr).toBe(2);
    expect(cli.stderr).toMatch(/--state cache .*only the Action/);
  }, 60_000);
});
