/**
 * `--trail` with the scan engine, end to end: the CLI looks the trails up in a CloudTrail stand-in
 * speaking the real JSON protocol (`AWS_ENDPOINT_URL_CLOUDTRAIL`), then reads the trail's bucket
 * and prefix from a real S3-protocol server. Expected events come from jq over a local mirror.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateObjects } from '../../tools/generate/index.js';
import { startCloudTrailServer, type CloudTrailServer } from '../helpers/cloudtrail-server.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { runCli } from '../helpers/cli.js';
import { cloudTrailFiles, inWindow, jqEventIds } from '../helpers/jq.js';
import { readJson, readJsonl, writeObjects } from '../athena-integration/fixture.js';

const SINCE = '2024-05-01T04:00:00Z';
const UNTIL = '2024-05-02T20:00:00Z';
const FILTER = '{"eventname":["ConsoleLogin","AssumeRole"]}';
const SELECT = '(.eventName == "ConsoleLogin" or .eventName == "AssumeRole")';
const ARN = 'arn:aws:cloudtrail:us-east-1:111111111111:trail/main';

let s3: S3TestServer;
let cloudtrail: CloudTrailServer;
let mirror: string;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ['audit-bucket'] });
  const objects = [
    ...generateObjects({
      seed: 'scan-trail',
      accounts: ['111111111111', '222222222222'],
      prefix: 'logs/ct',
      regions: ['us-east-1', 'eu-west-1'],
      start: '2024-05-01T00:00:00Z',
      days: 2,
      filesPerHour: 1,
      recordsPerFile: [5, 12],
    }),
  ];
  await s3.seed('audit-bucket', objects);
  mirror = await mkdtemp(path.join(os.tmpdir(), 'ct-trail-mirror-'));
  await writeObjects(mirror, objects);
  cloudtrail = await startCloudTrailServer([
    {
      Name: 'main',
      TrailARN: ARN,
      S3BucketName: 'audit-bucket',
      S3KeyPrefix: 'logs/ct',
      HomeRegion: 'us-east-1',
    },
    // A second trail delivering to the same bucket and prefix (written with a trailing slash).
    {
      Name: 'copy',
      TrailARN: 'arn:aws:cloudtrail:us-east-1:111111111111:trail/copy',
      S3BucketName: 'audit-bucket',
      S3KeyPrefix: 'logs/ct/',
      HomeRegion: 'us-east-1',
    },
  ]);
});

afterAll(async () => {
  await cloudtrail?.close();
  await s3?.close();
});

function env(): Record<string, string> {
  return { ...s3.env, AWS_ENDPOINT_URL_CLOUDTRAIL: cloudtrail.endpoint };
}

async function search(trails: string[]): Promise<{ ids: string[]; summary: Record<string, any> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ct-trail-'));
  const run = await runCli(
    [
      ...trails.flatMap((t) => ['--trail', t]),
      '--engine',
      'scan',
      '--filter',
      FILTER,
      '--since',
      SINCE,
      '--until',
      UNTIL,
      '--out-dir',
      dir,
    ],
    { env: env() },
  );
  expect(run.code, run.stderr).toBe(0);
  const ids = (await readJsonl(path.join(dir, 'results.jsonl'))).map((r) => r.eventID as string).sort();
  return { ids, summary: await readJson<Record<string, any>>(path.join(dir, 'summary.json')) };
}

describe('scan engine with --trail', () => {
  it('looks the trail up with a signed DescribeTrails and finds what jq finds in its bucket and prefix', async () => {
    const before = cloudtrail.requests.length;
    const { ids, summary } = await search(['main']);
    const expected = await jqEventIds(
      await cloudTrailFiles(mirror),
      `${SELECT} and ${inWindow(SINCE, UNTIL)}`,
    );
    expect(expected.length).toBeGreaterThan(5);
    expect(ids).toEqual(expected);
    expect(summary.complete).toBe(true);
    // DescribeTrails to find the logs, then GetTrailStatus to know the trail is alive.
    expect(cloudtrail.requests.slice(before)).toEqual([
      {
        target: 'CloudTrail_20131101.DescribeTrails',
        body: { trailNameList: ['main'], includeShadowTrails: true },
        signed: true,
      },
      { target: 'CloudTrail_20131101.GetTrailStatus', body: { Name: 'main' }, signed: true },
    ]);
  });

  it('two trails delivering to one bucket and prefix: read once (same objects, same events)', async () => {
    const one = await search([ARN]);
    const two = await search(['main', 'copy']);
    expect(two.ids).toEqual(one.ids);
    expect(two.summary.scanned.objects).toBe(one.summary.scanned.objects);
    expect(two.summary.scanned.objects).toBeGreaterThan(0);
  });

  it('an unknown trail: the search fails (exit 3: AWS was asked), naming it and the trails that exist', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ct-trail-'));
    const run = await runCli(
      ['--trail', 'nope', '--engine', 'scan', '--since', SINCE, '--until', UNTIL, '--out-dir', dir],
      { env: env() },
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /error: --trail "nope" was not found in us-east-1\. Trails visible there: (main, copy|copy, main)\./,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const summary = await readJson(path.join(dir, 'summary.json'));
    expect(summary.complete).toBe(false);
    expect(summary.failures).toEqual([{ key: '*', reason: expect.stringContaining('"nope" was not found') }]);
  });
});
