/**
 * Rule dispatch (rules indexed by their eventName/eventSource literals) against brute force:
 * every rule asked about every record. Random rules pin names and sources (lists, odd case, ORs
 * of pins, `cased`, numbers) or pin nothing; random records vary those fields' case and key
 * spelling, leave them out, or give them numbers, objects or arrays.
 */
import { describe, expect, it } from 'vitest';
import type { MatchNode, QueryNode, Scalar } from '../../src/query/ast.js';
import { compilePredicate } from '../../src/query/predicate.js';
import { createRuleMatcher } from '../../src/sigma/rule-dispatch.js';
import { generateObjects } from '../../tools/generate/index.js';
import { Rng } from '../../tools/generate/prng.js';
import { decodeLogObject } from '../../src/engines/scan/decode.js';
import { randomQuery, samplePaths } from '../scan/random-query.js';

type Rec = Record<string, unknown>;

function baseRecords(): Rec[] {
  const objects = [
    ...generateObjects({
      seed: 'dispatch',
      accounts: ['111111111111'],
      regions: ['us-east-1'],
      start: '2024-03-01T00:00:00Z',
      hours: 2,
      filesPerHour: 2,
      recordsPerFile: [40, 60],
    }),
  ].filter((o) => o.kind === 'log');
  return objects.flatMap((o) => decodeLogObject(o.body, o.key).records as Rec[]);
}

function recase(text: string, rng: Rng): string {
  return rng.pick([text, text.toUpperCase(), text.toLowerCase(), text]);
}

function eq(field: string, values: Scalar[], cased = false): MatchNode {
  return {
    kind: 'match',
    field: { segments: [field], display: field },
    cond: { op: 'equals', values },
    all: false,
    cased,
  };
}

/** Odd records: the index must not hide a rule from them. */
function mutate(record: Rec, rng: Rng): Rec {
  const r: Rec = { ...record };
  switch (rng.int(0, 8)) {
    case 0:
      r.eventName = recase(String(r.eventName), rng);
      break;
    case 1:
      delete r.eventName;
      r.EventName = record.eventName;
      break;
    case 2:
      delete r.eventSource;
      break;
    case 3:
      r.eventName = rng.pick([5, true, ['ListBuckets'], { n: 'ListBuckets' }, null]);
      break;
    case 4:
      r.eventSource = recase(String(r.eventSource), rng);
      r.eventname = 'ignored-when-eventName-exists';
      break;
  }
  return r;
}

function randomRule(
  rng: Rng,
  names: string[],
  sources: string[],
  samples: ReturnType<typeof samplePaths>,
): QueryNode {
  const some = (list: string[]) => Array.from({ length: rng.int(1, 3) }, () => recase(rng.pick(list), rng));
  const rest = (): QueryNode => (rng.int(0, 2) === 0 ? { kind: 'all' } : randomQuery(samples, rng));
  switch (rng.int(0, 7)) {
    case 0:
      return { kind: 'and', children: [rest(), eq('eventName', some(names))] };
    case 1:
      return { kind: 'and', children: [eq('eventSource', some(sources)), rest()] };
    case 2:
      return {
        kind: 'or',
        children: [
          { kind: 'and', children: [eq('eventName', some(names)), rest()] },
          { kind: 'and', children: [eq('eventName', some(names)), rest()] },
        ],
      };
    case 3:
      return { kind: 'and', children: [eq('eventName', some(names), true), rest()] };
    case 4:
      return eq('eventName', [...some(names), rng.pick([5, true])]);
    case 5:
      return { kind: 'and', children: [eq('eventSource', some(sources)), eq('eventName', some(names))] };
    case 6:
      return { kind: 'not', child: eq('eventName', some(names)) };
    default:
      return randomQuery(samples, rng);
  }
}

describe('rule dispatch', () => {
  it('gives the same matched rules, in pack order, as asking every rule', () => {
    const rng = new Rng('dispatch-property');
    const base = baseRecords();
    const names = [...new Set(base.map((r) => String(r.eventName)))];
    const sources = [...new Set(base.map((r) => String(r.eventSource)))];
    const samples = samplePaths(base);
    const records = [...base, ...base.map((r) => mutate(r, rng))];
    let matches = 0;
    for (let round = 0; round < 8; round++) {
      const rules = Array.from({ length: 120 }, (_, i) => ({
        id: `r${round}-${i}`,
        query: randomRule(rng, names, sources, samples),
      }));
      const brute = rules.map((r) => ({ id: r.id, test: compilePredicate(r.query) }));
      const dispatch = createRuleMatcher({ rules });
      for (const record of records) {
        const expected = brute.filter((r) => r.test(record)).map((r) => r.id);
        expect(dispatch(record), JSON.stringify(record).slice(0, 200)).toEqual(expected);
        matches += expected.length;
      }
    }
    // Not trivially empty.
    expect(matches).toBeGreaterThan(records.length);
  });
});
