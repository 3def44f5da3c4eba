/** Rule packs with the SigmaHQ rules, over the real corpus. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { loadRulePack } from '../../src/sigma/load.js';
import { describeCorpus } from '../helpers/corpus.js';
import { repoRoot, sigmaDir, useSharedCorpus } from './corpus.js';
import { onePassCases } from './one-pass-cases.js';

useSharedCorpus();

const fullPack = () => loadRulePack([`${sigmaDir}/**/*.yml`, 'builtin:all'], { cwd: repoRoot });

describeCorpus('SigmaHQ and built-in rules on the real corpus', () => {
  onePassCases({
    sources: [`${sigmaDir}/**/*.yml`, 'builtin:all'],
    minRules: 70,
    minMatched: 500,
    severalRules: true,
  });

  it('the SigmaHQ rules keep their levels through the pack', async () => {
    const pack = await fullPack();
    const file = path.join(sigmaDir, 'aws_cloudtrail_disable_logging.yml');
    const level = /^level: (\w+)/m.exec(readFileSync(file, 'utf8'))?.[1];
    expect(pack.rules.find((r) => r.file.endsWith('aws_cloudtrail_disable_logging.yml'))?.level).toBe(level);
  });
});
