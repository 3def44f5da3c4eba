/**
 * A short human-readable rendering of a query, for logs and summaries, e.g.
 * `eventName = "ConsoleLogin" AND NOT errorCode exists`. Values are JSON-quoted, so the text is
 * one line whatever the values hold.
 */
import type { MatchNode, QueryNode, Scalar } from './ast.js';

export function describeQuery(query: QueryNode): string {
  switch (query.kind) {
    case 'all':
      return 'all events';
    case 'match':
      return describeMatch(query);
    case 'not':
      return `NOT ${grouped(query.child, 'not')}`;
    case 'and':
      return query.children.map((c) => grouped(c, 'and')).join(' AND ');
    case 'or':
      return query.children.map((c) => grouped(c, 'or')).join(' OR ');
  }
}

/** Wraps compound children in parentheses so AND/OR/NOT read unambiguously. */
function grouped(node: QueryNode, parent: 'and' | 'or' | 'not'): string {
  const text = describeQuery(node);
  const compound = node.kind === 'and' || node.kind === 'or';
  return compound && node.kind !== parent ? `(${text})` : text;
}

const VERBS = {
  contains: 'contains',
  startswith: 'starts with',
  endswith: 'ends with',
  re: 'matches',
  glob: 'is like',
  cidr: 'in',
} as const;

function describeMatch(node: MatchNode): string {
  const field = node.field.segments.join('.');
  const cased = node.cased ? ' (case-sensitive)' : '';
  const { cond } = node;
  if (cond.op === 'exists') return cond.value ? `${field} exists` : `${field} does not exist`;
  if (cond.op === 'fieldref') {
    const verb = cond.compare === 'equals' ? '=' : VERBS[cond.compare];
    const others = cond.fields.map((f) => `field ${f.segments.join('.')}`);
    const target = others.length === 1 ? others[0] : `${node.all ? 'all' : 'any'} of (${others.join(', ')})`;
    return `${field} ${verb} ${target}${cased}`;
  }
  if (cond.op === 'equals') {
    const [only] = cond.values;
    if (cond.values.length === 1) {
      return only === null ? `${field} is null` : `${field} = ${quote(only as Scalar)}${cased}`;
    }
    const list = cond.values.map(quote).join(', ');
    return `${field} ${node.all ? '= all of' : 'in'} (${list})${cased}`;
  }
  const render = (v: Scalar): string =>
    cond.op === 're'
      ? `/${oneLine(String(v))}/${cond.flags ?? ''}`
      : cond.op === 'cidr'
        ? String(v)
        : quote(v);
  const verb = VERBS[cond.op];
  if (cond.values.length === 1) return `${field} ${verb} ${render(cond.values[0] as Scalar)}${cased}`;
  const list = cond.values.map(render).join(', ');
  return `${field} ${verb} ${node.all ? 'all' : 'any'} of (${list})${cased}`;
}

function quote(value: Scalar): string {
  return oneLine(JSON.stringify(value));
}

/** Escapes line breaks and other control characters so the description stays on one line. */
function oneLine(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || code === 0x2028 || code === 0x2029;
    out += control ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return out;
}
