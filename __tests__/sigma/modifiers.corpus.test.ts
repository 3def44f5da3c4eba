/** Sigma modifiers and conditions on the real corpus (oracle-cases.ts), with its known minimum counts. */
import { describeCorpus } from '../helpers/corpus.js';
import { useSharedCorpus } from './corpus.js';
import { oracleCases } from './oracle-cases.js';

useSharedCorpus();

describeCorpus('the real corpus', () => {
  oracleCases((atLeast) => atLeast);
});
