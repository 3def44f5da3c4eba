/** A Sigma pack through the whole product (one-pass-cases.ts): the 50+ SigmaHQ CloudTrail rules. */
import path from 'node:path';
import { describeCorpus, sharedData } from '../helpers/corpus.js';
import { onePassScanCases } from './one-pass-cases.js';

describeCorpus('the SigmaHQ rules', () => {
  onePassScanCases({
    rules: () => path.join(sharedData, 'sigma-aws-cloudtrail'),
    minRules: 50,
    cliChecks: false,
  });
});
