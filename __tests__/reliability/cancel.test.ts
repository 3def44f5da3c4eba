/**
 * Cancellation, as a cancelled workflow or Ctrl-C does it: SIGTERM/SIGINT to the CLI while it
 * waits on a slow S3 (the fault proxy holds the answers for the second half of the day). The run
 * must stop at once, write what it has marked incomplete, exit 3 and leave no temporary file; a
 * second signal quits immediately, leaving nothing at all.
 */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateObjects, type GenerateOptions } from '../../tools/generate/index.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { cloudTrailFiles, inWindow, jqEventIds } from '../helpers/jq.js';
import { startCli, waitFor } from './spawn-cli.js';

const BUCKET = 'slow-trail';
const TRAIL: GenerateOptions = {
  seed: 'reliability-cancel',
  accounts: ['345678901234'],
  regions: ['us-east-1', 'eu-west-1'],
  start: '2024-05-01T00:00:00Z',
  hours: 24,
  filesPerHour: 1,
  recordsPerFile: [20, 40],
};
const SINCE = '2024-05-01T00:00:00Z';
const UNTIL = '2024-05-02T00:00:00Z';
/** us-east-1 objects delivered from noon on: held for a minute (the search stalls on them). */
const SLOW = /\/us-east-1\/2024\/05\/01\/.*_20240501T(1[2-9]|2\d)/;

let server: S3TestServer;
let proxy: FaultProxy;
let expected: string[];

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  proxy = await startFaultProxy(server.endpoint, server.env);
  const objects = [...generateObjects(TRAIL)];
  await server.seed(BUCKET, objects);
  const mirror = await mkdtemp(path.join(os.tmpdir(), 'ct-cancel-mirror-'));
  for (const o of objects) {
    const file = path.join(mirror, ...o.key.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, o.body);
  }
  expected = await jqEventIds(await cloudTrailFiles(mirror), inWindow(SINCE, UNTIL));
});

afterEach(() => proxy?.clearFaults());

afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

/** Starts a search that stalls on the slow objects; resolves once it is waiting on one. */
async function stalledSearch(outDir: string) {
  proxy.inject({ kind: 'delay', operation: 'get', key: SLOW, delayMs: 60_000 });
  const before = proxy.requests.length;
  const started = startCli(
    [
      '--source',
      `s3://${BUCKET}`,
      '--since',
      SINCE,
      '--until',
      UNTIL,
      '--out-dir',
      outDir,
      '--max-rows',
      '0',
    ],
    {
      // The client's own timeout must not end the wait first.
      env: { ...proxy.env, CLOUDTRAIL_INVESTIGATE_S3_TIMEOUT_MS: '120000' },
    },
  );
  await waitFor(
    () => proxy.requests.slice(before).some((r) => r.fault === 'delay'),
    30_000,
    'the search to reach a slow object',
  );
  return started;
}

describe('cancellation', () => {
  it('SIGTERM mid-run: exits 3 promptly, results marked incomplete (cancelled), no temporary file left', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ct-cancel-'));
    const { child, done } = await stalledSearch(dir);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const run = await done;
    const tookMs = Date.now() - signalledAt;

    expect(run.code, run.stderr).toBe(3);
    expect(tookMs).toBeLessThan(5_000);
    expect(run.stderr).toContain('SIGTERM: stopping the search');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // Exactly the two files, under their final names.
    expect((await readdir(dir)).sort()).toEqual(['results.jsonl', 'summary.json']);

    const summary = JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.complete).toBe(false);
    expect(summary.failures).toContainEqual({ key: '*', reason: expect.stringMatching(/cancelled/) });
    // Objects cut off in flight are named as unread (they are among the slow ones or after them).
    for (const f of summary.failures.filter((x: { key: string }) => x.key !== '*')) {
      expect(f.reason).toMatch(/interrupted by SIGTERM/);
    }
    // What was written is a part of the day's events, and says it is only a part.
    const ids = (await readFile(path.join(dir, 'results.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { eventID: string }).eventID);
    expect(ids.length).toBe(summary.matches);
    expect(ids.length).toBeLessThan(expected.length);
    const all = new Set(expected);
    expect(ids.every((id) => all.has(id))).toBe(true);
    expect(run.stdout).toMatch(/INCOMPLETE/);
  });

  it('a second signal quits at once (exit 3) and leaves no file behind', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ct-cancel2-'));
    const { child, done } = await stalledSearch(dir);
    child.kill('SIGTERM');
    child.kill('SIGINT');
    const run = await done;

    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain('again: quitting now');
    // The temporary results file is gone and nothing was published as a result.
    expect(await readdir(dir)).toEqual([]);
  });
});
