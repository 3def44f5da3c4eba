/** Adversarial patterns and values shared by regex-bounds.test.ts and its child process. */
import { seededRandom } from '../../tools/generate/prng.js';

/** Patterns that backtrack exponentially or polynomially in V8 (the and classic ones). */
export const FIXED_REGEXES = [
  '(a+)+$',
  '(a|aa)*b',
  '(.*a){12}',
  '^(\\w+\\s?)+$',
  '(?:a|a)'.repeat(40),
  'a{0,15}'.repeat(10),
  `${'a?'.repeat(32)}${'a'.repeat(32)}`,
  '\\d*\\d*\\d*x',
  '.*a.*a.*b',
  '(x+x+)+y',
  '^(?:a?){25}a{25}$',
  '(.|\\s)*!',
];

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
  '(?:a|a)',
  'a{0,9}',
];

/** Random sequences and nestings of troublesome atoms (seeded). */
export function randomRegexes(count: number, seed: string): string[] {
  const random = seededRandom(seed);
  const pick = (): string => ATOMS[Math.floor(random() * ATOMS.length)] as string;
  return Array.from({ length: count }, () => {
    let p = '';
    const n = 2 + Math.floor(random() * 5);
    for (let i = 0; i < n; i++)
      p += random() < 0.2 ? `(${pick()}${pick()})${random() < 0.5 ? '+' : '*'}` : pick();
    return p + (random() < 0.5 ? '!' : '$');
  });
}

export const ADVERSARIAL_REGEXES = [...FIXED_REGEXES, ...randomRegexes(60, 'adversarial')];

export const ADVERSARIAL_GLOBS = [
  `${'a*'.repeat(12)}b`,
  'aws*cli*exec',
  '*a?a?a?a?a?a?b*',
  `*${'?'.repeat(40)}x`,
  `${'*a'.repeat(30)}*`,
  '*aaaaaaaaaaaaaaaaaaab*c',
];

/** Long runs of the pattern's characters and of common classes, each ending in a failing character. */
export function adversarialValues(pattern: string, length: number): string[] {
  const chars = new Set([...pattern.replace(/\\[dws]/g, '')].filter((c) => !'\\^$.*+?()[]{}|'.includes(c)));
  for (const c of ['a', 'A', '1', ' ', 'x']) chars.add(c);
  const values = [...chars].map((c) => c.repeat(length - 1) + '!');
  const literal = pattern.replace(/\\.|[\\^$.*+?()[\]{}|]/g, '');
  if (literal) values.push(literal.repeat(Math.ceil(length / literal.length)).slice(0, length - 1) + '!');
  values.push('ab'.repeat(length / 2 - 1) + '!');
  values.push('aws cli '.repeat(length / 8 - 1) + 'exe');
  return values;
}
