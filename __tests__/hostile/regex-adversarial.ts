/**
 * Run as a child process by regex-bounds.test.ts: matches adversarial patterns (|re and Sigma
 * wildcards) against long adversarial values through the compiled predicate, as the scan engine
 * runs them, and prints how many tests ran. A pattern that backtracks would never finish: the
 * test's timeout catches it without timing anything here.
 */
import { compilePredicate } from '../../src/query/predicate.js';
import type { QueryNode } from '../../src/query/ast.js';
import { MAX_REGEX_SUBJECT_CHARS } from '../../src/query/predicate.js';
import { ADVERSARIAL_GLOBS, ADVERSARIAL_REGEXES, adversarialValues } from './regex-cases.js';

const field = { segments: ['userAgent'], display: 'userAgent' };
let tests = 0;
let matched = 0;
const run = (query: QueryNode, values: string[]): void => {
  const predicate = compilePredicate(query);
  for (const value of values) {
    tests++;
    if (predicate({ userAgent: value })) matched++;
  }
};
for (const pattern of ADVERSARIAL_REGEXES) {
  const values = adversarialValues(pattern, MAX_REGEX_SUBJECT_CHARS);
  run({ kind: 'match', field, cond: { op: 're', values: [pattern] }, all: false, cased: false }, values);
}
for (const pattern of ADVERSARIAL_GLOBS) {
  // Globs have no value limit: 16x longer values.
  const values = adversarialValues(pattern, 16 * MAX_REGEX_SUBJECT_CHARS);
  run({ kind: 'match', field, cond: { op: 'glob', values: [pattern] }, all: false, cased: false }, values);
}
process.stdout.write(JSON.stringify({ tests, matched }));
