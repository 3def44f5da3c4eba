/**
 * Which rules of a pack a record matches, without asking every rule: most rules pin `eventName`
 * or `eventSource` to a few values (an equality every match must pass), so rules are indexed by
 * those values. A record is tested only against the rules pinned to its name, the rules pinned to
 * its source, and the rules that pin neither; same answers as testing every rule, in pack order.
 */
import type { MatchNode, QueryNode } from '../query/ast.js';
import { compilePredicate, type Predicate } from '../query/predicate.js';
import { getKey } from '../query/record-walk.js';
import type { CompiledRule } from './types.js';

/** Ids of the rules `record` matches, in pack order ([] = none). */
export type RuleMatcher = (record: Record<string, unknown>) => string[];

interface Entry {
  id: string;
  index: number;
  predicate: Predicate;
}

/** Candidate lists cached per (eventName, eventSource); cleared past this many. */
const MAX_CACHED_PAIRS = 4096;

export function createRuleMatcher(pack: {
  rules: ReadonlyArray<Pick<CompiledRule, 'id' | 'query'>>;
}): RuleMatcher {
  const byName = new Map<string, Entry[]>();
  const bySource = new Map<string, Entry[]>();
  const unpinned: Entry[] = [];
  const every: Entry[] = [];
  pack.rules.forEach((rule, index) => {
    const entry: Entry = { id: rule.id, index, predicate: compilePredicate(rule.query) };
    every.push(entry);
    const names = requiredValues(rule.query, 'eventName');
    const sources = names ? undefined : requiredValues(rule.query, 'eventSource');
    const [map, keys] = names ? [byName, names] : sources ? [bySource, sources] : [undefined, undefined];
    if (!map || !keys) unpinned.push(entry);
    else for (const key of keys) map.set(key, [...(map.get(key) ?? []), entry]);
  });
  const none: Entry[] = [];
  const cache = new Map<string, Entry[]>();
  const candidates = (name: string | undefined, source: string | undefined): Entry[] => {
    const named = (name !== undefined && byName.get(name)) || none;
    const sourced = (source !== undefined && bySource.get(source)) || none;
    if (named.length === 0 && sourced.length === 0) return unpinned;
    const key = `${name ?? ''}\u0000${source ?? ''}`;
    let list = cache.get(key);
    if (!list) {
      if (cache.size >= MAX_CACHED_PAIRS) cache.clear();
      list = [...named, ...sourced, ...unpinned].sort((a, b) => a.index - b.index);
      cache.set(key, list);
    }
    return list;
  };
  return (record) => {
    const name = getKey(record, 'eventName', 'eventname', false);
    const source = getKey(record, 'eventSource', 'eventsource', false);
    // Index keys are texts: a number or boolean there (never in CloudTrail) is asked of every rule.
    const list = isOther(name) || isOther(source) ? every : candidates(lowerText(name), lowerText(source));
    const ids: string[] = [];
    for (let i = 0; i < list.length; i++) {
      const entry = list[i] as Entry;
      if (entry.predicate(record)) ids.push(entry.id);
    }
    return ids;
  };
}

function lowerText(value: unknown): string | undefined {
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

/** A number or boolean: a scalar that is not text. */
function isOther(value: unknown): value is number | boolean {
  return typeof value === 'number' || typeof value === 'boolean';
}

/**
 * Values (lowercased) a record's top-level `field` must have for `query` to match, when the query
 * says so: an AND with a case-insensitive equality on it among its children, or an OR whose every
 * branch pins it. Undefined when the query may match other values.
 */
export function requiredValues(query: QueryNode, field: string): Set<string> | undefined {
  switch (query.kind) {
    case 'match':
      return pins(query, field) ? new Set(query.cond.values.map((v) => String(v).toLowerCase())) : undefined;
    case 'and': {
      for (const child of query.children) {
        const values = requiredValues(child, field);
        if (values) return values;
      }
      return undefined;
    }
    case 'or': {
      const all = new Set<string>();
      for (const child of query.children) {
        const values = requiredValues(child, field);
        if (!values) return undefined;
        for (const v of values) all.add(v);
      }
      return query.children.length > 0 ? all : undefined;
    }
    default:
      return undefined;
  }
}

/** Equality on `field` itself (not a sub-field), ignoring case, one of some non-null values. */
function pins(
  node: MatchNode,
  field: string,
): node is MatchNode & { cond: { op: 'equals'; values: string[] } } {
  return (
    node.field.segments.length === 1 &&
    node.field.segments[0] === field &&
    node.cond.op === 'equals' &&
    !node.cased &&
    !node.all &&
    node.cond.values.length > 0 &&
    node.cond.values.every((v) => typeof v === 'string')
  );
}
