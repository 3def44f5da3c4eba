import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import type { MatchNode, QueryNode } from '../../src/query/ast.js';
import { parseFilter, parseFilterText } from '../../src/query/parse-filter.js';

function errorOf(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigurationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigurationError');
}

function match(
  segments: string[],
  display: string,
  cond: MatchNode['cond'],
  all = false,
  cased = false,
): MatchNode {
  return { kind: 'match', field: { segments, display }, cond, all, cased };
}

describe('parseFilter: shape', () => {
  it.each([undefined, null, {}])('treats %j as every record', (input) => {
    expect(parseFilter(input)).toEqual({ query: { kind: 'all' }, usesResources: false });
  });

  it('turns one key into one match, values as given', () => {
    expect(parseFilter({ eventname: 'ConsoleLogin' }).query).toEqual(
      match(['eventName'], 'eventname', { op: 'equals', values: ['ConsoleLogin'] }),
    );
  });

  it('ANDs keys and ORs list values', () => {
    const query = parseFilter({
      eventName: ['StopLogging', 'DeleteTrail'],
      'userIdentity.type': 'Root',
    }).query;
    expect(query).toEqual({
      kind: 'and',
      children: [
        match(['eventName'], 'eventName', { op: 'equals', values: ['StopLogging', 'DeleteTrail'] }),
        match(['userIdentity', 'type'], 'userIdentity.type', { op: 'equals', values: ['Root'] }),
      ],
    });
  });

  it('keeps scalar types and null in equality values', () => {
    expect(parseFilter({ readonly: [false, 'false', 5, null] }).query).toEqual(
      match(['readOnly'], 'readonly', { op: 'equals', values: [false, 'false', 5, null] }),
    );
  });

  it('refuses a list or a scalar as the whole filter', () => {
    expect(errorOf(() => parseFilter([{ eventName: 'x' }])).message).toContain('got a list');
    expect(errorOf(() => parseFilter('eventName=x')).field).toBe('filter');
  });
});

describe('parseFilter: modifiers', () => {
  it.each([
    ['contains', { op: 'contains', values: ['Bucket'] }],
    ['startswith', { op: 'startswith', values: ['Bucket'] }],
    ['endswith', { op: 'endswith', values: ['Bucket'] }],
    ['re', { op: 're', values: ['Bucket'] }],
  ])('%s', (modifier, cond) => {
    expect(parseFilter({ [`eventName|${modifier}`]: 'Bucket' }).query).toEqual(
      match(['eventName'], 'eventName', cond as MatchNode['cond']),
    );
  });

  it('cidr keeps canonical networks (bare addresses become /32 or /128, host bits cleared)', () => {
    const query = parseFilter({
      'sourceipaddress|cidr': ['10.1.2.3/8', '192.168.10.20', '2001:DB8::1/32', '::1'],
    }).query;
    expect(query).toEqual(
      match(['sourceIPAddress'], 'sourceipaddress', {
        op: 'cidr',
        values: ['10.0.0.0/8', '192.168.10.20/32', '2001:db8::/32', '::1/128'],
      }),
    );
  });

  it.each([
    [true, true],
    [false, false],
    ['true', true],
    ['FALSE', false],
  ])('exists: %j', (value, expected) => {
    expect(parseFilter({ 'errorcode|exists': value }).query).toEqual(
      match(['errorCode'], 'errorcode', { op: 'exists', value: expected }),
    );
  });

  it('all and cased are flags that combine with an operator, in any order and case', () => {
    expect(parseFilter({ 'eventName|ALL|Contains|cased': ['Put', 'Policy'] }).query).toEqual(
      match(['eventName'], 'eventName', { op: 'contains', values: ['Put', 'Policy'] }, true, true),
    );
    expect(parseFilter({ 'eventName|cased': 'ConsoleLogin' }).query).toEqual(
      match(['eventName'], 'eventName', { op: 'equals', values: ['ConsoleLogin'] }, false, true),
    );
    expect(parseFilter({ 'eventName|re|cased': '^Get' }).query).toMatchObject({
      cased: true,
      cond: { op: 're' },
    });
  });

  it('numbers are accepted as regex and string-operation values', () => {
    expect(parseFilter({ 'requestParameters.maxCount|re': 1 }).query).toMatchObject({
      cond: { op: 're', values: ['1'] },
    });
    expect(parseFilter({ 'eventVersion|startswith': 1 }).query).toMatchObject({
      cond: { op: 'startswith', values: [1] },
    });
  });
});

describe('parseFilter: not / any', () => {
  it('not with a map negates the ANDed map', () => {
    expect(parseFilter({ eventname: 'ConsoleLogin', not: { 'errorcode|exists': true } }).query).toEqual({
      kind: 'and',
      children: [
        match(['eventName'], 'eventname', { op: 'equals', values: ['ConsoleLogin'] }),
        { kind: 'not', child: match(['errorCode'], 'errorcode', { op: 'exists', value: true }) },
      ],
    });
  });

  it('not with a list of maps matches none of them', () => {
    const query = parseFilter({ NOT: [{ eventName: 'A' }, { eventName: 'B', readOnly: true }] }).query;
    expect(query).toEqual({
      kind: 'not',
      child: {
        kind: 'or',
        children: [
          match(['eventName'], 'eventName', { op: 'equals', values: ['A'] }),
          {
            kind: 'and',
            children: [
              match(['eventName'], 'eventName', { op: 'equals', values: ['B'] }),
              match(['readOnly'], 'readOnly', { op: 'equals', values: [true] }),
            ],
          },
        ],
      },
    });
  });

  it('any ORs maps and nests', () => {
    const query = parseFilter({ any: [{ eventName: 'A' }, { not: { eventName: 'B' } }] }).query;
    expect(query).toEqual({
      kind: 'or',
      children: [
        match(['eventName'], 'eventName', { op: 'equals', values: ['A'] }),
        { kind: 'not', child: match(['eventName'], 'eventName', { op: 'equals', values: ['B'] }) },
      ],
    });
  });

  it('names the nested key in errors', () => {
    const err = errorOf(() => parseFilter({ any: [{ eventName: 'A' }, { 'eventName|re': '(' }] }));
    expect(err.field).toBe('filter key "any[1].eventName|re"');
    expect(errorOf(() => parseFilter({ not: { 'errorcode|exist': true } })).field).toBe(
      'filter key "not.errorcode|exist"',
    );
  });

  it.each([
    [{ not: 'x' }, 'filter key "not"', 'a map (or a list of maps)'],
    [{ not: [] }, 'filter key "not"', 'the list is empty'],
    [{ not: {} }, 'filter key "not"', 'the map is empty'],
    [{ any: { eventName: 'A' } }, 'filter key "any"', 'takes a list of maps'],
    [{ any: [{ eventName: 'A' }, 3] }, 'filter key "any[1]"', 'got a number'],
    [{ any: [{ days: 3 }] }, 'filter key "any[0].days"', 'only allowed at the top level'],
  ])('refuses %j', (input, field, text) => {
    const err = errorOf(() => parseFilter(input));
    expect(err.field).toBe(field);
    expect(err.message).toContain(text);
    expect(err.message.startsWith(field)).toBe(true);
  });
});

describe('parseFilter: days and cleanup', () => {
  it('extracts them and leaves the rest as the query', () => {
    const parsed = parseFilter({ days: 0.25, cleanup: false, eventName: 'StopLogging' });
    expect(parsed.days).toBe(0.25);
    expect(parsed.cleanup).toBe(false);
    expect(parsed.query).toEqual(
      match(['eventName'], 'eventName', { op: 'equals', values: ['StopLogging'] }),
    );
  });

  it('accepts the original tool string forms', () => {
    expect(parseFilter({ Days: '7', Cleanup: 'True' })).toEqual({
      query: { kind: 'all' },
      days: 7,
      cleanup: true,
      usesResources: false,
    });
  });

  it.each([0, -1, 'soon', true, null, [1], Number.POSITIVE_INFINITY])('refuses days %j', (days) => {
    const err = errorOf(() => parseFilter({ days }));
    expect(err.field).toBe('filter key "days"');
    expect(err.message).toContain('positive number');
  });

  it.each(['yes', 1, null])('refuses cleanup %j', (cleanup) => {
    expect(errorOf(() => parseFilter({ cleanup })).message).toContain('"cleanup" takes true or false');
  });

  it('refuses days twice under different case', () => {
    expect(errorOf(() => parseFilter({ days: 1, DAYS: 2 })).message).toContain('given twice');
  });
});

describe('parseFilter: usesResources', () => {
  it.each([
    [{ 'resources.ARN|contains': 'bucket' }, true],
    [{ not: { 'resources.type': 'AWS::S3::Bucket' } }, true],
    [{ any: [{ eventName: 'A' }, { 'resources.accountid': '1' }] }, true],
    [{ eventName: 'A', 'requestParameters.resources': 'x' }, false],
  ])('%j -> %s', (input, expected) => {
    expect(parseFilter(input).usesResources).toBe(expected);
  });
});

describe('parseFilter: errors name the key and the fix', () => {
  it.each([
    [{ 'eventname|re': '([a-z' }, 'filter key "eventname|re"', 'invalid regular expression'],
    [{ 'eventname|re': '(?=(a+)+b)' }, 'filter key "eventname|re"', 'lookaround'],
    [{ 'eventname|re': '(a)\\1' }, 'filter key "eventname|re"', 'backreference'],
    [{ 'eventname|re': 'a'.repeat(1001) }, 'filter key "eventname|re"', 'the limit is 1000'],
    [{ 'eventname|re': true }, 'filter key "eventname|re"', 'must be a string'],
    [{ 'sourceipaddress|cidr': '10.0.0.0/33' }, 'filter key "sourceipaddress|cidr"', 'from 0 to 32'],
    [{ 'sourceipaddress|cidr': '2001:db8::/129' }, 'filter key "sourceipaddress|cidr"', 'from 0 to 128'],
    [
      { 'sourceipaddress|cidr': 'AWS Internal' },
      'filter key "sourceipaddress|cidr"',
      'not an IPv4 or IPv6 address',
    ],
    [{ 'sourceipaddress|cidr': 10 }, 'filter key "sourceipaddress|cidr"', 'must be a string'],
    [
      { 'sourceipaddress|cidr|cased': '10.0.0.0/8' },
      'filter key "sourceipaddress|cidr|cased"',
      'remove "cased"',
    ],
    [{ 'eventname|foo': 'x' }, 'filter key "eventname|foo"', 'unknown modifier "foo"'],
    [{ 'eventname|contans': 'x' }, 'filter key "eventname|contans"', 'did you mean "contains"'],
    [{ 'eventname|': 'x' }, 'filter key "eventname|"', 'unknown modifier ""'],
    [
      { 'eventname|re|contains': 'x' },
      'filter key "eventname|re|contains"',
      '"re" and "contains" cannot be combined',
    ],
    [{ 'eventname|contains|contains': 'x' }, 'filter key "eventname|contains|contains"', 'repeated'],
    [{ 'errorcode|exists|all': true }, 'filter key "errorcode|exists|all"', 'cannot be combined with "all"'],
    [{ 'errorcode|exists': 'maybe' }, 'filter key "errorcode|exists"', 'takes true or false'],
    [{ 'errorcode|exists': [true] }, 'filter key "errorcode|exists"', 'takes true or false'],
    [{ eventname: [] }, 'filter key "eventname"', 'list of values is empty'],
    [{ eventname: { a: 1 } }, 'filter key "eventname"', 'found an object'],
    [{ eventname: ['a', ['b']] }, 'filter key "eventname"', 'found a list inside the list'],
    [{ eventname: Number.NaN }, 'filter key "eventname"', 'found the number NaN'],
    [
      { 'eventname|contains': null },
      'filter key "eventname|contains"',
      'null can only be compared for equality',
    ],
    [
      { 'useridentity.usrname': 'bob' },
      'filter key "useridentity.usrname"',
      'Did you mean "userIdentity.userName"?',
    ],
    [{ 'eventnam|contains': 'x' }, 'filter key "eventnam|contains"', 'Did you mean "eventName"?'],
  ])('%j', (input, field, text) => {
    const err = errorOf(() => parseFilter(input));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
    expect(err.message).toContain(text);
  });
});

describe('parseFilterText', () => {
  it('reads JSON', () => {
    const parsed = parseFilterText('{"eventname": ["ConsoleLogin"], "days": 2}');
    expect(parsed.days).toBe(2);
    expect(parsed.query).toEqual(
      match(['eventName'], 'eventname', { op: 'equals', values: ['ConsoleLogin'] }),
    );
  });

  it('reads YAML, where False is a boolean', () => {
    const parsed = parseFilterText('readOnly: False\nnot:\n  errorCode|exists: true\n');
    const expected: QueryNode = {
      kind: 'and',
      children: [
        match(['readOnly'], 'readOnly', { op: 'equals', values: [false] }),
        { kind: 'not', child: match(['errorCode'], 'errorCode', { op: 'exists', value: true }) },
      ],
    };
    expect(parsed.query).toEqual(expected);
  });

  it.each(['', '  \n', 'null', '# just a comment'])('treats %j as every record', (text) => {
    expect(parseFilterText(text).query).toEqual({ kind: 'all' });
  });

  it.each([
    ['{"eventName": ["a", "b"}', 'line 1, column'],
    ['eventName: a\neventName: b', 'line 2, column 1'],
    ['{"a": 1,\n "b": [1,}', 'line 2'],
  ])('reports malformed text %j with its position', (text, where) => {
    const err = errorOf(() => parseFilterText(text));
    expect(err.field).toBe('filter');
    expect(err.message).toContain('filter is not valid JSON or YAML');
    expect(err.message).toContain(where);
  });

  it('refuses a bare word', () => {
    expect(errorOf(() => parseFilterText('ConsoleLogin')).message).toContain('got a string');
  });

  it('does not let __proto__ change the filter object', () => {
    const err = errorOf(() => parseFilterText('{"__proto__": {"eventName": "x"}}'));
    expect(err.field).toBe('filter key "__proto__"');
  });
});
