/**
 * Engine parity of the record shape: CloudTrail records, rendered as Athena returns the engine's
 * SELECT (render-row.ts, written from the documented SerDe/Trino behaviour), come back from the
 * normaliser equal to the delivered records projected onto the table's fields. On the in-repo
 * logs here; on the real Invictus logs and AWS documentation examples in normalise.corpus.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { rowToRecord } from '../../src/engines/athena/normalise.js';
import { TABLE_COLUMNS } from '../../src/engines/athena/schema.js';
import { repoRoot } from '../helpers/cli.js';
import { detonations, flatTrail, jsonFiles } from '../helpers/corpus-like.js';
import { AWS_SCHEMA, projectOntoTable, renderRow } from './render-row.js';

type Rec = Record<string, unknown>;

/** Every record of the example bucket's trail and Insight files (gzipped `{"Records":[...]}`). */
function exampleRecords(): Rec[] {
  const files = execFileSync('find', [path.join(repoRoot, 'examples/cloudtrail'), '-name', '*.json.gz'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /\/CloudTrail(-Insight)?\//.test(f))
    .sort();
  return files.flatMap(
    (f) => (JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')) as { Records: Rec[] }).Records,
  );
}

describe('rowToRecord', () => {
  it('the table columns are the documented ones', () => {
    expect(TABLE_COLUMNS.map((c) => c.name)).toEqual(Object.keys(AWS_SCHEMA));
  });

  it('gives back every record of the example bucket (sign-ins, service events, Insights) as delivered', () => {
    const records = exampleRecords();
    // 486 trail records (examples/README.md) and 2 Insight records.
    expect(records).toHaveLength(488);
    expect(records.some((r) => r.eventType === 'AwsCloudTrailInsight')).toBe(true);
    for (const record of records) expect(rowToRecord(renderRow(record))).toEqual(projectOntoTable(record));
  });

  it('and every record of the logs shaped like the real ones (flat trail, detonation arrays)', () => {
    const records = [
      ...jsonFiles(flatTrail()).flatMap(
        (f) => (JSON.parse(readFileSync(f, 'utf8')) as { Records: Rec[] }).Records,
      ),
      ...jsonFiles(detonations()).flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as Rec[]),
    ];
    expect(records.length).toBeGreaterThan(300);
    for (const record of records) expect(rowToRecord(renderRow(record))).toEqual(projectOntoTable(record));
  });

  it('restores booleans, nested objects, empty objects and arrays of resources', () => {
    const record = {
      eventVersion: '1.08',
      readOnly: false,
      userIdentity: {
        type: 'AssumedRole',
        sessionContext: {
          sessionIssuer: {},
          webIdFederationData: {},
          attributes: { mfaAuthenticated: 'false' },
        },
      },
      resources: [
        { ARN: 'arn:aws:s3:::b', accountId: '111122223333', type: 'AWS::S3::Bucket' },
        { ARN: 'arn:aws:s3:::c' },
      ],
      requestParameters: { 'x-amz-id-2': 'abc', list: [1, null, { a: true }] },
      responseElements: null,
      additionalEventData: 'plain text',
    };
    const back = rowToRecord(renderRow(record));
    expect(back).toEqual({
      eventVersion: '1.08',
      readOnly: false,
      userIdentity: {
        type: 'AssumedRole',
        sessionContext: {
          sessionIssuer: {},
          webIdFederationData: {},
          attributes: { mfaAuthenticated: 'false' },
        },
      },
      resources: [
        { ARN: 'arn:aws:s3:::b', accountId: '111122223333', type: 'AWS::S3::Bucket' },
        { ARN: 'arn:aws:s3:::c' },
      ],
      requestParameters: { 'x-amz-id-2': 'abc', list: [1, null, { a: true }] },
      additionalEventData: 'plain text',
    });
    expect(Object.keys(back)).not.toContain('responseElements');
  });
});
