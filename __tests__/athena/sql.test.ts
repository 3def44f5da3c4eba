/**
 * The SQL compiler: every shape it can emit is valid Trino (dt-sql-parser's Trino grammar, on
 * the exact text sent), user values only ever travel as parameters, parameters are single
 * string literals for Trino's own lexer, and every function emitted is one checked against the
 * Trino docs.
 */
import { describe, expect, it } from 'vitest';
import { trino } from './grammar.js';
import { ConfigurationError } from '../../src/errors.js';
import type { Condition, MatchNode, QueryNode } from '../../src/query/ast.js';
import { parseFilter } from '../../src/query/parse-filter.js';
import { compileWhere } from '../../src/query/sql.js';
import { executionParameters, sqlStringLiteral } from '../../src/query/sql-literal.js';
import { regionQuery } from '../../src/engines/athena/query-text.js';

function match(path: string, cond: Condition, flags: { all?: boolean; cased?: boolean } = {}): MatchNode {
  return {
    kind: 'match',
    field: { segments: path.split('.'), display: path },
    cond,
    all: flags.all ?? false,
    cased: flags.cased ?? false,
  };
}

const window = { since: new Date('2024-03-01T10:00:00Z'), until: new Date('2024-03-02T10:00:00Z') };

/** The whole statement one region would send. */
function statement(query: QueryNode, accounts: string[] | 'all' = 'all') {
  return regionQuery({
    database: 'cloudtrail_investigate',
    table: 'cloudtrail_b_0123456789ab',
    region: 'us-east-1',
    accounts,
    window,
    query,
  });
}

function countPlaceholders(sql: string): number {
  // No string literal in our SQL holds a '?', so every '?' is a placeholder.
  return (sql.match(/\?/g) ?? []).length;
}

/** Values every string operator is tried with, including the original tool's breakers. */
const HOSTILE = [
  "bob' OR '1'='1",
  "O'Brien",
  "'; DROP TABLE x; --",
  'x\\',
  '?',
  '"quoted"',
  '$["x"]',
  'ü\n\t',
];

const TARGETS = [
  'eventName', // top-level column
  'userIdentity.sessionContext.sessionIssuer.userName', // nested struct leaf
  'userIdentity', // struct as a whole
  'userIdentity.sessionContext.webIdFederationData.attributes', // map as a whole
  'userIdentity.sessionContext.webIdFederationData.attributes.aud', // map key
  'userIdentity.sessionContext.webIdFederationData.attributes.aud.deeper', // below a map value
  'resources', // array as a whole
  'resources.ARN', // array of structs
  'requestParameters', // JSON column, whole
  'requestParameters.bucketName', // JSON key
  'additionalEventData.x-amz-id-2', // key needing quoting in a JSON path
  'requestParameters.containerDefinitions.command', // arrays along the path
  'readOnly', // boolean column
  'sourceIPAddress',
];

const CONDITIONS: Condition[] = [
  { op: 'equals', values: ['ConsoleLogin'] },
  { op: 'equals', values: ['a', 'b', 'c'] },
  { op: 'equals', values: [true] },
  { op: 'equals', values: [false, 5] },
  { op: 'equals', values: [null] },
  { op: 'equals', values: [null, 'x'] },
  { op: 'equals', values: [] },
  { op: 'contains', values: ['root'] },
  { op: 'contains', values: ['a', 'b'] },
  { op: 'startswith', values: ['Delete'] },
  { op: 'endswith', values: ['Bucket', null] },
  { op: 're', values: ['^Put.*Policy$'] },
  { op: 'cidr', values: ['10.0.0.0/8', '2001:db8::/32'] },
  { op: 'exists', value: true },
  { op: 'exists', value: false },
];

describe('compileWhere: every emitted shape is valid Trino', () => {
  const cases: [string, QueryNode][] = [];
  for (const path of TARGETS) {
    for (const cond of CONDITIONS) {
      for (const flags of [{}, { cased: true }, { all: true }, { all: true, cased: true }]) {
        cases.push([`${path} ${cond.op} ${JSON.stringify(flags)}`, match(path, cond, flags)]);
      }
    }
  }
  const a = match('eventName', { op: 'equals', values: ['A'] });
  const b = match('requestParameters.bucketName', { op: 'contains', values: ['b'] });
  const c = match('resources.ARN', { op: 'endswith', values: ['c'] });
  cases.push(
    ['all', { kind: 'all' }],
    ['not', { kind: 'not', child: a }],
    ['and', { kind: 'and', children: [a, b, c] }],
    ['or', { kind: 'or', children: [a, b] }],
    ['empty and', { kind: 'and', children: [] }],
    ['empty or', { kind: 'or', children: [] }],
    [
      'nested',
      {
        kind: 'not',
        child: { kind: 'or', children: [{ kind: 'and', children: [a, { kind: 'not', child: b }] }, c] },
      },
    ],
  );

  it.each(cases)('%s', (_name, query) => {
    const { sql, parameters } = statement(query);
    expect(trino.validate(sql)).toEqual([]);
    expect(countPlaceholders(sql)).toBe(parameters.length);
  });

  it('also validates the filters of the original tool and of real detections (parsed by parseFilter)', () => {
    const filters: unknown[] = [
      { eventName: 'ConsoleLogin', 'additionalEventData.MFAUsed': 'No' },
      { 'userIdentity.type': 'Root', 'userIdentity.invokedBy': null, eventType: { 'not used': 1 } },
      { eventName: ['StopLogging', 'DeleteTrail', 'UpdateTrail'], 'errorCode|exists': false },
      {
        'requestParameters.policy|contains': ['"Effect":"Allow"', '"Principal":"*"'],
        'eventName|re': '^Put',
      },
      {
        'sourceIPAddress|cidr': ['203.0.113.0/24'],
        any: [{ 'userAgent|startswith': 'aws-cli' }, { 'userAgent|contains': 'Boto3' }],
      },
      { 'resources.ARN|endswith': ':trail/management', not: { 'userIdentity.arn|contains|cased': 'admin' } },
      { readOnly: false, 'userIdentity.sessionContext.attributes.mfaAuthenticated': 'false' },
    ];
    for (const input of filters) {
      let parsed;
      try {
        parsed = parseFilter(input);
      } catch {
        continue; // a filter the parser rejects (the eventType object) is not ours to compile
      }
      const { sql, parameters } = statement(parsed.query, ['123456789012', '210987654321']);
      expect(trino.validate(sql)).toEqual([]);
      expect(countPlaceholders(sql)).toBe(parameters.length);
    }
  });
});

describe('user values never enter the SQL text', () => {
  const shapes: ((v: string) => QueryNode)[] = [
    (v) => match('eventName', { op: 'equals', values: [v] }),
    (v) => match('userIdentity.userName', { op: 'equals', values: [v] }, { cased: true }),
    (v) => match('requestParameters.bucketName', { op: 'contains', values: [v] }),
    (v) => match('resources.ARN', { op: 'startswith', values: [v, 'x'] }),
    (v) => match('errorMessage', { op: 'endswith', values: [v] }),
    (v) => match('userAgent', { op: 're', values: [v] }),
    (v) => ({ kind: 'not', child: match('eventSource', { op: 'equals', values: [v, null] }, { all: true }) }),
    // The value as a JSON key: keys are parameters too.
    (v) => match(`requestParameters.${v}`, { op: 'exists', value: true }),
    (v) =>
      match(`userIdentity.sessionContext.webIdFederationData.attributes.${v}`, {
        op: 'equals',
        values: ['x'],
      }),
  ];

  it.each(HOSTILE.map((h) => [h]))('hostile value %j compiles to the text of a benign one', (hostile) => {
    for (const shape of shapes) {
      const benign = compileWhere(shape('benign'));
      const evil = compileWhere(shape(hostile));
      expect(evil.sql).toBe(benign.sql);
      expect(evil.parameters.length).toBe(benign.parameters.length);
      expect(evil.parameters.join('\u0001')).toContain(hostile.replace(/^\(\?i\)/, ''));
      if (hostile.length > 3) expect(evil.sql).not.toContain(hostile);
    }
  });

  it("the original tool's injection, one-item list, empty list, apostrophe, `true` and x-amz-id-2 cases", () => {
    const parsed = parseFilter({
      'userIdentity.userName': ["bob' OR '1'='1"],
      eventName: ["O'Brien"],
      readOnly: true,
      'additionalEventData.x-amz-id-2|exists': true,
    });
    const { sql, parameters } = statement(parsed.query);
    expect(trino.validate(sql)).toEqual([]);
    expect(sql).not.toContain('bob');
    expect(sql).not.toContain('Brien');
    expect(sql).not.toContain('x-amz-id-2');
    expect(parameters).toContain("bob' OR '1'='1");
    expect(parameters).toContain("O'Brien");
    expect(parameters).toContain('true');
    expect(parameters).toContain('x-amz-id-2');
    // The window is a parameter too: the time filter cannot be escaped.
    expect(parameters).toContain('2024-03-01T10:00:00.000Z');
    expect(parameters).toContain('2024-03-02T10:00:00.000Z');
    // An empty list matches nothing but is still valid SQL.
    const empty = statement(match('eventName', { op: 'equals', values: [] }));
    expect(trino.validate(empty.sql)).toEqual([]);
  });
});

describe('execution parameters are single string literals', () => {
  /** Tokens Trino's lexer sees in `SELECT <literal>`, whitespace dropped. */
  function tokens(text: string): string[] {
    return (trino.getAllTokens(`SELECT ${text}`) as { text: string }[])
      .map((t) => t.text)
      .filter((t) => t.trim() !== '');
  }

  it.each([...HOSTILE, '', "''", "'", 'plain', "a''b"].map((v) => [v]))('%j', (value) => {
    const [literal] = executionParameters([value]);
    expect(literal).toBe(sqlStringLiteral(value));
    // Trino's lexer reads the whole parameter as one token...
    expect(tokens(literal as string)).toEqual(['SELECT', literal]);
    // ...which decodes (quotes undoubled) to the value itself.
    expect((literal as string).slice(1, -1).replaceAll("''", "'")).toBe(value);
  });

  it('refuses a value too long for one Athena parameter, naming the filter', () => {
    expect(() => executionParameters(['x'.repeat(2000)])).toThrow(ConfigurationError);
    expect(() => executionParameters(['x'.repeat(2000)])).toThrow(/1024/);
  });
});

describe('semantics written into the SQL', () => {
  it('is case-insensitive unless cased', () => {
    expect(compileWhere(match('eventName', { op: 'equals', values: ['a'] })).sql).toBe(
      'coalesce(lower("eventname") = lower(?), false)',
    );
    expect(compileWhere(match('eventName', { op: 'equals', values: ['a'] }, { cased: true })).sql).toBe(
      'coalesce("eventname" = ?, false)',
    );
  });

  it('scalars compare by their text: true -> "true", 5 -> "5"', () => {
    expect(compileWhere(match('readOnly', { op: 'equals', values: [true, 5] })).parameters).toEqual([
      'true',
      '5',
    ]);
  });

  it('contains is strpos, never contains() on strings; regexes are case-insensitive by (?i)', () => {
    const c = compileWhere(match('userAgent', { op: 'contains', values: ['Boto'] }));
    expect(c.sql).toBe('coalesce(strpos(lower("useragent"), lower(?)) > 0, false)');
    const r = compileWhere(match('userAgent', { op: 're', values: ['^aws'] }));
    expect(r.parameters).toEqual(['(?i)^aws']);
    expect(
      compileWhere(match('userAgent', { op: 're', values: ['^aws'] }, { cased: true })).parameters,
    ).toEqual(['^aws']);
  });

  it('cidr casts with try_cast (sourceIPAddress holds host names) and passes the network as a parameter', () => {
    const c = compileWhere(match('sourceIPAddress', { op: 'cidr', values: ['10.0.0.0/8'] }));
    expect(c.sql).toBe('coalesce(contains(?, try_cast("sourceipaddress" AS IPADDRESS)), false)');
    expect(c.parameters).toEqual(['10.0.0.0/8']);
  });

  it('resources are tested with any_match (one row per event), never UNNEST', () => {
    const c = compileWhere(match('resources.ARN', { op: 'equals', values: ['arn:x'] }));
    expect(c.sql).toBe('coalesce(any_match("resources", r -> lower(r."arn") = lower(?)), false)');
    expect(c.sql).not.toMatch(/unnest/i);
  });

  it('null means absent or null everywhere; not() of a test on an absent field is true', () => {
    expect(compileWhere(match('errorCode', { op: 'equals', values: [null] })).sql).toBe(
      '(NOT ("errorcode" IS NOT NULL))',
    );
    const n = compileWhere({ kind: 'not', child: match('errorCode', { op: 'equals', values: ['x'] }) });
    expect(n.sql).toBe('(NOT coalesce(lower("errorcode") = lower(?), false))');
  });

  it('struct leaves are dereferenced by their Athena names', () => {
    const c = compileWhere(
      match('userIdentity.sessionContext.sessionIssuer.userName', { op: 'equals', values: ['r'] }),
    );
    expect(c.sql).toContain('"useridentity"."sessioncontext"."sessionissuer"."username"');
  });

  it('the window and partitions are parameters: one region, the days of the window plus the delivery lag', () => {
    const late = { since: new Date('2024-03-01T10:00:00Z'), until: new Date('2024-03-01T23:30:00Z') };
    const q = regionQuery({
      database: 'db',
      table: 't_1',
      region: 'eu-west-1',
      accounts: ['111122223333'],
      window: late,
      query: { kind: 'all' },
    });
    expect(q.sql).toContain('"region" = ? AND "timestamp" >= ? AND "timestamp" <= ? AND "account" IN (?)');
    // until + 1 h crosses midnight: the next day's folder may hold the last events.
    expect(q.parameters.slice(0, 4)).toEqual(['eu-west-1', '2024/03/01', '2024/03/02', '111122223333']);
  });
});

describe("Athena's query-string limit", () => {
  it('a filter compiling to more than 262,144 bytes is refused before any query, naming the limit', () => {
    // 1,500 alternatives of a contains test below a JSON-text column: ~0.5 KB of SQL each.
    const query: QueryNode = {
      kind: 'or',
      children: Array.from({ length: 1500 }, (_, i) =>
        match(`requestParameters.key${i}`, { op: 'contains', values: [`v${i}`] }),
      ),
    };
    expect(() => statement(query)).toThrow(ConfigurationError);
    expect(() => statement(query)).toThrow(/over Athena's limit of 262144 per query.*--engine scan/);
    // A tenth of it fits.
    expect(() =>
      statement({ kind: 'or', children: (query as { children: QueryNode[] }).children.slice(0, 150) }),
    ).not.toThrow();
  });
});

describe('fields the table has no column for', () => {
  it.each([['managementEvent'], ['userIdentity.identityProvider'], ['insightDetails.state']])(
    '%s -> ConfigurationError naming it and the scan engine',
    (path) => {
      const q = match(path, { op: 'equals', values: ['x'] });
      expect(() => compileWhere(q)).toThrow(ConfigurationError);
      expect(() => compileWhere(q)).toThrow(new RegExp(`${path.split('.')[0]}.*--engine scan`, 's'));
    },
  );
});

describe('functions emitted are the ones checked against the Trino documentation', () => {
  // Each one looked up in Trino's docs (functions/{string,json,array,map,ipaddress,regexp,
  // conditional,conversion,datetime,lambda}): lower, strpos(string, substring), reverse(string),
  // regexp_like(string, pattern), contains(network, address), try_cast, try, coalesce, nullif,
  // json_parse, json_format, any_match(array, function), transform, flatten, map_filter,
  // map_values, from_iso8601_timestamp, if(condition, a, b), substr(string, start, length),
  // is_json_scalar(json), regexp_replace(string, pattern, function), floor, abs,
  // format(format, args...); CAST and ARRAY[] are syntax.
  const ALLOWED = new Set([
    'lower',
    'strpos',
    'reverse',
    'regexp_like',
    'contains',
    'try_cast',
    'try',
    'coalesce',
    'nullif',
    'json_parse',
    'json_format',
    'any_match',
    'transform',
    'flatten',
    'map_filter',
    'map_values',
    'from_iso8601_timestamp',
    'if',
    'substr',
    'is_json_scalar',
    'regexp_replace',
    'floor',
    'abs',
    'format',
    'cast',
    'array',
    'map',
  ]);

  it('collects every name( in every emitted statement', () => {
    const seen = new Set<string>();
    for (const path of TARGETS) {
      for (const cond of CONDITIONS) {
        const { sql } = statement(match(path, cond, { all: true }));
        for (const m of sql.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\(/g)) seen.add((m[1] as string).toLowerCase());
      }
    }
    const unexpected = [...seen].filter((name) => !ALLOWED.has(name));
    expect(unexpected).toEqual([]);
  });

  it('uses contains() only in its network form', () => {
    for (const path of TARGETS) {
      for (const cond of CONDITIONS) {
        const { sql } = statement(match(path, cond));
        for (const m of sql.matchAll(/contains\(([^,]*),/g)) expect(m[1]).toBe('?');
      }
    }
  });
});
