import { describe, it, expect } from 'vitest';
import {
  fullJitterDelay,
  resolveCredentials,
  sdkAppId,
  STS_MAX_ATTEMPTS,
  tokenSubject,
  type CredentialDeps,
  type WebIdentityRequest,
} from '../../src/aws/credentials.js';
import type { AuthSettings } from '../../src/config/action-inputs.js';
import { SearchError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';

const auth: AuthSettings = {
  roleToAssume: 'arn:aws:iam::123456789012:role/reader',
  roleSessionName: 'cloudtrail-investigate',
  roleDurationSeconds: 1800,
  audience: 'sts.amazonaws.com',
  accessKeyId: undefined,
  secretAccessKey: undefined,
  sessionToken: undefined,
  region: 'eu-west-1',
};

const jwt = (claims: object) =>
  `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const TOKEN = jwt({ sub: 'repo:octo/app:ref:refs/heads/main', aud: 'sts.amazonaws.com' });
const OIDC_ENV = {
  ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/token?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req',
};

function stsError(name: string, message = `${name} happened`): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** Records the order of events: masks, STS calls, sleeps. */
function harness(answers: Array<Error | 'ok'>, env: NodeJS.ProcessEnv = OIDC_ENV) {
  const events: string[] = [];
  const requests: WebIdentityRequest[] = [];
  const deps: CredentialDeps = {
    env,
    getIDToken: async (aud) => {
      events.push(`token:${aud}`);
      return TOKEN;
    },
    setSecret: (v) => events.push(`mask:${v}`),
    logger: silentLogger,
    sleep: async (ms) => {
      events.push(`sleep:${ms}`);
    },
    random: () => 0.5,
    assumeRoleWithWebIdentity: async (req) => {
      requests.push(req);
      const answer = answers.shift();
      events.push('sts');
      if (answer === undefined || answer instanceof Error) throw answer ?? new Error('no answer');
      return {
        accessKeyId: 'ASIATEMP',
        secretAccessKey: 'temp-secret',
        sessionToken: 'temp-token',
        expiration: undefined,
        assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/reader/s',
      };
    },
  };
  return { deps, events, requests };
}

describe('resolveCredentials with role-to-assume', () => {
  it('exchanges the OIDC token for the role, masking the token and every returned secret', async () => {
    const { deps, events, requests } = harness(['ok']);
    const resolved = await resolveCredentials(auth, deps);
    expect(resolved.source).toBe('oidc');
    expect(resolved.credentials).toEqual({
      accessKeyId: 'ASIATEMP',
      secretAccessKey: 'temp-secret',
      sessionToken: 'temp-token',
      region: 'eu-west-1',
    });
    expect(requests).toEqual([
      {
        roleArn: auth.roleToAssume,
        roleSessionName: 'cloudtrail-investigate',
        durationSeconds: 1800,
        webIdentityToken: TOKEN,
        region: 'eu-west-1',
      },
    ]);
    expect(events).toEqual([
      'token:sts.amazonaws.com',
      `mask:${TOKEN}`,
      'sts',
      'mask:ASIATEMP',
      'mask:temp-secret',
      'mask:temp-token',
    ]);
    expect(resolved.description).not.toContain('temp');
  });

  it('retries transient failures with full-jitter backoff', async () => {
    const { deps, events } = harness([
      stsError('IDPCommunicationError'),
      stsError('ThrottlingException'),
      'ok',
    ]);
    await resolveCredentials(auth, deps);
    // random() = 0.5: half of 1 s, then half of 2 s.
    expect(events.filter((e) => e.startsWith('sleep') || e === 'sts')).toEqual([
      'sts',
      'sleep:500',
      'sts',
      'sleep:1000',
      'sts',
    ]);
  });

  it(`gives up after ${STS_MAX_ATTEMPTS} attempts and says so`, async () => {
    const { deps, events } = harness(Array.from({ length: 10 }, () => stsError('InternalFailure', 'boom')));
    await expect(resolveCredentials(auth, deps)).rejects.toThrow(/after 5 attempts/);
    expect(events.filter((e) => e === 'sts')).toHaveLength(STS_MAX_ATTEMPTS);
  });

  it('does not retry AccessDenied, and explains the trust policy with the token subject', async () => {
    const { deps, events } = harness([
      stsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity'),
    ]);
    const err = await resolveCredentials(auth, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchError);
    expect((err as Error).message).toContain('trust policy');
    expect((err as Error).message).toContain('repo:octo/app:ref:refs/heads/main');
    expect((err as Error).message).not.toContain(TOKEN);
    expect(events.filter((e) => e === 'sts')).toHaveLength(1);
  });

  it('says to add `id-token: write` when the job cannot request a token, before any call', async () => {
    const { deps, events } = harness(['ok'], {});
    await expect(resolveCredentials(auth, deps)).rejects.toThrow(/permissions: id-token: write/);
    expect(events).toEqual([]);
  });
});

describe('resolveCredentials without a role', () => {
  it('uses the given keys', async () => {
    const { deps, events } = harness([]);
    const resolved = await resolveCredentials(
      { ...auth, roleToAssume: undefined, accessKeyId: 'AKIA1', secretAccessKey: 's', sessionToken: 't' },
      deps,
    );
    expect(resolved).toMatchObject({
      source: 'keys',
      credentials: { accessKeyId: 'AKIA1', secretAccessKey: 's', sessionToken: 't', region: 'eu-west-1' },
    });
    expect(events).toEqual([]);
  });

  it('falls back to the default chain', async () => {
    const { deps } = harness([]);
    const resolved = await resolveCredentials({ ...auth, roleToAssume: undefined, region: undefined }, deps);
    expect(resolved).toEqual({
      source: 'default',
      credentials: {},
      description: "the runner's default AWS credentials",
    });
  });
});

describe('helpers', () => {
  it('full jitter stays within the exponential ceiling, capped', () => {
    expect(fullJitterDelay(1, () => 0.999)).toBe(999);
    expect(fullJitterDelay(3, () => 0.999)).toBe(3996);
    expect(fullJitterDelay(20, () => 0.999)).toBe(15_984);
    expect(fullJitterDelay(4, () => 0)).toBe(0);
  });

  it('the SDK app id names the tool and the run, within the SDK limit and its character set', () => {
    expect(sdkAppId('16547890123')).toBe('cloudtrail-investigate_github-run-16547890123');
    expect(sdkAppId('1'.repeat(80))).toHaveLength(50);
    expect(sdkAppId('a b/c')).toMatch(/^[!$%&'*+\-.^_`|~\w#]+$/);
  });

  it('reads the subject of a JWT, and nothing from garbage', () => {
    expect(tokenSubject(TOKEN)).toBe('repo:octo/app:ref:refs/heads/main');
    expect(tokenSubject('not-a-jwt')).toBeUndefined();
    expect(tokenSubject('a.!!!.c')).toBeUndefined();
  });
});
