/**
 * SQL injection, as a property: for random hostile strings (quotes, backslashes, `--`, `;`, comment ends,
 * NUL, newlines, unicode) used as filter values and as JSON keys below free-form fields, the
 * Athena statement's text is byte-identical to the one for a benign value; once Athena substitutes
 * the parameters, Trino's lexer sees the same token sequence (so the same parse), each parameter
 * is exactly one string-literal token, and that token decodes back to the value.
 */
import { describe, expect, it } from 'vitest';
import { trino } from '../athena/grammar.js';
import { parseFilter } from '../../src/query/parse-filter.js';
import { executionParameters } from '../../src/query/sql-literal.js';
import { regionQuery } from '../../src/engines/athena/query-text.js';
import type { QueryNode } from '../../src/query/ast.js';
import { seededRandom } from '../../tools/generate/prng.js';

const PIECES = [
  "'",
  "''",
  '"',
  '\\',
  '\\\\',
  '--',
  ';',
  '/*',
  '*/',
  '\u0000',
  '\n',
  '\r\n',
  '\t',
  '?',
  '$',
  '{',
  '}',
  '(',
  ')',
  ',',
  ' OR 1=1',
  "' OR '1'='1",
  'DROP TABLE x',
  'ü',
  '\u202e',
  '😀',
  '\u2028',
  '%',
  '_',
  '[',
  ']',
  '`',
  'a',
  'Z',
  '0',
  ' ',
  '\u0000\u0000',
  'SELECT',
  'UNION ALL',
  "')) OR ((",
  '$["x"]',
  "U&'\\0041'",
];

function hostileString(rand: () => number, maxPieces = 8): string {
  const n = 1 + Math.floor(rand() * maxPieces);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)];
  return s;
}

/** A key segment: no `.` or `|` (they separate segments and modifiers) and not blank. */
function hostileKey(rand: () => number): string {
  const key = hostileString(rand, 5).replace(/[.|]/g, '');
  return key.trim() === '' ? `k${key}k` : key;
}

const window = { since: new Date('2024-03-01T10:00:00Z'), until: new Date('2024-03-02T10:00:00Z') };

function statement(query: QueryNode, accounts: string[] | 'all' = ['111122223333']) {
  return regionQuery({
    database: 'cloudtrail_investigate',
    table: 'cloudtrail_b_0123456789ab',
    region: 'us-east-1',
    accounts,
    window,
    query,
  });
}

interface Token {
  type: number;
  text: string;
}

/**
 * The statement as Athena runs it: each `?` replaced, in order, by its execution parameter. Spans
 * are in code points, as the ANTLR lexer counts.
 */
function substituted(sql: string, literals: string[]): { text: string; spans: Array<[number, number]> } {
  let text = '';
  let points = 0;
  const spans: Array<[number, number]> = [];
  let next = 0;
  for (const ch of sql) {
    if (ch === '?') {
      const literal = literals[next++] as string;
      const length = Array.from(literal).length;
      spans.push([points, points + length]);
      text += literal;
      points += length;
    } else {
      text += ch;
      points++;
    }
  }
  expect(next).toBe(literals.length);
  return { text, spans };
}

function tokens(text: string): Token[] {
  return (trino.getAllTokens(text) as Token[]).filter((t) => t.text.trim() !== '');
}

/** The filter shapes a value or key is tried in: every way a user value reaches the SQL. */
const SHAPES: Array<(value: string, key: string) => Record<string, unknown>> = [
  (v) => ({ eventName: v }),
  (v) => ({ 'userIdentity.userName|cased': [v, 'x'] }),
  (v) => ({ 'errorMessage|contains': v }),
  (v) => ({ 'resources.ARN|startswith': v }),
  (v) => ({ 'userAgent|endswith|all': [v, v] }),
  (v, k) => ({ [`requestParameters.${k}`]: v }),
  (v, k) => ({ [`requestParameters.${k}.${k}|contains`]: v }),
  (v, k) => ({ [`additionalEventData.${k}|exists`]: true, not: { eventSource: v } }),
  (v, k) => ({ [`userIdentity.sessionContext.webIdFederationData.attributes.${k}`]: v }),
  (v, k) => ({ any: [{ [`responseElements.${k}|contains`]: v }, { 'eventName|startswith': v }] }),
];

describe('no value or key changes the structure of the SQL', () => {
  const ITERATIONS = 60;

  for (const [shapeIndex, shape] of SHAPES.entries()) {
    it(`shape ${shapeIndex}: ${JSON.stringify(shape('V', 'K'))}`, () => {
      const benign = statement(parseFilter(shape('benign', 'benignkey')).query);
      const benignLiterals = executionParameters(benign.parameters);
      const benignTokens = tokens(substituted(benign.sql, benignLiterals).text);
      expect(trino.validate(substituted(benign.sql, benignLiterals).text)).toEqual([]);
      const rand = seededRandom(1000 + shapeIndex);
      for (let i = 0; i < ITERATIONS; i++) {
        const value = hostileString(rand);
        const key = hostileKey(rand);
        const evil = statement(parseFilter(shape(value, key)).query);
        const replay = `shape ${shapeIndex}, iteration ${i}: value ${JSON.stringify(value)}, key ${JSON.stringify(key)}`;
        // 1. The SQL text does not depend on the value or key.
        expect(evil.sql, replay).toBe(benign.sql);
        // 2. The parameters are the raw value and key, in the benign positions.
        expect(evil.parameters.length, replay).toBe(benign.parameters.length);
        for (const [p, raw] of evil.parameters.entries()) {
          // Field paths are trimmed like any key the user writes.
          if (raw !== benign.parameters[p])
            expect([value, key.trim(), `(?i)${value}`], replay).toContain(raw);
        }
        // 3. Substituted, Trino's lexer sees the same token types: the same statement structure.
        const literals = executionParameters(evil.parameters);
        const { text, spans } = substituted(evil.sql, literals);
        const evilTokens = tokens(text);
        expect(
          evilTokens.map((t) => t.type),
          replay,
        ).toEqual(benignTokens.map((t) => t.type));
        // 4. Each parameter is exactly one string-literal token that decodes to the raw value.
        const all = trino.getAllTokens(text) as Array<Token & { start: number; stop: number }>;
        for (const [p, [start, end]] of spans.entries()) {
          const inside = all.filter((t) => t.start >= start && t.stop < end);
          expect(inside.length, replay).toBe(1);
          expect(inside[0]!.start, replay).toBe(start);
          expect(inside[0]!.stop, replay).toBe(end - 1);
          expect(inside[0]!.text.slice(1, -1).replaceAll("''", "'"), replay).toBe(evil.parameters[p]);
        }
      }
    });
  }

  it('the parsed statement is valid Trino for hostile values too (sampled)', () => {
    const rand = seededRandom(7);
    for (let i = 0; i < 10; i++) {
      const value = hostileString(rand);
      const key = hostileKey(rand);
      const { sql, parameters } = statement(parseFilter(SHAPES[i % SHAPES.length]!(value, key)).query);
      const { text } = substituted(sql, executionParameters(parameters));
      expect(trino.validate(text), JSON.stringify({ value, key })).toEqual([]);
    }
  });

  it('the generator does produce the dangerous characters (the property is not vacuous)', () => {
    const rand = seededRandom(1);
    const seen = Array.from({ length: 500 }, () => hostileString(rand)).join('');
    for (const ch of ["'", '\\', '--', ';', '*/', '\u0000', '\n', '?', '😀']) expect(seen).toContain(ch);
  });
});
