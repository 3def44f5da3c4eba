/**
 * Secrets never leak: access keys, secret keys, session tokens (given or issued by STS) and the
 * job's OIDC token appear in no log line, output, job summary, artifact file or error message —
 * on failure paths above all (bad input while keys are set, unreachable S3, STS refusing, a bad
 * region). The only place a secret may appear is the `::add-mask::` command that hides it, and the
 * Action must issue one for each.
 */
import { readdir, readFile, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { startOidcServer } from '../helpers/oidc-server.js';
import { startStsServer } from '../helpers/sts-server.js';
import { startAwsListener } from './aws-listener.js';

const ACCESS_KEY = 'AKIAHOSTILETEST00001';
const SECRET_KEY = 'hostileSecretKey+/NeverPrintMe0123456789ab';
const SESSION_TOKEN = 'hostileSessionToken//NeverPrintMe//FwoGZXIvYXdzEJr';
const SECRETS = [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN];
const WINDOW = ['--since', '2023-07-10T00:00:00Z', '--until', '2023-07-11T00:00:00Z'];

/** Every file below `dir`, as text. */
async function filesBelow(dir: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    out.push({ file, text: await readFile(file, 'utf8') });
  }
  return out;
}

function expectNoSecret(texts: Array<{ where: string; text: string }>, secrets: string[]): void {
  expect(texts.length).toBeGreaterThan(0);
  for (const { where, text } of texts) {
    for (const secret of secrets) {
      expect(text.includes(secret), `${where} holds a secret`).toBe(false);
      // Nor a recognisable part of one (a truncated message, a URL-encoded copy).
      expect(text.includes(secret.slice(0, 16)), `${where} holds part of a secret`).toBe(false);
      expect(text.includes(encodeURIComponent(secret)), `${where} holds an encoded secret`).toBe(false);
    }
  }
}

async function cliTexts(run: { stdout: string; stderr: string }, out: string) {
  return [
    { where: 'stdout', text: run.stdout },
    { where: 'stderr', text: run.stderr },
    ...(await filesBelow(out)).map((f) => ({ where: f.file, text: f.text })),
  ];
}

/** Everything an Action run leaves behind, with the masking commands set apart. */
async function actionTexts(run: ActionRun) {
  const masked = run.commands.filter((c) => c.command === 'add-mask').map((c) => c.message);
  const stdout = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  return {
    masked,
    texts: [
      { where: 'stdout (without add-mask)', text: stdout },
      { where: 'stderr', text: run.stderr },
      { where: 'GITHUB_OUTPUT', text: JSON.stringify(run.outputs) },
      { where: 'GITHUB_STEP_SUMMARY', text: run.summary },
      ...(await filesBelow(run.runnerTemp)).map((f) => ({ where: f.file, text: f.text })),
    ],
  };
}

describe('the CLI never prints or writes a secret', () => {
  const keyFlags = [
    '--aws-access-key-id',
    ACCESS_KEY,
    '--aws-secret-access-key',
    SECRET_KEY,
    '--aws-session-token',
    SESSION_TOKEN,
  ];

  it.each([
    [
      'a bad filter while keys are given',
      [...keyFlags, '--source', 's3://my-trail-bucket', '--filter', '{"eventNmae": 1}'],
      2,
    ],
    [
      'a bad region while keys are given',
      [...keyFlags, '--source', 's3://my-trail-bucket', '--regions', 'narnia-1'],
      2,
    ],
    [
      'unreachable S3 (debug log)',
      [...keyFlags, '--source', 's3://my-trail-bucket/logs', '--log-level', 'debug'],
      3,
    ],
    [
      'an unknown --aws-region with unreachable S3 (debug log)',
      [
        ...keyFlags,
        '--source',
        's3://my-trail-bucket/logs',
        '--aws-region',
        'xx-north-9', // well-formed, but no such region
        '--log-level',
        'debug',
      ],
      3,
    ],
    [
      'Athena on an unreachable endpoint (debug log)',
      [
        ...keyFlags,
        '--source',
        's3://my-trail-bucket/logs',
        '--engine',
        'athena',
        '--athena-output',
        's3://results-bucket/x',
        '--log-level',
        'debug',
      ],
      3,
    ],
  ] as Array<[string, string[], number]>)('%s', async (_name, args, exit) => {
    const listener = await startAwsListener();
    const out = await mkdtemp(path.join(os.tmpdir(), 'ct-secrets-'));
    try {
      const run = await runCli([...args, ...WINDOW, '--out-dir', out], { env: listener.env });
      expect(run.code, run.stderr).toBe(exit);
      expectNoSecret(await cliTexts(run, out), SECRETS);
    } finally {
      await listener.close();
    }
  });

  it('keys from the environment and from a config file, on failure', async () => {
    const listener = await startAwsListener();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ct-secrets-'));
    const config = path.join(dir, 'config.yml');
    await writeFile(
      config,
      `awsAccessKey: ${ACCESS_KEY}\nawsSecret: "${SECRET_KEY}"\nawsSessionToken: "${SESSION_TOKEN}"\nsource: s3://my-trail-bucket/logs\n`,
    );
    try {
      const fromFile = await runCli(
        ['--file', config, ...WINDOW, '--out-dir', path.join(dir, 'a'), '--log-level', 'debug'],
        { env: listener.env },
      );
      expect(fromFile.code).toBe(3);
      expectNoSecret(await cliTexts(fromFile, path.join(dir, 'a')), SECRETS);
      const fromEnv = await runCli(
        [
          '--source',
          's3://my-trail-bucket/logs',
          ...WINDOW,
          '--out-dir',
          path.join(dir, 'b'),
          '--log-level',
          'debug',
        ],
        {
          env: {
            ...listener.env,
            AWS_ACCESS_KEY_ID: ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY: SECRET_KEY,
            AWS_SESSION_TOKEN: SESSION_TOKEN,
          },
        },
      );
      expect(fromEnv.code).toBe(3);
      expectNoSecret(await cliTexts(fromEnv, path.join(dir, 'b')), SECRETS);
      expect(listener.connections, 'these runs did try S3 (the failure path was exercised)').toBeGreaterThan(
        0,
      );
    } finally {
      await listener.close();
    }
  });
});

describe('the Action never logs or writes a secret, and masks each one', () => {
  const keys = {
    'aws-access-key-id': ACCESS_KEY,
    'aws-secret-access-key': SECRET_KEY,
    'aws-session-token': SESSION_TOKEN,
  };
  const base = {
    source: 's3://my-trail-bucket/logs',
    since: '2023-07-10T00:00:00Z',
    until: '2023-07-11T00:00:00Z',
    'upload-artifact': 'false',
    'aws-region': 'us-east-1',
  };

  it('keys with unreachable S3, and keys with a bad filter', async () => {
    const listener = await startAwsListener();
    try {
      for (const [inputs, exit] of [
        [{ ...base, ...keys }, 3],
        [{ ...base, ...keys, filters: '{"eventName|re": "(?=(a+)+b)"}' }, 2],
        [{ ...base, ...keys, regions: 'narnia-1' }, 2],
      ] as Array<[Record<string, string>, number]>) {
        const run = await runAction({ inputs, env: { ...listener.env, ACTIONS_STEP_DEBUG: 'true' } });
        expect(run.exitCode, run.stdout.slice(-2000)).toBe(exit);
        const { masked, texts } = await actionTexts(run);
        for (const secret of SECRETS) expect(masked).toContain(secret);
        expectNoSecret(texts, SECRETS);
      }
    } finally {
      await listener.close();
    }
  });

  it('OIDC: STS refusing the token; STS issuing credentials then S3 unreachable', async () => {
    const oidc = await startOidcServer();
    const listener = await startAwsListener();
    const refusing = await startStsServer({ acceptToken: () => false });
    const accepting = await startStsServer({ acceptToken: () => true });
    try {
      const role = { 'role-to-assume': 'arn:aws:iam::111122223333:role/cloudtrail-reader' };
      const refused = await runAction({
        inputs: { ...base, ...role },
        env: { ...listener.env, ...oidc.env, AWS_ENDPOINT_URL_STS: refusing.endpoint },
      });
      // The search could not start: `error` (exit 5).
      expect(refused.exitCode, refused.stdout.slice(-2000)).toBe(5);
      const token = oidc.issued.at(-1)?.token;
      expect(token, 'the Action asked for an OIDC token').toBeDefined();
      const r = await actionTexts(refused);
      expect(r.masked).toContain(token);
      expectNoSecret(r.texts, [token!]);

      const issued = await runAction({
        inputs: { ...base, ...role },
        env: { ...listener.env, ...oidc.env, AWS_ENDPOINT_URL_STS: accepting.endpoint },
      });
      expect(issued.exitCode, issued.stdout.slice(-2000)).toBe(3);
      const creds = accepting.issued.at(-1)!;
      const secrets = [oidc.issued.at(-1)!.token, creds.secretAccessKey, creds.sessionToken];
      const i = await actionTexts(issued);
      for (const secret of secrets) expect(i.masked).toContain(secret);
      expectNoSecret(i.texts, secrets);
      expect(listener.connections, 'the issued credentials were used against S3').toBeGreaterThan(0);
    } finally {
      await Promise.all([oidc.close(), listener.close(), refusing.close(), accepting.close()]);
    }
  });
});
