/**
 * A compiled pack: one pass over the records gives the same answers as evaluating each rule on
 * its own (N passes), `anyQuery` selects exactly the records some rule matches, the pack
 * survives a trip through JSON (as when posted to a worker thread), and the pack-level
 * behaviours: strict mode, duplicate ids, levels.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { compilePredicate } from '../../src/query/predicate.js';
import {
  compileRulePack,
  createRuleMatcher,
  levelAtLeast,
  parseMinLevel,
  ruleIdsAtLeast,
} from '../../src/sigma/pack.js';
import { parseRuleSource } from '../../src/sigma/parse.js';
import { onePassCases } from './one-pass-cases.js';

// On the in-repo corpus with the built-in rules (with the SigmaHQ rules on the real corpus:
// pack.corpus.test.ts).
onePassCases({ sources: ['builtin:all'], minRules: 10, minMatched: 10, severalRules: false });

describe('pack options and errors', () => {
  const rule = (id: string, body: string, title = 'r'): string =>
    `title: ${title}\nid: ${id}\nlevel: high\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n${body}\n`;
  const good = rule(
    '11111111-1111-4111-8111-111111111111',
    '    sel:\n        eventName: StopLogging\n    condition: sel',
  );
  const aggregated = rule(
    '22222222-2222-4222-8222-222222222222',
    '    sel:\n        eventName: ListBuckets\n    condition: sel | count() > 5',
    'many lists',
  );

  it('unsupported rules are listed and the rest of the pack runs', () => {
    const pack = compileRulePack([
      ...parseRuleSource({ file: 'a.yml', text: good }),
      ...parseRuleSource({ file: 'b.yml', text: aggregated }),
    ]);
    expect(pack.rules.map((r) => r.id)).toEqual(['11111111-1111-4111-8111-111111111111']);
    expect(pack.unsupported).toEqual([
      {
        file: 'b.yml',
        id: '22222222-2222-4222-8222-222222222222',
        title: 'many lists',
        reason: expect.stringMatching(/aggregates events/),
      },
    ]);
  });

  it('strict mode refuses the pack, naming the rule file', () => {
    const rules = [
      ...parseRuleSource({ file: 'a.yml', text: good }),
      ...parseRuleSource({ file: 'rules/b.yml', text: aggregated }),
    ];
    let error: unknown;
    try {
      compileRulePack(rules, { strict: true });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toMatch(/rules\/b\.yml.*many lists.*aggregates events/);
    expect((error as ConfigurationError).field).toBe('rule file "rules/b.yml"');
  });

  it('two different rules with one id are refused (matches are reported by id); two copies are one rule', () => {
    const copies = [
      ...parseRuleSource({ file: 'a.yml', text: good }),
      ...parseRuleSource({ file: 'c.yml', text: good }),
    ];
    expect(compileRulePack(copies).rules.map((r) => r.id)).toEqual(['11111111-1111-4111-8111-111111111111']);
    const rules = [
      ...parseRuleSource({ file: 'a.yml', text: good }),
      ...parseRuleSource({ file: 'c.yml', text: good.replace(/level: \w+/, 'level: low') }),
    ];
    expect(() => compileRulePack(rules)).toThrow(/c\.yml.*11111111-1111-4111-8111-111111111111.*a\.yml/);
  });

  it('an empty pack matches nothing', () => {
    const pack = compileRulePack([]);
    expect(compilePredicate(pack.anyQuery)({ eventName: 'StopLogging' })).toBe(false);
    expect(createRuleMatcher(pack)({ eventName: 'StopLogging' })).toEqual([]);
  });

  it('the matcher reads eventName in any case and falls back to rules that do not pin it', () => {
    const pinned = rule(
      '33333333-3333-4333-8333-333333333333',
      '    sel:\n        eventName: StopLogging\n    condition: sel',
    );
    const unpinned = rule(
      '44444444-4444-4444-8444-444444444444',
      '    sel:\n        userIdentity.type: Root\n    condition: sel',
    );
    const negated = rule(
      '55555555-5555-4555-8555-555555555555',
      '    sel:\n        eventName: ConsoleLogin\n    condition: not sel',
    );
    const pack = compileRulePack(
      [pinned, unpinned, negated].flatMap((text, i) => parseRuleSource({ file: `${i}.yml`, text })),
    );
    const match = createRuleMatcher(pack);
    expect(match({ eventname: 'stoplogging', useridentity: { type: 'root' } })).toEqual([
      '33333333-3333-4333-8333-333333333333',
      '44444444-4444-4444-8444-444444444444',
      '55555555-5555-4555-8555-555555555555',
    ]);
    expect(match({ eventName: 'ConsoleLogin', userIdentity: { type: 'Root' } })).toEqual([
      '44444444-4444-4444-8444-444444444444',
    ]);
    expect(match({})).toEqual(['55555555-5555-4555-8555-555555555555']);
  });
});

describe('levels', () => {
  it('orders informational < low < medium < high < critical; no level counts as informational', () => {
    expect(levelAtLeast('high', 'high')).toBe(true);
    expect(levelAtLeast('critical', 'high')).toBe(true);
    expect(levelAtLeast('medium', 'high')).toBe(false);
    expect(levelAtLeast(undefined, 'informational')).toBe(true);
    expect(levelAtLeast(undefined, 'low')).toBe(false);
    const rules = [
      { id: 'a', level: 'low' as const },
      { id: 'b', level: 'critical' as const },
      { id: 'c', level: undefined },
      { id: 'd', level: 'high' as const },
    ];
    expect([...ruleIdsAtLeast(rules, 'high')].sort()).toEqual(['b', 'd']);
  });

  it('parses min-level ignoring case; the error lists the levels', () => {
    expect(parseMinLevel(' High ')).toBe('high');
    expect(() => parseMinLevel('severe')).toThrow(/min-level.*informational, low, medium, high, critical/);
  });
});
