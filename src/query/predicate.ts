/**
 * Compiles the query AST to a JavaScript predicate over CloudTrail records (the scan engine), and
 * picks the resources a match was about (`filtered_resource`).
 *
 * Matching rules (the Athena compiler implements the same ones):
 * - Values compare case-insensitively unless `cased`; booleans in records compare by their JSON
 *   text (`false` -> "false").
 * - Numbers in records compare as numbers: `243.0` in a log equals the query values 243, 243.0
 *   and "243" (any value written as a JSON number); a string in a record compares as text.
 * - Substring tests (contains/startswith/endswith/re) see one canonical text (values.ts): a
 *   number as `canonicalNumber` writes it (`243`, never `243.0`), an object or array as compact
 *   JSON with sorted keys and canonical numbers (`canonicalJson`). Equality never matches an
 *   object or array, cidr never matches one.
 * - Arrays before the end of the path: the test passes if any element passes.
 * - `null` (equality) and `exists: false` match a field that is absent or null everywhere it could
 *   be reached; `exists: true` matches when some reached value is not null.
 * - `fieldref` compares with another field's present scalar value(s) of the same record.
 * - `cidr` needs the field to be an IP address; anything else ("AWS Internal", a host name) does
 *   not match.
 *
 * Everything that can be prepared once is prepared when compiling: lowercased values, RegExps,
 * BlockLists, path lookups. The predicate runs on every record of a scan.
 */
import { BlockList, isIP } from 'node:net';
import type { FieldRef, MatchNode, QueryNode, Scalar, StringOp } from './ast.js';
import { compilePath, getKey, someValue, type CompiledPath } from './record-walk.js';
import { canonicalJson, canonicalNumber, numericValue, parseIpNetwork, scalarText } from './values.js';
import { compileGlob } from './glob.js';
import { compileLinearRegex } from './linear-regex.js';

export { describeQuery } from './describe.js';

export type Predicate = (record: Record<string, unknown>) => boolean;
type Test = (value: unknown) => boolean;
type RootTest = (root: unknown) => boolean;

const predicates = new WeakMap<QueryNode, Predicate>();

/** Compiles `query` once (cached per AST node object). */
export function compilePredicate(query: QueryNode): Predicate {
  let predicate = predicates.get(query);
  if (!predicate) {
    predicate = compileNode(query);
    predicates.set(query, predicate);
  }
  return predicate;
}

function compileNode(node: QueryNode): Predicate {
  switch (node.kind) {
    case 'all':
      return () => true;
    case 'not': {
      const child = compilePredicate(node.child);
      return (record) => !child(record);
    }
    case 'and': {
      const children = node.children.map(compilePredicate);
      return (record) => {
        for (let i = 0; i < children.length; i++) if (!(children[i] as Predicate)(record)) return false;
        return true;
      };
    }
    case 'or': {
      const children = node.children.map(compilePredicate);
      return (record) => {
        for (let i = 0; i < children.length; i++) if ((children[i] as Predicate)(record)) return true;
        return false;
      };
    }
    case 'match':
      return compileMatch(node, compilePath(node.field.segments), node.all);
  }
}

/**
 * A test of one match node against `root` (a record, or one `resources` element). With
 * `everyValue`, each listed value must match on its own (`|all`); otherwise any one may.
 */
function compileMatch(node: MatchNode, path: CompiledPath, everyValue: boolean): RootTest {
  const present: RootTest = (root) => someValue(root, path, 0, isPresent);
  const { cond } = node;
  if (cond.op === 'exists') return cond.value ? present : (root) => !present(root);
  if (cond.op === 'fieldref') return fieldRefTest(node, path, cond.fields, cond.compare, everyValue);

  const values: Scalar[] = cond.values;
  const groups = everyValue ? values.map((v) => [v]) : [values];
  const parts = groups.map((group): RootTest => {
    const wanted = group.filter((v): v is string | number | boolean => v !== null);
    const absentMatches = wanted.length < group.length;
    if (wanted.length === 0) return (root) => !present(root);
    const test = valueTest(cond.op, wanted, node.cased, cond.op === 're' ? cond.flags : undefined);
    const hit: RootTest = (root) => someValue(root, path, 0, test);
    return absentMatches ? (root) => hit(root) || !present(root) : hit;
  });
  if (parts.length === 1) return parts[0] as RootTest;
  return (root) => {
    for (let i = 0; i < parts.length; i++) if (!(parts[i] as RootTest)(root)) return false;
    return true;
  };
}

const isPresent: Test = () => true;

/**
 * Longest value a `|re` test reads. RE2 is linear in the value, but with a large pattern it may
 * fall back from its DFA to simulating the automaton, at up to the pattern's size per character:
 * the limit keeps one value to milliseconds. Real CloudTrail values are far shorter. Past it the
 * object fails (the run is incomplete, exit 3) rather than stall or silently skip the value.
 */
export const MAX_REGEX_SUBJECT_CHARS = 32 * 1024;

function regexSubjectTooLong(length: number): Error {
  return new Error(
    `a value of ${length} characters is too long for a |re test (limit ${MAX_REGEX_SUBJECT_CHARS}); use |contains, |startswith or |endswith on that field`,
  );
}

/** A test of one reached (non-null) value against any of `values`. */
function valueTest(
  op: Exclude<MatchNode['cond']['op'], 'fieldref'>,
  values: (string | number | boolean)[],
  cased: boolean,
  reFlags = '',
): Test {
  const fold = (text: string): string => (cased ? text : text.toLowerCase());
  const targets = values.map((v) => fold(scalarText(v)));
  switch (op) {
    case 'equals': {
      // A number in the record equals the values written as numbers, by value; anything else
      // (an overflowing number, Infinity once parsed, included) compares by text.
      const numbers = new Set(values.map(numericValue).filter((n): n is number => n !== undefined));
      if (targets.length === 1) {
        const target = targets[0] as string;
        return (value) => {
          if (typeof value === 'number' && Number.isFinite(value)) return numbers.has(value);
          const text = scalarOf(value);
          return text !== undefined && fold(text) === target;
        };
      }
      const set = new Set(targets);
      return (value) => {
        if (typeof value === 'number' && Number.isFinite(value)) return numbers.has(value);
        const text = scalarOf(value);
        return text !== undefined && set.has(fold(text));
      };
    }
    case 'contains':
      return textTest(fold, targets, (text, t) => text.includes(t));
    case 'startswith':
      return textTest(fold, targets, (text, t) => text.startsWith(t));
    case 'endswith':
      return textTest(fold, targets, (text, t) => text.endsWith(t));
    case 're': {
      // Sources were validated by the parser; RE2 runs them in time linear in the value.
      const tests = values.map((v) =>
        compileLinearRegex(scalarText(v), { caseless: !cased, flags: reFlags }),
      );
      return (value) => {
        const text = textOf(value);
        if (text.length > MAX_REGEX_SUBJECT_CHARS) throw regexSubjectTooLong(text.length);
        for (let i = 0; i < tests.length; i++) if ((tests[i] as (t: string) => boolean)(text)) return true;
        return false;
      };
    }
    case 'glob': {
      const globs = values.map((v) => compileGlob(scalarText(v), cased));
      return (value) => {
        const text = textOf(value);
        for (let i = 0; i < globs.length; i++) if ((globs[i] as (t: string) => boolean)(text)) return true;
        return false;
      };
    }
    case 'cidr':
      return cidrTest(values.map((v) => scalarText(v)));
    case 'exists':
      return isPresent;
  }
}

/**
 * `fieldref`: some present value reached by `path` compares (`compare`) with some present scalar
 * of another field of the same record; with `everyField`, that holds for each of `fields`.
 * The other field is read from the record root, so this only runs with a record as `root`.
 */
function fieldRefTest(
  node: MatchNode,
  path: CompiledPath,
  fields: readonly FieldRef[],
  compare: StringOp,
  everyField: boolean,
): RootTest {
  const fold = (text: string): string => (node.cased ? text : text.toLowerCase());
  const check = STRING_CHECKS[compare];
  const perField = fields.map((field): RootTest => {
    const otherPath = compilePath(field.segments);
    return (root) => {
      const others: string[] = [];
      someValue(root, otherPath, 0, (value) => {
        const text = scalarOf(value);
        if (text !== undefined) others.push(fold(text));
        return false;
      });
      if (others.length === 0) return false;
      return someValue(root, path, 0, (value) => {
        // As for literal values: equality needs a scalar, the other tests read objects' JSON text.
        const own = compare === 'equals' ? scalarOf(value) : textOf(value);
        if (own === undefined) return false;
        const text = fold(own);
        for (let i = 0; i < others.length; i++) if (check(text, others[i] as string)) return true;
        return false;
      });
    };
  });
  if (perField.length === 1) return perField[0] as RootTest;
  return everyField
    ? (root) => perField.every((test) => test(root))
    : (root) => perField.some((test) => test(root));
}

const STRING_CHECKS: Record<StringOp, (text: string, target: string) => boolean> = {
  equals: (text, target) => text === target,
  contains: (text, target) => text.includes(target),
  startswith: (text, target) => text.startsWith(target),
  endswith: (text, target) => text.endsWith(target),
};

function textTest(
  fold: (text: string) => string,
  targets: string[],
  check: (text: string, target: string) => boolean,
): Test {
  return (value) => {
    const text = fold(textOf(value));
    for (let i = 0; i < targets.length; i++) if (check(text, targets[i] as string)) return true;
    return false;
  };
}

/** Text of a scalar (numbers canonical); undefined for objects and arrays (equality never matches them). */
function scalarOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return canonicalNumber(value);
    case 'boolean':
      return String(value);
    default:
      return undefined;
  }
}

/** Text of any reached value: scalars as text, objects and arrays as canonical JSON. */
function textOf(value: unknown): string {
  return scalarOf(value) ?? canonicalJson(value);
}

const CIDR_CACHE_LIMIT = 4096;

function cidrTest(networks: string[]): Test {
  const list = new BlockList();
  for (const text of networks) {
    const network = parseIpNetwork(text);
    // The parser stored canonical networks; anything else is a bug upstream.
    if (typeof network === 'string') throw new Error(`invalid network in query: ${network}`);
    list.addSubnet(network.address, network.prefix, network.family === 4 ? 'ipv4' : 'ipv6');
  }
  // Source addresses repeat a lot within a log: remember recent answers.
  const cache = new Map<string, boolean>();
  return (value) => {
    if (typeof value !== 'string') return false;
    const known = cache.get(value);
    if (known !== undefined) return known;
    const family = isIP(value);
    const inside = family !== 0 && list.check(value, family === 4 ? 'ipv4' : 'ipv6');
    if (cache.size >= CIDR_CACHE_LIMIT) cache.clear();
    cache.set(value, inside);
    return inside;
  };
}

const elementTests = new WeakMap<MatchNode, RootTest>();

/**
 * For a record that matches `query`: the ARNs of the `resources` elements that satisfied the
 * query's `resources.*` conditions, in record order, without repeats. One list per event.
 *
 * - A resources condition selects the elements that pass it on their own (with `|all`, elements
 *   passing any of its values).
 * - AND: elements selected by every resources condition in it; when none is selected by all
 *   (the conditions were met by different elements), those selected by any.
 * - OR / `any`: the union over the branches the record matches.
 * - Conditions under `not` select nothing.
 * Returns [] when the record does not match or no element was selected.
 */
export function matchedResources(query: QueryNode, record: Record<string, unknown>): string[] {
  if (!compilePredicate(query)(record)) return [];
  const resources = getKey(record, 'resources', 'resources', false);
  if (!Array.isArray(resources) || resources.length === 0) return [];
  const selected = selectResources(query, record, resources);
  if (!selected) return [];
  const arns: string[] = [];
  for (let i = 0; i < resources.length; i++) {
    if (!selected.has(i)) continue;
    const element: unknown = resources[i];
    if (element === null || typeof element !== 'object') continue;
    const arn = getKey(element, 'ARN', 'arn', false);
    if (typeof arn === 'string' && !arns.includes(arn)) arns.push(arn);
  }
  return arns;
}

function selectResources(
  node: QueryNode,
  record: Record<string, unknown>,
  resources: unknown[],
): Set<number> | undefined {
  switch (node.kind) {
    case 'match': {
      // A fieldref reads its other field from the record, not from one element: it selects none.
      if (node.field.segments[0] !== 'resources' || node.cond.op === 'fieldref') return undefined;
      const test = elementTest(node);
      const picked = new Set<number>();
      resources.forEach((element, i) => {
        if (test(element)) picked.add(i);
      });
      return picked;
    }
    case 'and': {
      const sets = node.children
        .map((child) => selectResources(child, record, resources))
        .filter((s): s is Set<number> => s !== undefined);
      if (sets.length === 0) return undefined;
      const [first, ...rest] = sets as [Set<number>, ...Set<number>[]];
      const common = new Set([...first].filter((i) => rest.every((s) => s.has(i))));
      return common.size > 0 ? common : union(sets);
    }
    case 'or': {
      const sets = node.children
        .filter((child) => compilePredicate(child)(record))
        .map((child) => selectResources(child, record, resources))
        .filter((s): s is Set<number> => s !== undefined);
      return sets.length === 0 ? undefined : union(sets);
    }
    case 'not':
    case 'all':
      return undefined;
  }
}

function elementTest(node: MatchNode): RootTest {
  let test = elementTests.get(node);
  if (!test) {
    test = compileMatch(node, compilePath(node.field.segments.slice(1)), false);
    elementTests.set(node, test);
  }
  return test;
}

function union(sets: Set<number>[]): Set<number> {
  const all = new Set<number>();
  for (const s of sets) for (const i of s) all.add(i);
  return all;
}
