/**
 * The Athena engine wired into the CLI, run as a user runs it (a child process) against a real
 * S3-protocol server holding generated logs: the dry-run plan, the automatic engine choice, and a
 * run whose Athena endpoint cannot be reached. Athena itself is a closed port here, so any call to
 * it fails: a dry run that succeeds made none.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { runCli } from '../helpers/cli.js';
import { cloudTrailFiles, inWindow, jqEventIds } from '../helpers/jq.js';
import { hive, trino } from '../athena/grammar.js';
import { checkAthenaQuery } from '../athena/plan-check.js';
import {
  ACCOUNT_TRAIL,
  ORG_ID,
  ORG_TRAIL,
  REGIONS,
  objectsOf,
  readJson,
  readJsonl,
  removeTempDirs,
  tempDir,
  writeObjects,
} from './fixture.js';

/** Nothing listens on port 9 (discard): every Athena call fails at once with ECONNREFUSED. */
const CLOSED = 'http://127.0.0.1:9';
const TRAIL = { ...ACCOUNT_TRAIL, filesPerHour: 0.25 };
const INJECTION = "bob' OR '1'='1";

let server: S3TestServer;
let env: Record<string, string>;
let mirror: string;

beforeAll(async () => {
  server = await startS3Server({ buckets: ['cli-trail', 'cli-org'] });
  const trail = objectsOf(TRAIL);
  await server.seed('cli-trail', trail);
  await server.seed('cli-org', objectsOf(ORG_TRAIL));
  mirror = await tempDir('athena-cli-logs');
  await writeObjects(mirror, trail);
  env = { ...server.env, AWS_ENDPOINT_URL_ATHENA: CLOSED };
});

afterAll(async () => {
  await server?.close();
  await removeTempDirs();
});

interface DryRunPlan {
  engine: string;
  engineReason: string;
  ddl: string[];
  queries: Array<{ region: string; table: string; sql: string; parameters: string[] }>;
  warnings: string[];
}

/** Object reads (GETs of a key) the server saw since `from`: a dry run makes none. */
function objectReads(from: number): string[] {
  return server.requests
    .slice(from)
    .filter((r) => r.method === 'GET' && r.key !== undefined)
    .map((r) => r.key as string);
}

describe('--dry-run with --engine athena', () => {
  it('plans the DDL and one parameterised query per region found, without calling Athena or reading logs', async () => {
    const dir = await tempDir('athena-dry');
    const before = server.requests.length;
    const filter = {
      'userIdentity.userName': INJECTION,
      'requestParameters.bucketName|contains': "x'; DROP TABLE t; --",
    };
    const run = await runCli(
      [
        '--source',
        's3://cli-trail/audit/ct',
        '--engine',
        'athena',
        '--dry-run',
        '--since',
        '2024-03-01T06:00:00Z',
        '--until',
        '2024-03-02T12:00:00Z',
        '--filter',
        JSON.stringify(filter),
        '--out-dir',
        dir,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(objectReads(before)).toEqual([]);

    const plan = await readJson<DryRunPlan>(path.join(dir, 'plan.json'));
    expect(plan.engine).toBe('athena');
    expect(plan.ddl).toHaveLength(2);
    expect(plan.ddl[0]).toBe('CREATE DATABASE IF NOT EXISTS `cloudtrail_investigate`');
    expect(plan.ddl[1]).toMatch(
      /^CREATE EXTERNAL TABLE IF NOT EXISTS `cloudtrail_investigate`\.`cloudtrail_cli_trail_[0-9a-f]{12}`/,
    );
    expect(plan.ddl[1]).toContain(
      "'storage.location.template'='s3://cli-trail/audit/ct/AWSLogs/${account}/CloudTrail/${region}/${timestamp}'",
    );
    expect(plan.ddl[1]).toContain(`'projection.account.values'='${[...TRAIL.accounts].sort().join(',')}'`);
    expect(plan.ddl[1]).toContain(`'projection.region.values'='${[...REGIONS].sort().join(',')}'`);
    for (const ddl of plan.ddl) expect(hive.validate(ddl)).toEqual([]);
    // Every statement of the plan within Athena's documented limits (DDL without parameters).
    for (const ddl of plan.ddl) expect(checkAthenaQuery(ddl, [])).toEqual([]);
    for (const q of plan.queries) expect(checkAthenaQuery(q.sql, q.parameters)).toEqual([]);

    // One query per region seeded, each reading only its own partition.
    expect(plan.queries.map((q) => q.region).sort()).toEqual([...REGIONS].sort());
    for (const q of plan.queries) {
      expect(trino.validate(q.sql)).toEqual([]);
      expect(q.sql).not.toMatch(/bob|1'='1|DROP|2024|us-east-1|eu-west-1|ap-south-1/i);
      expect(q.parameters[0]).toBe(`'${q.region}'`);
      // The original tool pasted these into the SQL; here they are quoted literals, quotes doubled.
      expect(q.parameters).toContain("'bob'' OR ''1''=''1'");
      expect(q.parameters).toContain("'x''; DROP TABLE t; --'");
      expect(q.parameters).toEqual(
        expect.arrayContaining([
          "'2024/03/01'",
          "'2024/03/02'",
          "'2024-03-01T06:00:00.000Z'",
          "'2024-03-02T12:00:00.000Z'",
        ]),
      );
      // Each parameter is one SQL string literal: nothing outside its quotes.
      for (const p of q.parameters) expect(p).toMatch(/^'(?:[^']|'')*'$/);
    }
    expect(run.stdout).toMatch(/Dry run \(athena/);
  });

  it('an organization trail without a key prefix gets the organization layout in its table location', async () => {
    const dir = await tempDir('athena-dry-org');
    const run = await runCli(
      [
        '--source',
        's3://cli-org',
        '--engine',
        'athena',
        '--dry-run',
        '--since',
        '2024-03-01T00:00:00Z',
        '--until',
        '2024-03-02T00:00:00Z',
        '--filter',
        '{"eventName": "ConsoleLogin"}',
        '--out-dir',
        dir,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const plan = await readJson<DryRunPlan>(path.join(dir, 'plan.json'));
    expect(plan.ddl[1]).toContain(`LOCATION 's3://cli-org/AWSLogs/${ORG_ID}/'`);
    expect(plan.ddl[1]).toContain(
      `'storage.location.template'='s3://cli-org/AWSLogs/${ORG_ID}/\${account}/CloudTrail/\${region}/\${timestamp}'`,
    );
    expect(plan.ddl[1]).toContain(
      `'projection.account.values'='${[...ORG_TRAIL.accounts].sort().join(',')}'`,
    );
    expect(hive.validate(plan.ddl[1] as string)).toEqual([]);
    expect(plan.queries.map((q) => q.region).sort()).toEqual([...ORG_TRAIL.regions].sort());
    expect(plan.warnings).toEqual([]);
  });

  it('--regions without us-east-1: only those regions are queried, with the warning about global events', async () => {
    const dir = await tempDir('athena-dry-regions');
    const run = await runCli(
      [
        '--source',
        's3://cli-org',
        '--engine',
        'athena',
        '--dry-run',
        '--regions',
        'us-west-2',
        '--since',
        '2024-03-01T00:00:00Z',
        '--until',
        '2024-03-02T00:00:00Z',
        '--out-dir',
        dir,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const plan = await readJson<DryRunPlan>(path.join(dir, 'plan.json'));
    expect(plan.queries.map((q) => q.region)).toEqual(['us-west-2']);
    expect(plan.warnings).toEqual([expect.stringMatching(/leave out us-east-1: global-service events/)]);
    expect(run.stderr).toMatch(/warning: .*leave out us-east-1/);
  });
});

describe('--dry-run with --engine athena and --rules (the shipped CLI)', () => {
  it("plans one query per region with every rule test in WHERE, within Athena's limits", async () => {
    const dir = await tempDir('athena-dry-rules');
    const run = await runCli(
      [
        '--source',
        's3://cli-trail/audit/ct',
        '--engine',
        'athena',
        '--dry-run',
        '--rules',
        'builtin:all',
        '--filter',
        '{"additionalEventData.bytesTransferredOut": 243}',
        '--since',
        '2024-03-01T00:00:00Z',
        '--until',
        '2024-03-02T00:00:00Z',
        '--out-dir',
        dir,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const plan = await readJson<DryRunPlan>(path.join(dir, 'plan.json'));
    expect(plan.queries.map((q) => q.region).sort()).toEqual([...REGIONS].sort());
    for (const q of plan.queries) {
      expect(trino.validate(q.sql)).toEqual([]);
      expect(checkAthenaQuery(q.sql, q.parameters)).toEqual([]);
      // The select list is the table's columns: nothing computed from the rules.
      expect(q.sql.slice(0, q.sql.indexOf(' FROM '))).not.toMatch(/\?|sigma_rules/);
      expect(q.parameters).toEqual(expect.arrayContaining(["'StopLogging'", "'243'"]));
    }
  });
});

describe('--engine auto', () => {
  const FILTER = '{"eventName": ["ConsoleLogin", "AssumeRole", "GetSecretValue"]}';
  const SELECT =
    '(.eventName == "ConsoleLogin" or .eventName == "AssumeRole" or .eventName == "GetSecretValue")';

  it('picks scan for 2 days of a small trail over S3, runs it without Athena and says why', async () => {
    const dir = await tempDir('athena-auto-scan');
    const since = '2024-03-01T00:00:00Z';
    const until = '2024-03-03T00:00:00Z';
    const run = await runCli(
      [
        '--source',
        's3://cli-trail/audit/ct',
        '--engine',
        'auto',
        '--since',
        since,
        '--until',
        until,
        '--filter',
        FILTER,
        '--out-dir',
        dir,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = await readJson(path.join(dir, 'summary.json'));
    expect(summary.engine).toBe('scan');
    expect(summary.engineReason).toMatch(
      /^auto: scan is cheaper\b.*Estimated from \d+ of \d+ day folders listed/,
    );
    expect(summary.complete).toBe(true);
    const ids = (await readJsonl(path.join(dir, 'results.jsonl'))).map((r) => r.eventID as string).sort();
    const expected = await jqEventIds(
      await cloudTrailFiles(mirror),
      `${SELECT} and ${inWindow(since, until)}`,
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(ids).toEqual(expected);
  });

  it('picks by estimated cost, not by window length: 30 days of a small trail is scan (dry run)', async () => {
    const dir = await tempDir('athena-auto-athena');
    const run = await runCli(
      [
        '--source',
        's3://cli-trail/audit/ct',
        '--engine',
        'auto',
        '--dry-run',
        '--since',
        '2024-02-10T00:00:00Z',
        '--until',
        '2024-03-11T00:00:00Z',
        '--filter',
        FILTER,
        '--out-dir',
        dir,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const plan = await readJson<DryRunPlan & { engineEstimate: { layout: { accounts: number } } }>(
      path.join(dir, 'plan.json'),
    );
    // Half a file an hour per account and region: a few hundred objects, where Athena's start-up
    // and its 10 MB minimum per query cost more (__tests__/engines/engine-choice.test.ts has the
    // shape Athena wins).
    expect(plan.engine).toBe('scan');
    expect(plan.engineReason).toMatch(/^auto: scan is cheaper\b/);
    expect(plan.engineEstimate.layout.accounts).toBe(ACCOUNT_TRAIL.accounts.length);
  });

  it('picks scan for a 30-day window when the filter tests a field Athena has no column for', async () => {
    const dir = await tempDir('athena-auto-field');
    const run = await runCli(
      [
        '--source',
        's3://cli-trail/audit/ct',
        '--engine',
        'auto',
        '--dry-run',
        '--since',
        '2024-02-10T00:00:00Z',
        '--until',
        '2024-03-11T00:00:00Z',
        '--filter',
        '{"managementEvent": false, "eventName": "GetObject"}',
        '--out-dir',
        dir,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const plan = await readJson<DryRunPlan & { objects: unknown[] }>(path.join(dir, 'plan.json'));
    expect(plan.engine).toBe('scan');
    expect(plan.engineReason).toMatch(
      /only the scan engine can run this filter: .*no column for "managementEvent"/,
    );
    expect(plan.objects.length).toBeGreaterThan(0);
    // Asked for by name, Athena still refuses the filter as a user mistake (exit 2), before any call.
    const athena = await runCli(
      [
        '--source',
        's3://cli-trail/audit/ct',
        '--engine',
        'athena',
        '--dry-run',
        '--days',
        '30',
        '--filter',
        '{"managementEvent": false}',
        '--out-dir',
        dir,
      ],
      { env },
    );
    expect(athena.code).toBe(2);
    expect(athena.stderr).toMatch(/no column for "managementEvent".*Use --engine scan/);
  });

  it('always picks scan for a local folder, whatever the window', async () => {
    const dir = await tempDir('athena-auto-local');
    const since = '2024-02-10T00:00:00Z';
    const until = '2024-03-11T00:00:00Z';
    const run = await runCli(
      [
        '--source',
        mirror,
        '--engine',
        'auto',
        '--since',
        since,
        '--until',
        until,
        '--filter',
        FILTER,
        '--out-dir',
        dir,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = await readJson(path.join(dir, 'summary.json'));
    expect(summary.engine).toBe('scan');
    expect(summary.engineReason).toMatch(/local folder/);
    const ids = (await readJsonl(path.join(dir, 'results.jsonl'))).map((r) => r.eventID as string).sort();
    expect(ids).toEqual(
      await jqEventIds(await cloudTrailFiles(mirror), `${SELECT} and ${inWindow(since, until)}`),
    );
  });
});

describe('--engine athena when Athena cannot be reached', () => {
  for (const output of [undefined, 's3://athena-results/runs/']) {
    it(`exits 3 with one clear error line and an incomplete summary (${output ? '--athena-output given' : 'workgroup output'})`, async () => {
      const dir = await tempDir('athena-down');
      const args = [
        '--source',
        's3://cli-trail/audit/ct',
        '--engine',
        'athena',
        '--since',
        '2024-03-01T00:00:00Z',
        '--until',
        '2024-03-02T00:00:00Z',
        '--filter',
        '{"eventName": "ConsoleLogin"}',
        '--out-dir',
        dir,
      ];
      const run = await runCli(output ? [...args, '--athena-output', output] : args, { env });
      expect(run.code, run.stderr).toBe(3);
      const errors = run.stderr.split('\n').filter((l) => l.startsWith('error: '));
      expect(errors, run.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(/Athena/);
      expect(errors[0]).toMatch(/ECONNREFUSED|connect/);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      const summary = await readJson(path.join(dir, 'summary.json'));
      expect(summary.complete).toBe(false);
      expect(summary.engine).toBe('athena');
      expect(summary.matches).toBe(0);
      expect(summary.failures).toEqual([{ key: '*', reason: errors[0]?.slice('error: '.length) }]);
      expect(run.stdout).toMatch(/INCOMPLETE/);
    });
  }
});
