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
import { USER_AGENT, customS3Endpoint, defaultRegion, s3IdleTimeoutMs } from './settings.js';

/**
 * Sockets per host: enough for the scan engine's concurrency (up to 256 when it adapts to a slow
 * link), bounded so a big plan cannot exhaust them.
 */
const MAX_SOCKETS = 256;

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

/** Time to open a connection. */
const CONNECTION_TIMEOUT_MS = 10_000;
/** Silence on a connection (no response byte) after which an API call fails and is retried. */
const API_IDLE_TIMEOUT_MS = 120_000;
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
