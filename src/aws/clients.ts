/**
 * AWS SDK clients, configured once: credentials from the investigation, a bounded keep-alive
 * connection pool, our user agent, and local S3-protocol servers reachable through the SDK's
 * standard `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` variables. Nothing here logs: credentials
 * never reach a message.
 */
import http from 'node:http';
import https from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { ConfigurationError } from '../errors.js';
import type { Credentials } from '../investigation.js';
import { VERSION } from '../version.js';

export const USER_AGENT = `cloudtrail-investigate/${VERSION}`;

/** Sockets per host: enough for the scan engine's concurrency, bounded so a big plan cannot exhaust them. */
const MAX_SOCKETS = 64;

/** What the SDK clients accept as `credentials`: a function resolving to keys. */
export type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;

// One pool per process, shared by every client, so connections are reused across phases.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });

/** The process's keep-alive pool for a protocol (`http:` or `https:`). */
export function connectionAgent(protocol: 'http:' | 'https:'): http.Agent {
  return protocol === 'https:' ? httpsAgent : httpAgent;
}

/**
 * The SDK credential provider for the investigation's credentials: a named profile, static keys,
 * or else the SDK's default chain (environment, web identity, SSO, container, instance metadata).
 */
export function credentialProvider(credentials: Credentials): CredentialProvider {
  const { profile, accessKeyId, secretAccessKey, sessionToken } = credentials;
  if (profile) return fromIni({ profile });
  if (accessKeyId || secretAccessKey) {
    if (!accessKeyId || !secretAccessKey) {
      throw new ConfigurationError(
        'An AWS access key needs both its id and its secret: set both aws-access-key-id and aws-secret-access-key, or neither.',
        accessKeyId ? 'aws-secret-access-key' : 'aws-access-key-id',
      );
    }
    const identity = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    return () => Promise.resolve(identity);
  }
  return fromNodeProviderChain();
}

/**
 * The region API calls start from: the one asked for, then the investigation's, then the
 * environment's; us-east-1 as a last resort (S3 redirects to the bucket's region).
 */
export function defaultRegion(credentials: Credentials, region?: string): string {
  return (
    region || credentials.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1'
  );
}

/** Time to open a connection. */
const CONNECTION_TIMEOUT_MS = 10_000;
/** Silence on a connection (no response byte) after which an API call fails and is retried. */
const API_IDLE_TIMEOUT_MS = 120_000;
/** The same for S3 reads: S3 answers in milliseconds, so a silent minute means a stalled connection. */
export const S3_IDLE_TIMEOUT_MS = 60_000;
/** Overrides S3_IDLE_TIMEOUT_MS (milliseconds): for slow links, and for tests of stalled servers. */
export const S3_TIMEOUT_ENV = 'CLOUDTRAIL_INVESTIGATE_S3_TIMEOUT_MS';

/**
 * The S3 idle timeout: `CLOUDTRAIL_INVESTIGATE_S3_TIMEOUT_MS` when set, else 60 s.
 * A value that is not a whole number of milliseconds (at least 1) is refused, not ignored.
 */
export function s3IdleTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[S3_TIMEOUT_ENV]?.trim();
  if (!raw) return S3_IDLE_TIMEOUT_MS;
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(ms) || ms < 1) {
    throw new ConfigurationError(
      `${S3_TIMEOUT_ENV} must be a whole number of milliseconds (e.g. 30000); got "${raw}".`,
      S3_TIMEOUT_ENV,
    );
  }
  return ms;
}

/** How S3 objects are read: `signed` GETs (the default, cheaper) or the SDK's GetObject. */
export type S3ReadMode = 'signed' | 'sdk';
/** Set to `sdk` to read objects through the SDK's GetObject (a way out should an endpoint need it). */
export const S3_READS_ENV = 'CLOUDTRAIL_INVESTIGATE_S3_READS';

/** The read mode `CLOUDTRAIL_INVESTIGATE_S3_READS` asks for; `signed` when unset; anything else is refused. */
export function s3ReadMode(env: NodeJS.ProcessEnv = process.env): S3ReadMode {
  const raw = env[S3_READS_ENV]?.trim().toLowerCase();
  if (!raw) return 'signed';
  if (raw === 'signed' || raw === 'sdk') return raw;
  throw new ConfigurationError(
    `${S3_READS_ENV} must be "signed" (plain signed GETs, the default) or "sdk" (the AWS SDK's GetObject); got "${env[S3_READS_ENV]}".`,
    S3_READS_ENV,
  );
}

/**
 * Connection settings. The SDK's `requestTimeout` only logs a warning unless told to throw, and
 * would also cut a large object still arriving at a good pace: the idle timeout (`socketTimeout`:
 * no byte for that long) is what turns a stalled connection into a retryable TimeoutError.
 */
function requestHandler(idleTimeoutMs: number) {
  return { httpAgent, httpsAgent, connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout: idleTimeoutMs };
}

/** Settings every SDK client of this tool shares (spread into a client's config). */
export function baseClientConfig(credentials: Credentials, region?: string) {
  return {
    region: defaultRegion(credentials, region),
    credentials: credentialProvider(credentials),
    customUserAgent: USER_AGENT,
    requestHandler: requestHandler(API_IDLE_TIMEOUT_MS),
  };
}

/** True when the SDK will talk to a configured endpoint (e.g. a local S3-protocol server). */
export function customS3Endpoint(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
}

export function createS3Client(credentials: Credentials, region?: string): S3Client {
  const config: S3ClientConfig = {
    ...baseClientConfig(credentials, region),
    requestHandler: requestHandler(s3IdleTimeoutMs()),
    // Trail buckets live in any region; follow S3's redirect instead of failing on a wrong guess.
    followRegionRedirects: true,
    // Local S3-protocol servers have no virtual-hosted bucket names (bucket.localhost).
    ...(customS3Endpoint() ? { forcePathStyle: true } : {}),
  };
  return new S3Client(config);
}
