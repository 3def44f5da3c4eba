/**
 * Settings of the AWS side that need no SDK: read from the investigation and the environment, and
 * checked before a search starts. Kept apart from clients.ts so that a search of a local folder
 * never loads the AWS SDK (most of the bundle: loading it is most of the CLI's start-up time).
 */
import { ConfigurationError } from '../errors.js';
import type { Credentials } from '../investigation.js';
import { VERSION } from '../version.js';

export const USER_AGENT = `cloudtrail-investigate/${VERSION}`;

/**
 * The region API calls start from: the one asked for, then the investigation's, then the
 * environment's; us-east-1 as a last resort (S3 redirects to the bucket's region).
 */
export function defaultRegion(credentials: Credentials, region?: string): string {
  return (
    region || credentials.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1'
  );
}

/**
 * Silence on a connection to S3 (no response byte) after which a read fails and is retried: S3
 * answers in milliseconds, so a silent minute means a stalled connection.
 */
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

/** True when the SDK will talk to a configured endpoint (e.g. a local S3-protocol server). */
export function customS3Endpoint(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
}
