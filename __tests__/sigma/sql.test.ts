/**
 * Rule packs on Athena: one query per region returning the records that match any rule. Every
 * text is valid Trino (dt-sql-parser's grammar), every rule value travels as a parameter, and
 * every parameter stands where Athena accepts one (plan-check.ts).
 */
import { describe, expect, it } from 'vitest';
import { executionParameters } from '../../src/query/sql-literal.js';
import { compileWhere } from '../../src/query/sql.js';
import type { QueryNode } from '../../src/query/ast.js';
import { resolveField } from '../../src/query/fields.js';
import { loadRulePack } from '../../src/sigma/load.js';
import { compileRulePack } from '../../src/sigma/pack.js';
import { parseRuleSource } from '../../src/sigma/parse.js';
import { athenaRulePack, rulePackRegionQuery } from '../../src/sigma/sql.js';
import { checkAthenaQuery } from '../athena/plan-check.js';
import { trino } from '../athena/grammar.js';
import { repoRoot } from './corpus.js';

const input = (query: QueryNode = { kind: 'all' }) => ({
  database: 'cloudtrail_investigate',
  table: 'trail_logs',
  region: 'us-east-1',
  accounts: ['111122223333'],
  window: { since: new Date('2023-07-10T00:00:00Z'), until: new Date('2023-07-11T00:00:00Z') },
  query,
});

describe('rulePackRegionQuery', () => {
  it("all built-in rules in one query: valid Trino, within Athena's limits on parameters and size", async () => {
    // With the SigmaHQ rules too: sql.corpus.test.ts.
    const pack = await loadRulePack(['builtin:all'], { cwd: repoRoot });
    const { sql, parameters } = rulePackRegionQuery(input(), pack.rules);
    expect(trino.validate(sql)).toEqual([]);
    // Every ? in the WHERE clause, none in quotes, one parameter each, under 256 KB.
    expect(checkAthenaQuery(sql, executionParameters(parameters))).toEqual([]);
    // The select list is the table's columns: no computed rule column.
    expect(sql.slice(0, sql.indexOf(' FROM '))).not.toMatch(/\?|sigma/);
  });

  it('with a filter: the filter and the rules both narrow the WHERE clause', async () => {
    const pack = await loadRulePack(['builtin:trail-tampering'], { cwd: repoRoot });
    const filter: QueryNode = {
      kind: 'match',
      field: resolveField('awsRegion'),
      cond: { op: 'equals', values: ['eu-west-3'] },
      all: false,
      cased: false,
    };
    const { sql, parameters } = rulePackRegionQuery(input(filter), pack.rules);
    expect(trino.validate(sql)).toEqual([]);
    expect(checkAthenaQuery(sql, executionParameters(parameters))).toEqual([]);
    // The region query's own parameters first (region, days, account, window), then the filter, then the rules.
    expect(parameters[0]).toBe('us-east-1');
    expect(parameters).toContain('111122223333');
    const filterAt = parameters.indexOf('eu-west-3');
    expect(filterAt).toBeGreaterThan(parameters.indexOf('111122223333'));
    expect(parameters.indexOf('StopLogging')).toBeGreaterThan(filterAt);
  });

  it('no rule text reaches the SQL: ids, titles and values are absent from it', async () => {
    const text = `title: "x' OR '1'='1"\nid: "'); DROP TABLE t; --"\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        eventName: "Stop'Logging"\n        requestParameters.x-amz-id-2|contains: "a\\"b"\n        userIdentity.arn|re|i: "^arn:aws:iam::\\\\d{12}:user/"\n    condition: sel\n`;
    const pack = compileRulePack(parseRuleSource({ file: 'evil.yml', text }));
    expect(pack.rules).toHaveLength(1);
    const { sql, parameters } = rulePackRegionQuery(input(), pack.rules);
    expect(trino.validate(sql)).toEqual([]);
    expect(checkAthenaQuery(sql, executionParameters(parameters))).toEqual([]);
    for (const piece of ["Stop'Logging", 'DROP TABLE', "'1'='1", 'x-amz-id-2', 'a"b', 'arn:aws'])
      expect(sql).not.toContain(piece);
    expect(parameters).toEqual(
      expect.arrayContaining(["Stop'Logging", 'x-amz-id-2', 'a"b', '(?i)^arn:aws:iam::\\d{12}:user/']),
    );
  });

  it('an empty pack returns no rows', () => {
    const { sql, parameters } = rulePackRegionQuery(input(), []);
    expect(trino.validate(sql)).toEqual([]);
    expect(checkAthenaQuery(sql, executionParameters(parameters))).toEqual([]);
    expect(sql).toMatch(/ AND FALSE$/);
  });
});

describe('Sigma-only conditions in SQL', () => {
  const field = (path: string) => resolveField(path);
  const cases: [string, QueryNode][] = [];
  const targets = [
    'userIdentity.arn',
    'eventName',
    'requestParameters.userName',
    'resources.ARN',
    'userIdentity',
    'requestParameters',
    'userIdentity.sessionContext.webIdFederationData.attributes.sub',
  ];
  // Every pair of target kinds (the compare op only changes the innermost test), then every op.
  for (const left of targets) {
    for (const right of targets) {
      cases.push([
        `${left} = field ${right}`,
        {
          kind: 'match',
          field: field(left),
          cond: { op: 'fieldref', fields: [field(right)], compare: 'equals' },
          all: false,
          cased: false,
        },
      ]);
    }
  }
  for (const left of targets) {
    for (const compare of ['contains', 'startswith', 'endswith'] as const) {
      cases.push([
        `${left} ${compare} field requestParameters.userName`,
        {
          kind: 'match',
          field: field(left),
          cond: { op: 'fieldref', fields: [field('requestParameters.userName')], compare },
          all: false,
          cased: false,
        },
      ]);
    }
  }
  cases.push([
    'fieldref, two fields, all, cased',
    {
      kind: 'match',
      field: field('userIdentity.arn'),
      cond: {
        op: 'fieldref',
        fields: [field('requestParameters.userName'), field('userIdentity.userName')],
        compare: 'endswith',
      },
      all: true,
      cased: true,
    },
  ]);
  cases.push([
    're with m and s flags',
    {
      kind: 'match',
      field: field('requestParameters.script'),
      cond: { op: 're', values: ['^a.b$'], flags: 'ms' },
      all: false,
      cased: false,
    },
  ]);

  it.each(cases)('%s', (_name, query) => {
    const { sql, parameters } = compileWhere(query);
    expect(trino.validate(`SELECT 1 FROM t WHERE ${sql}`)).toEqual([]);
    expect(checkAthenaQuery(`SELECT 1 FROM t WHERE ${sql}`, executionParameters(parameters))).toEqual([]);
  });

  it('fieldref walks the other field with its own lambda variable', () => {
    const { sql } = compileWhere({
      kind: 'match',
      field: field('requestParameters.a'),
      cond: { op: 'fieldref', fields: [field('requestParameters.b')], compare: 'equals' },
      all: false,
      cased: false,
    });
    expect(sql).toMatch(
      /any_match\(transform\(.*j -> if\(is_json_scalar\(j\), .*\)\), fr -> fr IS NOT NULL AND /,
    );
    expect(sql).toContain('lower(fr)');
  });

  it('regex flags travel as inline flags in the parameter', () => {
    const cased = compileWhere({
      kind: 'match',
      field: field('eventName'),
      cond: { op: 're', values: ['^a.b$'], flags: 's' },
      all: false,
      cased: true,
    });
    expect(cased.parameters).toEqual(['(?s)^a.b$']);
    const caseless = compileWhere({
      kind: 'match',
      field: field('eventName'),
      cond: { op: 're', values: ['x'], flags: 'm' },
      all: false,
      cased: false,
    });
    expect(caseless.parameters).toEqual(['(?im)x']);
  });
});

describe('athenaRulePack', () => {
  it('moves rules on fields without an Athena column to unsupported, keeps the others', () => {
    const rule = (id: string, field: string): string =>
      `title: t-${id}\nid: ${id}\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        ${field}: x\n    condition: sel\n`;
    const pack = compileRulePack(
      [
        rule('a', 'eventName'),
        rule('b', 'userIdentity.identityProvider'),
        rule('c', 'managementEvent'),
      ].flatMap((text, i) => parseRuleSource({ file: `${i}.yml`, text })),
    );
    expect(pack.rules).toHaveLength(3);
    const athena = athenaRulePack(pack);
    expect(athena.rules.map((r) => r.id)).toEqual(['a']);
    expect(athena.unsupported.map((u) => [u.id, u.reason])).toEqual([
      [
        'b',
        expect.stringMatching(/^on Athena: .*no column for "userIdentity.identityProvider".*--engine scan/),
      ],
      ['c', expect.stringMatching(/^on Athena: .*no column for "managementEvent"/)],
    ]);
    expect(athena.anyQuery).toBe(athena.rules[0]!.query);
  });

  it('returns the same pack when every rule has its columns', async () => {
    const pack = await loadRulePack(['builtin:all'], { cwd: repoRoot });
    expect(athenaRulePack(pack)).toBe(pack);
  });
});
