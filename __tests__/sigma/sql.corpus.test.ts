/** All SigmaHQ rules of the real corpus with the built-in ones, in one Athena query. */
import { expect, it } from 'vitest';
import { executionParameters } from '../../src/query/sql-literal.js';
import { loadRulePack } from '../../src/sigma/load.js';
import { athenaRulePack, rulePackRegionQuery } from '../../src/sigma/sql.js';
import { checkAthenaQuery } from '../athena/plan-check.js';
import { trino } from '../athena/grammar.js';
import { describeCorpus } from '../helpers/corpus.js';
import { repoRoot, sigmaDir } from './corpus.js';

describeCorpus('SigmaHQ and built-in rules on Athena', () => {
  it("all in one query: valid Trino, within Athena's limits on parameters and size", async () => {
    const pack = await loadRulePack([sigmaDir, 'builtin:all'], { cwd: repoRoot });
    const { sql, parameters } = rulePackRegionQuery(
      {
        database: 'cloudtrail_investigate',
        table: 'trail_logs',
        region: 'us-east-1',
        accounts: ['111122223333'],
        window: { since: new Date('2023-07-10T00:00:00Z'), until: new Date('2023-07-11T00:00:00Z') },
        query: { kind: 'all' },
      },
      pack.rules,
    );
    expect(trino.validate(sql)).toEqual([]);
    expect(checkAthenaQuery(sql, executionParameters(parameters))).toEqual([]);
    expect(sql.slice(0, sql.indexOf(' FROM '))).not.toMatch(/\?|sigma/);
    // Parsing the query of every rule with the Trino grammar is slow on a busy 2-core machine.
  }, 240_000);

  it('the pack is the same on Athena: every rule has its columns', async () => {
    const pack = await loadRulePack([sigmaDir, 'builtin:all'], { cwd: repoRoot });
    expect(athenaRulePack(pack)).toBe(pack);
  });
});
