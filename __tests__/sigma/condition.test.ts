/**
 * The condition parser's precedence and spelling, as the Sigma specification gives them:
 * `not` binds tighter than `and`, `and` tighter than `or`; keywords in any case; `1 of` / `any of`
 * / `all of` with patterns and `them`.
 */
import { describe, expect, it } from 'vitest';
import { parseCondition, patternRegExp } from '../../src/sigma/condition.js';
import { RuleProblem } from '../../src/sigma/problem.js';

const ref = (name: string) => ({ kind: 'ref', name });

describe('parseCondition', () => {
  it('not > and > or', () => {
    expect(parseCondition('a or not b and c')).toEqual({
      kind: 'or',
      children: [ref('a'), { kind: 'and', children: [{ kind: 'not', child: ref('b') }, ref('c')] }],
    });
  });

  it('parentheses and nested not', () => {
    expect(parseCondition('not (a or b) and not not c')).toEqual({
      kind: 'and',
      children: [
        { kind: 'not', child: { kind: 'or', children: [ref('a'), ref('b')] } },
        { kind: 'not', child: { kind: 'not', child: ref('c') } },
      ],
    });
  });

  it('quantifiers: 1 of, any of, all of; them; keywords in any case', () => {
    expect(parseCondition('1 of sel_*')).toEqual({ kind: 'of', quantifier: 'any', pattern: 'sel_*' });
    expect(parseCondition('ANY OF them')).toEqual({ kind: 'of', quantifier: 'any', pattern: 'them' });
    expect(parseCondition('All Of filter*')).toEqual({ kind: 'of', quantifier: 'all', pattern: 'filter*' });
    expect(parseCondition('sel AND NOT 1 of filter_*')).toEqual({
      kind: 'and',
      children: [ref('sel'), { kind: 'not', child: { kind: 'of', quantifier: 'any', pattern: 'filter_*' } }],
    });
  });

  it.each([
    ['', /empty/],
    ['a and', /ends early/],
    ['(a or b', /ends early/],
    ['a b', /unexpected "b"/],
    ['a or )', /unexpected "\)"/],
    ['and a', /unexpected "and"/],
    ['1 of', /ends early/],
    ['3 of them', /"3 of"/],
    ['sel | count() > 5', /aggregates events \("\| count\(\) > 5"\)/],
    ['a | near b', /"near"/],
  ])('%j is refused: %s', (text, reason) => {
    expect(() => parseCondition(text)).toThrow(RuleProblem);
    expect(() => parseCondition(text)).toThrow(reason);
  });
});

describe('patternRegExp', () => {
  it('* is any characters; everything else is literal', () => {
    expect(patternRegExp('selection_*').test('selection_status_null')).toBe(true);
    expect(patternRegExp('selection_*').test('selection')).toBe(false);
    expect(patternRegExp('a.b*').test('axb')).toBe(false);
    expect(patternRegExp('*').test('anything')).toBe(true);
  });
});
