/**
 * Which literals the prefilter requires of a record: only ones the query's own values force into
 * the record's text, and nothing where the query could match without them.
 */
import { describe, expect, it } from 'vitest';
import { compilePrefilter, literalFragments, MAX_LITERALS } from '../../src/engines/scan/prefilter.js';
import type { Condition, QueryNode } from '../../src/query/ast.js';

const m = (path: string, cond: Condition, extra: { all?: boolean; cased?: boolean } = {}): QueryNode => ({
  kind: 'match',
  field: { segments: path.split('.'), display: path },
  cond,
  all: extra.all ?? false,
  cased: extra.cased ?? false,
});
const eq = (path: string, ...values: Array<string | number | boolean | null>) =>
  m(path, { op: 'equals', values });

describe('literal fragments', () => {
  it('cuts at characters whose raw spelling can differ, keeps the two longest', () => {
    expect(literalFragments('arn:aws:iam::123456789012:user/alice')).toEqual(['user/alice', 'arn']);
    expect(literalFragments('say "hi" {now}')).toEqual(['say ', 'now']);
  });

  it('drops what a number could turn into, and short or non-ASCII pieces', () => {
    expect(literalFragments('1.5e+21')).toEqual([]);
    expect(literalFragments('infinity')).toEqual([]);
    expect(literalFragments('nul')).toEqual([]);
    expect(literalFragments('ab')).toEqual([]);
    expect(literalFragments('caf\u00e9 latte')).toEqual([' latte', 'caf']);
  });
});

describe('the prefilter of a query', () => {
  it('requires the lowercased value of an equality', () => {
    const p = compilePrefilter(eq('eventName', 'GetSecretValue'));
    expect(p?.literals).toEqual(['getsecretvalue']);
    expect(p?.test(1)).toBe(true);
    expect(p?.test(0)).toBe(false);
  });

  it('ORs the values of a list and ANDs them with all', () => {
    const any = compilePrefilter(eq('eventName', 'StopLogging', 'DeleteTrail'));
    expect(any?.literals).toEqual(['stoplogging', 'deletetrail']);
    expect([0, 1, 2, 3].map((mask) => any?.test(mask))).toEqual([false, true, true, true]);
    const every = compilePrefilter(
      m('userAgent', { op: 'contains', values: ['terraform', 'aws-sdk'] }, { all: true }),
    );
    expect([0, 1, 2, 3].map((mask) => every?.test(mask))).toEqual([false, false, false, true]);
  });

  it('follows and/or, and requires nothing under not', () => {
    const q: QueryNode = {
      kind: 'and',
      children: [
        eq('eventSource', 's3.amazonaws.com'),
        { kind: 'not', child: eq('errorCode', 'AccessDenied') },
      ],
    };
    expect(compilePrefilter(q)?.literals).toEqual(['s3.amazonaws.com']);
    const or: QueryNode = {
      kind: 'or',
      children: [eq('eventName', 'ConsoleLogin'), { kind: 'not', child: eq('x', 'yyy') }],
    };
    expect(compilePrefilter(or)).toBeUndefined();
  });

  it('requires nothing where absence, numbers or patterns can match', () => {
    expect(compilePrefilter(eq('errorCode', 'AccessDenied', null))).toBeUndefined();
    expect(compilePrefilter(m('errorCode', { op: 'exists', value: false }))).toBeUndefined();
    expect(compilePrefilter(eq('additionalEventData.bytes', 100))).toBeUndefined();
    expect(compilePrefilter(m('eventName', { op: 're', values: ['^Get.*Value$'] }))).toBeUndefined();
    expect(compilePrefilter(m('sourceIPAddress', { op: 'cidr', values: ['10.0.0.0/8'] }))).toBeUndefined();
    expect(compilePrefilter({ kind: 'all' })).toBeUndefined();
  });

  it('requires the last key of a nested field tested by a pattern or for presence', () => {
    expect(
      compilePrefilter(m('requestParameters.bucketName', { op: 're', values: ['^prod-'] }))?.literals,
    ).toEqual(['bucketname']);
    expect(compilePrefilter(m('requestParameters.policy', { op: 'exists', value: true }))?.literals).toEqual([
      'policy',
    ]);
  });

  it('gives up past a few literals (each costs a pass over the bytes)', () => {
    const names = Array.from(
      { length: MAX_LITERALS + 1 },
      (_, i) => `EventNumber${String.fromCharCode(65 + i)}`,
    );
    expect(compilePrefilter(eq('eventName', ...names))).toBeUndefined();
  });
});

describe('oversized filters', () => {
  it('compiles a filter of 200,000 values in linear time, and gives up past the literal limit', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `value-number-${i}`);
    const time = (n: number): number => {
      const query = m('eventName', { op: 'equals', values: values(n) });
      const start = process.hrtime.bigint();
      expect(compilePrefilter(query)).toBeUndefined();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    time(25_000); // warm up
    const small = time(25_000);
    const big = time(200_000);
    // 8x the values: linear ~8x; the array search it replaces was ~64x (100 k values: 70 s).
    expect(big / Math.max(small, 1)).toBeLessThan(32);
    expect(big).toBeLessThan(10_000);
    // Up to the limit, literals are still kept once each.
    const half = values(MAX_LITERALS / 2);
    const eight = compilePrefilter(m('eventName', { op: 'equals', values: [...half, ...half] }));
    expect(eight?.literals).toHaveLength(MAX_LITERALS / 2);
  });
});
