import { describe, expect, it } from 'vitest';
import { parseConfigText, readConfigFile } from '../../src/config/config-file.js';
import { ConfigurationError } from '../../src/errors.js';

describe('config file', () => {
  it("maps the original tool's keys", () => {
    const { raw, logLevel } = parseConfigText(
      [
        'assetIds: [my-trail]',
        'regions: [us-east-1, eu-west-1]',
        'actionParams:',
        '  eventname: [ConsoleLogin, StopLogging]',
        '  days: 2',
        'outputType: csv',
        'outDir: out',
        'testId: t1',
        'logLevel: debug',
        'profile: audit',
      ].join('\n'),
      'c.yml',
    );
    expect(raw).toEqual({
      trails: ['my-trail'],
      regions: ['us-east-1', 'eu-west-1'],
      filter: { eventname: ['ConsoleLogin', 'StopLogging'], days: 2 },
      format: 'csv',
      outDir: 'out',
      testId: 't1',
      profile: 'audit',
    });
    expect(logLevel).toBe('debug');
  });

  it('accepts JSON and our own kebab-case keys', () => {
    const { raw } = parseConfigText('{"source": "s3://b/p", "fail-on-match": true, "since": "1d"}', 'c.json');
    expect(raw).toEqual({ source: 's3://b/p', failOnMatch: true, since: '1d' });
  });

  it('refuses unknown keys with a suggestion, bad YAML and non-maps', () => {
    expect(() => parseConfigText('regoins: [us-east-1]', 'c.yml')).toThrow(
      /unknown key "regoins"\. Did you mean "regions"\?/,
    );
    expect(() => parseConfigText('a: [1, 2', 'c.yml')).toThrow(/c.yml is not valid YAML\/JSON/);
    expect(() => parseConfigText('- a\n- b', 'c.yml')).toThrow(/must hold a map/);
    expect(() => parseConfigText('a: 1\na: 2', 'c.yml')).toThrow(ConfigurationError);
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(
        `${next}: &${next} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
      );
    }
    expect(() => parseConfigText(lines.join('\n'), 'bomb.yml')).toThrow(ConfigurationError);
  });

  it('says which file cannot be read', () => {
    expect(() => readConfigFile('/nonexistent/config.yml')).toThrow(
      /Cannot read config file \/nonexistent\/config.yml \(ENOENT\)/,
    );
  });
});
