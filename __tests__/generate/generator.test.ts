/**
 * The log generator, checked from the outside: the files it writes are read back with zcat, jq
 * and sha256sum, and compared with what CloudTrail's documented layout and format say.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import {
  encodeLogFile,
  generateLogs,
  writeLogsToFolder,
  SELECTIVITY,
  type GenerateOptions,
} from '../../tools/generate/index.js';
import { ConfigurationError } from '../../src/errors.js';

const GLOBAL_SOURCES = [
  'iam.amazonaws.com',
  'sts.amazonaws.com',
  'signin.amazonaws.com',
  'cloudfront.amazonaws.com',
];
const LOG_KEY =
  /^(?:(.+)\/)?AWSLogs\/(?:(o-[a-z0-9]+)\/)?(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8})T(\d{4})Z_([A-Za-z0-9]{16})\.json\.gz$/;

function sh(script: string, cwd: string): string {
  return execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

type JqRecord = {
  file: string;
  account: string;
  awsRegion: string;
  eventTime: string;
  eventSource: string;
  eventID: string;
  eventName: string;
};

/**
 * Every record of every CloudTrail log file under `dir`, read by zcat and one jq process: each
 * file is preceded by a `{"file": …}` marker object so jq knows where the records came from.
 */
function recordsByJq(dir: string): JqRecord[] {
  const out = sh(
    `find . -path '*/CloudTrail/*' -name '*.json.gz' | sort | while read -r f; do printf '{"file":"%s"}\\n' "\${f#./}"; zcat "$f"; echo; done |
     jq -nr 'foreach inputs as $d ({}; if $d.file then {file: $d.file} else .doc = $d end;
       select(.doc) | .file as $f | .doc.Records[] | [$f, .recipientAccountId, .awsRegion, .eventTime, .eventSource, .eventID, .eventName] | @tsv)'`,
    dir,
  );
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [file, account, awsRegion, eventTime, eventSource, eventID, eventName] = line.split(
        '\t',
      ) as string[];
      return {
        file: file!,
        account: account!,
        awsRegion: awsRegion!,
        eventTime: eventTime!,
        eventSource: eventSource!,
        eventID: eventID!,
        eventName: eventName!,
      };
    });
}

const BASE: GenerateOptions = {
  seed: 'test-seed',
  accounts: ['111122223333', '444455556666'],
  organizationId: 'o-a1b2c3d4e5',
  prefix: 'trails/prod',
  regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
  start: '2023-07-10T22:00:00Z',
  hours: 3,
  filesPerHour: 4,
  recordsPerFile: [10, 40],
  globalDuplicateShare: 0.3,
  digests: true,
  insights: true,
  foreignObjects: true,
};

let tmp: string;
let dirA: string;
/** The records of dirA as jq reads them. */
let jqRecords: JqRecord[];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ct-generate-'));
  dirA = path.join(tmp, 'a');
  await writeLogsToFolder(dirA, BASE);
  jqRecords = recordsByJq(dirA);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('determinism', () => {
  it('writes byte-identical files for the same options, different ones for another seed', async () => {
    const dirB = path.join(tmp, 'b');
    await writeLogsToFolder(dirB, BASE);
    const filesA = await listFiles(dirA);
    expect(await listFiles(dirB)).toEqual(filesA);
    for (const f of filesA) {
      expect((await readFile(path.join(dirB, f))).equals(await readFile(path.join(dirA, f))), f).toBe(true);
    }
    const dirC = path.join(tmp, 'c');
    await writeLogsToFolder(dirC, { ...BASE, seed: 'other-seed' });
    expect(await listFiles(dirC)).not.toEqual(filesA);
  });

  it('gzips with a fixed header (mtime 0, Unix) so the bytes never depend on when they were written', () => {
    const gz = encodeLogFile([{ eventID: 'x' }]);
    expect([...gz.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
    expect(gz.readUInt32LE(4)).toBe(0);
    expect(gz[9]).toBe(3);
    expect(gunzipSync(gz).toString()).toBe('{"Records":[{"eventID":"x"}]}');
  });
});

describe('layout', () => {
  it('names every log file like CloudTrail: folder and name agree on account, region and day', async () => {
    const logs = (await listFiles(dirA)).filter((f) => f.includes('/CloudTrail/'));
    // 3 hours x 4 files per hour x 2 accounts x 3 regions.
    expect(logs).toHaveLength(72);
    for (const key of logs) {
      const m = LOG_KEY.exec(key);
      expect(m, key).not.toBeNull();
      const [, prefix, org, account, region, yyyy, mm, dd, nameAccount, nameRegion, day] = m!;
      expect(prefix).toBe('trails/prod');
      expect(org).toBe('o-a1b2c3d4e5');
      expect(nameAccount).toBe(account);
      expect(nameRegion).toBe(region);
      expect(day).toBe(`${yyyy}${mm}${dd}`);
    }
  });

  it('writes {"Records":[...]} on one line, valid gzip', () => {
    const files = `$(find . -path '*/CloudTrail/*' -name '*.json.gz')`;
    sh(`gzip -t ${files}`, dirA);
    // zcat concatenates the files: no newline anywhere, and each one starts the same way.
    expect(sh(`zcat ${files} | wc -l`, dirA).trim()).toBe('0');
    expect(sh(`zcat ${files} | grep -o '^{"Records":\\[\\|}{"Records":\\[' | wc -l`, dirA).trim()).toBe('72');
  });

  it('puts every event 1 to 15 minutes before its file stamp, in the file account and region', () => {
    const records = jqRecords;
    expect(records.length).toBeGreaterThan(72 * 10);
    for (const r of records) {
      const m = LOG_KEY.exec(r.file)!;
      const [, , , account, region, , , , , , day, hhmm] = m;
      const stamp = Date.parse(
        `${day!.slice(0, 4)}-${day!.slice(4, 6)}-${day!.slice(6)}T${hhmm!.slice(0, 2)}:${hhmm!.slice(2)}:00Z`,
      );
      const t = Date.parse(r.eventTime);
      expect(r.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(t, `${r.file} ${r.eventTime}`).toBeLessThanOrEqual(stamp - 60_000);
      expect(t, `${r.file} ${r.eventTime}`).toBeGreaterThan(stamp - 15 * 60_000);
      expect(r.account).toBe(account);
      if (GLOBAL_SOURCES.includes(r.eventSource)) expect(r.awsRegion).toBe('us-east-1');
      else expect(r.awsRegion).toBe(region);
    }
  });

  it('writes events across midnight into the next day folder when the file is delivered after it', () => {
    const records = jqRecords;
    const late = records.filter(
      (r) => r.eventTime < '2023-07-11T00:00:00Z' && r.file.includes('/2023/07/11/'),
    );
    expect(late.length).toBeGreaterThan(0);
  });
});

describe('duplicates of global events', () => {
  it('delivers a share of global events twice: us-east-1 and another region, same record', () => {
    const records = jqRecords;
    const byId = new Map<string, typeof records>();
    for (const r of records) byId.set(r.eventID, [...(byId.get(r.eventID) ?? []), r]);
    const groups = [...byId.values()].filter((g) => g.length > 1);
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      expect(g).toHaveLength(2);
      const regions = g.map((r) => LOG_KEY.exec(r.file)![4]).sort();
      expect(regions).toContain('us-east-1');
      expect(regions[0]).not.toBe(regions[1]);
      expect(g[0]!.account).toBe(g[1]!.account);
      expect(g.every((r) => r.awsRegion === 'us-east-1' && GLOBAL_SOURCES.includes(r.eventSource))).toBe(
        true,
      );
    }
    // The copies are the very same record: compare the two JSON texts jq prints.
    const [first] = groups;
    const texts = sh(
      `for f in ${first!.map((r) => `'${r.file}'`).join(' ')}; do zcat "$f" | jq -c '.Records[] | select(.eventID == "${first![0]!.eventID}")'; done`,
      dirA,
    )
      .trim()
      .split('\n');
    expect(texts).toHaveLength(2);
    expect(texts[0]).toBe(texts[1]);
    // Roughly the configured share of global events in us-east-1 files is copied.
    const globalInUsEast = records.filter(
      (r) => GLOBAL_SOURCES.includes(r.eventSource) && LOG_KEY.exec(r.file)![4] === 'us-east-1',
    );
    const share = groups.length / globalInUsEast.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.45);
  });

  it('writes no duplicate when the share is 0', async () => {
    const dir = path.join(tmp, 'nodup');
    const result = await writeLogsToFolder(dir, {
      ...BASE,
      globalDuplicateShare: 0,
      digests: false,
      hours: 1,
    });
    const ids = sh(
      `zcat $(find . -path '*/CloudTrail/*' -name '*.json.gz') | jq -r '.Records[].eventID' | sort | uniq -d | wc -l`,
      dir,
    );
    expect(ids.trim()).toBe('0');
    expect(result.duplicateRecords).toBe(0);
  });

  it('reports as many duplicate copies as jq finds', async () => {
    const dir = path.join(tmp, 'count');
    const result = await writeLogsToFolder(dir, {
      ...BASE,
      digests: false,
      insights: false,
      foreignObjects: false,
      hours: 2,
    });
    const total = Number(sh(`zcat $(find . -name '*.json.gz') | jq -r '.Records[].eventID' | wc -l`, dir));
    const unique = Number(
      sh(`zcat $(find . -name '*.json.gz') | jq -r '.Records[].eventID' | sort -u | wc -l`, dir),
    );
    expect(result.records).toBe(total);
    expect(result.duplicateRecords).toBe(total - unique);
    expect(result.duplicateRecords).toBeGreaterThan(0);
  });
});

describe('objects sharing the bucket', () => {
  it('writes hourly digests whose hashes are the SHA-256 of the uncompressed logs, chained', async () => {
    const files = await listFiles(dirA);
    const digests = files.filter((f) => f.includes('/CloudTrail-Digest/'));
    // 3 hours (22:00-01:00) x 2 accounts x 3 regions; names carry the digest end time.
    expect(digests).toHaveLength(18);
    for (const d of digests) {
      expect(d).toMatch(
        /\/CloudTrail-Digest\/([a-z0-9-]+)\/\d{4}\/\d\d\/\d\d\/\d{12}_CloudTrail-Digest_\1_management-events_us-east-1_\d{8}T\d{6}Z\.json\.gz$/,
      );
    }
    const chain = digests
      .filter((d) => d.includes('/111122223333/CloudTrail-Digest/eu-west-1/'))
      .sort((a, b) => a.slice(-23).localeCompare(b.slice(-23)));
    expect(chain).toHaveLength(3);
    let previousHash: string | null = null;
    let listed = 0;
    for (const d of chain) {
      const digest = JSON.parse(sh(`zcat '${d}'`, dirA)) as {
        previousDigestHashValue: string | null;
        logFiles: Array<{ s3Object: string; hashValue: string }>;
      };
      expect(digest.previousDigestHashValue).toBe(previousHash);
      for (const lf of digest.logFiles) {
        const hash = sh(`zcat '${lf.s3Object}' | sha256sum | cut -d' ' -f1`, dirA).trim();
        expect(lf.hashValue).toBe(hash);
        listed++;
      }
      previousHash = sh(`zcat '${d}' | sha256sum | cut -d' ' -f1`, dirA).trim();
    }
    // Every eu-west-1 log file of that account is listed in exactly one digest.
    expect(listed).toBe(files.filter((f) => f.includes('/111122223333/CloudTrail/eu-west-1/')).length);
  });

  it('writes one insight file and one AWS Config file outside CloudTrail/', async () => {
    const files = await listFiles(dirA);
    const insight = files.filter((f) => f.includes('/CloudTrail-Insight/'));
    const config = files.filter((f) => f.includes('/Config/'));
    expect(insight).toHaveLength(1);
    expect(config).toHaveLength(1);
    expect(
      sh(`zcat '${insight[0]}' | jq -r '[.Records[].eventType] | unique | join(",")'`, dirA).trim(),
    ).toBe('AwsCloudTrailInsight');
    expect(sh(`zcat '${config[0]}' | jq -r '.configurationItems[0].resourceType'`, dirA).trim()).toBe(
      'AWS::S3::Bucket',
    );
    expect(files.every((f) => f.endsWith('.json.gz'))).toBe(true);
  });
});

describe('records', () => {
  // Records are free-form JSON; the checks below walk into them as a reader of the files would.

  type Loose = Record<string, any>;
  const records = [
    ...generateLogs({ ...BASE, hours: 6, filesPerHour: 12, recordsPerFile: [20, 60] }),
  ].flatMap((f) => f.records) as Loose[];

  it('have the fields and value types of real CloudTrail records', () => {
    for (const r of records) {
      expect(r.eventVersion).toMatch(/^1\.0[89]$/);
      expect(r.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(typeof r.readOnly).toBe('boolean');
      expect(typeof r.managementEvent).toBe('boolean');
      expect(r.eventCategory).toBe(r.managementEvent ? 'Management' : 'Data');
      expect(['AwsApiCall', 'AwsConsoleSignIn']).toContain(r.eventType);
      expect(r.recipientAccountId).toMatch(/^\d{12}$/);
      expect('requestParameters' in r && 'responseElements' in r).toBe(true);
      expect(typeof r.requestID).toBe('string');
      if (r.errorCode !== undefined) expect(typeof r.errorMessage).toBe('string');
      for (const res of r.resources ?? []) expect(res.ARN).toMatch(/^arn:aws:/);
    }
  });

  it('use every kind of identity, each shaped like AWS writes it', () => {
    const types = new Set(records.map((r) => r.userIdentity.type));
    expect([...types].sort()).toEqual(['AWSService', 'AssumedRole', 'IAMUser', 'Root']);
    for (const r of records) {
      const id = r.userIdentity;
      if (id.type === 'AssumedRole') {
        expect(id.arn).toMatch(/^arn:aws:sts::\d{12}:assumed-role\/[^/]+\/.+/);
        expect(id.sessionContext.sessionIssuer.arn).toMatch(/^arn:aws:iam::\d{12}:role\//);
        expect(id.accessKeyId).toMatch(/^ASIA/);
      } else if (id.type === 'IAMUser' && r.eventName !== 'ConsoleLogin') {
        expect(id.userName).toBeTruthy();
        expect(id.accessKeyId).toMatch(/^A[SK]IA[A-Z2-7]{16}$/);
      } else if (id.type === 'AWSService') {
        expect(id.invokedBy).toMatch(/\.amazonaws\.com$/);
        expect(r.sourceIPAddress).toBe(id.invokedBy);
      } else if (id.type === 'Root') {
        expect(id.arn).toBe(`arn:aws:iam::${id.accountId}:root`);
      }
    }
  });

  it('record console sign-ins with their outcome and MFA use', () => {
    const logins = records.filter((r) => r.eventName === 'ConsoleLogin');
    expect(logins.length).toBeGreaterThan(5);
    for (const r of logins) {
      expect(r.eventSource).toBe('signin.amazonaws.com');
      expect(r.eventType).toBe('AwsConsoleSignIn');
      expect(['Success', 'Failure']).toContain(r.responseElements.ConsoleLogin);
      expect(['Yes', 'No']).toContain(r.additionalEventData.MFAUsed);
      if (r.responseElements.ConsoleLogin === 'Failure') expect(r.errorMessage).toBe('Failed authentication');
    }
  });

  it('give S3 calls the x-amz-id-2 key and source addresses of every kind', () => {
    const s3 = records.filter((r) => r.eventSource === 's3.amazonaws.com' && r.eventName !== 'ListBuckets');
    expect(
      s3.every(
        (r) =>
          typeof r.additionalEventData['x-amz-id-2'] === 'string' &&
          typeof r.requestParameters.bucketName === 'string',
      ),
    ).toBe(true);
    const ips = records.map((r) => r.sourceIPAddress as string);
    expect(ips.some((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip))).toBe(true);
    expect(ips.some((ip) => ip.includes(':'))).toBe(true);
    expect(ips).toContain('AWS Internal');
    expect(ips.some((ip) => ip.endsWith('.amazonaws.com'))).toBe(true);
    expect(records.some((r) => r.errorCode === 'AccessDenied')).toBe(true);
  });

  it('draw from a wide catalogue with the shares the benchmark relies on', () => {
    expect(new Set(records.map((r) => `${r.eventSource}:${r.eventName}`)).size).toBeGreaterThanOrEqual(55);
    const rare =
      records.filter((r) => r[SELECTIVITY.rare.field] === SELECTIVITY.rare.value).length / records.length;
    const broad =
      records.filter((r) => r[SELECTIVITY.broad.field] === SELECTIVITY.broad.value).length / records.length;
    expect(rare).toBeGreaterThan(0.006);
    expect(rare).toBeLessThan(0.015);
    expect(broad).toBeGreaterThan(0.25);
    expect(broad).toBeLessThan(0.35);
  });
});

describe('planted events and options', () => {
  it('places a planted event in the first file stamped after it, inside [after, before)', () => {
    const files = [
      ...generateLogs({
        ...BASE,
        planted: [
          {
            eventName: 'StopLogging',
            after: '2023-07-10T23:20:00Z',
            before: '2023-07-10T23:25:00Z',
            account: '444455556666',
            region: 'eu-west-1',
            principal: 'root',
          },
        ],
      }),
    ];
    const hits = files.flatMap((f) =>
      f.records
        .filter((r) => r.eventName === 'StopLogging' && (r.userIdentity as { type: string }).type === 'Root')
        .map((r) => ({ f, r })),
    );
    const planted = hits.filter(
      ({ r }) =>
        (r.eventTime as string) >= '2023-07-10T23:20:00Z' && (r.eventTime as string) < '2023-07-10T23:25:00Z',
    );
    expect(planted).toHaveLength(1);
    expect(planted[0]!.f.key).toContain('/444455556666/CloudTrail/eu-west-1/2023/07/10/');
  });

  it('names the option at fault', () => {
    const bad = (o: Partial<GenerateOptions>) => () => [...generateLogs({ ...BASE, ...o })];
    expect(bad({ accounts: ['12345'] })).toThrow(ConfigurationError);
    expect(bad({ accounts: ['12345'] })).toThrow(/accounts/);
    expect(bad({ regions: ['Europe'] })).toThrow(/regions/);
    expect(bad({ start: 'yesterday' })).toThrow(/start/);
    expect(bad({ recordsPerFile: [5, 2] })).toThrow(/recordsPerFile/);
    expect(
      bad({ planted: [{ eventName: 'ConsoleLogin', after: '2023-07-10T23:00:00Z', region: 'eu-west-1' }] }),
    ).toThrow(/global/);
  });
});
