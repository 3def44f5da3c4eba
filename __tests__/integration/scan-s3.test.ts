/**
 * The CLI over a real S3-protocol server (s3rver on loopback) holding generated logs in the
 * account and organization layouts, with and without a key prefix, digests, Insight and AWS
 * Config objects mixed in, and one corrupt object. Expected events come from jq over a local
 * mirror of the same objects.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateObjects, type GenerateOptions } from '../../tools/generate/index.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { runCli } from '../helpers/cli.js';
import { cloudTrailFiles, inWindow, jqEventIds } from '../helpers/jq.js';
import { writeObjects } from '../athena-integration/fixture.js';

const ACCOUNT_TRAIL: GenerateOptions = {
  seed: 'it-account',
  accounts: ['111111111111', '222222222222'],
  prefix: 'logs/ct',
  regions: ['us-east-1', 'eu-west-1', 'ap-south-1'],
  start: '2024-03-01T00:00:00Z',
  days: 3,
  filesPerHour: 1,
  recordsPerFile: [5, 15],
  digests: true,
  insights: true,
  foreignObjects: true,
  globalDuplicateShare: 0.3,
};
const ORG_TRAIL: GenerateOptions = {
  seed: 'it-org',
  accounts: ['333333333333', '444444444444'],
  organizationId: 'o-abc123defg',
  regions: ['us-east-1', 'us-west-2'],
  start: '2024-03-01T00:00:00Z',
  days: 2,
  filesPerHour: 1,
  recordsPerFile: [5, 15],
  digests: true,
};
const CORRUPT_KEY =
  'logs/ct/AWSLogs/111111111111/CloudTrail/eu-west-1/2024/03/02/111111111111_CloudTrail_eu-west-1_20240302T1200Z_CORRUPTcorrupt01.json.gz';

/** An object cut to 0 bytes (an interrupted copy, or a log overwritten to hide it). */
const EMPTY_KEY =
  'logs/ct/AWSLogs/222222222222/CloudTrail/eu-west-1/2024/03/02/222222222222_CloudTrail_eu-west-1_20240302T0800Z_EMPTYempty000001.json.gz';

let server: S3TestServer;
let mirror: string;

beforeAll(async () => {
  server = await startS3Server({ buckets: ['trail-bucket', 'org-bucket'] });
  mirror = await mkdtemp(path.join(os.tmpdir(), 'ct-mirror-'));
  for (const [bucket, options] of [
    ['trail-bucket', ACCOUNT_TRAIL],
    ['org-bucket', ORG_TRAIL],
  ] as const) {
    const objects = [...generateObjects(options)];
    await server.seed(bucket, objects);
    await writeObjects(path.join(mirror, bucket), objects);
  }
  // A gzip header followed by garbage, and an empty object: unreadable, in the middle of the window.
  await server.seed('trail-bucket', [
    { key: CORRUPT_KEY, body: Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]) },
    { key: EMPTY_KEY, body: Buffer.alloc(0) },
  ]);
});

afterAll(async () => {
  await server?.close();
});

async function out(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'ct-s3-'));
}

async function results(dir: string): Promise<string[]> {
  const text = await readFile(path.join(dir, 'results.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { eventID: string }).eventID)
    .sort();
}

async function summary(dir: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8'));
}

/** Log files of the mirror, limited to some regions/accounts by their folder. */
async function mirrorFiles(bucket: string, keep: (file: string) => boolean = () => true): Promise<string[]> {
  return (await cloudTrailFiles(path.join(mirror, bucket))).filter(keep);
}

const SINCE = '2024-03-01T06:00:00Z';
const UNTIL = '2024-03-02T18:00:00Z';
const FILTER = '{"eventname":["ConsoleLogin","AssumeRole","GetObject"]}';
const SELECT = '(.eventName == "ConsoleLogin" or .eventName == "AssumeRole" or .eventName == "GetObject")';

describe('scan engine over S3 (account trail with a key prefix)', () => {
  it('finds every matching event, reports the corrupt object and exits 3 (incomplete)', async () => {
    const dir = await out();
    const run = await runCli(
      [
        '--source',
        's3://trail-bucket/logs/ct',
        '--filter',
        FILTER,
        '--since',
        SINCE,
        '--until',
        UNTIL,
        '--out-dir',
        dir,
      ],
      { env: server.env },
    );
    expect(run.code, run.stderr).toBe(3);
    const expected = await jqEventIds(
      await mirrorFiles('trail-bucket'),
      `${SELECT} and ${inWindow(SINCE, UNTIL)}`,
    );
    expect(expected.length).toBeGreaterThan(20);
    expect(await results(dir)).toEqual(expected);
    const s = await summary(dir);
    expect(s.complete).toBe(false);
    // In plan (key) order: account 111111111111's object, then 222222222222's.
    expect(s.failures).toEqual([
      { key: CORRUPT_KEY, reason: expect.stringMatching(/gzip/) },
      { key: EMPTY_KEY, reason: expect.stringMatching(/empty \(0 bytes\)/) },
    ]);
    expect(s.regionBreakdown.find((r: { region: string }) => r.region === 'eu-west-1').status).toBe(
      'incomplete',
    );
    expect(run.stdout).toMatch(/INCOMPLETE/);
    expect(run.stderr).toContain(CORRUPT_KEY);
    expect(run.stderr).toContain(EMPTY_KEY);
  });

  it('fails closed with --fail-on-match when incomplete, and exits 1 when complete with matches', async () => {
    const incomplete = await runCli(
      [
        '--source',
        's3://trail-bucket/logs/ct',
        '--filter',
        FILTER,
        '--since',
        SINCE,
        '--until',
        UNTIL,
        '--out-dir',
        await out(),
        '--fail-on-match',
      ],
      { env: server.env },
    );
    expect(incomplete.code).toBe(3);
    const dir = await out();
    const complete = await runCli(
      [
        '--source',
        's3://trail-bucket/logs/ct',
        '--filter',
        FILTER,
        '--since',
        SINCE,
        '--until',
        UNTIL,
        '--regions',
        'us-east-1,ap-south-1',
        '--out-dir',
        dir,
        '--fail-on-match',
      ],
      { env: server.env },
    );
    expect(complete.code, complete.stderr).toBe(1);
    const expected = await jqEventIds(
      await mirrorFiles('trail-bucket', (f) => /\/CloudTrail\/(us-east-1|ap-south-1)\//.test(f)),
      `${SELECT} and ${inWindow(SINCE, UNTIL)}`,
    );
    expect(await results(dir)).toEqual(expected);
    expect((await summary(dir)).complete).toBe(true);
    expect(complete.stderr).toMatch(new RegExp(`${expected.length} matching CloudTrail events`));
  });

  it('de-duplicates global events delivered into several regions and says how many were dropped', async () => {
    const dir = await out();
    const select = `.eventSource == "iam.amazonaws.com" or .eventSource == "sts.amazonaws.com" or .eventSource == "signin.amazonaws.com"`;
    const run = await runCli(
      [
        '--source',
        's3://trail-bucket/logs/ct',
        '--filter',
        '{"eventsource":["iam.amazonaws.com","sts.amazonaws.com","signin.amazonaws.com"]}',
        '--since',
        SINCE,
        '--until',
        UNTIL,
        '--regions',
        'us-east-1,ap-south-1',
        '--out-dir',
        dir,
      ],
      { env: server.env },
    );
    expect(run.code, run.stderr).toBe(0);
    const files = await mirrorFiles('trail-bucket', (f) => /\/CloudTrail\/(us-east-1|ap-south-1)\//.test(f));
    const unique = await jqEventIds(files, `(${select}) and ${inWindow(SINCE, UNTIL)}`);
    // Every delivered copy, duplicates included (jq without sort -u): count via a second program.
    const { execFile } = await import('node:child_process');
    const total = await new Promise<number>((resolve, reject) =>
      execFile(
        'bash',
        [
          '-c',
          `zcat ${files.map((f) => `'${f}'`).join(' ')} | jq -r '.Records[] | select((${select}) and ${inWindow(SINCE, UNTIL)}) | .eventID' | wc -l`,
        ],
        (err, stdout) => (err ? reject(err) : resolve(Number(stdout.trim()))),
      ),
    );
    expect(total).toBeGreaterThan(unique.length);
    expect(await results(dir)).toEqual(unique);
    const s = await summary(dir);
    expect(s.matches).toBe(unique.length);
    expect(s.duplicatesDropped).toBe(total - unique.length);
  });

  it('reads only the day folders of the window, never digests, Insight or Config objects', async () => {
    server.requests.length = 0;
    const since = '2024-03-02T10:00:00Z';
    const until = '2024-03-02T12:00:00Z';
    const dir = await out();
    const run = await runCli(
      [
        '--source',
        's3://trail-bucket/logs/ct',
        '--since',
        since,
        '--until',
        until,
        '--regions',
        'us-east-1',
        '--out-dir',
        dir,
      ],
      { env: server.env },
    );
    expect(run.code, run.stderr).toBe(0);
    const gets = server.requests.filter((r) => r.method === 'GET' && r.key);
    expect(gets.length).toBeGreaterThan(0);
    for (const g of gets) {
      expect(g.key).toMatch(
        /^logs\/ct\/AWSLogs\/\d{12}\/CloudTrail\/us-east-1\/2024\/03\/02\/\d{12}_CloudTrail_us-east-1_20240302T1[0-3]\d{2}Z_/,
      );
    }
    const listedPrefixes = server.requests.filter(
      (r) => r.method === 'GET' && !r.key && r.query.prefix?.includes('/CloudTrail/us-east-1/'),
    );
    expect(new Set(listedPrefixes.map((r) => r.query.prefix))).toEqual(
      new Set(
        ['111111111111', '222222222222'].map((a) => `logs/ct/AWSLogs/${a}/CloudTrail/us-east-1/2024/03/02/`),
      ),
    );
    const expected = await jqEventIds(
      await mirrorFiles('trail-bucket', (f) => f.includes('/CloudTrail/us-east-1/')),
      inWindow(since, until),
    );
    expect(await results(dir)).toEqual(expected);
  });
});

describe('scan engine over S3 (organization trail, empty prefix)', () => {
  it('finds the accounts under the organization folder and filters by account', async () => {
    const dir = await out();
    const since = '2024-03-01T00:00:00Z';
    const until = '2024-03-03T00:00:00Z';
    const run = await runCli(
      [
        '--source',
        's3://org-bucket',
        '--accounts',
        '444444444444',
        '--filter',
        '{"readonly":false}',
        '--since',
        since,
        '--until',
        until,
        '--out-dir',
        dir,
      ],
      {
        env: server.env,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const expected = await jqEventIds(
      await mirrorFiles('org-bucket', (f) => f.includes('/o-abc123defg/444444444444/CloudTrail/')),
      `.readOnly == false and ${inWindow(since, until)}`,
    );
    expect(expected.length).toBeGreaterThan(10);
    expect(await results(dir)).toEqual(expected);
  });

  it('warns when an asked account or region is not in the location', async () => {
    const run = await runCli(
      [
        '--source',
        's3://org-bucket',
        '--accounts',
        '999999999999',
        '--regions',
        'eu-west-1',
        '--since',
        '2024-03-01T00:00:00Z',
        '--until',
        '2024-03-02T00:00:00Z',
        '--out-dir',
        await out(),
      ],
      { env: server.env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/999999999999/);
    expect(run.stderr).toMatch(/leave out us-east-1/);
  });
});
