/**
 * The literals a record's raw JSON text must contain for the query to be able to match it, so the
 * scan can skip JSON.parse for records (most of them, for selective queries) that lack them.
 *
 * Soundness: the check runs only on "plain" records (no `\u` or `\/` escapes, ASCII only; the
 * indexer flags the others, which are always parsed), compared ignoring ASCII case. In such a
 * record every string's characters appear verbatim in the raw text, except `"`, `\` and control
 * characters (escaped). So a literal L that the predicate finds in a value's text T (the string,
 * or the compact JSON of an object/array, see predicate.ts) is cut into fragments at every
 * character whose raw spelling can differ (`"`, `\`, controls), at JSON punctuation (`{}[]:,`,
 * which in T may sit between tokens where the raw text has spaces) and at non-ASCII characters.
 * A fragment then lies inside one token of T, and is in the raw text too, unless that token is a
 * number (raw `1e2` is `100` in T, an overflowing number is `Infinity` or `null`): fragments that
 * could come from a number are never used.
 *
 * Requirements are only ever dropped (weakened), never invented: `not`, `exists: false`, `null`
 * values, `re`, `cidr` and `fieldref` values, numbers and short literals require nothing.
 */
import type { MatchNode, QueryNode } from '../../query/ast.js';

export type Requirement =
  | { kind: 'nothing' }
  | { kind: 'literal'; text: string }
  | { kind: 'every'; of: Requirement[] }
  | { kind: 'some'; of: Requirement[] };

const NOTHING: Requirement = { kind: 'nothing' };

/** Fragments shorter than this match nearly every record: not worth a pass over the bytes. */
const MIN_FRAGMENT = 3;
/** Fragments kept per literal (the longest ones). */
const FRAGMENTS_PER_LITERAL = 2;
/** Each literal costs one pass over the decompressed bytes: past this many, no prefilter. */
export const MAX_LITERALS = 8;

/** Characters that split a literal into fragments (see the module comment). */
// eslint-disable-next-line no-control-regex
const SPLIT = /["\\{}[\]:,\u0000-\u001f\u007f-\uffff]+/;
/** Characters of JavaScript number text (`-1.5e+21`). */
const NUMBER_CHARS = /^[0-9.e+-]+$/;
/** Texts a number can turn into: `String(Infinity)`, and `null` for it inside JSON.stringify. */
const NUMBER_WORDS = ['infinity', 'null'];

function couldComeFromNumber(fragment: string): boolean {
  return NUMBER_CHARS.test(fragment) || NUMBER_WORDS.some((w) => w.includes(fragment));
}

/** The usable fragments of a literal (already lowercased), longest first. */
export function literalFragments(literal: string): string[] {
  const usable = literal.split(SPLIT).filter((f) => f.length >= MIN_FRAGMENT && !couldComeFromNumber(f));
  return [...new Set(usable)].sort((a, b) => b.length - a.length).slice(0, FRAGMENTS_PER_LITERAL);
}

function every(of: Requirement[]): Requirement {
  const kept = of.filter((r) => r.kind !== 'nothing');
  if (kept.length === 0) return NOTHING;
  return kept.length === 1 ? (kept[0] as Requirement) : { kind: 'every', of: kept };
}

function some(of: Requirement[]): Requirement {
  if (of.length === 0 || of.some((r) => r.kind === 'nothing')) return NOTHING;
  return of.length === 1 ? (of[0] as Requirement) : { kind: 'some', of };
}

function literalRequirement(text: string): Requirement {
  return every(literalFragments(text.toLowerCase()).map((f) => ({ kind: 'literal', text: f })));
}

function matchRequirement(node: MatchNode): Requirement {
  const { cond } = node;
  if (
    cond.op === 'exists' ||
    cond.op === 're' ||
    cond.op === 'glob' ||
    cond.op === 'cidr' ||
    cond.op === 'fieldref'
  ) {
    if (cond.op === 'exists' && !cond.value) return NOTHING;
    // The value cannot be read as a literal, but the key must be there. Top-level keys are in
    // nearly every record: only a nested field's last key is worth a pass.
    const segments = node.field.segments;
    return segments.length > 1 ? literalRequirement(segments[segments.length - 1] as string) : NOTHING;
  }
  const perValue = cond.values.map((v) => (v === null ? NOTHING : literalRequirement(String(v))));
  return node.all ? every(perValue) : some(perValue);
}

/** What a record must contain for `query` to match it (a superset condition). */
export function requirementOf(query: QueryNode): Requirement {
  switch (query.kind) {
    case 'all':
    case 'not':
      return NOTHING;
    case 'and':
      return every(query.children.map(requirementOf));
    case 'or':
      return some(query.children.map(requirementOf));
    case 'match':
      return matchRequirement(query);
  }
}

/** A compiled requirement: its literals (bit i of a mask = record holds literals[i]) and the test. */
export interface Prefilter {
  literals: string[];
  test(mask: number): boolean;
}

/** Thrown inside compilePrefilter once the literals pass MAX_LITERALS: no prefilter. */
const TOO_MANY = Symbol('too many literals');

/**
 * The prefilter of a query, or undefined when the query requires nothing checkable. Linear in the
 * query's size: literals are indexed by a map, and compiling stops at the first literal past
 * MAX_LITERALS (a filter of 100,000 values costs one pass, not 100,000 array searches).
 */
export function compilePrefilter(query: QueryNode): Prefilter | undefined {
  const requirement = requirementOf(query);
  if (requirement.kind === 'nothing') return undefined;
  const literals: string[] = [];
  const index = new Map<string, number>();
  const compile = (r: Requirement): ((mask: number) => boolean) => {
    switch (r.kind) {
      case 'nothing':
        return () => true;
      case 'literal': {
        let i = index.get(r.text);
        if (i === undefined) {
          if (literals.length >= MAX_LITERALS) throw TOO_MANY;
          i = literals.push(r.text) - 1;
          index.set(r.text, i);
        }
        const bit = 1 << i;
        return (mask) => (mask & bit) !== 0;
      }
      case 'every': {
        const parts = r.of.map(compile);
        return (mask) => parts.every((p) => p(mask));
      }
      case 'some': {
        const parts = r.of.map(compile);
        return (mask) => parts.some((p) => p(mask));
      }
    }
  };
  try {
    return { literals, test: compile(requirement) };
  } catch (err) {
    if (err === TOO_MANY) return undefined;
    throw err;
  }
}
