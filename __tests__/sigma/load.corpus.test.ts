/** Loading the SigmaHQ CloudTrail rules of the real corpus. */
import { expect, it } from 'vitest';
import { loadRulePack, loadRuleSources } from '../../src/sigma/load.js';
import { describeCorpus } from '../helpers/corpus.js';
import { repoRoot, sigmaDir } from './corpus.js';

describeCorpus('loadRulePack on the SigmaHQ rules', () => {
  it('the shared SigmaHQ folder, by absolute path, loads all 66 rules', async () => {
    const sources = await loadRuleSources([sigmaDir], { cwd: repoRoot });
    expect(sources).toHaveLength(66);
    const pack = await loadRulePack([sigmaDir], { cwd: repoRoot });
    expect(pack.rules.length + pack.unsupported.length).toBe(66);
  });
});
