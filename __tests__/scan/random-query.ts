/**
 * Random queries built from the values present in a set of records, so that they match some
 * records and not others: every operator, case variations, `cased`, lists (with `null`), `all`,
 * `exists`, `not`, `and`/`or`, nested and array paths, objects searched as JSON text.
 */
import type { Condition, MatchNode, QueryNode, Scalar } from '../../src/query/ast.js';
import { parseIpNetwork } from '../../src/query/values.js';
import type { Rng } from '../../tools/generate/prng.js';

interface Sample {
  segments: string[];
  value: unknown;
}

/** Every path in the records (array elements walked through) with a value found there. */
export function samplePaths(records: readonly unknown[], limitPerPath = 20): Sample[] {
  const byPath = new Map<string, Sample[]>();
  const visit = (value: unknown, segments: string[]): void => {
    if (segments.length > 0) {
      const key = segments.join('.');
      const list = byPath.get(key) ?? [];
      if (list.length < limitPerPath) list.push({ segments, value });
      byPath.set(key, list);
    }
    if (Array.isArray(value)) for (const v of value) visit(v, segments);
    else if (value !== null && typeof value === 'object' && segments.length < 5) {
      for (const [k, v] of Object.entries(value)) visit(v, [...segments, k]);
    }
  };
  for (const r of records) visit(r, []);
  return [...byPath.values()].flat();
}

function recase(text: string, rng: Rng): string {
  switch (rng.int(0, 3)) {
    case 0:
      return text;
    case 1:
      return text.toUpperCase();
    case 2:
      return text.toLowerCase();
    default:
      return [...text].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
  }
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function slice(text: string, rng: Rng): string {
  if (text.length < 2) return text;
  const start = rng.int(0, text.length - 1);
  return text.slice(start, rng.int(start + 1, text.length));
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function condition(sample: Sample, samples: readonly Sample[], rng: Rng): Condition {
  const { value } = sample;
  const text = textOf(value);
  const other = (): Scalar => {
    const s = rng.pick(samples).value;
    return typeof s === 'object' && s !== null ? textOf(s) : (s as Scalar);
  };
  const list = (first: Scalar): Scalar[] => {
    const values: Scalar[] = [first];
    while (rng.chance(0.35)) values.push(rng.chance(0.2) ? null : other());
    return values;
  };
  const ip = typeof value === 'string' ? parseIpNetwork(value) : undefined;
  switch (rng.int(0, 8)) {
    case 0:
    case 1:
      return {
        op: 'equals',
        values: list(typeof value === 'string' ? recase(value, rng) : (value as Scalar)),
      };
    case 2:
      return { op: 'contains', values: list(recase(slice(text, rng), rng)) };
    case 3:
      return {
        op: 'startswith',
        values: list(recase(text.slice(0, rng.int(1, Math.max(1, text.length))), rng)),
      };
    case 4:
      return {
        op: 'endswith',
        values: list(recase(text.slice(rng.int(0, Math.max(0, text.length - 1))), rng)),
      };
    case 5: {
      const piece = escapeRegex(slice(text, rng));
      return { op: 're', values: [rng.chance(0.3) ? `^${piece}` : piece] };
    }
    case 6:
      if (ip && typeof ip !== 'string') {
        const prefix = ip.family === 4 ? rng.pick([8, 16, 24, 32]) : rng.pick([32, 64, 128]);
        const network = parseIpNetwork(`${ip.address}/${prefix}`);
        if (typeof network !== 'string') return { op: 'cidr', values: [network.cidr] };
      }
      return { op: 'exists', value: rng.chance(0.7) };
    case 7:
      return { op: 'exists', value: rng.chance(0.5) };
    default:
      return { op: 'equals', values: [null, other()] };
  }
}

function match(samples: readonly Sample[], rng: Rng): MatchNode {
  const sample = rng.pick(samples);
  const segments = rng.chance(0.1) ? sample.segments.map((s) => recase(s, rng)) : sample.segments;
  const cond = condition(sample, samples, rng);
  const all = 'values' in cond && cond.values.length > 1 && rng.chance(0.3);
  return {
    kind: 'match',
    field: { segments, display: segments.join('.') },
    cond,
    all,
    cased: rng.chance(0.15),
  };
}

export function randomQuery(samples: readonly Sample[], rng: Rng, depth = 0): QueryNode {
  const r = rng.int(0, 9);
  if (depth >= 2 || r < 5) return match(samples, rng);
  if (r === 5) return { kind: 'not', child: randomQuery(samples, rng, depth + 1) };
  if (r === 6 && depth === 0) return { kind: 'all' };
  const children = Array.from({ length: rng.int(2, 3) }, () => randomQuery(samples, rng, depth + 1));
  return { kind: r % 2 === 0 ? 'and' : 'or', children };
}
