/**
 * `--engine auto` chooses by cost, as a user runs it (the CLI's --dry-run, a child process)
 * against the S3 test server holding the two layouts issue 20 names, built here key by key:
 * one day of a large organization trail (scaled down to 16 files a day per account and region,
 * still 27,200 objects: Athena), and 90 days of one quiet account (scan). Athena is a closed
 * port: a dry run that succeeds made no Athena call. The figures expected come from the layouts
 * as written here, not from the estimate.
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { runCli } from '../helpers/cli.js';
import { readJson, removeTempDirs, tempDir } from '../athena-integration/fixture.js';

const CLOSED = 'http://127.0.0.1:9';
const ORG = 'o-bigorg12345';
const REGIONS = [
  'af-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];
const ORG_ACCOUNTS = Array.from({ length: 100 }, (_, i) => String(200000000000 + i));
const ORG_FILES_PER_DAY = 16;
const QUIET_ACCOUNT = '123456789012';
const BODY = gzipSync('{"Records":[]}');

const pad = (n: number) => String(n).padStart(2, '0');

/** A CloudTrail log file's key, delivered at `t`. */
function logKey(orgId: string | undefined, account: string, region: string, t: Date, n: number): string {
  const day = `${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())}`;
  const stamp = `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}T${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}Z`;
  const org = orgId ? `${orgId}/` : '';
  return `AWSLogs/${org}${account}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${stamp}_${n.toString(36).padStart(16, '0')}.json.gz`;
}

/** `perDay` files a day from `start`, for `days` days, evenly spaced from 00:30. */
function* series(
  orgId: string | undefined,
  account: string,
  region: string,
  start: string,
  days: number,
  perDay: number,
) {
  for (let d = 0; d < days; d++) {
    for (let i = 0; i < perDay; i++) {
      const t = new Date(
        Date.parse(start) + d * 86_400_000 + 30 * 60_000 + Math.floor((i * 86_400_000) / perDay),
      );
      yield { key: logKey(orgId, account, region, t, d * perDay + i), body: BODY };
    }
  }
}

let server: S3TestServer;
let env: Record<string, string>;

/** `server.seed`, several at once over disjoint parts (tens of thousands of small files). */
async function seed(bucket: string, objects: Iterable<{ key: string; body: Uint8Array }>, ways = 8) {
  const all = [...objects];
  await Promise.all(
    Array.from({ length: ways }, (_, k) =>
      server.seed(
        bucket,
        all.filter((_, i) => i % ways === k),
      ),
    ),
  );
}

beforeAll(async () => {
  server = await startS3Server();
  const org = function* () {
    for (const a of ORG_ACCOUNTS)
      for (const r of REGIONS) yield* series(ORG, a, r, '2024-03-01T00:00:00Z', 1, ORG_FILES_PER_DAY);
  };
  await seed('big-org', org());
  const quiet = function* () {
    for (const r of REGIONS)
      yield* series(undefined, QUIET_ACCOUNT, r, '2024-01-01T00:00:00Z', 90, r === 'us-east-1' ? 24 : 2);
  };
  await seed('quiet-account', quiet());
  env = { ...server.env, AWS_ENDPOINT_URL_ATHENA: CLOSED };
}, 600_000);

afterAll(async () => {
  await server?.close();
  await removeTempDirs();
});

interface Plan {
  engine: string;
  engineReason: string;
  engineEstimate: {
    layout: {
      accounts: number;
      regionQueries: number;
      dayFolders: number;
      objects: number;
      sampledFolders: number;
    };
    scan: { seconds: number; dollars: number };
    athena: { seconds: number; dollars: number };
  };
}

describe('--engine auto chooses by estimated cost', () => {
  it('one day of a large organization trail: Athena, and the estimate says why', async () => {
    const dir = await tempDir('auto-big-org');
    const run = await runCli(
      [
        '--source',
        's3://big-org',
        '--engine',
        'auto',
        '--dry-run',
        '--since',
        '2024-03-01T00:00:00Z',
        '--until',
        '2024-03-02T00:00:00Z',
        '--filter',
        '{"eventName":"ConsoleLogin"}',
        '--out-dir',
        dir,
      ],
      { env, timeoutMs: 120_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const plan = await readJson<Plan>(path.join(dir, 'plan.json'));
    expect(plan.engine).toBe('athena');
    expect(plan.engineReason).toMatch(/^auto: Athena is cheaper and faster: scan ~\d+ s, \$[\d.]+ \(/);
    const { layout } = plan.engineEstimate;
    expect(layout.accounts).toBe(100);
    expect(layout.regionQueries).toBe(17);
    // The window's day and the next (late deliveries) for 100 x 17 account-regions.
    expect(layout.dayFolders).toBe(100 * 17 * 2);
    expect(layout.sampledFolders).toBe(24);
    const objects = ORG_ACCOUNTS.length * REGIONS.length * ORG_FILES_PER_DAY;
    expect(layout.objects).toBeGreaterThan(0.6 * objects);
    expect(layout.objects).toBeLessThan(1.6 * objects);
    expect(plan.engineEstimate.athena.seconds).toBeLessThan(plan.engineEstimate.scan.seconds);
    // Printed, too.
    expect(run.stdout).toMatch(/Dry run \(athena, auto: Athena is cheaper and faster/);
  }, 150_000);

  it('90 days of one quiet account: scan', async () => {
    const dir = await tempDir('auto-quiet');
    const run = await runCli(
      [
        '--source',
        's3://quiet-account',
        '--engine',
        'auto',
        '--dry-run',
        '--since',
        '2024-01-01T00:00:00Z',
        '--until',
        '2024-03-31T00:00:00Z',
        '--filter',
        '{"eventName":"ConsoleLogin"}',
        '--out-dir',
        dir,
      ],
      { env, timeoutMs: 120_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const plan = await readJson<Plan & { objects: unknown[] }>(path.join(dir, 'plan.json'));
    expect(plan.engine).toBe('scan');
    // Cheaper: Athena bills 10 MB for each of its 17 queries; about as fast (Athena's start-up
    // against listing 1,547 folders), which depends on this server's latency.
    expect(plan.engineReason).toMatch(/^auto: scan is cheaper\b.*: scan ~\d+ s/);
    const { layout } = plan.engineEstimate;
    expect(layout.accounts).toBe(1);
    expect(layout.regionQueries).toBe(17);
    // 90 days of the window and the next (late deliveries), in 17 regions.
    expect(layout.dayFolders).toBe(17 * 91);
    // The dry run's own plan lists every object: 90 days x (24 + 16 x 2).
    expect(plan.objects).toHaveLength(90 * (24 + 16 * 2));
    expect(run.stdout).toMatch(/Dry run \(scan, auto: scan is cheaper/);
  }, 150_000);
});
