/**
 * S3Store + planner against a real S3-protocol server loaded with a fixture: an organization trail
 * under a prefix and an account trail with no prefix, several accounts, regions and days, with
 * digests, Insight files, AWS Config files and strays mixed in. Expected selections are built from
 * the fixture definition with hand-derived stamp bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planObjects } from '../../src/source/planner.js';
import type { PlanScope } from '../../src/source/planner.js';
import { S3Store } from '../../src/source/s3-store.js';
import type { ObjectStore, PlannedObject } from '../../src/source/types.js';
import { startS3Server } from '../helpers/s3-server.js';
import type { S3TestServer } from '../helpers/s3-server.js';

const HOUR = 3_600_000;
const PAGE = 7; // small enough that every day folder and the account list need several pages

interface FixtureLog {
  key: string;
  account: string;
  region: string;
  delivered: Date;
}

const pad = (n: number) => String(n).padStart(2, '0');
const stampOf = (d: Date) =>
  `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
const dayOf = (d: Date) => `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;

/** Logs every `everyMinutes` from 00:03 of each day (stamps not on round minutes). */
function logs(
  root: string,
  org: string | undefined,
  accounts: string[],
  regions: string[],
  days: string[],
  everyMinutes: number,
): FixtureLog[] {
  const out: FixtureLog[] = [];
  for (const account of accounts) {
    for (const region of regions) {
      for (const day of days) {
        for (let minute = 3; minute < 24 * 60; minute += everyMinutes) {
          const delivered = new Date(Date.parse(`${day}T00:00:00Z`) + minute * 60_000);
          const name = `${account}_CloudTrail_${region}_${stampOf(delivered)}_${'Ab3'.repeat(5)}x.json.gz`;
          const key = `${root}AWSLogs/${org ? `${org}/` : ''}${account}/CloudTrail/${region}/${dayOf(delivered)}/${name}`;
          out.push({ key, account, region, delivered });
        }
      }
    }
  }
  return out;
}

// Organization trail under a prefix.
const ORG_BUCKET = 'org-trail-logs';
const ORG_ROOT = 'org/trails/';
const ORG = 'o-abcdefghij';
const ORG_ACCOUNTS = ['111111111111', '222222222222'];
const ORG_LOGS = logs(
  ORG_ROOT,
  ORG,
  ORG_ACCOUNTS,
  ['eu-west-1', 'us-east-1'],
  ['2024-02-28', '2024-02-29', '2024-03-01'],
  40,
);
const ORG_NOISE = [
  `${ORG_ROOT}AWSLogs/`, // console "folder" object
  `${ORG_ROOT}AWSLogs/${ORG}/111111111111/CloudTrail-Digest/us-east-1/2024/02/29/111111111111_CloudTrail-Digest_us-east-1_t_us-east-1_20240229T110000Z.json.gz`,
  `${ORG_ROOT}AWSLogs/${ORG}/111111111111/CloudTrail-Insight/us-east-1/2024/02/29/111111111111_CloudTrail-Insight_us-east-1_20240229T1100Z_abcdefghijklmnop.json.gz`,
  `${ORG_ROOT}AWSLogs/${ORG}/111111111111/CloudTrail/us-east-1/2024/02/29/notes.txt`,
  // Not a region folder: never listed, never reported.
  `${ORG_ROOT}AWSLogs/${ORG}/111111111111/CloudTrail/::Not A Region/2024/02/29/111111111111_CloudTrail_us-east-1_20240229T1100Z_abcdefghijklmnop.json.gz`,
  `${ORG_ROOT}AWSLogs/${ORG}/222222222222/Config/us-east-1/2024/2/29/ConfigHistory/222222222222_Config_us-east-1_ConfigHistory_x.json.gz`,
  // Same layout under another prefix: not part of this trail.
  'other/AWSLogs/999999999999/CloudTrail/us-east-1/2024/02/29/999999999999_CloudTrail_us-east-1_20240229T1100Z_abcdefghijklmnop.json.gz',
];

// Account trail with no prefix; enough accounts that listing AWSLogs/ needs several pages.
const PLAIN_BUCKET = 'plain-trail-logs';
const PLAIN_ACCOUNTS = ['333333333333', '444444444444'];
const IDLE_ACCOUNTS = Array.from({ length: 9 }, (_, i) => `50000000000${i + 1}`);
const PLAIN_LOGS = [
  ...logs('', undefined, PLAIN_ACCOUNTS, ['ap-southeast-2', 'us-east-1'], ['2024-02-29', '2024-03-01'], 60),
  ...logs('', undefined, IDLE_ACCOUNTS, ['us-east-1'], ['2024-01-01'], 720),
];
const PLAIN_NOISE = [
  'AWSLogs/333333333333/CloudTrail-Digest/us-east-1/2024/02/29/333333333333_CloudTrail-Digest_us-east-1_t_us-east-1_20240229T110000Z.json.gz',
  'AWSLogs/333333333333/CloudTrail/us-east-1/2024/02/29/333333333333_CloudTrail-Insight_us-east-1_20240229T1100Z_abcdefghijklmnop.json.gz',
  'AWSLogs/aws-program-data/readme.txt',
  'README',
];

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server({ buckets: [ORG_BUCKET, PLAIN_BUCKET] });
  await server.seed(
    ORG_BUCKET,
    [...ORG_LOGS.map((l) => l.key), ...ORG_NOISE].map((key) => ({ key, body: key })),
  );
  await server.seed(
    PLAIN_BUCKET,
    [...PLAIN_LOGS.map((l) => l.key), ...PLAIN_NOISE].map((key) => ({ key, body: key })),
  );
});
afterAll(() => server?.close());

async function run(bucket: string, prefix: string, scope: PlanScope) {
  const store = new S3Store({ client: server.client, bucket, pageSize: PAGE });
  const before = server.requests.length;
  const plan = planObjects(store, { kind: 's3', prefix }, scope);
  const objects: PlannedObject[] = [];
  for await (const o of plan.objects) objects.push(o);
  const requests = server.requests.slice(before);
  return { plan, objects, keys: objects.map((o) => o.key), requests };
}

const listedPrefixes = (requests: S3TestServer['requests']) =>
  requests
    .filter((r) => r.method === 'GET' && r.key === undefined && !r.query.delimiter)
    .map((r) => r.query.prefix ?? '');

const scope = (since: string, until: string, extra: Partial<PlanScope> = {}): PlanScope => ({
  window: { since: new Date(since), until: new Date(until) },
  regions: 'all',
  accounts: 'all',
  lagMs: HOUR,
  ...extra,
});

const between = (lowest: string, highest: string) => (l: FixtureLog) =>
  l.delivered >= new Date(lowest) && l.delivered <= new Date(highest);

describe('planner over S3: organization trail with a prefix', () => {
  it('selects exactly the logs of a one-day window and lists only that day', async () => {
    // since 10:15 -> files stamped 10:15 or later; until 12:00 + 1 h lag -> stamped up to 13:00.
    const { plan, objects, keys, requests } = await run(
      ORG_BUCKET,
      'org/trails',
      scope('2024-02-29T10:15:00Z', '2024-02-29T12:00:00Z'),
    );
    const expected = ORG_LOGS.filter(between('2024-02-29T10:15:00Z', '2024-02-29T13:00:00Z'));
    // 00:03 + 40 min steps: 10:43, 11:23, 12:03, 12:43 per account and region
    expect(expected.map((l) => stampOf(l.delivered)).slice(0, 4)).toEqual([
      '20240229T1043Z',
      '20240229T1123Z',
      '20240229T1203Z',
      '20240229T1243Z',
    ]);
    expect(expected.length).toBe(2 * 2 * 4);
    expect(keys).toEqual(expected.map((l) => l.key).sort());
    expect(objects[0]).toEqual({
      key: expected[0]?.key,
      size: expected[0]?.key.length,
      account: expected[0]?.account,
      region: expected[0]?.region,
      delivered: expected[0]?.delivered,
    });

    const dayPrefixes = ORG_ACCOUNTS.flatMap((a) =>
      ['eu-west-1', 'us-east-1'].map((r) => `org/trails/AWSLogs/${ORG}/${a}/CloudTrail/${r}/2024/02/29/`),
    );
    expect(plan.stats().prefixes).toEqual(dayPrefixes);
    // What the server saw: only that day was listed, in pages of PAGE.
    expect([...new Set(listedPrefixes(requests))]).toEqual(dayPrefixes);
    expect(requests.filter((r) => r.query['continuation-token']).length).toBeGreaterThan(0);
    expect(requests.every((r) => Number(r.query['max-keys'] ?? PAGE) <= PAGE)).toBe(true);

    const inDayFolders = [...ORG_LOGS.map((l) => l.key), ...ORG_NOISE].filter((k) =>
      dayPrefixes.some((p) => k.startsWith(p)),
    );
    expect(plan.stats()).toMatchObject({
      listed: inDayFolders.length,
      selected: expected.length,
      skipped: inDayFolders.length - expected.length,
    });
    expect(plan.found()).toEqual({ accounts: ORG_ACCOUNTS, regions: ['eu-west-1', 'us-east-1'] });
    expect(plan.warnings()).toEqual([]);
  });

  it("reads an account's day folders while the next accounts' regions are still being listed", async () => {
    const window = scope('2024-02-29T10:15:00Z', '2024-02-29T12:00:00Z');
    const { keys: expected } = await run(ORG_BUCKET, 'org/trails', window);
    // The second account's regions are listed only once the first object is out: had the plan
    // waited for every account's regions before listing any day folder, nothing would come out.
    const s3 = new S3Store({ client: server.client, bucket: ORG_BUCKET, pageSize: PAGE });
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const secondAccount = `org/trails/AWSLogs/${ORG}/${ORG_ACCOUNTS[1]}/CloudTrail/`;
    const gated: ObjectStore = {
      description: s3.description,
      list: (prefix) => s3.list(prefix),
      get: (key, signal) => s3.get(key, signal),
      listFolders: async (prefix) => {
        if (prefix === secondAccount) await gate;
        return s3.listFolders(prefix);
      },
    };
    const plan = planObjects(gated, { kind: 's3', prefix: 'org/trails' }, window);
    const keys: string[] = [];
    // A regression fails here rather than hanging: the timer opens the gate, and says so.
    let timedOut = false;
    const stop = setTimeout(() => {
      timedOut = true;
      open();
    }, 3_000);
    for await (const o of plan.objects) {
      if (keys.length === 0) expect(timedOut, 'the first object waited for every account').toBe(false);
      keys.push(o.key);
      open();
    }
    clearTimeout(stop);
    expect(keys).toEqual(expected);
    expect(plan.found().accounts).toEqual(ORG_ACCOUNTS);
  });

  it('lists the next day when the window ends near midnight, never the day before', async () => {
    const { keys, requests } = await run(
      ORG_BUCKET,
      'org/trails',
      scope('2024-02-29T23:00:00Z', '2024-03-01T00:00:00Z', {
        accounts: ['222222222222'],
        regions: ['us-east-1'],
      }),
    );
    const expected = ORG_LOGS.filter((l) => l.account === '222222222222' && l.region === 'us-east-1').filter(
      between('2024-02-29T23:00:00Z', '2024-03-01T01:00:00Z'),
    );
    expect(expected.map((l) => stampOf(l.delivered))).toEqual([
      '20240229T2323Z',
      '20240301T0003Z',
      '20240301T0043Z',
    ]);
    expect(keys).toEqual(expected.map((l) => l.key));
    expect([...new Set(listedPrefixes(requests))]).toEqual([
      `org/trails/AWSLogs/${ORG}/222222222222/CloudTrail/us-east-1/2024/02/29/`,
      `org/trails/AWSLogs/${ORG}/222222222222/CloudTrail/us-east-1/2024/03/01/`,
    ]);
  });
});

describe('planner over S3: account trail with no prefix', () => {
  it('finds every account across pages of folders and selects by region and account', async () => {
    const { plan, keys, requests } = await run(
      PLAIN_BUCKET,
      '',
      scope('2024-02-29T00:00:00Z', '2024-03-02T00:00:00Z', {
        regions: ['ap-southeast-2'],
        accounts: ['444444444444', '999999999999'],
      }),
    );
    const expected = PLAIN_LOGS.filter((l) => l.account === '444444444444' && l.region === 'ap-southeast-2');
    expect(expected.length).toBe(48);
    expect(keys).toEqual(expected.map((l) => l.key).sort());
    expect(plan.found().accounts).toEqual([...PLAIN_ACCOUNTS, ...IDLE_ACCOUNTS]);
    // AWSLogs/ holds 12 folders: listing it took more than one page.
    expect(requests.filter((r) => r.query.delimiter === '/' && r.query.prefix === 'AWSLogs/').length).toBe(2);
    expect(plan.stats().prefixes).toEqual([
      'AWSLogs/444444444444/CloudTrail/ap-southeast-2/2024/02/29/',
      'AWSLogs/444444444444/CloudTrail/ap-southeast-2/2024/03/01/',
      'AWSLogs/444444444444/CloudTrail/ap-southeast-2/2024/03/02/',
    ]);
    const warnings = plan.warnings();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /leave out us-east-1: global-service events \(IAM, STS, CloudFront, console sign-in\)/,
    );
    expect(warnings[1]).toContain('999999999999');
    expect(warnings[1]).toContain('s3://plain-trail-logs');
  });

  it('drops digests and Insight files found in a log day folder', async () => {
    const { keys, plan } = await run(
      PLAIN_BUCKET,
      '',
      scope('2024-02-29T10:00:00Z', '2024-02-29T12:00:00Z', {
        accounts: ['333333333333'],
        regions: ['us-east-1'],
        lagMs: 0,
      }),
    );
    const expected = PLAIN_LOGS.filter(
      (l) => l.account === '333333333333' && l.region === 'us-east-1',
    ).filter(between('2024-02-29T10:00:00Z', '2024-02-29T12:00:00Z'));
    expect(expected.map((l) => stampOf(l.delivered))).toEqual(['20240229T1003Z', '20240229T1103Z']);
    expect(keys).toEqual(expected.map((l) => l.key));
    // 24 logs in the folder + the Insight file named into it
    expect(plan.stats()).toMatchObject({ listed: 25, selected: 2, skipped: 23 });
  });

  it('finds nothing, and says so, under a prefix that holds no trail', async () => {
    const { keys, plan } = await run(
      PLAIN_BUCKET,
      'nothing/here',
      scope('2024-02-29T00:00:00Z', '2024-03-01T00:00:00Z', { accounts: ['333333333333'] }),
    );
    expect(keys).toEqual([]);
    expect(plan.stats()).toEqual({ listed: 0, selected: 0, skipped: 0, prefixes: [] });
    expect(plan.found()).toEqual({ accounts: [], regions: [] });
    expect(plan.warnings()).toEqual([
      expect.stringContaining(
        'No CloudTrail logs under s3://plain-trail-logs/nothing/here: expected s3://plain-trail-logs/nothing/here/AWSLogs/<account>/CloudTrail/',
      ),
    ]);
  });
});
