/**
 * Assembles one CloudTrail record from a catalogue entry, an account's principals and a time,
 * with the fields in the order CloudTrail writes them.
 */
import type { Rng } from './prng.js';
import type { EventError, EventSpec } from './catalogue.js';
import {
  isoSeconds,
  userIdentity,
  type AccountPool,
  type Principal,
  type PrincipalKind,
} from './identities.js';

export type CloudTrailRecord = Record<string, unknown>;

export const GLOBAL_REGION = 'us-east-1';

const GLOBAL_HOSTS: Record<string, string> = {
  'iam.amazonaws.com': 'iam.amazonaws.com',
  'sts.amazonaws.com': 'sts.amazonaws.com',
  'signin.amazonaws.com': 'signin.aws.amazon.com',
  'cloudfront.amazonaws.com': 'cloudfront.amazonaws.com',
};

export interface RecordRequest {
  rng: Rng;
  pool: AccountPool;
  spec: EventSpec;
  /** The region of the regional endpoint called; global services record us-east-1 instead. */
  region: string;
  timeMs: number;
  /** Forces the principal's kind (e.g. 'root'); otherwise drawn from the spec's actors. */
  principalKind?: PrincipalKind;
  /** Forces a named IAM user or role (by userName / roleName). */
  principalName?: string;
  /** Forces the outcome: an error of the spec, or null for success; undefined = drawn. */
  error?: EventError | null;
}

function choosePrincipal(req: RecordRequest): Principal {
  const { rng, pool, spec } = req;
  const consoleOnly = spec.eventType === 'AwsConsoleSignIn';
  if (req.principalName !== undefined) {
    const named = [
      ...pool.users.filter((u) => u.userName === req.principalName),
      ...pool.roles.filter((r) => r.roleName === req.principalName),
    ];
    if (named[0]) return named[0];
    throw new Error(`no principal named ${req.principalName} in the generated account`);
  }
  const kinds = Object.entries(spec.actors).filter(([, w]) => (w ?? 0) > 0) as Array<[PrincipalKind, number]>;
  const kind = req.principalKind ?? rng.weighted(kinds, ([, w]) => w)[0];
  switch (kind) {
    case 'user':
      return rng.pick(consoleOnly ? pool.users.filter((u) => u.console) : pool.users);
    case 'role':
      return rng.pick(pool.roles);
    case 'root':
      return pool.root;
    case 'service':
      return rng.pick(pool.services);
  }
}

function chooseError(req: RecordRequest): EventError | undefined {
  if (req.error !== undefined) return req.error ?? undefined;
  for (const e of req.spec.errors ?? []) if (req.rng.chance(e.share)) return e;
  return undefined;
}

/** Source address and user agent: services call from their own hostname, people from their client. */
function origin(rng: Rng, p: Principal, consoleSignIn: boolean): { ip: string; agent: string } {
  if (p.kind === 'service') return { ip: p.service, agent: p.service };
  const agents = consoleSignIn ? p.userAgents.filter((a) => a.startsWith('Mozilla/')) : p.userAgents;
  const agent = rng.pick(agents.length > 0 ? agents : p.userAgents);
  // Calls the console makes on a user's behalf are often recorded as coming from inside AWS.
  const ip = agent === 'AWS Internal' && rng.chance(0.5) ? 'AWS Internal' : rng.pick(p.sourceIPs);
  return { ip, agent };
}

export function buildRecord(req: RecordRequest): CloudTrailRecord {
  const { rng, pool, spec, timeMs } = req;
  const accountId = pool.accountId;
  const awsRegion = spec.global ? GLOBAL_REGION : req.region;
  const principal = choosePrincipal(req);
  const error = chooseError(req);
  const consoleSignIn = spec.eventType === 'AwsConsoleSignIn';
  const { ip, agent } = origin(rng, principal, consoleSignIn);
  const sessionStartMs = timeMs - rng.int(5, 3000) * 1000;
  const identity = userIdentity(accountId, principal, rng, sessionStartMs, { consoleSignIn });
  if (consoleSignIn && error && principal.kind === 'user') {
    // Failed sign-ins of IAM users carry no ARN, as in AWS's documented examples.
    delete identity.arn;
    identity.accessKeyId = '';
  }
  const details = spec.details({ rng, accountId, region: awsRegion, principal, timeMs, error });

  const record: CloudTrailRecord = {
    eventVersion: rng.chance(0.8) ? '1.08' : '1.09',
    userIdentity: identity,
    eventTime: isoSeconds(timeMs),
    eventSource: spec.source,
    eventName: spec.name,
    awsRegion,
    sourceIPAddress: ip,
    userAgent: agent,
  };
  if (error?.code !== undefined) record.errorCode = error.code;
  if (error) record.errorMessage = error.message;
  record.requestParameters = details.requestParameters;
  record.responseElements = error && !consoleSignIn ? null : (details.responseElements ?? null);
  if (details.additionalEventData) record.additionalEventData = details.additionalEventData;
  record.requestID = spec.source === 's3.amazonaws.com' ? rng.iamId(16) : rng.uuid();
  record.eventID = rng.uuid();
  record.readOnly = spec.readOnly;
  if (details.resources && details.resources.length > 0) record.resources = details.resources;
  record.eventType = spec.eventType ?? 'AwsApiCall';
  record.managementEvent = !spec.data;
  record.recipientAccountId = accountId;
  if (principal.kind === 'service') record.sharedEventID = rng.uuid();
  if (ip.startsWith('10.')) record.vpcEndpointId = `vpce-0${rng.hex(16)}`;
  record.eventCategory = spec.data ? 'Data' : 'Management';
  if (principal.kind !== 'service' && ip !== 'AWS Internal') {
    const params = details.requestParameters as Record<string, unknown> | null;
    const host =
      GLOBAL_HOSTS[spec.source] ??
      (typeof params?.Host === 'string'
        ? params.Host
        : `${spec.source.replace('.amazonaws.com', '')}.${awsRegion}.amazonaws.com`);
    const tls13 = rng.chance(0.3);
    record.tlsDetails = {
      tlsVersion: tls13 ? 'TLSv1.3' : 'TLSv1.2',
      cipherSuite: tls13 ? 'TLS_AES_128_GCM_SHA256' : 'ECDHE-RSA-AES128-GCM-SHA256',
      clientProvidedHostHeader: host,
    };
  }
  return record;
}
