import { describe, expect, it } from 'vitest';
import { buildInvestigation, parseBoolean } from '../../src/config/build.js';
import { ConfigurationError } from '../../src/errors.js';

describe('boolean inputs follow the toolkit (getBooleanInput: YAML 1.2 core schema)', () => {
  it.each(['true', 'True', 'TRUE', ' true '])('%s is true', (v) =>
    expect(parseBoolean(v, false, 'x')).toBe(true),
  );
  it.each(['false', 'False', 'FALSE'])('%s is false', (v) => expect(parseBoolean(v, true, 'x')).toBe(false));
  it.each(['yes', 'no', '1', '0', 'on', 'tRUE'])('%s is refused, naming the field', (v) => {
    expect(() => parseBoolean(v, false, 'fail-on-match')).toThrow(ConfigurationError);
    expect(() => parseBoolean(v, false, 'fail-on-match')).toThrow(/fail-on-match must be true or false/);
  });
});

describe('--athena-timeout is a duration like every other', () => {
  const base = { source: '/tmp', since: '2024-03-01T00:00:00Z', until: '2024-03-02T00:00:00Z' };
  it('takes the units of --since (s, m, h, d) and plain seconds', () => {
    expect(buildInvestigation({ ...base, athenaTimeout: '45m' }).athena.timeoutMs).toBe(45 * 60_000);
    expect(buildInvestigation({ ...base, athenaTimeout: '2h' }).athena.timeoutMs).toBe(7_200_000);
    expect(buildInvestigation({ ...base, athenaTimeout: '90' }).athena.timeoutMs).toBe(90_000);
    expect(buildInvestigation(base).athena.timeoutMs).toBe(30 * 60_000);
  });
  it('refuses what is not a duration, naming the flag', () => {
    expect(() => buildInvestigation({ ...base, athenaTimeout: 'soon' })).toThrow(
      /--athena-timeout must be a duration/,
    );
    expect(() => buildInvestigation({ ...base, athenaTimeout: '0s' })).toThrow(/--athena-timeout/);
  });
});
