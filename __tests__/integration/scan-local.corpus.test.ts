/** The CLI over the real Invictus and Stratus logs (scan-local-cases.ts). */
import path from 'node:path';
import { describeCorpus, sharedData } from '../helpers/corpus.js';
import { scanLocalCases } from './scan-local-cases.js';

describeCorpus('real third-party logs', () => {
  scanLocalCases({
    trail: {
      name: 'the Invictus logs (55 real CloudTrail files)',
      dir: () => path.join(sharedData, 'invictus-aws-dataset/CloudTrail'),
      files: 55,
    },
    detonations: {
      name: 'the Stratus detonation logs',
      dir: () => path.join(sharedData, 'stratus-detonation-logs'),
      account: '017622104382',
    },
  });
});
