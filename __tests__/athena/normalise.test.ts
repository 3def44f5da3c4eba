/**
 * Engine parity of the record shape: real CloudTrail records, rendered as Athena returns the
 * engine's SELECT (render-row.ts, written from the documented SerDe/Trino behaviour), come back
 * from the normaliser equal to the delivered records projected onto the table's fields.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rowToRecord } from '../../src/engines/athena/normalise.js';
import { TABLE_COLUMNS } from '../../src/engines/athena/schema.js';
import { AWS_SCHEMA, projectOntoTable, renderRow } from './render-row.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const data = path.resolve(repoRoot, '../shared/data');
const invictus = path.join(data, 'invictus-aws-dataset/CloudTrail');

function invictusRecords(): Record<string, unknown>[] {
  return readdirSync(invictus)
    .filter((f) => f.endsWith('.json'))
    .flatMap(
      (f) =>
        (JSON.parse(readFileSync(path.join(invictus, f), 'utf8')) as { Records: Record<string, unknown>[] })
          .Records,
    );
}

function awsDocExamples(): Record<string, unknown>[] {
  return readFileSync(path.join(data, 'awsdocs-cloudtrail-examples.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { event: Record<string, unknown> }).event);
}

describe('rowToRecord', () => {
  it('the table columns are the documented ones', () => {
    expect(TABLE_COLUMNS.map((c) => c.name)).toEqual(Object.keys(AWS_SCHEMA));
  });

  it('gives back every invictus record (2,900) as delivered, on the table fields', () => {
    const records = invictusRecords();
    expect(records).toHaveLength(2900); // the dataset's README count
    for (const record of records) {
      const back = rowToRecord(renderRow(record));
      expect(back).toEqual(projectOntoTable(record));
    }
  });

  it('and the AWS documentation examples (console sign-in, service events, Insights)', () => {
    const events = awsDocExamples();
    expect(events.length).toBeGreaterThan(20);
    for (const event of events) expect(rowToRecord(renderRow(event))).toEqual(projectOntoTable(event));
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
