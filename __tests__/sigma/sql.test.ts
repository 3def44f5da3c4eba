/**
 * Rule packs on Athena: one query per region whose rows say which rules matched. Every text is
 * valid Trino (dt-sql-parser's grammar), every rule value travels as a parameter, and the
 * `sigma_rules` column maps back to rule ids.
 */
import { describe, expect, it } from 'vitest';
import { executionParameters } from '../../src/query/sql-literal.js';
import { compileWhere } from '../../src/query/sql.js';
import type { QueryNode } from '../../src/query/ast.js';
import { resolveField } from '../../src/query/fields.js';
import { loadRulePack } from '../../src/sigma/load.js';
import { compileRulePack } from '../../src/sigma/pack.js';
import { parseRuleSource } from '../../src/sigma/parse.js';
import { athenaRulePack, rulePackRegionQuery, ruleIdsOfColumn, RULES_COLUMN } from '../../src/sigma/sql.js';
import { trino } from '../athena/grammar.js';
import { repoRoot, sigmaDir } from './corpus.js';

const input = (query: QueryNode = { kind: 'all' }) => ({
  database: 'cloudtrail_investigate',
  table: 'trail_logs',
  region: 'us-east-1',
  accounts: ['111122223333'],
  window: { since: new Date('2023-07-10T00:00:00Z'), until: new Date('2023-07-11T00:00:00Z') },
  query,
});

const placeholders = (sql: string): number => sql.split('?').length - 1;

describe('rulePackRegionQuery', () => {
  it("all SigmaHQ and built-in rules in one query: valid Trino, one parameter per placeholder, under Athena's 256 KB", async () => {
    const pack = await loadRulePack([sigmaDir, 'builtin:all'], { cwd: repoRoot });
    const { sql, parameters } = rulePackRegionQuery(input(), pack.rules);
    expect(trino.validate(sql)).toEqual([]);
    expect(placeholders(sql)).toBe(parameters.length);
    expect(sql.length).toBeLessThan(256 * 1024);
    // One `if(<rule>, n)` per rule, numbered in pack order.
    for (let i = 1; i <= pack.rules.length; i++) expect(sql).toContain(`, ${i})`);
    expect(sql).toMatch(new RegExp(`AS "${RULES_COLUMN}" FROM .* WHERE "${RULES_COLUMN}" <> '\\[\\]'$`));
    expect(() => executionParameters(parameters)).not.toThrow();
  });

  it('with a filter: the filter narrows inside, the rules decide outside', async () => {
    const pack = await loadRulePack(['builtin:trail-tampering'], { cwd: repoRoot });
    const filter: QueryNode = {
      kind: 'match',
      field: resolveField('awsRegion'),
      cond: { op: 'equals', values: ['us-east-1'] },
      all: false,
      cased: false,
    };
    const { sql, parameters } = rulePackRegionQuery(input(filter), pack.rules);
    expect(trino.validate(sql)).toEqual([]);
    expect(placeholders(sql)).toBe(parameters.length);
    // Rule values first (the column), then the region query's own: region, days, account, window, filter.
    expect(parameters.slice(0, 2)).toEqual(['cloudtrail.amazonaws.com', 'StopLogging']);
    expect(parameters.slice(-1)).toEqual(['us-east-1']);
    expect(parameters).toContain('111122223333');
  });

  it('no rule text reaches the SQL: ids, titles and values are absent from it', async () => {
    const text = `title: "x' OR '1'='1"\nid: "'); DROP TABLE t; --"\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        eventName: "Stop'Logging"\n        requestParameters.x-amz-id-2|contains: "a\\"b"\n        userIdentity.arn|re|i: "^arn:aws:iam::\\\\d{12}:user/"\n    condition: sel\n`;
    const pack = compileRulePack(parseRuleSource({ file: 'evil.yml', text }));
    expect(pack.rules).toHaveLength(1);
    const { sql, parameters } = rulePackRegionQuery(input(), pack.rules);
    expect(trino.validate(sql)).toEqual([]);
    for (const piece of ["Stop'Logging", 'DROP TABLE', "'1'='1", 'x-amz-id-2', 'a"b', 'arn:aws'])
      expect(sql).not.toContain(piece);
    expect(parameters).toEqual(
      expect.arrayContaining(["Stop'Logging", 'x-amz-id-2', 'a"b', '(?i)^arn:aws:iam::\\d{12}:user/']),
    );
  });

  it('an empty pack returns no rows', () => {
    const { sql } = rulePackRegionQuery(input(), []);
    expect(trino.validate(sql)).toEqual([]);
    expect(sql).toContain(`'[]' AS "${RULES_COLUMN}"`);
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
    expect(placeholders(sql)).toBe(parameters.length);
  });

  it('fieldref walks the other field with its own lambda variable', () => {
    const { sql } = compileWhere({
      kind: 'match',
      field: field('requestParameters.a'),
      cond: { op: 'fieldref', fields: [field('requestParameters.b')], compare: 'equals' },
      all: false,
      cased: false,
    });
    expect(sql).toMatch(/any_match\(transform\(.*j -> try_cast\(j AS VARCHAR\)\), fr -> fr IS NOT NULL AND /);
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

describe('ruleIdsOfColumn', () => {
  const rules = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  it('maps 1-based positions back to ids', () => {
    expect(ruleIdsOfColumn('[1,3]', rules)).toEqual(['a', 'c']);
    expect(ruleIdsOfColumn('[]', rules)).toEqual([]);
    expect(ruleIdsOfColumn(null, rules)).toEqual([]);
  });
  it('an unknown position is a bug, not a silent drop', () => {
    expect(() => ruleIdsOfColumn('[4]', rules)).toThrow(/position 4/);
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
    const pack = await loadRulePack([sigmaDir, 'builtin:all'], { cwd: repoRoot });
    expect(athenaRulePack(pack)).toBe(pack);
  });
});
