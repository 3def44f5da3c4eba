/**
 * Where query results go, and removing them afterwards. Results never go to the audit-log bucket
 * unless the user asked for exactly that: writing into the bucket being investigated mixes our
 * files with the evidence (and may trip its alarms).
 */
import { GetWorkGroupCommand, type AthenaClient } from '@aws-sdk/client-athena';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ConfigurationError, SearchError } from '../../errors.js';
import { describeAwsError } from './query-runner.js';

export interface OutputChoice {
  /** The location to pass to StartQueryExecution; undefined = let the workgroup decide. */
  location: string | undefined;
  /** Where results will actually be written (explicit or the workgroup's); undefined = managed. */
  resultsPrefix: string | undefined;
  warnings: string[];
}

/** `s3://bucket/key` -> parts; undefined for anything else. */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url.trim());
  return m ? { bucket: m[1] as string, key: m[2] as string } : undefined;
}

export async function chooseOutputLocation(
  athena: AthenaClient,
  workgroup: string,
  explicit: string | undefined,
  auditBuckets: string[],
): Promise<OutputChoice> {
  const warnings: string[] = [];
  if (explicit !== undefined && !parseS3Url(explicit)) {
    throw new ConfigurationError(
      `--athena-output "${explicit}" is not an s3://bucket/prefix location.`,
      '--athena-output',
    );
  }
  let configured: string | undefined;
  let enforced = false;
  let managed = false;
  try {
    const res = await athena.send(new GetWorkGroupCommand({ WorkGroup: workgroup }));
    const config = res.WorkGroup?.Configuration;
    configured = config?.ResultConfiguration?.OutputLocation;
    enforced = config?.EnforceWorkGroupConfiguration ?? false;
    managed = config?.ManagedQueryResultsConfiguration?.Enabled ?? false;
  } catch (err) {
    const text = describeAwsError(err, 'athena:GetWorkGroup');
    if (explicit === undefined) {
      throw new SearchError(`Could not read Athena workgroup "${workgroup}": ${text}`, { cause: err });
    }
    warnings.push(`could not read Athena workgroup "${workgroup}" (${text}); using --athena-output.`);
  }
  if (explicit !== undefined && enforced) {
    warnings.push(
      `workgroup "${workgroup}" enforces its own result location; --athena-output is ignored by Athena.`,
    );
  }
  const effective = explicit !== undefined && !enforced ? explicit : configured;
  if (effective === undefined && !managed) {
    throw new ConfigurationError(
      `Athena needs a place for query results: workgroup "${workgroup}" has no output location. ` +
        'Give --athena-output s3://bucket/prefix (a bucket you own, not the trail bucket) or set one on the workgroup.',
      '--athena-output',
    );
  }
  const bucket = effective ? parseS3Url(effective)?.bucket : undefined;
  if (bucket !== undefined && auditBuckets.includes(bucket)) {
    if (effective !== explicit) {
      throw new ConfigurationError(
        `workgroup "${workgroup}" writes query results into the trail bucket "${bucket}". Give --athena-output ` +
          's3://another-bucket/prefix to keep results away from the audit logs.',
        '--athena-output',
      );
    }
    warnings.push(`query results are written into the trail bucket "${bucket}", as --athena-output asks.`);
  }
  return {
    location: explicit !== undefined && !enforced ? explicit : undefined,
    resultsPrefix: effective,
    warnings,
  };
}

const DELETE_BATCH = 1000;

/**
 * Deletes every object of a query's results: `<id>.csv`, `<id>.csv.metadata`, DDL's `<id>.txt`.
 * `resultLocation` is the file Athena reported; all keys sharing its `<…>/<id>` stem are removed,
 * listed page by page and deleted in batches. Returns the number deleted and any failures.
 */
export async function deleteQueryResults(
  s3: S3Client,
  resultLocation: string,
): Promise<{ deleted: number; errors: string[] }> {
  const parsed = parseS3Url(resultLocation);
  if (!parsed || !parsed.key) return { deleted: 0, errors: [`not an S3 result location: ${resultLocation}`] };
  const stem = parsed.key.replace(/\.(csv|txt)$/, '');
  const errors: string[] = [];
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: parsed.bucket,
        Prefix: stem,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const res = await s3.send(
        new DeleteObjectsCommand({
          Bucket: parsed.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = res.Errors ?? [];
      deleted += batch.length - failed.length;
      for (const f of failed)
        errors.push(`s3://${parsed.bucket}/${f.Key ?? '?'}: ${f.Code ?? ''} ${f.Message ?? ''}`.trim());
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { deleted, errors };
}
