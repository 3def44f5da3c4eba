/**
 * Fault injection against real servers: the CLI (a child process) reads generated logs from the
 * s3rver harness through a fault-injecting proxy (__tests__/helpers/fault-proxy.ts). Every fault
 * either heals by retrying, and the run returns exactly the events of a fault-free run (the same
 * results file, byte for byte, and the eventIDs jq finds in a local mirror of the objects), or is
 * reported: summary.json lists exactly the objects that could not be read, the run is marked
 * incomplete and exits 3. One Action run proves the gate fails on such a run.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateObjects, type GenerateOptions } from '../../tools/generate/index.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { startFaultProxy, type FaultProxy, type ProxyFaultRule } from '../helpers/fault-proxy.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { runAction } from '../helpers/run-action.js';
import { cloudTrailFiles, inWindow, jqEventIds } from '../helpers/jq.js';

const BUCKET = 'fault-trail';
const ACCOUNT = '210987654321';
const TRAIL: GenerateOptions = {
  seed: 'reliability-faults',
  accounts: [ACCOUNT],
  regions: ['us-east-1', 'eu-west-1'],
  start: '2024-05-01T00:00:00Z',
  hours: 24,
  filesPerHour: 1,
  recordsPerFile: [20, 60],
  globalDuplicateShare: 0.2,
};
const SINCE = '2024-05-01T00:00:00Z';
const UNTIL = '2024-05-02T00:00:00Z';
/** Client idle timeout for these runs: short, so stalled responses cost a second, not a minute. */
const TIMEOUT_MS = '1000';

let server: S3TestServer;
let proxy: FaultProxy;
let mirror: string;
let logKeys: string[];
let baseline: { results: string; ids: string[] };

async function tempDir(name: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `ct-rel-${name}-`));
}

function search(outDir: string, env: Record<string, string>): Promise<CliRun> {
  return runCli(
    [
      // The scan engine's faults: `auto` would first list a sample to estimate each engine's
      // cost, and the listing faults meant for the search would fall on it.
      '--engine',
      'scan',
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
      env: { ...env, CLOUDTRAIL_INVESTIGATE_S3_TIMEOUT_MS: TIMEOUT_MS },
    },
  );
}

/**
 * For faults that never heal: the SDK's own retries off (AWS_MAX_ATTEMPTS=1), so the run tries
 * each object exactly as often as the tool's own retry loop says (4 times), in seconds.
 */
const NO_SDK_RETRIES = { AWS_MAX_ATTEMPTS: '1' };

async function readSummary(dir: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8'));
}

async function resultIds(dir: string): Promise<string[]> {
  const text = await readFile(path.join(dir, 'results.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { eventID: string }).eventID)
    .sort();
}

/** jq over the mirror: every event of the window, leaving out the objects named. */
async function expectedIds(without: string[] = []): Promise<string[]> {
  const skip = new Set(without.map((k) => path.join(mirror, ...k.split('/'))));
  const files = (await cloudTrailFiles(mirror)).filter((f) => !skip.has(f));
  return jqEventIds(files, inWindow(SINCE, UNTIL));
}

/** A log object in the middle of the day, of the region asked for. */
function keyOf(region: string, hour: string): string {
  const key = logKeys.find((k) => k.includes(`/${region}/`) && k.includes(`_20240501T${hour}`));
  if (!key) throw new Error(`no log object of ${region} at ${hour}`);
  return key;
}

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  proxy = await startFaultProxy(server.endpoint, server.env);
  mirror = await tempDir('mirror');
  const objects = [...generateObjects(TRAIL)];
  await server.seed(BUCKET, objects);
  for (const o of objects) {
    const file = path.join(mirror, ...o.key.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, o.body);
  }
  logKeys = objects.filter((o) => o.kind === 'log').map((o) => o.key);

  // The fault-free run, straight to the server: what every healed run must reproduce.
  const dir = await tempDir('baseline');
  const run = await search(dir, server.env);
  expect(run.code, run.stderr).toBe(0);
  baseline = { results: await readFile(path.join(dir, 'results.jsonl'), 'utf8'), ids: await resultIds(dir) };
  expect(baseline.ids).toEqual(await expectedIds());
  expect(baseline.ids.length).toBeGreaterThan(500);
});

afterEach(() => {
  proxy?.clearFaults();
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

describe('transient faults are retried and change nothing', () => {
  const cases: Array<{ name: string; rules: ProxyFaultRule[] }> = [
    {
      name: '503 SlowDown on the first 6 object reads',
      rules: [{ kind: 'SlowDown', operation: 'get', times: 6 }],
    },
    {
      name: '500 InternalError on the first 2 listings and 6 object reads',
      rules: [
        { kind: 'InternalError', operation: 'list', times: 2 },
        { kind: 'InternalError', operation: 'get', times: 6 },
      ],
    },
    {
      name: 'connection reset before the answer, 6 times',
      rules: [{ kind: 'reset', operation: 'get', times: 6 }],
    },
    { name: 'connection reset mid-body, 6 times', rules: [{ kind: 'cut', operation: 'get', times: 6 }] },
    {
      name: 'body truncated (clean close before Content-Length), 6 times',
      rules: [{ kind: 'truncate', operation: 'get', times: 6 }],
    },
    {
      name: 'answer delayed beyond the client timeout, 3 times',
      rules: [{ kind: 'delay', operation: 'get', times: 3, delayMs: 4_000 }],
    },
  ];

  it.each(cases)('$name', async ({ rules }) => {
    for (const rule of rules) proxy.inject(rule);
    const before = proxy.requests.length;
    const dir = await tempDir('transient');
    const run = await search(dir, proxy.env);

    // Every fault was really served...
    const served = proxy.requests.slice(before).filter((r) => r.fault !== undefined).length;
    expect(served).toBe(rules.reduce((n, r) => n + (r.times ?? 0), 0));
    // ...and the run is indistinguishable from the fault-free one.
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'results.jsonl'), 'utf8')).toBe(baseline.results);
    const summary = await readSummary(dir);
    expect(summary.complete).toBe(true);
    expect(summary.failures).toEqual([]);
    expect(summary.matches).toBe(baseline.ids.length);
  });
});

describe('persistent faults are reported, never a silent short result', () => {
  it.each([
    // Transient-looking failures are tried 4 times; bytes that arrive whole but do not decode, once.
    {
      name: '503 SlowDown on every read of one object',
      kind: 'SlowDown' as const,
      region: 'eu-west-1',
      hour: '10',
      reason: /SlowDown/,
      tries: 4,
    },
    {
      name: 'corrupt gzip bytes in one object',
      kind: 'corrupt' as const,
      region: 'us-east-1',
      hour: '12',
      reason: /gzip/,
      tries: 1,
    },
    {
      name: 'one object always answered after the client timeout',
      kind: 'delay' as const,
      region: 'eu-west-1',
      hour: '14',
      reason: /time/i,
      tries: 4,
    },
  ])(
    '$name: exactly that object is listed, the run is incomplete (exit 3)',
    async ({ kind, region, hour, reason, tries }) => {
      const key = keyOf(region, hour);
      proxy.inject({ kind, operation: 'get', key, ...(kind === 'delay' ? { delayMs: 3_000 } : {}) });
      const before = proxy.requests.length;
      const dir = await tempDir(kind);
      const run = await search(dir, { ...proxy.env, ...NO_SDK_RETRIES });

      expect(proxy.requests.slice(before).filter((r) => r.key === key).length).toBe(tries);
      expect(run.code, run.stderr).toBe(3);
      const summary = await readSummary(dir);
      expect(summary.complete).toBe(false);
      expect(summary.failures).toEqual([{ key, reason: expect.stringMatching(reason) }]);
      expect(summary.regionBreakdown.find((r: { region: string }) => r.region === region).status).toBe(
        'incomplete',
      );
      // Every other event is there; none of the unreadable object's (unless delivered twice).
      expect(await resultIds(dir)).toEqual(await expectedIds([key]));
      expect(run.stdout).toMatch(/INCOMPLETE/);
      expect(run.stderr).toContain(key);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('a listing that keeps failing fails the run (exit 3) and says so', async () => {
    proxy.inject({ kind: 'InternalError', operation: 'list', key: /\/eu-west-1\// });
    const before = proxy.requests.length;
    const dir = await tempDir('list');
    const run = await search(dir, { ...proxy.env, ...NO_SDK_RETRIES });

    // Each eu-west-1 listing was tried 4 times before the search gave up.
    const tries = new Map<string, number>();
    for (const r of proxy.requests.slice(before)) {
      if (r.fault === 'InternalError') tries.set(r.prefix!, (tries.get(r.prefix!) ?? 0) + 1);
    }
    expect(tries.size).toBeGreaterThan(0);
    for (const [prefix, n] of tries) expect([prefix, n]).toEqual([expect.stringContaining('/eu-west-1/'), 4]);
    expect(run.code, run.stderr).toBe(3);
    const summary = await readSummary(dir);
    expect(summary.complete).toBe(false);
    expect(summary.failures).toEqual([
      { key: '*', reason: expect.stringMatching(/listing .*eu-west-1.*InternalError/) },
    ]);
    expect(run.stdout).toMatch(/INCOMPLETE/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the Action on a corrupt object (through the proxy)', () => {
  it('fails the gate with fail-on-incomplete: true (exit 3), naming the object', async () => {
    const key = keyOf('us-east-1', '08');
    proxy.inject({ kind: 'corrupt', operation: 'get', key });
    const { AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, ...env } = proxy.env;
    const run = await runAction({
      inputs: {
        source: `s3://${BUCKET}`,
        since: SINCE,
        until: UNTIL,
        'aws-access-key-id': server.env.AWS_ACCESS_KEY_ID!,
        'aws-secret-access-key': server.env.AWS_SECRET_ACCESS_KEY!,
        'aws-region': 'us-east-1',
        'fail-on-incomplete': 'true',
        'upload-artifact': 'false',
      },
      env: { ...env, CLOUDTRAIL_INVESTIGATE_S3_TIMEOUT_MS: TIMEOUT_MS },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    expect(run.outputs.complete).toBe('false');
    expect(Number(run.outputs['match-count'])).toBe((await expectedIds([key])).length);
    const errors = run.commands.filter((c) => c.command === 'error').map((c) => c.message);
    expect(errors.some((m) => m.includes(key))).toBe(true);
    expect(errors.at(-1)).toMatch(
      /^The search was incomplete: 1 object or listing could not be read.*fail-on-incomplete is true/,
    );
    const summary = JSON.parse(await readFile(run.outputs['summary-file']!, 'utf8'));
    expect(summary.failures).toEqual([{ key, reason: expect.stringMatching(/gzip/) }]);
  });
});
