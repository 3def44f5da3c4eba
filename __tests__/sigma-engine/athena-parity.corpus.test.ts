/** Rule packs on both engines (athena-parity-cases.ts) over the real Invictus logs. */
import path from 'node:path';
import { describeCorpus, sharedData } from '../helpers/corpus.js';
import { athenaParityCases } from './athena-parity-cases.js';

describeCorpus('the Invictus logs', () => {
  athenaParityCases(() => path.join(sharedData, 'invictus-aws-dataset/CloudTrail'));
});
