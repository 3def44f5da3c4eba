/** Indexed reader = plain reader = reference (reader-compare.ts) on the real Invictus and Stratus logs. */
import path from 'node:path';
import { it } from 'vitest';
import { describeCorpus, sharedData } from '../helpers/corpus.js';
import { compareOnQueriesFromValues, compareResourcesQuery, folderDocs } from './reader-compare.js';

const invictus = path.join(sharedData, 'invictus-aws-dataset/CloudTrail');
const stratus = path.join(sharedData, 'stratus-detonation-logs');

describeCorpus('indexed reader = plain reader = reference, on the real logs', () => {
  it('on the real Invictus and Stratus logs, for queries from their values', () => {
    compareOnQueriesFromValues(folderDocs(invictus, stratus));
  });

  it('adds filtered_resource to matches of resources queries', () => {
    compareResourcesQuery(folderDocs(invictus).slice(0, 20));
  });
});
