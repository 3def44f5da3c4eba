/**
 * The Action end to end, as the runner runs it: `node dist/index.js` in a child process with
 * INPUT_* variables and the runner's files, reading logs from a local folder and from a real
 * S3-protocol server, with local stand-ins speaking the real protocols of the OIDC token endpoint,
 * STS and the artifact service. Expected values are known by construction (the generated logs) or
 * computed with jq over the shared real data.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runAction, actionPath, type ActionRun } from '../helpers/run-action.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js';
import { startStsServer, type StsServer } from '../helpers/sts-server.js';
import { startArtifactServer, sha256Hex, type ArtifactServer } from '../helpers/artifact-server.js';
import { flatTrail } from '../helpers/corpus-like.js';

const require = createRequire(import.meta.url);
// Delivered files shaped like the real Invictus logs (flat folder, not gzipped), built in-repo.
const flatLogs = flatTrail();

// ---- generated logs: three unique StopLogging events, one hostile, one delivered twice ----

const ACCOUNT = '111122223333';
const HOSTILE_UA =
  '::error::pwned <script>alert(1)</script> | `rm -rf /` [x](https://evil.example) @octocat\n::add-mask::EVILMASK\n##[error]legacy';
const HOSTILE_USER = '::error::pwned-user<img src=x onerror=alert(1)>|`';

function record(
  id: string,
  eventName: string,
  time: string,
  region: string,
  extra: Record<string, unknown> = {},
) {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      accountId: ACCOUNT,
      userName: 'alice',
    },
    eventTime: time,
    eventSource: eventName === 'DescribeInstances' ? 'ec2.amazonaws.com' : 'cloudtrail.amazonaws.com',
    eventName,
    awsRegion: region,
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.13.0',
    requestParameters: null,
    responseElements: null,
    requestID: `req-${id}`,
    eventID: id,
    readOnly: eventName === 'DescribeInstances',
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...extra,
  };
}

const STOP_1 = record(
  '11111111-0000-0000-0000-000000000001',
  'StopLogging',
  '2023-07-10T12:01:00Z',
  'us-east-1',
);
const STOP_HOSTILE = record(
  '11111111-0000-0000-0000-000000000002',
  'StopLogging',
  '2023-07-10T12:02:00Z',
  'us-east-1',
  {
    userAgent: HOSTILE_UA,
    userIdentity: {
      type: 'IAMUser',
      arn: `arn:aws:iam::${ACCOUNT}:user/${HOSTILE_USER}`,
      userName: HOSTILE_USER,
    },
    sourceIPAddress: '<script>alert(2)</script>',
  },
);
const STOP_3 = record(
  '11111111-0000-0000-0000-000000000003',
  'StopLogging',
  '2023-07-10T12:07:00Z',
  'eu-west-1',
  { errorCode: 'AccessDenied' },
);
const EXPECTED_IDS = [STOP_1.eventID, STOP_HOSTILE.eventID, STOP_3.eventID].sort();

function logKey(region: string, stamp: string, suffix: string): string {
  return `AWSLogs/${ACCOUNT}/CloudTrail/${region}/2023/07/10/${ACCOUNT}_CloudTrail_${region}_${stamp}_${suffix}.json.gz`;
}

/** key -> gzipped `{"Records":[...]}`, CloudTrail's layout and file format. */
function generatedLogs(): Map<string, Buffer> {
  const noise = (n: number, region: string, minute: number) =>
    Array.from({ length: n }, (_, i) =>
      record(
        `22222222-0000-0000-${region === 'us-east-1' ? '0001' : '0002'}-${String(minute * 100 + i).padStart(12, '0')}`,
        'DescribeInstances',
        `2023-07-10T12:${String(minute).padStart(2, '0')}:${String(i).padStart(2, '0')}Z`,
        region,
      ),
    );
  const files = new Map<string, object[]>([
    [
      logKey('us-east-1', '20230710T1205Z', 'AAAAAAAAAAAAAAA1'),
      [...noise(5, 'us-east-1', 1), STOP_1, STOP_HOSTILE],
    ],
    [
      logKey('eu-west-1', '20230710T1210Z', 'BBBBBBBBBBBBBBB1'),
      [
        ...noise(4, 'eu-west-1', 6),
        STOP_3,
        record('33333333-0000-0000-0000-000000000001', 'DeleteTrail', '2023-07-10T12:08:00Z', 'eu-west-1'),
      ],
    ],
    // CloudTrail delivers some events twice: the same eventID in a later file.
    [logKey('us-east-1', '20230710T1215Z', 'AAAAAAAAAAAAAAA2'), [...noise(3, 'us-east-1', 11), STOP_1]],
  ]);
  return new Map([...files].map(([key, records]) => [key, gzipSync(JSON.stringify({ Records: records }))]));
}

async function writeFolder(root: string, files: Map<string, Buffer>): Promise<void> {
  for (const [key, body] of files) {
    await mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await writeFile(path.join(root, key), body);
  }
}

const WINDOW = { since: '2023-07-10T00:00:00Z', until: '2023-07-11T00:00:00Z' };

// ---- assertions shared by the runs ----

async function resultIds(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { eventID: string }).eventID)
    .sort();
}

/** The commands the runner would execute, other than masks and debug lines. */
function visibleCommands(run: ActionRun) {
  return run.commands.filter((c) => c.command !== 'debug' && c.command !== 'add-mask');
}

/** Every secret is masked, and appears nowhere but in its own add-mask line. */
function expectMasked(run: ActionRun, secrets: string[]): void {
  const masks = run.commands.filter((c) => c.command === 'add-mask').map((c) => c.message);
  for (const secret of secrets) {
    expect(masks, 'an add-mask line for each secret').toContain(secret);
    const elsewhere = run.stdout
      .split('\n')
      .filter((line) => line.includes(secret) && !line.startsWith('::add-mask::'));
    expect(elsewhere, 'secret printed outside add-mask').toEqual([]);
    expect(run.stderr).not.toContain(secret);
    expect(run.summary).not.toContain(secret);
    expect(Object.values(run.outputs).join('\n')).not.toContain(secret);
  }
}

/** Extracts `zipPath` into `dir` with Python's zipfile: a reader independent of the writer. */
function unzip(zipPath: string, dir: string): void {
  execFileSync('python3', [
    '-c',
    'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
    zipPath,
    dir,
  ]);
}

// ---- servers ----

let s3: S3TestServer;
let oidc: OidcServer;
let sts: StsServer;
let artifacts: ArtifactServer;
let logsDir: string;
const logs = generatedLogs();

beforeAll(async () => {
  expect(existsSync(actionPath), `the built action ${actionPath} (npm run bundle)`).toBe(true);
  logsDir = await mkdtemp(path.join(os.tmpdir(), 'action-logs-'));
  await writeFolder(logsDir, logs);
  s3 = await startS3Server({ buckets: ['trail-bucket'] });
  await s3.seed(
    'trail-bucket',
    [...logs].map(([key, body]) => ({ key: `org-trail/${key}`, body })),
  );
  oidc = await startOidcServer();
  // s3rver accepts only access keys it knows: register each set STS issues, so S3 reads succeed
  // only with the assumed role's credentials.
  const accounts = require('s3rver/lib/models/account.js') as {
    DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void };
  };
  sts = await startStsServer({
    acceptToken: (token) => oidc.issued.some((t) => t.token === token && t.audience === 'sts.amazonaws.com'),
    onIssue: (c) => accounts.DUMMY_ACCOUNT.createKeyPair(c.accessKeyId, c.secretAccessKey),
  });
  accounts.DUMMY_ACCOUNT.createKeyPair('AKIAE2ETESTKEY000001', 'e2e/Secret+Key/DoNotPrint0000000000000');
  artifacts = await startArtifactServer();
});

afterAll(async () => {
  await Promise.all([s3?.close(), oidc?.close(), sts?.close(), artifacts?.close()]);
});

/** Endpoints of the S3 stand-in, without its default keys. */
function s3Env(): Record<string, string> {
  const { AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, ...rest } = s3.env;
  return rest;
}

describe('the Action on a local folder', () => {
  it('finds the matches, escapes hostile values, uploads the artifact and fails on match', async () => {
    const workspace = await mkdtemp(path.join(os.tmpdir(), 'ws-'));
    await writeFolder(path.join(workspace, 'logs'), logs);
    const run = await runAction({
      workspace,
      runId: '7000000101',
      inputs: {
        source: 'logs',
        filters: 'eventName: StopLogging',
        ...WINDOW,
        'fail-on-match': 'true',
        'retention-days': '5',
      },
      env: artifacts.env,
    });

    // Gate: matches + fail-on-match -> the CLI's exit code 1 and one error naming the count.
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    const errors = visibleCommands(run).filter((c) => c.command === 'error');
    expect(errors.map((e) => e.message)).toEqual([
      '3 matching CloudTrail events found (fail-on-match is true).',
    ]);

    // Outputs.
    const outDir = path.join(run.runnerTemp, 'cloudtrail-investigate-7000000101-investigate');
    expect(run.outputs).toMatchObject({
      'match-count': '3',
      matched: 'true',
      complete: 'true',
      'results-file': path.join(outDir, 'results.jsonl'),
      'summary-file': path.join(outDir, 'summary.json'),
      'artifact-id': '1000',
      'artifact-url': 'https://github.com/octo-org/audit-repo/actions/runs/7000000101/artifacts/1000',
    });
    const gzBytes = [...logs.values()].reduce((n, b) => n + b.length, 0);
    expect(run.outputs['bytes-scanned']).toBe(String(gzBytes));
    expect(await resultIds(run.outputs['results-file']!)).toEqual(EXPECTED_IDS);

    // Annotations: one warning per match; nothing from the data became a command.
    const warnings = visibleCommands(run).filter((c) => c.command === 'warning');
    expect(warnings.filter((w) => w.properties.title === 'CloudTrail match: StopLogging')).toHaveLength(3);
    expect(
      visibleCommands(run)
        .map((c) => c.command)
        .sort(),
    ).toEqual(['error', 'group', 'endgroup', 'warning', 'warning', 'warning'].sort());
    // The only masks are the artifact client's (its signed URL); none came from the data.
    const masks = run.commands.filter((c) => c.command === 'add-mask').map((c) => c.message);
    expect(masks).not.toContain('EVILMASK');
    expect(run.stdout).not.toMatch(/^\s*::add-mask::EVILMASK/m);
    expect(run.stdout).not.toMatch(/^\s*::error::pwned/m);
    expect(run.stdout).not.toContain('##[error]legacy');

    // Job summary: counts, the hostile values escaped, no raw HTML or forged command.
    expect(run.summary).toContain('**3 matching events** (1 duplicate delivery dropped)');
    expect(run.summary).not.toMatch(/<script|<img/);
    expect(run.summary).toContain('&#60;script&#62;alert&#40;2&#41;<wbr>&#60;/<wbr>script&#62;');
    expect(run.summary).not.toContain('::error::');
    expect(run.summary).not.toContain('@octocat');
    expect(run.summary).not.toMatch(/[\u200b-\u200d]/);
    // Three rows of five cells (time, event, region: the logs hold two, who, source IP); the
    // event IDs in the details below.
    const lines = run.summary.split('\n');
    const header = lines.indexOf('| Time (UTC) | Event | Region | Who | Source IP |');
    expect(header).toBeGreaterThan(0);
    const matchRows = lines.slice(header + 2, header + 5);
    for (const row of matchRows) expect(row.split(' | ')).toHaveLength(5);
    expect(lines[header + 5]).toBe('');
    const details = lines.filter((l) => l.includes('11111111-0000-0000-0000-00000000000'));
    expect(details).toHaveLength(3);
    for (const item of details) expect(item).toMatch(/^- \*\*/);

    // The artifact: the results file and summary.json, byte for byte, with the retention asked for.
    const art = artifacts.artifacts.find((a) => a.id === 1000)!;
    expect(art.name).toBe('cloudtrail-investigation-7000000101-investigate-1');
    expect(art.hash).toBe(`sha256:${sha256Hex(art.content)}`);
    expect(art.size).toBe(art.content.length);
    const days = (Date.parse(art.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(4.9);
    expect(days).toBeLessThan(5.1);
    const unzipped = await mkdtemp(path.join(os.tmpdir(), 'artifact-'));
    await writeFile(path.join(unzipped, 'artifact.zip'), art.content);
    unzip(path.join(unzipped, 'artifact.zip'), unzipped);
    expect((await readdir(unzipped)).sort()).toEqual(['artifact.zip', 'results.jsonl', 'summary.json']);
    expect(await readFile(path.join(unzipped, 'results.jsonl'))).toEqual(
      await readFile(run.outputs['results-file']!),
    );
    expect(await readFile(path.join(unzipped, 'summary.json'))).toEqual(
      await readFile(run.outputs['summary-file']!),
    );
  });

  it('matches a flat folder of delivered logs as jq counts them, and passes without fail-on-match', async () => {
    const expected = execFileSync(
      'bash',
      [
        '-c',
        `jq -r '.Records[] | select(.eventName=="StopLogging" or .eventName=="DeleteTrail") | .eventID' "${flatLogs}"/*.json | sort -u`,
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    expect(expected.length).toBeGreaterThan(0);
    const run = await runAction({
      runId: '7000000102',
      inputs: {
        source: flatLogs,
        filters: '{"eventName": ["StopLogging", "DeleteTrail"]}',
        since: '2023-07-10T11:00:00Z',
        until: '2023-07-10T13:00:00Z',
        'upload-artifact': 'false',
      },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs['match-count']).toBe(String(expected.length));
    expect(run.outputs.matched).toBe('true');
    expect(run.outputs['artifact-id']).toBe('');
    expect(await resultIds(run.outputs['results-file']!)).toEqual(expected.sort());
    expect(visibleCommands(run).filter((c) => c.command === 'error')).toEqual([]);
    expect(run.summary).toContain(`**${expected.length} matching events**`);
    expect(run.summary).toContain('✅ The step passes.');
  });

  it('fails closed on an incomplete search, before the match gate (exit 3)', async () => {
    const workspace = await mkdtemp(path.join(os.tmpdir(), 'ws-'));
    await writeFolder(path.join(workspace, 'logs'), logs);
    const broken = logKey('us-east-1', '20230710T1220Z', 'CCCCCCCCCCCCCCC1');
    await writeFolder(
      path.join(workspace, 'logs'),
      new Map([[broken, gzipSync('{"Records":[').subarray(0, 12)]]),
    );
    const run = await runAction({
      workspace,
      inputs: {
        source: 'logs',
        filters: 'eventName: StopLogging',
        ...WINDOW,
        'fail-on-match': 'true',
        'upload-artifact': 'false',
      },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(3);
    expect(run.outputs.complete).toBe('false');
    expect(run.outputs['match-count']).toBe('3');
    const messages = visibleCommands(run)
      .filter((c) => c.command === 'error')
      .map((c) => c.message);
    expect(messages.some((m) => m.includes(broken))).toBe(true);
    const failure = messages.at(-1)!;
    expect(failure).toMatch(
      /^The search was incomplete: 1 object or listing could not be read.*fail-on-incomplete is true/,
    );
    expect(failure).toContain('3 matching CloudTrail events found (fail-on-match is true).');
    expect(run.summary).toContain('The search was incomplete');
  });

  it('only warns about an incomplete search with fail-on-incomplete: false', async () => {
    const workspace = await mkdtemp(path.join(os.tmpdir(), 'ws-'));
    await writeFolder(
      path.join(workspace, 'logs'),
      new Map([[logKey('us-east-1', '20230710T1220Z', 'CCCCCCCCCCCCCCC1'), Buffer.from('not gzip')]]),
    );
    const run = await runAction({
      workspace,
      inputs: { source: 'logs', ...WINDOW, 'fail-on-incomplete': 'false', 'upload-artifact': 'false' },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.complete).toBe('false');
    const warnings = visibleCommands(run)
      .filter((c) => c.command === 'warning')
      .map((c) => c.message);
    expect(warnings.some((w) => w.startsWith('The search was incomplete'))).toBe(true);
  });

  it('fails with `error` when the artifact name is taken, keeping the files and saying how to fix it', async () => {
    // Another job of the run already took the name (a matrix without artifact-name).
    const taken = await fetch(
      new URL(
        '/twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact',
        artifacts.env.ACTIONS_RESULTS_URL,
      ),
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${artifacts.env.ACTIONS_RUNTIME_TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          workflow_run_backend_id: artifacts.runBackendId,
          workflow_job_run_backend_id: artifacts.jobBackendId,
          name: 'taken-name',
          version: 7,
        }),
      },
    );
    expect(taken.status).toBe(200);
    const run = await runAction({
      inputs: {
        source: flatLogs,
        filters: 'eventName: StopLogging',
        since: '2023-07-10T11:00:00Z',
        until: '2023-07-10T13:00:00Z',
        'artifact-name': 'taken-name',
      },
      env: artifacts.env,
    });
    // A name already taken would leave another job's results standing in for these: an error.
    expect(run.exitCode, run.stdout + run.stderr).toBe(5);
    expect(run.outputs.result).toBe('error');
    expect(run.outputs['artifact-id']).toBe('');
    expect(run.outputs['artifact-url']).toBe('');
    expect((await stat(run.outputs['results-file']!)).isFile()).toBe(true);
    const error = visibleCommands(run).find(
      (c) => c.command === 'error' && /could not be uploaded/.test(c.message),
    );
    expect(error?.message).toContain('409');
    expect(error?.message).toContain('set artifact-name');
    expect(error?.message).toContain(run.outputs['results-file']!);
    expect(run.summary).toContain('The artifact upload failed');
  });
});

describe('the Action on S3 with GitHub OIDC', () => {
  it('assumes the role with the job token, reads S3 with those credentials, and masks every secret', async () => {
    const stsBefore = sts.requests.length;
    const s3Before = s3.requests.length;
    const run = await runAction({
      runId: '7000000201',
      inputs: {
        source: 's3://trail-bucket/org-trail',
        filters: 'eventName: StopLogging',
        ...WINDOW,
        'role-to-assume': 'arn:aws:iam::111122223333:role/github-cloudtrail-reader',
        'aws-region': 'us-east-1',
        'upload-artifact': 'false',
      },
      env: { ...s3Env(), ...oidc.env, AWS_ENDPOINT_URL_STS: sts.endpoint },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs['match-count']).toBe('3');
    expect(await resultIds(run.outputs['results-file']!)).toEqual(EXPECTED_IDS);

    // STS got exactly the token the OIDC endpoint issued for the STS audience.
    const calls = sts.requests.slice(stsBefore);
    expect(calls).toHaveLength(1);
    const token = oidc.issued.at(-1)!;
    expect(token.audience).toBe('sts.amazonaws.com');
    expect(calls[0]!.params).toMatchObject({
      Action: 'AssumeRoleWithWebIdentity',
      RoleArn: 'arn:aws:iam::111122223333:role/github-cloudtrail-reader',
      RoleSessionName: 'cloudtrail-investigate',
      DurationSeconds: '3600',
      WebIdentityToken: token.token,
    });
    expect(calls[0]!.signed).toBe(false);
    expect(calls[0]!.userAgent).toContain('app/cloudtrail-investigate_github-run-7000000201');

    // S3 was read (with the issued keys, the only ones s3rver knows besides its own), and every
    // request names the run in its user agent.
    const reads = s3.requests.slice(s3Before);
    expect(reads.filter((r) => r.method === 'GET' && r.key?.endsWith('.json.gz'))).toHaveLength(logs.size);
    for (const r of reads) expect(r.userAgent).toContain('app/cloudtrail-investigate_github-run-7000000201');

    const issued = sts.issued.at(-1)!;
    expectMasked(run, [token.token, issued.accessKeyId, issued.secretAccessKey, issued.sessionToken]);
  });

  it('uses explicit keys, masked before use', async () => {
    const secret = 'e2e/Secret+Key/DoNotPrint0000000000000';
    const run = await runAction({
      inputs: {
        source: 's3://trail-bucket/org-trail',
        filters: 'eventName: StopLogging',
        ...WINDOW,
        'aws-access-key-id': 'AKIAE2ETESTKEY000001',
        'aws-secret-access-key': secret,
        'aws-region': 'us-east-1',
        'upload-artifact': 'false',
      },
      env: s3Env(),
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs['match-count']).toBe('3');
    expectMasked(run, ['AKIAE2ETESTKEY000001', secret]);
    // Masks come first: before any other line of output.
    expect(
      run.stdout
        .split('\n')
        .slice(0, 2)
        .every((l) => l.startsWith('::add-mask::')),
    ).toBe(true);
  });

  it('explains a missing `id-token: write` permission, before any AWS call', async () => {
    const stsBefore = sts.requests.length;
    const s3Before = s3.requests.length;
    const run = await runAction({
      inputs: {
        source: 's3://trail-bucket/org-trail',
        ...WINDOW,
        'role-to-assume': 'arn:aws:iam::111122223333:role/reader',
      },
      env: { ...s3Env(), AWS_ENDPOINT_URL_STS: sts.endpoint },
    });
    // The search could not start: `error` (exit 5), not a partial search.
    expect(run.exitCode).toBe(5);
    expect(run.outputs.result).toBe('error');
    const errors = visibleCommands(run).filter((c) => c.command === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('permissions: id-token: write');
    expect(sts.requests.length).toBe(stsBefore);
    expect(s3.requests.length).toBe(s3Before);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('invalid inputs', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    [
      'fail-on-match',
      { 'fail-on-match': 'sometimes' },
      'Invalid input `fail-on-match`: must be true or false (true | True | TRUE | false | False | FALSE); got "sometimes".',
    ],
    [
      'output-format',
      { 'output-format': 'xml' },
      'Invalid input `output-format`: must be one of jsonl, json, csv; got "xml".',
    ],
    [
      'days',
      { days: 'a week' },
      'Invalid input `days`: must be a number of days such as 1, 0.25 or 90; got "a week".',
    ],
    [
      'summary-max-rows',
      { 'summary-max-rows': '-5' },
      'Invalid input `summary-max-rows`: must be a whole number from 0 to 1000; got "-5".',
    ],
    ['filters', { filters: 'eventNme: StopLogging' }, 'Invalid input `filters`:'],
  ];
  it.each(cases)(
    '`%s` fails the step with exit 2, naming the input, before any AWS call',
    async (_name, given, message) => {
      const s3Before = s3.requests.length;
      const run = await runAction({
        inputs: { source: 's3://trail-bucket/org-trail', ...given },
        env: { ...s3.env },
      });
      expect(run.exitCode).toBe(2);
      const errors = visibleCommands(run).filter((c) => c.command === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message.startsWith(message), errors[0]!.message).toBe(true);
      expect(errors[0]!.message).not.toMatch(/(^|\s)--[a-z]/);
      expect(s3.requests.length).toBe(s3Before);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      // Outputs on every path: a broken input never reads as clean.
      expect(run.outputs).toEqual({
        result: 'invalid-input',
        matched: 'false',
        'match-count': '0',
        'gate-matches': '0',
        'highest-level': '',
        complete: 'false',
        'state-advanced': 'false',
      });
    },
  );
});
