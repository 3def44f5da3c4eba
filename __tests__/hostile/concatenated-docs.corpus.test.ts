/** Whole documents inside files (concatenated-docs-cases.ts), built from the genuine Invictus and Stratus logs. */
import path from 'node:path';
import { describeCorpus, sharedData } from '../helpers/corpus.js';
import { concatenatedDocsCases } from './concatenated-docs-cases.js';

describeCorpus('the Invictus and Stratus logs', () => {
  concatenatedDocsCases({
    trail: () => path.join(sharedData, 'invictus-aws-dataset/CloudTrail'),
    detonations: () => path.join(sharedData, 'stratus-detonation-logs'),
  });
});
