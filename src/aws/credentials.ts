/**
 * The Action's AWS credentials, in order: a role assumed with the job's GitHub OIDC token
 * (`role-to-assume`), explicit keys, or else the SDK's default chain (left to the client factory).
 * Every secret is masked before use; the STS call is retried with full-jitter backoff.
 */
import { STSClient, AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import type { AuthSettings } from '../config/action-inputs.js';
import type { Credentials } from '../investigation.js';
import type { Logger } from '../logger.js';
import { SearchError, errorMessage } from '../errors.js';
import { USER_AGENT } from './settings.js';

export interface WebIdentityRequest {
  roleArn: string;
  roleSessionName: string;
  durationSeconds: number;
  webIdentityToken: string;
  region: string;
}

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date | undefined;
  assumedRoleArn: string | undefined;
}

export interface CredentialDeps {
  env: NodeJS.ProcessEnv;
  /** `core.getIDToken`: the job's OIDC token for `audience`. */
  getIDToken(audience: string): Promise<string>;
  /** `core.setSecret`: mask a value in the rest of the log. */
  setSecret(value: string): void;
  logger: Logger;
  sleep?(ms: number): Promise<void>;
  random?(): number;
  /** The STS call; defaults to the SDK (which honours AWS_ENDPOINT_URL_STS). */
  assumeRoleWithWebIdentity?(request: WebIdentityRequest): Promise<TemporaryCredentials>;
}

export interface ResolvedCredentials {
  credentials: Credentials;
  source: 'oidc' | 'keys' | 'default';
  /** For the log, e.g. "role arn:aws:iam::…:role/x (GitHub OIDC)". Holds no secret. */
  description: string;
}

export const STS_MAX_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 16_000;

/** Errors STS will give again whatever we do: retrying only delays the message. */
const NON_RETRYABLE = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'ValidationError',
  'MalformedPolicyDocument',
  'PackedPolicyTooLarge',
  'RegionDisabledException',
  'ExpiredTokenException',
]);

/** How API calls introduce themselves, so the investigation's own calls stand out in CloudTrail. */
export function actionUserAgent(runId: string): string {
  return `${USER_AGENT} (github-run ${runId})`;
}

/**
 * The SDK app id (`AWS_SDK_UA_APP_ID`), appended by every SDK client as `app/<id>` next to the
 * client factory's `cloudtrail-investigate/<version>`. Characters the SDK would rewrite are avoided
 * and the SDK's 50-character limit kept.
 */
export function sdkAppId(runId: string): string {
  return `cloudtrail-investigate_github-run-${runId.replace(/[^\w.-]/g, '-')}`.slice(0, 50);
}

/** Full jitter: a random delay up to the exponential ceiling for this attempt (1-based). */
export function fullJitterDelay(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

function errorName(err: unknown): string {
  return (err as { name?: string } | null)?.name ?? 'Error';
}

/** The `sub` claim of a JWT, to show which subject a trust policy must allow. Not a secret. */
export function tokenSubject(jwt: string): string | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

async function sdkAssumeRoleWithWebIdentity(request: WebIdentityRequest): Promise<TemporaryCredentials> {
  // Retries are ours (full jitter, logged); the SDK's own would multiply them.
  const client = new STSClient({ region: request.region, maxAttempts: 1, customUserAgent: USER_AGENT });
  try {
    const out = await client.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: request.roleArn,
        RoleSessionName: request.roleSessionName,
        DurationSeconds: request.durationSeconds,
        WebIdentityToken: request.webIdentityToken,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw new SearchError('STS AssumeRoleWithWebIdentity answered without credentials.');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
      assumedRoleArn: out.AssumedRoleUser?.Arn,
    };
  } finally {
    client.destroy();
  }
}

function stsRegion(auth: AuthSettings, env: NodeJS.ProcessEnv): string {
  return auth.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
}

async function assumeRoleWithOidc(
  auth: AuthSettings & { roleToAssume: string },
  deps: CredentialDeps,
): Promise<ResolvedCredentials> {
  const { env, logger } = deps;
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new SearchError(
      'role-to-assume needs a GitHub OIDC token, but this job cannot request one. Add `permissions: id-token: write` ' +
        '(and `contents: read`) to the job or the workflow. Pull requests from forks never receive an OIDC token; ' +
        'use aws-access-key-id/aws-secret-access-key there, or run on pull_request_target with care.',
    );
  }
  let token: string;
  try {
    token = await deps.getIDToken(auth.audience);
  } catch (err) {
    throw new SearchError(
      `Could not get the job's GitHub OIDC token for audience "${auth.audience}": ${errorMessage(err)}`,
      { cause: err },
    );
  }
  deps.setSecret(token);
  const call = deps.assumeRoleWithWebIdentity ?? sdkAssumeRoleWithWebIdentity;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const request: WebIdentityRequest = {
    roleArn: auth.roleToAssume,
    roleSessionName: auth.roleSessionName,
    durationSeconds: auth.roleDurationSeconds,
    webIdentityToken: token,
    region: stsRegion(auth, env),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const creds = await call(request);
      // Mask before the values go anywhere else (the client factory, a debug line, an error).
      deps.setSecret(creds.accessKeyId);
      deps.setSecret(creds.secretAccessKey);
      deps.setSecret(creds.sessionToken);
      return {
        credentials: {
          accessKeyId: creds.accessKeyId,
          secretAccessKey: creds.secretAccessKey,
          sessionToken: creds.sessionToken,
          ...(auth.region ? { region: auth.region } : {}),
        },
        source: 'oidc',
        description: `role ${creds.assumedRoleArn ?? auth.roleToAssume} (GitHub OIDC)`,
      };
    } catch (err) {
      const name = errorName(err);
      if (attempt >= STS_MAX_ATTEMPTS || NON_RETRYABLE.has(name)) {
        throw new SearchError(explainStsFailure(err, auth, token, attempt), { cause: err });
      }
      const delay = fullJitterDelay(attempt, random);
      logger.warning(
        `AssumeRoleWithWebIdentity failed (${name}: ${errorMessage(err)}); attempt ${attempt} of ${STS_MAX_ATTEMPTS}, retrying in ${(delay / 1000).toFixed(1)} s.`,
      );
      await sleep(delay);
    }
  }
}

function explainStsFailure(err: unknown, auth: AuthSettings, token: string, attempts: number): string {
  const name = errorName(err);
  const base = `Could not assume ${auth.roleToAssume} with the job's OIDC token (${name}: ${errorMessage(err)})`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'InvalidIdentityToken') {
    const subject = tokenSubject(token);
    return (
      `${base}${tries}. Check the role's trust policy: principal Federated ` +
      `arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com, action sts:AssumeRoleWithWebIdentity, ` +
      `token.actions.githubusercontent.com:aud = "${auth.audience}"` +
      (subject ? ` and a sub condition matching "${subject}" (this job's subject).` : '.')
    );
  }
  return `${base}${tries}.`;
}

/**
 * The credentials the investigation will use. Keys given as inputs were masked by the caller when
 * read; temporary credentials are masked here as soon as STS returns them.
 */
export async function resolveCredentials(
  auth: AuthSettings,
  deps: CredentialDeps,
): Promise<ResolvedCredentials> {
  const region = auth.region ? { region: auth.region } : {};
  if (auth.roleToAssume) return assumeRoleWithOidc({ ...auth, roleToAssume: auth.roleToAssume }, deps);
  if (auth.accessKeyId && auth.secretAccessKey) {
    return {
      credentials: {
        accessKeyId: auth.accessKeyId,
        secretAccessKey: auth.secretAccessKey,
        ...(auth.sessionToken ? { sessionToken: auth.sessionToken } : {}),
        ...region,
      },
      source: 'keys',
      description: 'the access keys given as inputs',
    };
  }
  return {
    credentials: { ...region },
    source: 'default',
    description: "the runner's default AWS credentials",
  };
}
