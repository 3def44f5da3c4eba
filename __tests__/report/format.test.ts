import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src/report/format.js';

describe('formatCount', () => {
  it('groups digits as en-US number formatting does', () => {
    const samples = [0, 1, 12, 123, 999, 1000, 1234, 99999, 100000, 1234567, 2 ** 31, 2 ** 53 - 1];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 10 ** (1 + (i % 15))));
    for (const n of samples) expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
  });

  it('rounds, and says ? for what is not a number', () => {
    expect(formatCount(1234.6)).toBe('1,235');
    expect(formatCount(-1234)).toBe('-1,234');
    expect(formatCount(Number.NaN)).toBe('?');
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe('?');
  });
});
