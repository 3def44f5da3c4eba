/**
 * Patterns against attacker-controlled values (issue 17, item 3). `|re` runs in RE2 (linear in the
 * value, whatever the pattern) and Sigma wildcards in a glob matcher (no regex at all), so:
 *
 * - patterns that hang a backtracking engine finish: a child process runs the classic and the
 *   issue's patterns, and random combinations of troublesome atoms, against long adversarial
 *   values through the compiled predicate; a backtracking pattern would never end, the timeout
 *   (generous, no timing asserted) would fail the test;
 * - what RE2 cannot run (backreferences, lookaround, huge programs) is refused as invalid input,
 *   naming the key and the fix;
 * - on ordinary values the answers are JavaScript's: random patterns compared with RegExp, random
 *   globs with a reference matcher written here.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { parseFilter } from '../../src/query/parse-filter.js';
import { compilePredicate } from '../../src/query/predicate.js';
import type { QueryNode } from '../../src/query/ast.js';
import { seededRandom } from '../../tools/generate/prng.js';
import { ADVERSARIAL_GLOBS, ADVERSARIAL_REGEXES, adversarialValues } from './regex-cases.js';
import { MAX_REGEX_SUBJECT_CHARS } from '../../src/query/predicate.js';

const run = promisify(execFile);
const field = { segments: ['userAgent'], display: 'userAgent' };

describe('patterns that hang a backtracking engine finish', () => {
  it('every adversarial |re pattern and Sigma glob, on long adversarial values', async () => {
    const script = path.join(import.meta.dirname, 'regex-adversarial.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], {
      timeout: 240_000,
      cwd: path.resolve(import.meta.dirname, '../..'),
    });
    const expected =
      ADVERSARIAL_REGEXES.reduce((n, p) => n + adversarialValues(p, MAX_REGEX_SUBJECT_CHARS).length, 0) +
      ADVERSARIAL_GLOBS.reduce((n, p) => n + adversarialValues(p, 16 * MAX_REGEX_SUBJECT_CHARS).length, 0);
    expect(JSON.parse(stdout)).toMatchObject({ tests: expected });
  }, 300_000);

  it("the issue's patterns are accepted as filters (they run in linear time)", () => {
    for (const p of [
      '(?:a|a)'.repeat(40),
      'a{0,15}'.repeat(10),
      `${'a?'.repeat(32)}${'a'.repeat(32)}`,
      '(a+)+$',
    ]) {
      expect(() => parseFilter({ 'userAgent|re': p }), p).not.toThrow();
    }
  });
});

describe('what RE2 cannot run is refused, naming the key and the fix', () => {
  it.each([
    ['(?=(a+)+b)', /lookaround .*drop the lookahead/],
    ['x(?!y)', /lookaround/],
    ['(?<=a)b', /lookaround/],
    ['(?<!a)b', /lookaround/],
    ['(a)\\1', /backreference/],
    ['(?<n>a)\\k<n>', /backreference/],
    ['x{0,999}x{0,999}y', /compiles to \d+ steps per character, over the limit of 1000/],
  ])('%s', (pattern, reason) => {
    let error: unknown;
    try {
      parseFilter({ 'userAgent|re': pattern });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/filter key "userAgent\|re"/);
    expect((error as Error).message).toMatch(reason);
  });

  it('but escaped look-alikes and classes are not lookaround or backreferences', () => {
    for (const p of ['\\(?=x', '[(?=]', '\\\\1', 'a\\(?!b\\)']) {
      expect(() => parseFilter({ 'userAgent|re': p }), p).not.toThrow();
    }
  });
});

/** A random benign pattern: literals, classes, anchors, groups, alternation, bounded quantifiers. */
function randomPattern(random: () => number, depth = 0): string {
  const atoms = [
    'a',
    'b',
    '1',
    '-',
    ' ',
    'A',
    '\\.',
    '.',
    '\\d',
    '\\w',
    '\\s',
    '\\S',
    '\\W',
    '[ab]',
    '[^a]',
    '[a-c1]',
    '[\\s1]',
    '\\b',
  ];
  const quantifiers = ['', '', '', '*', '+', '?', '{1,2}', '{2}', '*?', '+?'];
  let p = random() < 0.2 ? '^' : '';
  const n = 1 + Math.floor(random() * 4);
  for (let i = 0; i < n; i++) {
    let atom = atoms[Math.floor(random() * atoms.length)] as string;
    if (depth < 2 && random() < 0.2) {
      atom = `(?:${randomPattern(random, depth + 1)}|${randomPattern(random, depth + 1)})`;
    }
    p += atom + (atom === '\\b' ? '' : (quantifiers[Math.floor(random() * quantifiers.length)] as string));
  }
  return p + (random() < 0.2 ? '$' : '');
}

function randomText(random: () => number): string {
  const chars = ['a', 'b', 'A', 'B', '1', '2', '-', ' ', '.', '_', '\t', '\n', '\r', '\u00a0', '\u2028', 'é'];
  return Array.from(
    { length: Math.floor(random() * 12) },
    () => chars[Math.floor(random() * chars.length)],
  ).join('');
}

function reNode(pattern: string, cased: boolean, flags?: string): QueryNode {
  const cond = flags
    ? { op: 're' as const, values: [pattern], flags }
    : { op: 're' as const, values: [pattern] };
  return { kind: 'match', field, cond, all: false, cased };
}

describe("on ordinary values the answers are JavaScript RegExp's", () => {
  it('random patterns x random texts, case-insensitive, cased, with m and s flags', () => {
    const random = seededRandom('re2-vs-regexp');
    let compared = 0;
    let matched = 0;
    for (let i = 0; i < 400; i++) {
      const pattern = randomPattern(random);
      for (const [cased, flags] of [
        [false, ''],
        [true, ''],
        [false, 'm'],
        [false, 's'],
      ] as const) {
        const predicate = compilePredicate(reNode(pattern, cased, flags || undefined));
        const reference = new RegExp(pattern, (cased ? '' : 'i') + flags);
        for (let k = 0; k < 15; k++) {
          // With m, JavaScript's ^ and $ also stop at \r, U+2028 and U+2029, RE2's at \n only (documented).
          const text =
            flags === 'm' ? randomText(random).replace(/[\r\u2028\u2029]/g, '') : randomText(random);
          const expected = reference.test(text);
          expect(
            predicate({ userAgent: text }),
            `/${pattern}/${cased ? '' : 'i'}${flags} on ${JSON.stringify(text)}`,
          ).toBe(expected);
          compared++;
          if (expected) matched++;
        }
      }
    }
    // Neither trivially all-matching nor all-failing.
    expect(matched).toBeGreaterThan(compared / 10);
    expect(matched).toBeLessThan(compared * 0.9);
  });
});

const isEscapable = (next: string | undefined): boolean => next === '*' || next === '?' || next === '\\';

/** Reference glob matcher: the definition, by dynamic programming over (pattern, text) positions. */
function referenceGlob(pattern: string, text: string, cased: boolean): boolean {
  const tokens: Array<{ star?: true; any?: true; c?: string }> = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && isEscapable(pattern[i + 1])) tokens.push({ c: pattern[++i] as string });
    else if (c === '*') tokens.push({ star: true });
    else if (c === '?') tokens.push({ any: true });
    else tokens.push({ c });
  }
  const t = cased ? text : text.toLowerCase();
  const eq = (a: string, b: string): boolean => (cased ? a === b : a.toLowerCase() === b);
  // can[i][j]: tokens from i match t from j.
  const can: boolean[][] = Array.from({ length: tokens.length + 1 }, () =>
    Array<boolean>(t.length + 1).fill(false),
  );
  can[tokens.length]![t.length] = true;
  for (let i = tokens.length - 1; i >= 0; i--) {
    for (let j = t.length; j >= 0; j--) {
      const tok = tokens[i]!;
      if (tok.star) can[i]![j] = can[i + 1]![j]! || (j < t.length && can[i]![j + 1]!);
      else if (j < t.length && (tok.any || eq(tok.c!, t[j]!))) can[i]![j] = can[i + 1]![j + 1]!;
    }
  }
  return can[0]![0]!;
}

describe('Sigma wildcards match as globs', () => {
  it('random globs x random texts agree with the definition, cased and not', () => {
    const random = seededRandom('glob');
    const pieces = ['a', 'b', 'A', '*', '*', '?', '\\*', '\\?', '\\\\', '\\', 'ab', '.', '('];
    let matched = 0;
    let compared = 0;
    for (let i = 0; i < 600; i++) {
      const pattern = Array.from(
        { length: Math.floor(random() * 7) },
        () => pieces[Math.floor(random() * pieces.length)],
      ).join('');
      for (const cased of [false, true]) {
        const predicate = compilePredicate({
          kind: 'match',
          field,
          cond: { op: 'glob', values: [pattern] },
          all: false,
          cased,
        });
        for (let k = 0; k < 12; k++) {
          const text = Array.from(
            { length: Math.floor(random() * 8) },
            () => ['a', 'b', 'A', '*', '?', '\\', '.', '\n'][Math.floor(random() * 8)],
          ).join('');
          const expected = referenceGlob(pattern, text, cased);
          expect(
            predicate({ userAgent: text }),
            `${JSON.stringify(pattern)} on ${JSON.stringify(text)} cased=${cased}`,
          ).toBe(expected);
          compared++;
          if (expected) matched++;
        }
      }
    }
    expect(matched).toBeGreaterThan(compared / 20);
  });

  it('pieces with many `?` between stars: the same answers as the definition on long values', () => {
    const glob = (pattern: string) =>
      compilePredicate({
        kind: 'match',
        field,
        cond: { op: 'glob', values: [pattern] },
        all: false,
        cased: true,
      });
    const q = (n: number) => '?'.repeat(n);
    // Only `?`s: any value long enough.
    expect(glob(`*${q(1000)}*`)({ userAgent: 'a'.repeat(1_000_000) })).toBe(true);
    expect(glob(`*${q(1000)}*`)({ userAgent: 'a'.repeat(999) })).toBe(false);
    // Literals around `?`s, the anchor everywhere in the value but the piece nowhere.
    expect(glob(`*x${q(998)}y*`)({ userAgent: 'x'.repeat(1_000_000) })).toBe(false);
    expect(glob(`*x${q(998)}y*`)({ userAgent: `${'x'.repeat(500_000)}${'y'.repeat(1_000)}` })).toBe(true);
    // Against the reference on shorter values with the same shapes.
    for (const [pattern, text] of [
      [`*a${q(5)}b*`, `${'a'.repeat(20)}b`],
      [`*a${q(5)}b*`, `${'a'.repeat(20)}cb`],
      [`a*?b?*c`, 'axbyzc'],
      [`*ab?ab?*`, 'abxabyabz'],
      [`*?a?*`, 'ba'],
    ] as const) {
      expect(glob(pattern)({ userAgent: text }), `${pattern} on ${text}`).toBe(
        referenceGlob(pattern, text, true),
      );
    }
  });
});
