/**
 * Global set-up of the corpus suite: says once, before any file runs, whether the external corpora
 * are there. A clone without them sees every corpus test reported as skipped, with the reason.
 */
import { corpusMissing, sharedData } from './corpus-location.js';

export default function setup(): void {
  const missing = corpusMissing();
  const line = '-'.repeat(78);
  if (missing === undefined) {
    console.log(`Corpus suite: reading the third-party corpora in ${sharedData}`);
    return;
  }
  if (process.env.CORPUS_REQUIRED === '1') {
    throw new Error(`Corpus suite: CORPUS_REQUIRED=1 but ${missing}.`);
  }
  console.log(
    [
      line,
      'Corpus suite SKIPPED: the third-party CloudTrail corpora are not here.',
      `  ${missing}.`,
      '  They are kept outside the repository (../shared/data beside the clone, or CORPUS_DIR).',
      '  `npm test` covers the same hard cases with fixtures the repository holds; every test',
      '  below is reported as skipped, none as passed.',
      line,
    ].join('\n'),
  );
}
