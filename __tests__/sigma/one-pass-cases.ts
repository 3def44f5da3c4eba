/**
 * One pass equals N passes: a pack's matcher gives, for every event of the corpus (corpus.ts),
 * exactly the rules whose own predicate accepts it, also after a trip through JSON.
 */
import { describe, expect, it } from 'vitest';
import { compilePredicate } from '../../src/query/predicate.js';
import { loadRulePack } from '../../src/sigma/load.js';
import { createRuleMatcher } from '../../src/sigma/pack.js';
import type { RulePack } from '../../src/sigma/types.js';
import { corpus, repoRoot } from './corpus.js';

export interface OnePass {
  /** Rule sources, as --rules takes them. */
  sources: string[];
  /** The comparison is not vacuous: more rules and matching events than these. */
  minRules: number;
  minMatched: number;
  /** Some event matches several rules. */
  severalRules: boolean;
}

export function onePassCases(spec: OnePass): void {
  describe('one pass equals N passes over the corpus', () => {
    it('the matcher gives, for every record, exactly the rules whose own predicate accepts it', async () => {
      const pack = await loadRulePack(spec.sources, { cwd: repoRoot });
      expect(pack.rules.length).toBeGreaterThan(spec.minRules);
      const matcher = createRuleMatcher(pack);
      const perRule = pack.rules.map((r) => ({ id: r.id, predicate: compilePredicate(r.query) }));
      const any = compilePredicate(pack.anyQuery);
      let matchedRecords = 0;
      const mismatches: string[] = [];
      for (const { key, event } of corpus().events) {
        const expected = perRule.filter((r) => r.predicate(event)).map((r) => r.id);
        const got = matcher(event);
        if (JSON.stringify(got) !== JSON.stringify(expected))
          mismatches.push(`${key}: ${JSON.stringify(got)} != ${JSON.stringify(expected)}`);
        if (any(event) !== expected.length > 0) mismatches.push(`${key}: anyQuery says ${any(event)}`);
        if (expected.length > 0) matchedRecords++;
      }
      expect(mismatches).toEqual([]);
      // The comparison is not vacuous: many records match, some match several rules.
      expect(matchedRecords).toBeGreaterThan(spec.minMatched);
      if (spec.severalRules)
        expect(corpus().events.some(({ event }) => matcher(event).length > 1)).toBe(true);
    });

    it('a pack sent through JSON (a worker thread message) matches the same records', async () => {
      const pack = await loadRulePack(spec.sources, { cwd: repoRoot });
      const copy = JSON.parse(JSON.stringify(pack)) as RulePack;
      const a = createRuleMatcher(pack);
      const b = createRuleMatcher(copy);
      for (const { event } of corpus().events) expect(b(event)).toEqual(a(event));
      expect(structuredClone(pack)).toEqual(pack);
    });
  });
}
