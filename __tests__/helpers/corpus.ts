/**
 * The third-party CloudTrail corpora (real logs, SigmaHQ rules, labelled detections) live outside
 * the repository, in ../shared/data. Only the corpus suite (`npm run test:corpus`, files named
 * `*.corpus.test.ts`) reads them; it skips, saying why, on a clone without that folder. The
 * default suite (`npm test`) uses only what the repository holds.
 */
import { describe } from 'vitest';
import { corpusMissing } from './corpus-location.js';

export { corpusMissing, repoRoot, sharedData } from './corpus-location.js';

export const corpusPresent = corpusMissing() === undefined;

/** `describe` for tests over the external corpora: skipped (and reported so) when they are absent. */
export const describeCorpus = describe.skipIf(!corpusPresent);
