import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  ACTION_INPUT_DEFAULTS,
  readActionInputs,
  toActionInputError,
  type RunContext,
} from '../../src/config/action-inputs.js';
import { buildInvestigation } from '../../src/config/build.js';
import { ConfigurationError } from '../../src/errors.js';

const repoRoot = path.resolve(__dirname, '../..');
const actionYml = parse(readFileSync(path.join(repoRoot, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string; description: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
};

/** A local source that exists: the shared validator checks it. */
// Any existing folder of logs: the committed examples.
const logs = path.resolve(repoRoot, 'examples/cloudtrail');

const ctx: RunContext = { runnerTemp: '/runner/_temp', runId: '987654', job: 'audit', attempt: '2' };

/** getInput as the runner provides it: action.yml defaults, overridden by `given`. */
function inputs(given: Record<string, string> = {}): (name: string) => string {
  return (name) => (given[name] ?? actionYml.inputs[name]?.default ?? '').trim();
}

function configError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigurationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigurationError');
}

describe('action.yml', () => {
  it('runs on node24 from the committed bundle', () => {
    expect(actionYml.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('declares every input the brief lists, each described, and every output', () => {
    expect(Object.keys(actionYml.inputs).sort()).toEqual(
      [
        'trail',
        'source',
        'regions',
        'accounts',
        'filters',
        'rules',
        'min-level',
        'strict',
        'days',
        'since',
        'until',
        'engine',
        'athena-database',
        'athena-workgroup',
        'athena-output',
        'cleanup',
        'output-format',
        'aws-region',
        'role-to-assume',
        'role-session-name',
        'role-duration-seconds',
        'audience',
        'aws-access-key-id',
        'aws-secret-access-key',
        'aws-session-token',
        'fail-on-match',
        'fail-on-incomplete',
        'summary-max-rows',
        'upload-artifact',
        'artifact-name',
        'job-index',
        'retention-days',
        'state',
        'state-margin',
        'max-delivery-delay',
        'fail-on-no-logs',
      ].sort(),
    );
    for (const [name, spec] of Object.entries(actionYml.inputs)) {
      expect(spec.description.length, name).toBeGreaterThan(10);
      expect(spec.default, `${name} documents its default`).toBeTypeOf('string');
    }
    expect(Object.keys(actionYml.outputs).sort()).toEqual(
      [
        'match-count',
        'matched',
        'complete',
        'results-file',
        'summary-file',
        'artifact-id',
        'artifact-url',
        'bytes-scanned',
        'result',
        'gate-matches',
        'highest-level',
        'state-advanced',
      ].sort(),
    );
  });

  it('is documented in docs/action.md: a table row per input and output', () => {
    const docs = readFileSync(path.join(repoRoot, 'docs/action.md'), 'utf8');
    const rows = new Set(Array.from(docs.matchAll(/^\| `([a-z-]+)` +\|/gm), (m) => m[1]));
    for (const name of [...Object.keys(actionYml.inputs), ...Object.keys(actionYml.outputs)]) {
      expect(rows.has(name), name).toBe(true);
    }
  });

  it("declares the same defaults the code applies when the runner doesn't", () => {
    for (const [name, value] of Object.entries(ACTION_INPUT_DEFAULTS)) {
      expect(actionYml.inputs[name]?.default, name).toBe(value);
    }
  });

  it('reads every declared input and no other', () => {
    const asked = new Set<string>();
    readActionInputs((name) => {
      asked.add(name);
      return inputs({ source: './logs' })(name);
    }, ctx);
    expect([...asked].sort()).toEqual(Object.keys(actionYml.inputs).sort());
  });

  it('its documented defaults build a valid investigation (matching the shared validator)', () => {
    const { raw } = readActionInputs(inputs({ source: logs }), ctx);
    const inv = buildInvestigation(raw, new Date('2024-01-01T00:00:00Z'));
    expect(inv.engine).toBe('auto');
    expect(inv.output.format).toBe('jsonl');
    expect(inv.regions).toBe('all');
    expect(inv.accounts).toBe('all');
    expect(inv.athena.database).toBe(actionYml.inputs['athena-database']!.default);
    expect(inv.athena.workgroup).toBe(actionYml.inputs['athena-workgroup']!.default);
    expect(inv.athena.cleanup).toBe(false);
    expect(inv.failOnMatch).toBe(false);
  });
});

describe('readActionInputs', () => {
  it('applies the Action defaults', () => {
    const { raw, action } = readActionInputs(inputs({ source: 's3://trail-bucket/org' }), ctx);
    expect(action).toEqual({
      failOnMatch: false,
      failOnIncomplete: true,
      summaryMaxRows: 50,
      uploadArtifact: true,
      artifactName: 'cloudtrail-investigation-987654-audit-2',
      retentionDays: undefined,
      auth: {
        roleToAssume: undefined,
        roleSessionName: 'cloudtrail-investigate',
        roleDurationSeconds: 3600,
        audience: 'sts.amazonaws.com',
        accessKeyId: undefined,
        secretAccessKey: undefined,
        sessionToken: undefined,
        region: undefined,
      },
    });
    expect(raw.outDir).toBe(path.join('/runner/_temp', 'cloudtrail-investigate-987654-audit'));
    expect(raw.source).toBe('s3://trail-bucket/org');
  });

  it('applies defaults also when the runner gave no value at all (local runs)', () => {
    const { action } = readActionInputs(() => '', ctx);
    expect(action.failOnIncomplete).toBe(true);
    expect(action.summaryMaxRows).toBe(50);
    expect(action.uploadArtifact).toBe(true);
    expect(action.auth.roleDurationSeconds).toBe(3600);
  });

  it('passes the investigation inputs through as the CLI would', () => {
    const filters = 'eventName:\n  - StopLogging\n  - DeleteTrail\nuserIdentity.type: Root\n';
    const { raw, action } = readActionInputs(
      inputs({
        trail: 'org-trail,\narn:aws:cloudtrail:us-east-1:123456789012:trail/second\n',
        filters,
        days: '0.25',
        regions: 'us-east-1,eu-west-1',
        accounts: '123456789012',
        engine: 'athena',
        'output-format': 'csv',
        'fail-on-match': 'true',
        'aws-region': 'eu-west-1',
        'retention-days': '7',
        'summary-max-rows': '0',
        'artifact-name': 'audit results',
      }),
      ctx,
    );
    expect(raw.trails).toEqual(['org-trail', 'arn:aws:cloudtrail:us-east-1:123456789012:trail/second']);
    expect(raw.filter).toBe(filters.trim());
    expect(raw).toMatchObject({
      days: '0.25',
      regions: 'us-east-1,eu-west-1',
      accounts: '123456789012',
      engine: 'athena',
      format: 'csv',
      awsRegion: 'eu-west-1',
    });
    expect(action).toMatchObject({
      failOnMatch: true,
      retentionDays: 7,
      summaryMaxRows: 0,
      artifactName: 'audit results',
    });
    const inv = buildInvestigation(raw, new Date('2024-01-01T06:00:00Z'));
    expect(inv.source).toEqual({ kind: 'trail', trails: raw.trails });
    expect(inv.window.since.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(inv.failOnMatch).toBe(true);
    expect(inv.output.format).toBe('csv');
  });

  it('reads OIDC and key settings', () => {
    const oidc = readActionInputs(
      inputs({
        'role-to-assume': 'arn:aws:iam::123456789012:role/gh/cloudtrail-reader',
        'role-duration-seconds': '900',
        audience: 'my-aud',
      }),
      ctx,
    ).action.auth;
    expect(oidc).toMatchObject({
      roleToAssume: 'arn:aws:iam::123456789012:role/gh/cloudtrail-reader',
      roleDurationSeconds: 900,
      audience: 'my-aud',
    });
    const keys = readActionInputs(
      inputs({ 'aws-access-key-id': 'AKIAEXAMPLE', 'aws-secret-access-key': 's3cr3t' }),
      ctx,
    ).action.auth;
    expect(keys).toMatchObject({
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 's3cr3t',
      roleToAssume: undefined,
    });
  });

  const invalid: Array<[string, Record<string, string>, RegExp]> = [
    ['fail-on-incomplete', { 'fail-on-incomplete': 'maybe' }, /true or false/],
    ['fail-on-match', { 'fail-on-match': 'sometimes' }, /true or false/],
    ['upload-artifact', { 'upload-artifact': 'please' }, /true or false/],
    ['summary-max-rows', { 'summary-max-rows': '-1' }, /0 to 1000/],
    ['summary-max-rows', { 'summary-max-rows': 'lots' }, /0 to 1000/],
    ['retention-days', { 'retention-days': '0' }, /1 to 400/],
    [
      'role-duration-seconds',
      { 'role-to-assume': 'arn:aws:iam::123456789012:role/r', 'role-duration-seconds': '60' },
      /900 to 43200/,
    ],
    ['role-to-assume', { 'role-to-assume': 'my-role' }, /IAM role ARN/],
    [
      'role-to-assume',
      {
        'role-to-assume': 'arn:aws:iam::123456789012:role/r',
        'aws-access-key-id': 'AKIA1',
        'aws-secret-access-key': 'x',
      },
      /remove aws-access-key-id/,
    ],
    ['role-session-name', { 'role-session-name': 'has space' }, /2 to 64 characters/],
    ['artifact-name', { 'artifact-name': 'a/b' }, /must not contain/],
    ['aws-session-token', { 'aws-session-token': 'tok' }, /needs aws-access-key-id/],
  ];
  it.each(invalid)('rejects a bad %s, naming it and the valid values', (field, given, why) => {
    const err = configError(() => readActionInputs(inputs({ source: logs, ...given }), ctx));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(why);
    expect(err.message).not.toMatch(/--[a-z]/);
  });

  it('never echoes a secret key in its message', () => {
    const err = configError(() =>
      readActionInputs(inputs({ 'aws-secret-access-key': 'wJalrXUtnFEMI/K7MDENG' }), ctx),
    );
    expect(err.field).toBe('aws-access-key-id');
    expect(err.message).not.toContain('wJalrXUtnFEMI');
  });
});

describe('toActionInputError', () => {
  const build = (given: Record<string, string>) =>
    configError(() =>
      buildInvestigation(
        readActionInputs(inputs({ source: logs, ...given }), ctx).raw,
        new Date('2024-01-01T00:00:00Z'),
      ),
    );

  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['days', { days: 'a week' }, /number of days/],
    ['since', { since: 'yesterday-ish' }, /ISO-8601/],
    ['output-format', { 'output-format': 'xml' }, /jsonl, json, csv/],
    ['engine', { engine: 'fast' }, /scan, athena, auto/],
    ['regions', { regions: 'us-east-1,mars-1' }, /not an AWS region/],
    ['accounts', { accounts: '1234' }, /12-digit/],
    ['fail-on-match', { 'fail-on-match': 'perhaps' }, /true or false/],
    ['cleanup', { cleanup: 'later' }, /true or false/],
    ['filters', { filters: 'eventName: [unclosed' }, /./],
    ['source', { source: '', trail: '' }, /./],
  ];
  it.each(cases)('names the input `%s` instead of the CLI flag', (input, given, why) => {
    // readActionInputs itself does not check these: the shared validator does.
    const mapped = toActionInputError(build(given));
    expect(mapped.field).toBe(input);
    expect(mapped.message).toMatch(why);
    expect(mapped.message).not.toMatch(
      /(^|[^\w-])--(days|since|until|format|engine|regions|accounts|fail-on-match|cleanup|source|trail)\b/,
    );
  });

  it('maps --format to output-format inside the message', () => {
    const mapped = toActionInputError(
      new ConfigurationError('--format must be one of jsonl, json, csv; got "xml".', '--format'),
    );
    expect(mapped.message).toBe('output-format must be one of jsonl, json, csv; got "xml".');
    expect(mapped.field).toBe('output-format');
  });
});
