/**
 * YAML bounded by what it expands to, not by how many aliases it uses: for the helper, config
 * files and filters. Expected sizes are computed here from the shape of each document.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/config-file.js';
import { parseYamlBounded, MAX_YAML_EXPANDED_SIZE, YamlTooLargeError } from '../../src/yaml-bounded.js';
import { ConfigurationError } from '../../src/errors.js';
import { parseFilterText } from '../../src/query/parse-filter.js';

/** `levels` anchors of `width` aliases each to the one before: width^levels leaves, levels*width aliases. */
function nestedBomb(levels: number, width: number, leaf = '"lol"'): string {
  const lines = [`l0: &l0 [${Array(width).fill(leaf).join(',')}]`];
  for (let i = 1; i < levels; i++)
    lines.push(
      `l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(',')}]`,
    );
  return lines.join('\n');
}

/** One long string anchored once and aliased `uses` times: `length * uses` characters. */
function stringBomb(length: number, uses: number, key = 'k'): string {
  return `a: &a "${'x'.repeat(length)}"\n${key}: [${Array(uses).fill('*a').join(',')}]`;
}

describe('parseYamlBounded', () => {
  it('refuses documents that stay under the alias count but expand past the size limit', () => {
    // 8 levels x 10 = 80 aliases (under yaml's 100), 10^8 leaves.
    const cases = [
      nestedBomb(8, 10),
      nestedBomb(4, 25),
      stringBomb(40_000, 99),
      nestedBomb(20, 2, `"${'y'.repeat(10)}"`),
    ];
    for (const text of cases) {
      const start = Date.now();
      expect(() => parseYamlBounded(text)).toThrow(YamlTooLargeError);
      expect(Date.now() - start).toBeLessThan(2_000);
    }
    // The string bomb really is under the count: yaml alone accepts it.
    expect(() => parse(stringBomb(40_000, 99), { maxAliasCount: 100 })).not.toThrow();
  });

  it('still refuses more alias uses than the count, however small', () => {
    expect(() => parseYamlBounded(`a: &a 1\nb: [${Array(150).fill('*a').join(',')}]`)).toThrow(
      /more than 100 times/,
    );
  });

  it('reads documents with aliases under both limits exactly as yaml does', () => {
    const texts = [
      nestedBomb(3, 4),
      stringBomb(1_000, 50),
      'base: &b {eventName: X, n: [1, 2]}\nother: *b\nlist: [*b, *b]',
      '{"plain": "json", "n": [1, 2, {"x": null}]}',
    ];
    for (const text of texts) expect(parseYamlBounded(text)).toEqual(parse(text, { maxAliasCount: -1 }));
  });

  it('the limit is on expanded size: just under passes, just over fails', () => {
    // A string aliased n times costs n * (length + 2) (alias node, scalar node, characters) plus the document.
    const length = 9_998;
    const under = Math.floor(MAX_YAML_EXPANDED_SIZE / (length + 2)) - 5;
    expect(() => parseYamlBounded(stringBomb(length, under), { maxAliasCount: -1 })).not.toThrow();
    expect(() => parseYamlBounded(stringBomb(length, under + 10), { maxAliasCount: -1 })).toThrow(
      YamlTooLargeError,
    );
  });
});

describe('config files and filters use it', () => {
  it('a config file that expands past the limit is a ConfigurationError naming the file', () => {
    expect(() => parseConfigText(stringBomb(40_000, 99, 'regions'), 'bomb.yml')).toThrow(ConfigurationError);
    expect(() => parseConfigText(stringBomb(40_000, 99, 'regions'), 'bomb.yml')).toThrow(
      /bomb\.yml could not be read: it expands YAML aliases/,
    );
  });

  it('a filter that expands past the limit is a ConfigurationError', () => {
    const text = `${stringBomb(40_000, 99, 'eventName')}`;
    expect(() => parseFilterText(text)).toThrow(/filter cannot be read: it expands YAML aliases/);
  });
});
