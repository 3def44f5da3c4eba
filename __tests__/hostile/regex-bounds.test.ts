/**
 * `|re` patterns run against attacker-controlled values in a backtracking engine. The parser
 * refuses patterns that backtrack exponentially or polynomially (beyond the search itself); what
 * it accepts must stay bounded. Measured here: every accepted pattern, from a fixed list and from
 * random combinations of the atoms that cause trouble, matches adversarial 4 KB values within a
 * generous time. A quadratic search takes milliseconds at that size; the cubic and exponential
 * patterns refused would take minutes to forever, so the margin is wide.
 */
import { describe, expect, it } from 'vitest';
import { regexSafetyProblem, searchEquivalent } from '../../src/query/regex-safety.js';
import { parseFilter } from '../../src/query/parse-filter.js';
import { compilePredicate, MAX_REGEX_SUBJECT_CHARS } from '../../src/query/predicate.js';

const N = 4096;
const BOUND_MS = 500;

/** Values built to make `pattern` backtrack: long runs of its characters and of common classes. */
function adversarialInputs(pattern: string): string[] {
  const chars = new Set([...pattern.replace(/\\[dws]/g, '')].filter((c) => !'\\^$.*+?()[]{}|'.includes(c)));
  for (const c of ['a', 'A', '1', ' ', '-', '_', ':', '/', '@', '.', ',']) chars.add(c);
  const inputs = [...chars].map((c) => c.repeat(N));
  // Runs of the pattern's literal text, then a character that makes the match fail at the end.
  const literal = pattern.replace(/\\.|[\\^$.*+?()[\]{}|]/g, '');
  if (literal) inputs.push(literal.repeat(Math.ceil(N / literal.length)).slice(0, N) + '!');
  inputs.push('a1 '.repeat(N / 3) + '!');
  return inputs;
}

/** The worst time of the pattern as the scan engine runs it (leading `.*` dropped). */
function worstMs(pattern: string): number {
  const re = new RegExp(searchEquivalent(pattern), 'i');
  let worst = 0;
  for (const input of adversarialInputs(pattern)) {
    const started = performance.now();
    re.test(input);
    worst = Math.max(worst, performance.now() - started);
  }
  return worst;
}

const REFUSED = [
  '(a+)+$',
  '(a|aa)*b',
  '(.*a){12}',
  '^(\\w+\\s?)+$',
  '(\\d+\\.){3}\\d+x',
  '^(?:a?){25}a{25}$',
  '(x+x+)+y',
  '\\d*\\d*\\d*x',
  '.*a.*a.*b',
  '[a-z]*[a-z]*!',
  'x{0,1000}x{0,1000}y',
  '\\s*\\s*$',
  '^.*foo.*$',
  '(ab)*(ab)*c',
  '.*.*=',
  '(?:.*)a(?:.*)b',
];

const ACCEPTED = [
  '\\w+@\\w+\\.com',
  '.+:assumed-role/aws:.+',
  '.*foo.*',
  '(GET|PUT|POST)+x',
  '[^,]*,x',
  '\\d+\\.\\d+\\.\\d+\\.\\d+z',
  '^arn:aws:iam::\\d{12}:role/.*admin',
  '(\\d|-)+$',
  'a{2,}b*c?$',
  '(https?://)?example\\.com',
  '\\s+$',
  'foo.*bar',
  '[a-z]+_[a-z]+!',
  '^[A-Z]{2}-[a-z]+-\\d$',
  'Delete(Trail|Bucket|FlowLogs)',
  '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}',
];

describe('regular expressions: refused or bounded', () => {
  it.each(REFUSED)('refuses %s', (pattern) => {
    expect(regexSafetyProblem(pattern)).toBeDefined();
    expect(() => parseFilter({ 'userAgent|re': pattern })).toThrow(/refused/);
  });

  it.each(ACCEPTED)(
    `accepts %s, and it matches adversarial ${N}-character values within ${BOUND_MS} ms`,
    (pattern) => {
      expect(regexSafetyProblem(pattern)).toBeUndefined();
      expect(worstMs(pattern)).toBeLessThan(BOUND_MS);
    },
  );

  it('the search-equivalent pattern gives the same answers (leading .* dropped, leading .+ cut to .)', () => {
    const strings = ['', 'foo', 'a\nfoo', 'xx:role', ':role', '\n:role', 'b', 'ab', 'FOO\r\nbar'];
    const patterns = [
      '.*foo',
      '.*.*foo',
      '.*?foo',
      '.+:role',
      '.+?x',
      '.*a|b',
      '.+',
      '.*',
      '^.*foo',
      '.+\n?bar',
    ];
    for (const p of patterns) {
      for (const s of strings) {
        for (const flags of ['', 'i', 's', 'm']) {
          expect(
            new RegExp(searchEquivalent(p), flags).test(s),
            `${p} on ${JSON.stringify(s)} /${flags}`,
          ).toBe(new RegExp(p, flags).test(s));
        }
      }
    }
    expect(searchEquivalent('.*foo')).toBe('foo');
    expect(searchEquivalent('.+:assumed-role/aws:.+')).toBe('.:assumed-role/aws:.+');
  });

  it('random combinations of troublesome atoms: each is refused, or bounded', () => {
    const ATOMS = [
      'a*',
      'a+',
      '.*',
      '.+',
      '\\w+',
      '\\d*',
      '\\s+',
      '(a|b)+',
      '(a|ab)+',
      '[a-z]*',
      '[^x]*',
      'a?',
      '(?:ab)*',
      '(a*)?',
      'x',
      '@',
      '-',
      '\\.',
      'a{1,40}',
      '(?:a|\\d)+',
    ];
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      const length = 2 + Math.floor(rand() * 3);
      let pattern = Array.from({ length }, () => ATOMS[Math.floor(rand() * ATOMS.length)]!).join('');
      if (rand() < 0.3) pattern = `^${pattern}`;
      if (rand() < 0.5) pattern = `${pattern}${rand() < 0.5 ? '$' : '!'}`;
      if (regexSafetyProblem(pattern)) {
        refused++;
        continue;
      }
      accepted++;
      expect(worstMs(pattern), pattern).toBeLessThan(BOUND_MS);
    }
    // Both branches are exercised: the property says something about accepted patterns.
    expect(accepted).toBeGreaterThan(40);
    expect(refused).toBeGreaterThan(40);
  });

  it(`a value longer than ${MAX_REGEX_SUBJECT_CHARS} characters is not searched with a regex: the object fails instead`, () => {
    const predicate = compilePredicate(parseFilter({ 'userAgent|re': '\\w+@' }).query);
    expect(predicate({ userAgent: 'a'.repeat(MAX_REGEX_SUBJECT_CHARS) })).toBe(false);
    expect(() => predicate({ userAgent: 'a'.repeat(MAX_REGEX_SUBJECT_CHARS + 1) })).toThrow(
      /too long for a \|re test/,
    );
    // Other tests on long values are linear and unaffected.
    const contains = compilePredicate(parseFilter({ 'userAgent|contains': '@' }).query);
    expect(contains({ userAgent: `${'a'.repeat(5 * MAX_REGEX_SUBJECT_CHARS)}@` })).toBe(true);
  });
});
