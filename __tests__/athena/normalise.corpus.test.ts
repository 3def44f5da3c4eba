/**
 * Engine parity of the record shape: real CloudTrail records, rendered as Athena returns the
 * engine's SELECT (render-row.ts, written from the documented SerDe/Trino behaviour), come back
 * from the normaliser equal to the delivered records projected onto the table's fields. The
 * same check on in-repo logs is in normalise.test.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeCorpus, sharedData } from '../helpers/corpus.js';
import { rowToRecord } from '../../src/engines/athena/normalise.js';
import { projectOntoTable, renderRow } from './render-row.js';

const data = sharedData;
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

describeCorpus('rowToRecord on the real corpora', () => {
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
});
