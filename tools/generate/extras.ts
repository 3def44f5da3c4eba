/**
 * The objects that share a trail's bucket without being event logs: CloudTrail digest files,
 * CloudTrail-Insight files and AWS Config history. A search must skip all of them.
 */
import { createHash } from 'node:crypto';
import type { Rng } from './prng.js';
import { isoSeconds } from './identities.js';
import type { CloudTrailRecord } from './record.js';

export interface DigestedLog {
  key: string;
  /** SHA-256 of the uncompressed log file, as CloudTrail computes it. */
  hash: string;
  oldest: string | null;
  newest: string | null;
  deliveredMs: number;
}

export interface PreviousDigest {
  key: string;
  hash: string;
  signature: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function digestBody(args: {
  rng: Rng;
  account: string;
  bucket: string;
  key: string;
  startMs: number;
  endMs: number;
  fingerprint: string;
  logs: DigestedLog[];
  previous: PreviousDigest | undefined;
}): Record<string, unknown> {
  const { logs, previous, bucket } = args;
  const times = logs
    .flatMap((l) => [l.oldest, l.newest])
    .filter((t): t is string => t !== null)
    .sort();
  return {
    awsAccountId: args.account,
    digestStartTime: isoSeconds(args.startMs),
    digestEndTime: isoSeconds(args.endMs),
    digestS3Bucket: bucket,
    digestS3Object: args.key,
    digestPublicKeyFingerprint: args.fingerprint,
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: times.at(-1) ?? null,
    oldestEventTime: times[0] ?? null,
    previousDigestS3Bucket: previous ? bucket : null,
    previousDigestS3Object: previous?.key ?? null,
    previousDigestHashValue: previous?.hash ?? null,
    previousDigestHashAlgorithm: previous ? 'SHA-256' : null,
    previousDigestSignature: previous?.signature ?? null,
    logFiles: logs.map((l) => ({
      s3Bucket: bucket,
      s3Object: l.key,
      hashValue: l.hash,
      hashAlgorithm: 'SHA-256',
      newestEventTime: l.newest,
      oldestEventTime: l.oldest,
    })),
  };
}

/** Start and end records of an API-call-rate insight (shape of AWS's documented example). */
export function insightRecords(
  rng: Rng,
  account: string,
  region: string,
  deliveredMs: number,
): CloudTrailRecord[] {
  const shared = rng.uuid();
  const record = (state: 'Start' | 'End', ms: number): CloudTrailRecord => ({
    eventVersion: '1.08',
    eventTime: isoSeconds(ms),
    awsRegion: region,
    eventID: rng.uuid(),
    eventType: 'AwsCloudTrailInsight',
    recipientAccountId: account,
    sharedEventID: shared,
    insightDetails: {
      state,
      eventSource: 'secretsmanager.amazonaws.com',
      eventName: 'GetSecretValue',
      insightType: 'ApiCallRateInsight',
      insightContext: {
        statistics: {
          baseline: { average: 0.0421 },
          insight: { average: 12.4 },
          ...(state === 'End' ? { insightDuration: 6, baselineDuration: 10080 } : {}),
        },
      },
    },
    eventCategory: 'Insight',
  });
  const minute = 60_000;
  return [record('Start', deliveredMs - 12 * minute), record('End', deliveredMs - 6 * minute)];
}

export function configSnapshotBody(
  account: string,
  region: string,
  bucket: string,
  ms: number,
  snapshotId: string,
): Record<string, unknown> {
  const time = new Date(ms).toISOString();
  return {
    fileVersion: '1.0',
    configSnapshotId: snapshotId,
    configurationItems: [
      {
        configurationItemVersion: '1.3',
        configurationItemCaptureTime: time,
        configurationStateId: ms,
        awsAccountId: account,
        configurationItemStatus: 'OK',
        resourceType: 'AWS::S3::Bucket',
        resourceId: bucket,
        resourceName: bucket,
        ARN: `arn:aws:s3:::${bucket}`,
        awsRegion: region,
        availabilityZone: 'Regional',
        configurationStateMd5Hash: '',
        tags: {},
        relatedEvents: [],
        relationships: [],
        configuration: { name: bucket, owner: { id: sha256Hex(account) } },
        supplementaryConfiguration: { BucketVersioningConfiguration: { status: 'Enabled' } },
      },
    ],
  };
}
