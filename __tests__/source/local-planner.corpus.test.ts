/** The flat-folder planner checks of local-planner.test.ts, on the real Invictus logs (55 files). */
import path from 'node:path';
import { describeCorpus, sharedData } from '../helpers/corpus.js';
import { flatFolderCases } from './flat-folder-cases.js';

describeCorpus('LocalStore + planner over the Invictus logs (55 real files)', () => {
  flatFolderCases({
    dir: () => path.join(sharedData, 'invictus-aws-dataset/CloudTrail'),
    account: '218007301253',
    region: 'us-east-1',
    files: 55,
    single: () => '218007301253_CloudTrail_us-east-1_20230710T1205Z_1dM7GQM67kudSyGD.json',
  });
});
