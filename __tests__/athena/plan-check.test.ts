/**
 * The plan check (plan-check.ts) on hand-written queries — it must refuse every documented way a
 * parameterized query fails on Athena, including the shape rule packs used to send — then on what
 * the compilers emit: random filters over generated logs, and every built-in rule.
 */
import { StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { describe, expect, it } from 'vitest';
import { regionQuery } from '../../src/engines/athena/query-text.js';
import { selectList } from '../../src/engines/athena/schema.js';
import type { QueryNode } from '../../src/query/ast.js';
import { executionParameters } from '../../src/query/sql-literal.js';
import { compileCondition, compileWhere, SqlParams } from '../../src/query/sql.js';
import { loadRulePack } from '../../src/sigma/load.js';
import { generateLogs } from '../../tools/generate/index.js';
import { Rng } from '../../tools/generate/prng.js';
import { randomQuery, samplePaths } from '../scan/random-query.js';
import { clientFactories, harness, takeRefused } from './fake-athena.js';
import { trino } from './grammar.js';
import { checkAthenaQuery, MAX_QUERY_BYTES } from './plan-check.js';

const input = (query: QueryNode) => ({
  database: 'cloudtrail_investigate',
  table: 'trail_logs',
  region: 'us-east-1',
  accounts: ['111122223333'],
  window: { since: new Date('2023-07-10T00:00:00Z'), until: new Date('2023-07-11T00:00:00Z') },
  query,
});

describe('checkAthenaQuery refuses what Athena documents as unsupported', () => {
  it('the rule-pack shape sent before: rule tests as a computed column of the SELECT list', async () => {
    // Built as the old rulePackRegionQuery built it: `if(<rule>, n)` per rule in the select list.
    const pack = await loadRulePack(['builtin:trail-tampering'], { cwd: process.cwd() });
    const params = new SqlParams();
    const hits = pack.rules.map((r, i) => `if(${compileCondition(r.query, params)}, ${i + 1})`);
    const column = `json_format(CAST(filter(ARRAY[${hits.join(', ')}], i -> i IS NOT NULL) AS JSON)) AS "sigma_rules"`;
    const where = `"region" = ${params.add('us-east-1')}`;
    const { sql, parameters } = params.finish(
      `SELECT * FROM (SELECT ${selectList()}, ${column} FROM "db"."t" WHERE ${where}) WHERE "sigma_rules" <> '[]'`,
    );
    expect(trino.validate(sql)).toEqual([]);
    const problems = checkAthenaQuery(sql, executionParameters(parameters));
    expect(problems.length).toBe(parameters.length - 1);
    expect(problems.every((p) => p.startsWith('a ? outside a WHERE clause (in SELECT)'))).toBe(true);
  });

  it.each([
    ['a parameter in the select list', 'SELECT ? FROM t', ["'x'"], /outside a WHERE clause \(in SELECT\)/],
    [
      'a parameter after WHERE, in ORDER BY',
      'SELECT a FROM t WHERE a = ? ORDER BY ?',
      ["'x'", "'y'"],
      /in ORDER/,
    ],
    ['a parameter in LIMIT', 'SELECT a FROM t WHERE a = ? LIMIT ?', ["'x'", "'1'"], /in LIMIT/],
    ['a parameter in GROUP BY', 'SELECT a FROM t WHERE a = ? GROUP BY ?', ["'x'", "'1'"], /in GROUP/],
    [
      "a subquery's select list inside WHERE",
      'SELECT a FROM t WHERE a IN (SELECT ? FROM u)',
      ["'x'"],
      /in SELECT/,
    ],
    [
      'a parameter in a JOIN condition',
      'SELECT a FROM t JOIN u ON t.a = ? WHERE b = ?',
      ["'x'", "'y'"],
      /in ON/,
    ],
    ['a ? inside a string literal', "SELECT a FROM t WHERE a = '?'", [], /inside a string/],
    ['a ? inside a quoted identifier', 'SELECT a FROM t WHERE "?" = ?', ["'x'"], /inside a identifier/],
    ['a ? after a doubled quote in a literal', "SELECT a FROM t WHERE a = 'it''s ?'", [], /inside a string/],
    [
      'parameters in DDL',
      "ALTER TABLE t ADD PARTITION (d = ?) LOCATION 's3://b/'",
      ["'x'"],
      /other than SELECT/,
    ],
    ['parameters in DROP', 'DROP TABLE ?', ["'x'"], /other than SELECT/],
    [
      'fewer parameters than placeholders',
      'SELECT a FROM t WHERE a = ? AND b = ?',
      ["'x'"],
      /2 placeholder\(s\) but 1/,
    ],
    [
      'more parameters than placeholders',
      'SELECT a FROM t WHERE a = ?',
      ["'x'", "'y'"],
      /1 placeholder\(s\) but 2/,
    ],
    ['an empty parameter', 'SELECT a FROM t WHERE a = ?', [''], /ExecutionParameter 1 is 0 characters/],
    [
      'a parameter over 1024 characters',
      'SELECT a FROM t WHERE a = ?',
      [`'${'x'.repeat(1023)}'`],
      /is 1025 characters/,
    ],
  ])('%s', (_name, sql, parameters, problem) => {
    expect(checkAthenaQuery(sql, parameters)).toEqual(
      expect.arrayContaining([expect.stringMatching(problem)]),
    );
  });

  it('a query string over 262,144 bytes (counted in UTF-8 bytes, not characters)', () => {
    const head = 'SELECT a FROM t WHERE a = ';
    const fits = `${head}'${'x'.repeat(MAX_QUERY_BYTES - head.length - 2)}'`;
    expect(Buffer.byteLength(fits)).toBe(MAX_QUERY_BYTES);
    expect(checkAthenaQuery(fits, [])).toEqual([]);
    // Same length in characters, but one character takes two bytes.
    const over = `${fits.slice(0, -2)}é'`;
    expect(over.length).toBe(MAX_QUERY_BYTES);
    expect(checkAthenaQuery(over, [])).toEqual([expect.stringMatching(/262145 bytes, over Athena's 262144/)]);
  });

  it('accepts parameters in WHERE, in lambdas and calls inside it, and in CTAS / INSERT / UNLOAD', () => {
    const ok = [
      ['SELECT a FROM t WHERE a = ?', 1],
      ['SELECT a FROM t WHERE any_match(r, x -> lower(x.b) = lower(?)) AND c IN (?, ?)', 3],
      ['SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE c = ?) GROUP BY a ORDER BY a', 1],
      ['WITH s AS (SELECT a FROM t WHERE a = ?) SELECT a FROM s', 1],
      ["CREATE TABLE x WITH (format = 'JSON') AS SELECT a FROM t WHERE a = ?", 1],
      ['INSERT INTO x SELECT a FROM t WHERE a = ?', 1],
      ["UNLOAD (SELECT a FROM t WHERE a = ?) TO 's3://b/p/' WITH (format = 'JSON')", 1],
      ["CREATE EXTERNAL TABLE t (a STRING) LOCATION 's3://b/'", 0],
    ] as const;
    for (const [sql, n] of ok) {
      expect(
        checkAthenaQuery(
          sql,
          Array.from({ length: n }, () => "'v'"),
        ),
        sql,
      ).toEqual([]);
    }
  });
});

describe('the Athena stand-in holds every query to the check', () => {
  it('refuses a SELECT-list parameter as Athena does, and records it for afterEach', async () => {
    const h = harness({ scripts: {} });
    try {
      const client = clientFactories.athena('eu-west-1');
      await expect(
        client.send(
          new StartQueryExecutionCommand({ QueryString: 'SELECT ? FROM t', ExecutionParameters: ["'x'"] }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidRequestException' });
      expect(takeRefused()).toEqual([expect.stringMatching(/^a \? outside a WHERE clause \(in SELECT\)/)]);
      expect(h.started).toHaveLength(0);
    } finally {
      h.reset();
    }
  });
});

describe('what the compilers emit passes the plan check', () => {
  it('random filters over generated logs, as region queries', () => {
    const logs = [
      ...generateLogs({
        accounts: ['111111111111'],
        regions: ['us-east-1'],
        start: '2023-07-10T00:00:00Z',
        hours: 1,
        filesPerHour: 2,
        recordsPerFile: [20, 30],
      }),
    ];
    const records = logs.flatMap((l) => l.records) as Record<string, unknown>[];
    const samples = samplePaths(records);
    const rng = new Rng('plan-check');
    let compiled = 0;
    for (let i = 0; i < 200; i++) {
      const query = randomQuery(samples, rng);
      try {
        compileWhere(query);
      } catch {
        continue; // a field without an Athena column: refused before any query
      }
      const { sql, parameters } = regionQuery(input(query));
      expect(checkAthenaQuery(sql, executionParameters(parameters)), sql).toEqual([]);
      compiled++;
    }
    expect(compiled).toBeGreaterThan(150);
  });
});
