/**
 * Runs that must not pass as clean, and outcomes a workflow can read: each `no-logs` cause (a
 * wrong prefix, a window without logs, an asked region without logs, a stale location, a trail
 * that is stopped or reports a delivery error), the trail status in summary.json, the state's
 * refusals, and every `result` value set on its path by the shipped CLI and Action.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { runAction } from '../helpers/run-action.js';
import { startCloudTrailServer, type CloudTrailServer } from '../helpers/cloudtrail-server.js';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { FileStateStore } from '../../src/state/store.js';
import { StateConflictError } from '../../src/state/store.js';
import { defaultArtifactName } from '../../src/config/action-inputs.js';
import { WATCHED, logFile, minutesAgo, mirror } from './fixture.js';

const BUCKET = 'trail-bucket';
const FILTER = JSON.stringify({ eventName: WATCHED });
let s3: S3TestServer;
let cloudtrail: CloudTrailServer;
let artifacts: ArtifactServer;
let work: string;
let n = 0;

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun & { summary?: any }> {
  const outDir = path.join(work, `out-${++n}`);
  const run = await runCli([...args, '--out-dir', outDir, '--max-rows', '0'], {
    bundle: true,
    cwd: work,
    env: { ...s3.env, AWS_ENDPOINT_URL_CLOUDTRAIL: cloudtrail.endpoint, ...env },
  });
  const summary = await readFile(path.join(outDir, 'summary.json'), 'utf8').then(JSON.parse, () => undefined);
  return { ...run, summary };
}

const TRAIL_ARN = (name: string) => `arn:aws:cloudtrail:us-east-1:111122223333:trail/${name}`;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET, 'stale-bucket', 'state-bucket'] });
  work = await mkdtemp(path.join(os.tmpdir(), 'outcomes-'));
  const now = Date.now();
  // Fresh logs in us-east-1 only; a stale bucket whose newest file is 5 hours old.
  for (const f of [
    logFile('us-east-1', minutesAgo(now, 40), 9, 1),
    logFile('us-east-1', minutesAgo(now, 10), 9, 2),
  ]) {
    await s3.put(BUCKET, f.key, f.body);
  }
  for (const f of [
    logFile('us-east-1', minutesAgo(now, 400), 9, 3),
    logFile('us-east-1', minutesAgo(now, 300), 9, 4),
  ]) {
    await s3.put('stale-bucket', f.key, f.body);
  }
  const trail = (name: string, extra: object) => ({
    Name: name,
    TrailARN: TRAIL_ARN(name),
    S3BucketName: BUCKET,
    HomeRegion: 'us-east-1',
    ...extra,
  });
  cloudtrail = await startCloudTrailServer([
    trail('alive', { Status: { IsLogging: true, LatestDeliveryTime: minutesAgo(now, 10) } }),
    trail('stopped', {
      Status: {
        IsLogging: false,
        LatestDeliveryTime: minutesAgo(now, 10),
        StopLoggingTime: minutesAgo(now, 8),
      },
    }),
    trail('failing', {
      Status: {
        IsLogging: true,
        LatestDeliveryTime: minutesAgo(now, 10),
        LatestDeliveryError: 'AccessDenied',
      },
    }),
    trail('secret', { statusDenied: true }),
  ]);
  artifacts = await startArtifactServer();
});

afterAll(async () => {
  await s3?.close();
  await cloudtrail?.close();
  await artifacts?.close();
});

describe('no-logs: the CLI never calls a blind run clean', () => {
  it('a wrong prefix: exit 4 with --fail-on-match, a warning and exit 0 without', async () => {
    const gate = await cli(['--source', `s3://${BUCKET}/wrong-prefix`, '--since', '1h', '--fail-on-match']);
    expect(gate.code, gate.stderr).toBe(4);
    expect(gate.summary.result).toBe('no-logs');
    expect(gate.summary.complete).toBe(true);
    expect(gate.summary.noLogs.join(' ')).toMatch(
      /No CloudTrail log file was delivered to s3:\/\/trail-bucket\/wrong-prefix/,
    );
    expect(gate.stdout).toMatch(/Result: no-logs/);
    const watch = await cli(['--source', `s3://${BUCKET}/wrong-prefix`, '--since', '1h']);
    expect(watch.code).toBe(0);
    expect(watch.summary.result).toBe('no-logs');
    expect(watch.stderr).toMatch(/warning: No CloudTrail log file was delivered/);
    const optOut = await cli([
      '--source',
      `s3://${BUCKET}/wrong-prefix`,
      '--since',
      '1h',
      '--fail-on-match',
      '--no-fail-on-no-logs',
    ]);
    expect(optOut.code).toBe(0);
  });

  it('a window with no logs', async () => {
    const r = await cli([
      '--source',
      `s3://${BUCKET}`,
      '--since',
      '30h',
      '--until',
      '26h',
      '--fail-on-match',
    ]);
    expect(r.code).toBe(4);
    expect(r.summary.noLogs[0]).toMatch(/No CloudTrail log file was delivered/);
  });

  it('an asked region without logs, beside one with logs', async () => {
    const r = await cli([
      '--source',
      `s3://${BUCKET}`,
      '--since',
      '1h',
      '--regions',
      'us-east-1,ap-south-1',
      '--fail-on-match',
      '--filter',
      '{"eventName":"NoSuchCall"}',
    ]);
    expect(r.code).toBe(4);
    expect(r.summary.noLogs).toEqual([
      expect.stringMatching(/No log file of region ap-south-1 was delivered/),
    ]);
    const fine = await cli([
      '--source',
      `s3://${BUCKET}`,
      '--since',
      '1h',
      '--regions',
      'us-east-1',
      '--fail-on-match',
      '--filter',
      '{"eventName":"NoSuchCall"}',
    ]);
    expect(fine.code, fine.stderr).toBe(0);
    expect(fine.summary.result).toBe('clean');
    expect(fine.summary.noLogs).toEqual([]);
  });

  it('a location whose newest file is older than max-delivery-delay', async () => {
    const r = await cli([
      '--source',
      's3://stale-bucket',
      '--since',
      '6h',
      '--fail-on-match',
      '--filter',
      '{"eventName":"NoSuchCall"}',
    ]);
    expect(r.code).toBe(4);
    expect(r.summary.noLogs).toEqual([
      expect.stringMatching(/newest log file in s3:\/\/stale-bucket was delivered at .*, 5 h before/),
    ]);
    const relaxed = await cli([
      '--source',
      's3://stale-bucket',
      '--since',
      '6h',
      '--fail-on-match',
      '--max-delivery-delay',
      '6h',
      '--filter',
      '{"eventName":"NoSuchCall"}',
    ]);
    expect(relaxed.code).toBe(0);
  });

  it('trails: a stopped trail and a delivery error are no-logs; an unreadable status is said, not failed', async () => {
    const alive = await cli([
      '--trail',
      'alive',
      '--since',
      '1h',
      '--fail-on-match',
      '--filter',
      '{"eventName":"NoSuchCall"}',
    ]);
    expect(alive.code, alive.stderr).toBe(0);
    expect(alive.summary.trailStatus).toEqual([expect.objectContaining({ trail: 'alive', isLogging: true })]);
    const stopped = await cli([
      '--trail',
      'stopped',
      '--since',
      '1h',
      '--fail-on-match',
      '--filter',
      '{"eventName":"NoSuchCall"}',
    ]);
    expect(stopped.code).toBe(4);
    expect(stopped.summary.trailStatus[0]).toMatchObject({ trail: 'stopped', isLogging: false });
    expect(stopped.summary.noLogs).toEqual([
      expect.stringMatching(/^Trail stopped is not logging \(stopped at /),
    ]);
    const failing = await cli([
      '--trail',
      'failing',
      '--since',
      '1h',
      '--fail-on-match',
      '--filter',
      '{"eventName":"NoSuchCall"}',
    ]);
    expect(failing.code).toBe(4);
    expect(failing.summary.noLogs).toEqual(['Trail failing reports a delivery error: AccessDenied.']);
    const secret = await cli([
      '--trail',
      'secret',
      '--since',
      '1h',
      '--fail-on-match',
      '--filter',
      '{"eventName":"NoSuchCall"}',
    ]);
    expect(secret.code).toBe(0);
    expect(secret.summary.trailStatus[0].error).toMatch(/cloudtrail:GetTrailStatus/);
    expect(secret.stderr).toMatch(/status unknown/);
    expect(
      cloudtrail.requests
        .filter((r) => r.target === 'CloudTrail_20131101.GetTrailStatus')
        .every((r) => r.signed),
    ).toBe(true);
  });
});

describe('the state refuses what it cannot continue', () => {
  it('a state written by another search, a damaged one, --until or Athena with --state: exit 2 naming --state', async () => {
    const state = path.join(work, 'state.json');
    const first = await cli(['--source', `s3://${BUCKET}`, '--state', state, '--filter', FILTER]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary.incremental).toMatchObject({ advanced: true, firstRun: true });
    const other = await cli([
      '--source',
      `s3://${BUCKET}`,
      '--state',
      state,
      '--filter',
      '{"eventName":"Other"}',
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /state .*state\.json belongs to another search .*filter \{"eventName":\["StopLogging"/,
    );
    expect(other.stderr).toMatch(/its own --state/);
    const damaged = path.join(work, 'damaged.json');
    await writeFile(damaged, '{"format":"something else"}');
    const bad = await cli(['--source', `s3://${BUCKET}`, '--state', damaged]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/does not hold a cloudtrail-investigate state/);
    const untilGiven = await cli(['--source', `s3://${BUCKET}`, '--state', state, '--until', '1h']);
    expect(untilGiven.code).toBe(2);
    expect(untilGiven.stderr).toMatch(/--until cannot be used with --state/);
  });

  it('a file state saved by another run since it was loaded is a conflict, not an overwrite', async () => {
    const file = path.join(work, 'race', 'state.json');
    await mkdir(path.dirname(file), { recursive: true });
    const store = new FileStateStore(file);
    const loaded = await store.load();
    expect(loaded.state).toBeUndefined();
    const doc = (through: string) => ({
      format: 'cloudtrail-investigate/state' as const,
      version: 1 as const,
      fingerprint: 'f',
      describes: 'd',
      through,
      marginMs: 0,
      handled: {},
      reported: [],
      newestDelivery: null,
      runs: 1,
      updatedAt: through,
    });
    await store.save(doc('2026-12-07T01:00:00.000Z'), loaded.version);
    await expect(store.save(doc('2026-12-07T02:00:00.000Z'), loaded.version)).rejects.toBeInstanceOf(
      StateConflictError,
    );
    expect(JSON.parse(await readFile(file, 'utf8')).through).toBe('2026-12-07T01:00:00.000Z');
    const again = await store.load();
    await store.save(doc('2026-12-07T03:00:00.000Z'), again.version);
    expect(JSON.parse(await readFile(file, 'utf8')).through).toBe('2026-12-07T03:00:00.000Z');
  });
});

describe('local folders in incremental mode: delivery from the file name stamp', () => {
  it('a file copied in late is read by the next run, nothing twice', async () => {
    const folder = path.join(work, 'local-logs');
    const now = Date.now();
    const a = logFile('us-east-1', minutesAgo(now, 30), 15, 21);
    const b = logFile('us-east-1', minutesAgo(now, 20), 15, 22);
    const late = logFile('eu-west-1', minutesAgo(now, 25), 15, 23);
    await mirror(folder, a);
    await mirror(folder, b);
    const state = path.join(work, 'local-state.json');
    const args = ['--source', folder, '--state', state, '--filter', FILTER];
    const ids = async (dir: string) =>
      (await readFile(path.join(dir, 'results.jsonl'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).eventID);
    const r1 = await cli(args);
    expect(r1.code, r1.stderr).toBe(0);
    const first = await ids(path.join(work, `out-${n}`));
    await mirror(folder, late);
    const r2 = await cli(args);
    expect(r2.code, r2.stderr).toBe(0);
    const second = await ids(path.join(work, `out-${n}`));
    expect(r2.summary.incremental.filesAlreadyHandled).toBe(2);
    const watchedIn = (f: ReturnType<typeof logFile>) =>
      (JSON.parse(gunzipSync(f.body).toString()).Records as any[])
        .filter((r) => WATCHED.includes(r.eventName))
        .map((r) => r.eventID);
    expect(first.sort()).toEqual([...watchedIn(a), ...watchedIn(b)].sort());
    expect(second.sort()).toEqual(watchedIn(late).sort());
    // A dry run plans what the next run would read: nothing handled again, only the new file.
    const next = logFile('us-east-1', minutesAgo(Date.now(), 1), 5, 24);
    await mirror(folder, next);
    const dry = await cli([...args, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(await readFile(path.join(work, `out-${n}`, 'plan.json'), 'utf8'));
    expect(plan.objects.map((o: { key: string }) => o.key)).toEqual([next.key]);
  });
});

describe('the Action sets its outputs on every path', () => {
  const base = { source: `s3://${BUCKET}`, since: '1h', 'upload-artifact': 'false' };
  const run = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
    runAction({ inputs: { ...base, ...inputs }, env: { ...s3.env, ...env } });

  it('clean, matched, no-logs, invalid-input, error and incomplete', async () => {
    const clean = await run({ filters: '{"eventName":"NoSuchCall"}', 'fail-on-match': 'true' });
    expect(clean.exitCode, clean.stdout).toBe(0);
    expect(clean.outputs).toMatchObject({
      result: 'clean',
      matched: 'false',
      complete: 'true',
      'gate-matches': '0',
      'state-advanced': 'false',
    });

    const matched = await run({ filters: FILTER, 'fail-on-match': 'true' });
    expect(matched.exitCode).toBe(1);
    expect(matched.outputs).toMatchObject({ result: 'matched', matched: 'true', complete: 'true' });
    expect(Number(matched.outputs['gate-matches'])).toBeGreaterThan(0);

    const blind = await run({ source: `s3://${BUCKET}/nothing-here`, 'fail-on-match': 'true' });
    expect(blind.exitCode).toBe(4);
    expect(blind.outputs).toMatchObject({ result: 'no-logs', matched: 'false', complete: 'true' });
    expect(
      blind.commands.some((c) => c.command === 'error' && /No logs where logs were expected/.test(c.message)),
    ).toBe(true);

    const invalid = await run({ filters: '{"eventNmae": "x"}' });
    expect(invalid.exitCode).toBe(2);
    expect(invalid.outputs).toMatchObject({
      result: 'invalid-input',
      matched: 'false',
      complete: 'false',
      'match-count': '0',
    });

    s3.inject({ kind: 'AccessDenied', operation: 'get', bucket: 'state-bucket' });
    const error = await run({ filters: FILTER, state: 's3://state-bucket/state.json' });
    s3.clearFaults();
    expect(error.exitCode).toBe(5);
    expect(error.outputs).toMatchObject({ result: 'error', complete: 'false', 'state-advanced': 'false' });

    const corrupt = logFile('us-east-1', minutesAgo(Date.now(), 5), 3, 9);
    await s3.put(BUCKET, corrupt.key, Buffer.from('not gzip at all'));
    const incomplete = await run({ filters: FILTER, 'fail-on-match': 'true' });
    expect(incomplete.exitCode).toBe(3);
    expect(incomplete.outputs).toMatchObject({ result: 'incomplete', complete: 'false' });
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: corrupt.key }));
  });

  it('default artifact names differ across matrix legs and re-runs; a name already taken fails the step', async () => {
    const ctx = { runnerTemp: '/tmp', runId: '42', job: 'audit', attempt: '1' };
    const names = new Set([
      defaultArtifactName({ ...ctx, jobIndex: '0' }),
      defaultArtifactName({ ...ctx, jobIndex: '1' }),
      defaultArtifactName({ ...ctx, jobIndex: '0', attempt: '2' }),
    ]);
    expect(names.size).toBe(3);
    const leg = (index: string) =>
      runAction({
        inputs: { ...base, filters: FILTER, 'upload-artifact': 'true', 'job-index': index },
        env: { ...s3.env, ...artifacts.env },
        runId: '9000000042',
      });
    const leg0 = await leg('0');
    const leg1 = await leg('1');
    expect(leg0.exitCode, leg0.stdout).toBe(0);
    expect(leg1.exitCode, leg1.stdout).toBe(0);
    expect(leg0.outputs['artifact-id']).not.toBe(leg1.outputs['artifact-id']);
    // The same leg again in the same attempt (the action twice in one job): an error, not a lost artifact.
    const again = await leg('0');
    expect(again.exitCode).toBe(5);
    expect(again.outputs.result).toBe('error');
    expect(again.commands.some((c) => c.command === 'error' && /could not be uploaded/.test(c.message))).toBe(
      true,
    );
  });
});
