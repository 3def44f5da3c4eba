import { describe, expect, it } from 'vitest';
import { MAX_REGEX_LENGTH, regexSafetyProblem } from '../../src/query/regex-safety.js';

describe('regexSafetyProblem', () => {
  it.each([
    '(a+)+',
    '(a*)*b',
    '^(\\w+\\s?)+$',
    '(\\d+\\.){3}\\d+',
    '(?:x{1,5})+',
    '((ab)+c)*',
    '(?<word>[a-z]+)*',
    '(a|aa)*',
    '(a|a)+',
    '(.|\\s)*',
    '(\\w|\\d)+',
    '(x|[xy])+',
    '(a?|b)+',
    '(a|)+',
    '(?:(a|aa))+',
    '((a)\\2)+',
  ])('refuses %s', (source) => {
    expect(regexSafetyProblem(source)).toBeDefined();
  });

  it.each([
    '^ConsoleLogin$',
    'Delete(Trail|Bucket|FlowLogs)',
    '(GET|PUT|POST)+',
    '(\\d|-)+',
    '^arn:aws:iam::\\d{12}:user/.+$',
    '^stratus-red-team_[0-9a-f-]{36}$',
    '(ab){3}',
    '(ab|cd){2,4}',
    '[(a+)+]',
    '\\(a+\\)+',
    '(?=a+)b',
    'a{2,}b*c?',
    '(https?://)?example\\.com',
    '(\\s|x)+',
  ])('accepts %s', (source) => {
    expect(regexSafetyProblem(source)).toBeUndefined();
  });

  it('caps the length', () => {
    expect(regexSafetyProblem('a'.repeat(MAX_REGEX_LENGTH))).toBeUndefined();
    expect(regexSafetyProblem('a'.repeat(MAX_REGEX_LENGTH + 1))).toContain('limit');
  });

  it('accepted patterns stay fast on hostile input', () => {
    const hostile = `${'a'.repeat(5000)}!`;
    for (const source of ['(GET|PUT|POST)+$', '(\\d|-)+$', '^a+b$', 'a{2,}b*c?$']) {
      const started = performance.now();
      new RegExp(source, 'i').test(hostile);
      expect(performance.now() - started).toBeLessThan(200);
    }
  });
});
