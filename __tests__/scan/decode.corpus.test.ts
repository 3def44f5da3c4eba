/** The malformed TrailDiscover samples decode as documented (malformed-samples.ts). */
import path from 'node:path';
import { it } from 'vitest';
import { describeCorpus, sharedData } from '../helpers/corpus.js';
import { expectMalformedSamplesRead } from './malformed-samples.js';

describeCorpus('decoding the malformed third-party samples', () => {
  it('reads them as documented', () => {
    expectMalformedSamplesRead(path.join(sharedData, 'malformed/traildiscover-samples/aws/cloudtrail'));
  });
});
