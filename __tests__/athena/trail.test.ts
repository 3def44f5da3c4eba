/**
 * Trail discovery: DescribeTrails (by name in the configured region, by ARN in its own region),
 * GetBucketLocation's odd answers, the AWSLogs/ layout (account and organization trails, empty
 * prefix), and errors naming the permission or the name that is wrong.
 */
import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { GetBucketLocationCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, SearchError } from '../../src/errors.js';
import { S3Store } from '../../src/source/s3-store.js';
import {
  describeTrail,
  getBucketRegion,
  resolveLocations,
  trailTargets,
  type DiscoveryDeps,
} from '../../src/source/trail.js';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' };
const ct = mockClient(CloudTrailClient);
const s3 = mockClient(S3Client);

/** Keys present in the bucket; ListObjectsV2 with Delimiter '/' answers their folders. */
function bucketWith(keys: string[]): void {
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; Delimiter?: string }) => {
    const prefix = input.Prefix ?? '';
    const folders = new Set<string>();
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash !== -1) folders.add(prefix + rest.slice(0, slash + 1));
    }
    return { CommonPrefixes: [...folders].sort().map((Prefix) => ({ Prefix })), IsTruncated: false };
  });
}

const regionsAsked: string[] = [];
function deps(): DiscoveryDeps {
  return {
    cloudtrail: (region) => {
      regionsAsked.push(region);
      return new CloudTrailClient({ region, credentials: creds });
    },
    s3: (region) => new S3Client({ region, credentials: creds }),
    // The SDK's S3 calls are mocked here: the store must make them through the SDK.
    store: (bucket, region) =>
      new S3Store({ client: new S3Client({ region, credentials: creds }), bucket, reads: 'sdk' }),
    defaultRegion: 'eu-central-1',
  };
}

beforeEach(() => {
  ct.reset();
  s3.reset();
  regionsAsked.length = 0;
});
afterEach(() => {
  ct.reset();
  s3.reset();
});

const denied = (name: string) =>
  Object.assign(new Error('User is not authorized'), { name, $metadata: { httpStatusCode: 403 } });

describe('describeTrail', () => {
  it('looks a name up in the configured region, shadow trails included', async () => {
    ct.on(DescribeTrailsCommand).resolves({
      trailList: [
        {
          Name: 'main',
          TrailARN: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main',
          S3BucketName: 'b',
          S3KeyPrefix: 'p/',
          HomeRegion: 'us-east-1',
          IsOrganizationTrail: true,
        },
      ],
    });
    const trail = await describeTrail('main', deps());
    expect(regionsAsked).toEqual(['eu-central-1']);
    expect(ct.commandCalls(DescribeTrailsCommand)[0]?.args[0].input).toEqual({
      trailNameList: ['main'],
      includeShadowTrails: true,
    });
    expect(trail).toEqual({
      name: 'main',
      arn: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main',
      bucket: 'b',
      prefix: 'p',
      homeRegion: 'us-east-1',
    });
  });

  it("asks an ARN's own region", async () => {
    ct.on(DescribeTrailsCommand).resolves({
      trailList: [
        {
          Name: 't',
          TrailARN: 'arn:aws:cloudtrail:ap-south-1:111122223333:trail/t',
          S3BucketName: 'b',
          HomeRegion: 'ap-south-1',
        },
      ],
    });
    const trail = await describeTrail('arn:aws:cloudtrail:ap-south-1:111122223333:trail/t', deps());
    expect(regionsAsked).toEqual(['ap-south-1']);
    expect(trail.prefix).toBe('');
  });

  it('an unknown name lists the trails that exist', async () => {
    ct.on(DescribeTrailsCommand, { trailNameList: ['nope'], includeShadowTrails: true }).resolves({
      trailList: [],
    });
    ct.on(DescribeTrailsCommand, { includeShadowTrails: true }).resolves({
      trailList: [{ Name: 'org-trail' }, { Name: 'audit' }],
    });
    const err = await describeTrail('nope', deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(String(err)).toMatch(/"nope" was not found in eu-central-1.*audit, org-trail/);
  });

  it('access denied names cloudtrail:DescribeTrails and the --source alternative', async () => {
    ct.on(DescribeTrailsCommand).rejects(denied('AccessDeniedException'));
    await expect(describeTrail('main', deps())).rejects.toThrow(/cloudtrail:DescribeTrails.*--source/s);
  });
});

describe('trailTargets', () => {
  it('several trails delivering to one bucket and prefix give it once, with the first trail', async () => {
    const trails = [
      { Name: 'a', S3BucketName: 'shared', S3KeyPrefix: 'ct', HomeRegion: 'us-east-1' },
      { Name: 'b', S3BucketName: 'other', HomeRegion: 'us-east-1' },
      { Name: 'c', S3BucketName: 'shared', S3KeyPrefix: 'ct/', HomeRegion: 'us-east-1' },
    ];
    ct.on(DescribeTrailsCommand).callsFake((input: { trailNameList: string[] }) => ({
      trailList: trails.filter((t) => input.trailNameList.includes(t.Name)),
    }));
    const targets = await trailTargets(['a', 'b', 'c'], deps());
    expect(targets.map((t) => [t.bucket, t.prefix, t.trail.name])).toEqual([
      ['shared', 'ct', 'a'],
      ['other', '', 'b'],
    ]);
  });
});

describe('getBucketRegion', () => {
  it.each([
    [undefined, 'us-east-1'],
    ['', 'us-east-1'],
    ['EU', 'eu-west-1'],
    ['ap-southeast-2', 'ap-southeast-2'],
  ])('LocationConstraint %j -> %s', async (constraint, region) => {
    s3.on(GetBucketLocationCommand).resolves(
      constraint === undefined ? {} : { LocationConstraint: constraint as never },
    );
    expect(await getBucketRegion(new S3Client({ region: 'us-east-1', credentials: creds }), 'b')).toBe(
      region,
    );
  });

  it('access denied names s3:GetBucketLocation', async () => {
    s3.on(GetBucketLocationCommand).rejects(
      Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
    );
    const err = await getBucketRegion(new S3Client({ region: 'us-east-1', credentials: creds }), 'b').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SearchError);
    expect(String(err)).toContain('s3:GetBucketLocation');
  });
});

describe('resolveLocations', () => {
  it('an organization trail: the o- folder, its accounts and their regions', async () => {
    ct.on(DescribeTrailsCommand).resolves({
      trailList: [
        {
          Name: 'org',
          S3BucketName: 'org-bucket',
          S3KeyPrefix: 'ct',
          HomeRegion: 'us-east-1',
          IsOrganizationTrail: true,
        },
      ],
    });
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'EU' });
    bucketWith([
      'ct/AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2024/03/01/x.json.gz',
      'ct/AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/2024/03/01/x.json.gz',
      'ct/AWSLogs/o-abc123def4/444455556666/CloudTrail/us-east-1/2024/03/01/x.json.gz',
      'ct/AWSLogs/o-abc123def4/444455556666/CloudTrail-Digest/us-east-1/2024/03/01/x.json.gz',
      'ct/AWSLogs/o-abc123def4/444455556666/CloudTrail/ap-south-1/2024/03/01/x.json.gz',
    ]);
    const [location] = await resolveLocations({ kind: 'trail', trails: ['org'] }, 'all', deps());
    expect(location).toMatchObject({
      bucket: 'org-bucket',
      prefix: 'ct',
      bucketRegion: 'eu-west-1',
      orgId: 'o-abc123def4',
      accounts: ['111122223333', '444455556666'],
      regions: ['ap-south-1', 'eu-west-1', 'us-east-1'],
      description: 's3://org-bucket/ct',
    });
  });

  it('--source s3:// with an empty prefix needs no CloudTrail call; asked accounts without logs are reported', async () => {
    s3.on(GetBucketLocationCommand).resolves({});
    bucketWith([
      'AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/x.json.gz',
      'AWSLogs/111122223333/Config/x',
    ]);
    const [location] = await resolveLocations(
      { kind: 's3', bucket: 'b', prefix: '' },
      ['111122223333', '999988887777'],
      deps(),
    );
    expect(ct.calls()).toHaveLength(0);
    expect(location).toMatchObject({
      bucketRegion: 'us-east-1',
      accounts: ['111122223333'],
      regions: ['us-east-1'],
    });
    expect(location?.orgId).toBeUndefined();
    expect(location?.warnings.join(' ')).toContain('999988887777');
  });

  it('every layout under the prefix is a location: plain account folders and each organization', async () => {
    s3.on(GetBucketLocationCommand).resolves({});
    bucketWith([
      'ct/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/x.json.gz',
      'ct/AWSLogs/o-bbbbbbbbbb/111122223333/CloudTrail/eu-west-1/2024/03/01/x.json.gz',
      'ct/AWSLogs/o-bbbbbbbbbb/444455556666/CloudTrail/us-west-2/2024/03/01/x.json.gz',
      'ct/AWSLogs/o-aaaaaaaaaa/777788889999/CloudTrail/ap-south-1/2024/03/01/x.json.gz',
    ]);
    const all = await resolveLocations({ kind: 's3', bucket: 'b', prefix: 'ct' }, 'all', deps());
    expect(all.map((l) => [l.orgId, l.accounts, l.regions])).toEqual([
      [undefined, ['111122223333'], ['us-east-1']],
      ['o-aaaaaaaaaa', ['777788889999'], ['ap-south-1']],
      ['o-bbbbbbbbbb', ['111122223333', '444455556666'], ['eu-west-1', 'us-west-2']],
    ]);
    expect(all.flatMap((l) => l.warnings)).toEqual([]);

    // Asked accounts: each layout keeps its own; a layout left without any is dropped; an asked
    // account found nowhere is reported once.
    const some = await resolveLocations(
      { kind: 's3', bucket: 'b', prefix: 'ct' },
      ['111122223333', '000000000000'],
      deps(),
    );
    expect(some.map((l) => [l.orgId, l.accounts, l.regions])).toEqual([
      [undefined, ['111122223333'], ['us-east-1']],
      ['o-bbbbbbbbbb', ['111122223333'], ['eu-west-1']],
    ]);
    const warnings = some.flatMap((l) => l.warnings);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('000000000000');
  });

  it('an organization trail whose folder holds plain account folders only still finds them (like the scan engine)', async () => {
    ct.on(DescribeTrailsCommand).resolves({
      trailList: [{ Name: 'org', S3BucketName: 'b', HomeRegion: 'us-east-1', IsOrganizationTrail: true }],
    });
    s3.on(GetBucketLocationCommand).resolves({});
    bucketWith(['AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/x.json.gz']);
    const locations = await resolveLocations({ kind: 'trail', trails: ['org'] }, 'all', deps());
    expect(locations.map((l) => [l.orgId, l.accounts])).toEqual([[undefined, ['111122223333']]]);
  });

  it('listing denied names s3:ListBucket', async () => {
    s3.on(GetBucketLocationCommand).resolves({});
    s3.on(ListObjectsV2Command).rejects(
      Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
    );
    await expect(resolveLocations({ kind: 's3', bucket: 'b', prefix: '' }, 'all', deps())).rejects.toThrow(
      /s3:ListBucket/,
    );
  });

  it('a local folder is a ConfigurationError pointing at the scan engine', async () => {
    await expect(resolveLocations({ kind: 'local', path: '/tmp' }, 'all', deps())).rejects.toThrow(
      /--engine scan/,
    );
  });
});
