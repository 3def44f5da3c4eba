/**
 * Compiles the query AST to a Trino (Athena engine v3) boolean expression with `?` placeholders
 * and the ordered list of their values. It follows the matching rules of predicate.ts (the scan
 * engine), so both engines select the same events:
 *
 * - Values compare ignoring case unless `cased` (`lower(x) = lower(?)`); booleans compare by their
 *   JSON text; a JSON number inside a JSON-text column compares as a number with the query
 *   values written as numbers (`CAST(j AS DOUBLE) = CAST(? AS DOUBLE)`), so `243.0` = 243.
 * - Substring tests see the canonical text of values.ts (`canonicalNumber`, `canonicalJson`):
 *   `json_parse` sorts an object's keys, and every number token of the JSON text is rewritten
 *   (`regexp_replace` with a lambda) to integer digits when integral, else `format('%s', double)`
 *   (Java's Double.toString), exactly as the scan engine writes them.
 * - Arrays before the last path segment match when any element matches (`any_match`, never UNNEST,
 *   which would repeat the event once per element). The value at the end of the path is tested as
 *   is: objects and arrays only by contains/startswith/endswith/re on their JSON text.
 * - `null` and `exists: false` = absent or null everywhere the path reaches; `exists: true` = some
 *   reached value is not null.
 * - Keys below the JSON-string columns (requestParameters...) are looked up ignoring case, like the
 *   scan engine does, through `map_filter` with the key as a parameter: no key text ever enters
 *   the SQL, so no JSON-path quoting can go wrong (`x-amz-id-2`, quotes, brackets).
 * - Every match compiles to a two-valued expression (`coalesce(..., false)`), so `NOT` of a test
 *   on an absent field is true, as in the scan engine, not SQL's unknown.
 *
 * User values (and keys) only ever travel as parameters; the SQL text depends on the query's shape
 * alone (and, for equality on JSON values, on which values are written as numbers). Field names
 * come from the catalogue. Functions used, all in Trino's documentation:
 * lower, strpos, reverse, regexp_like, contains(network, ipaddress), try_cast, try, coalesce,
 * nullif, if, substr, json_parse, json_format, any_match, transform, flatten, map_filter, map_values,
 * is_json_scalar, regexp_replace(string, pattern, function), floor, abs, format.
 */
import { globToRegexSource } from './glob.js';
import { ConfigurationError } from '../errors.js';
import type { FieldRef, MatchNode, QueryNode, Scalar, StringOp } from './ast.js';
import { CLOUDTRAIL_FIELDS, findField, type FieldDef } from './catalogue.js';
import { numericValue, scalarText } from './values.js';

export interface CompiledSql {
  /** Trino SQL text with `?` placeholders. */
  sql: string;
  /** Raw parameter values, one per `?`, in order (see sql-literal.ts for how they are sent). */
  parameters: string[];
}

/**
 * Collects parameters while SQL text is assembled in any order: each value gets a marker, and
 * `finish` swaps markers for `?` in text order, so parameters always line up with placeholders.
 */
export class SqlParams {
  private readonly values: string[] = [];

  /** A placeholder for `value` (a marker until `finish`). */
  add(value: string): string {
    const index = this.values.push(value) - 1;
    return `\u0000${index}\u0000`;
  }

  finish(text: string): CompiledSql {
    const parameters: string[] = [];
    // NUL-delimited slot numbers never occur in the fixed SQL fragments (values are never in the text).
    // eslint-disable-next-line no-control-regex
    const sql = text.replace(/\u0000(\d+)\u0000/g, (_m, index: string) => {
      parameters.push(this.values[Number(index)] as string);
      return '?';
    });
    return { sql, parameters };
  }
}

/** Compiles `query` alone: `{ sql: "<boolean expression>", parameters }`. */
export function compileWhere(query: QueryNode): CompiledSql {
  const params = new SqlParams();
  return params.finish(compileCondition(query, params));
}

/** Compiles `query` into a boolean expression whose placeholders are registered on `params`. */
export function compileCondition(query: QueryNode, params: SqlParams): string {
  switch (query.kind) {
    case 'all':
      return 'TRUE';
    case 'not':
      return `(NOT ${compileCondition(query.child, params)})`;
    case 'and':
      if (query.children.length === 0) return 'TRUE';
      return `(${query.children.map((c) => compileCondition(c, params)).join(' AND ')})`;
    case 'or':
      if (query.children.length === 0) return 'FALSE';
      return `(${query.children.map((c) => compileCondition(c, params)).join(' OR ')})`;
    case 'match':
      return compileMatch(query, params);
  }
}

/** Identifiers come from the catalogue only; this guards against a catalogue typo. */
export function quoteIdentifier(name: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return `"${name}"`;
}

// ---------------------------------------------------------------------------------------------
// Where a field lives in the table

type Target =
  /** A VARCHAR leaf (column or struct field); NULL when absent. */
  | { kind: 'scalar'; expr: string }
  /** A ROW, ARRAY or MAP tested as a whole: string tests see its JSON text. */
  | { kind: 'object'; expr: string }
  /** One field of the `resources` array's elements. */
  | { kind: 'resources'; column: string; field: string }
  /** A key path inside a MAP<STRING,STRING> column. */
  | { kind: 'map'; expr: string; keys: string[] }
  /** A key path inside a JSON-string column (may be empty: the column's whole value). */
  | { kind: 'json'; column: string; keys: string[] };

function resolveTarget(field: FieldRef): Target {
  const { segments } = field;
  let level: readonly FieldDef[] = CLOUDTRAIL_FIELDS;
  let expr = '';
  for (let i = 0; i < segments.length; i++) {
    const name = segments[i] as string;
    const def = findField(level, name);
    if (!def) {
      throw new ConfigurationError(
        `filter field "${field.display}": "${name}" is not a known CloudTrail field.`,
        'filter',
      );
    }
    const path = segments.slice(0, i + 1).join('.');
    if (def.athena === undefined) throw noColumn(field, path);
    const ref = expr ? `${expr}.${quoteIdentifier(def.athena)}` : quoteIdentifier(def.athena);
    const rest = segments.slice(i + 1);
    switch (def.kind) {
      case 'json':
        return { kind: 'json', column: ref, keys: rest };
      case 'map':
        return rest.length === 0 ? { kind: 'object', expr: ref } : { kind: 'map', expr: ref, keys: rest };
      case 'array': {
        if (rest.length === 0) return { kind: 'object', expr: ref };
        const child = findField(def.children ?? [], rest[0] as string);
        if (!child) {
          throw new ConfigurationError(
            `filter field "${field.display}": "${rest[0]}" is not a field of ${def.name} elements.`,
            'filter',
          );
        }
        if (child.athena === undefined) throw noColumn(field, `${path}.${child.name}`);
        if (rest.length > 1) throw singleValue(field, `${path}.${child.name}`);
        return { kind: 'resources', column: ref, field: child.athena };
      }
      case 'struct':
        if (rest.length === 0) return { kind: 'object', expr: ref };
        level = def.children ?? [];
        expr = ref;
        continue;
      default:
        if (rest.length > 0) throw singleValue(field, path);
        return { kind: 'scalar', expr: ref };
    }
  }
  throw new ConfigurationError(`filter field "${field.display}" is empty.`, 'filter');
}

function noColumn(field: FieldRef, path: string): ConfigurationError {
  return new ConfigurationError(
    `filter field "${field.display}": the Athena CloudTrail table has no column for "${path}", ` +
      'so the Athena engine cannot test it. Use --engine scan (which reads every field of the records).',
    'filter',
  );
}

function singleValue(field: FieldRef, path: string): ConfigurationError {
  return new ConfigurationError(
    `filter field "${field.display}": "${path}" is a single value and has no sub-fields.`,
    'filter',
  );
}

// ---------------------------------------------------------------------------------------------
// Values reached by a path

/** How a test sees one reached value. */
interface Reached {
  /** VARCHAR of a scalar (string, number, boolean); undefined when the value is never a scalar. */
  scalar: string | undefined;
  /** VARCHAR text for string tests: the scalar, or the JSON text of an object or array. */
  text: string;
  /** DOUBLE of a JSON number (NULL for any other value); undefined where values are all text. */
  number?: string;
}

/**
 * Number tokens of a JSON text (group 3), strings skipped whole (group 1: a number inside a
 * string is not one). No `?` in it: Athena forbids one inside quotes, even in a literal.
 */
const JSON_TOKENS = `'("[^"\\\\]*(\\\\.[^"\\\\]*)*")|(-{0,1}[0-9][-+.eE0-9]*)'`;

/** SQL: the canonical text (values.ts `canonicalNumber`) of the number token `t` (VARCHAR). */
function canonicalNumberSql(t: string): string {
  const d = `CAST(${t} AS DOUBLE)`;
  return (
    `if(${d} = floor(${d}) AND abs(${d}) < 1e18, CAST(CAST(${d} AS BIGINT) AS VARCHAR), ` +
    `format('%s', ${d}))`
  );
}

/** SQL: the JSON text `json` (VARCHAR, keys already sorted) with every number made canonical. */
function canonicalJsonSql(json: string): string {
  return `regexp_replace(${json}, ${JSON_TOKENS}, g -> coalesce(g[1], ${canonicalNumberSql('g[3]')}))`;
}

/** The two primitives every target offers, both two-valued SQL booleans. */
interface Access {
  /** Some reached value is present and not null. */
  present: string;
  /** Some reached value passes `test` (given SQL for that value). */
  some(test: (value: Reached) => string): string;
}

const EMPTY_JSON_ARRAY = 'CAST(ARRAY[] AS ARRAY(JSON))';

function access(target: Target, params: SqlParams): Access {
  switch (target.kind) {
    case 'scalar': {
      const x = target.expr;
      return {
        present: `(${x} IS NOT NULL)`,
        some: (test) => `coalesce(${test({ scalar: x, text: x })}, false)`,
      };
    }
    case 'object': {
      const x = target.expr;
      return {
        present: `(${x} IS NOT NULL)`,
        some: (test) =>
          `coalesce(${test({ scalar: undefined, text: `json_format(CAST(${x} AS JSON))` })}, false)`,
      };
    }
    case 'resources': {
      const value = `r.${quoteIdentifier(target.field)}`;
      return {
        present: `coalesce(any_match(${target.column}, r -> ${value} IS NOT NULL), false)`,
        some: (test) =>
          `coalesce(any_match(${target.column}, r -> ${test({ scalar: value, text: value })}), false)`,
      };
    }
    case 'map': {
      if (target.keys.length > 1) {
        // Map values are strings: nothing lies below them (the scan engine finds nothing either).
        return { present: 'FALSE', some: () => 'FALSE' };
      }
      const key = params.add(target.keys[0] as string);
      const values = `map_values(map_filter(${target.expr}, (k, v) -> lower(k) = lower(${key})))`;
      return {
        present: `coalesce(any_match(${values}, v -> v IS NOT NULL), false)`,
        some: (test) => `coalesce(any_match(${values}, v -> ${test({ scalar: 'v', text: 'v' })}), false)`,
      };
    }
    case 'json': {
      if (target.keys.length === 0) {
        // The whole column: an object's (or array's) canonical text, from json_parse (sorted
        // keys) with canonical numbers, as the scan engine writes it. A bare string value (rare)
        // is its own scalar.
        const x = target.column;
        const isText = `substr(${x}, 1, 1) NOT IN ('{', '[')`;
        const json = `coalesce(${canonicalJsonSql(`json_format(try(json_parse(${x})))`)}, ${x})`;
        return {
          present: `(${x} IS NOT NULL)`,
          some: (test) =>
            `coalesce(${test({ scalar: `if(${isText}, ${x})`, text: `if(${isText}, ${x}, ${json})` })}, false)`,
        };
      }
      const values = jsonValues(target.column, target.keys, params);
      // A JSON string is its own text; a number, boolean, object or array its canonical JSON text;
      // a JSON null is absent (NULL).
      const text =
        `if(substr(json_format(j), 1, 1) = '"', CAST(j AS VARCHAR), ` +
        `nullif(${canonicalJsonSql('json_format(j)')}, 'null'))`;
      const scalar = `if(is_json_scalar(j), ${text})`;
      const number = `if(regexp_like(json_format(j), '^-{0,1}[0-9]'), CAST(j AS DOUBLE))`;
      return {
        present: `coalesce(any_match(${values}, j -> j IS NOT NULL AND json_format(j) <> 'null'), false)`,
        some: (test) => `coalesce(any_match(${values}, j -> ${test({ scalar, text, number })}), false)`,
      };
    }
  }
}

/**
 * ARRAY(JSON) of the values `keys` reach inside a JSON-string column. The column holds an object's
 * JSON text (or, rarely, a bare string). Each step first spreads an array into its elements, then
 * keeps the values of the keys equal to the next key ignoring case (`map_filter` over the object
 * cast to MAP(VARCHAR, JSON); a non-object casts to NULL and contributes nothing).
 */
function jsonValues(column: string, keys: string[], params: SqlParams): string {
  let values = `ARRAY[coalesce(try(json_parse(${column})), CAST(${column} AS JSON))]`;
  for (const key of keys) {
    const p = params.add(key);
    const elements = `flatten(transform(${values}, c -> coalesce(try_cast(c AS ARRAY(JSON)), ARRAY[c])))`;
    const children =
      `coalesce(map_values(map_filter(try_cast(x AS MAP(VARCHAR, JSON)), (k, v) -> lower(k) = lower(${p}))), ` +
      `${EMPTY_JSON_ARRAY})`;
    values = `flatten(transform(${elements}, x -> ${children}))`;
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Tests

function compileMatch(node: MatchNode, params: SqlParams): string {
  const acc = access(resolveTarget(node.field), params);
  const { cond } = node;
  if (cond.op === 'exists') return cond.value ? acc.present : `(NOT ${acc.present})`;
  if (cond.op === 'fieldref') return compileFieldRef(node, acc, cond.fields, cond.compare, params);

  const values: Scalar[] = cond.values;
  const groups = node.all ? values.map((v) => [v]) : [values];
  const parts = groups.map((group) => {
    const wanted = group.filter((v): v is string | number | boolean => v !== null);
    const absentMatches = wanted.length < group.length;
    if (wanted.length === 0) return `(NOT ${acc.present})`;
    const reFlags = cond.op === 're' ? cond.flags : undefined;
    const hit = acc.some((value) => valueTest(cond.op, wanted, node.cased, value, params, reFlags));
    return absentMatches ? `(${hit} OR (NOT ${acc.present}))` : hit;
  });
  // `all` over an empty list: every one of no values matches (as in the scan engine).
  if (parts.length === 0) return 'TRUE';
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' AND ')})`;
}

/** SQL testing one reached value against any of `values` (ORed). */
function valueTest(
  op: Exclude<MatchNode['cond']['op'], 'fieldref'>,
  values: (string | number | boolean)[],
  cased: boolean,
  value: Reached,
  params: SqlParams,
  reFlags = '',
): string {
  const fold = (sql: string): string => (cased ? sql : `lower(${sql})`);
  const texts = values.map(scalarText);
  const any = (tests: string[]): string =>
    tests.length === 1 ? (tests[0] as string) : `(${tests.join(' OR ')})`;
  switch (op) {
    case 'equals': {
      if (value.scalar === undefined) return 'FALSE';
      const scalar = value.scalar;
      const textEquals = (list: string[]): string[] => {
        if (list.length === 0) return [];
        const folded = list.map((t) => fold(params.add(t)));
        return [
          folded.length === 1
            ? `${fold(scalar)} = ${folded[0]}`
            : `${fold(scalar)} IN (${folded.join(', ')})`,
        ];
      };
      const num = value.number;
      if (num === undefined) return any(textEquals(texts));
      // A JSON number equals the values written as numbers, by value; other values by text.
      const numeric = texts.filter(
        (_t, i) => numericValue(values[i] as string | number | boolean) !== undefined,
      );
      const other = texts.filter((t) => !numeric.includes(t));
      const tests = [
        ...numeric.map(
          (t) =>
            `if(${num} IS NULL, ${fold(scalar)} = ${fold(params.add(t))}, ${num} = CAST(${params.add(t)} AS DOUBLE))`,
        ),
        ...textEquals(other).map((test) => `(${num} IS NULL AND ${test})`),
      ];
      return any(tests);
    }
    case 'contains':
      return any(texts.map((t) => `strpos(${fold(value.text)}, ${fold(params.add(t))}) > 0`));
    case 'startswith':
      return any(texts.map((t) => `strpos(${fold(value.text)}, ${fold(params.add(t))}) = 1`));
    case 'endswith':
      return any(
        texts.map((t) => `strpos(reverse(${fold(value.text)}), reverse(${fold(params.add(t))})) = 1`),
      );
    case 're': {
      // Trino's regex engines take inline (?ims) flags; the pattern itself is a parameter.
      const inline = (cased ? '' : 'i') + reFlags;
      return any(
        texts.map((t) => `regexp_like(${value.text}, ${params.add(inline ? `(?${inline})${t}` : t)})`),
      );
    }
    case 'glob':
      // The anchored regex Sigma wildcards always compiled to (RE2-style engines run it linearly).
      return valueTest('re', texts.map(globToRegexSource), cased, value, params);
    case 'cidr':
      if (value.scalar === undefined) return 'FALSE';
      // try_cast: sourceIPAddress also holds names ("AWS Internal", "s3.amazonaws.com").
      return any(texts.map((t) => `contains(${params.add(t)}, try_cast(${value.scalar} AS IPADDRESS))`));
    case 'exists':
      return 'TRUE';
  }
}

// ---------------------------------------------------------------------------------------------
// fieldref: a field compared with another field of the same record

/**
 * Some reached value of the node's field compares with some present scalar of one of `fields`
 * (every one with `all`). The other field's values are gathered into an ARRAY(VARCHAR) first and
 * walked with their own lambda variable (`fr`), so no lambda of the node's own path shadows it.
 */
function compileFieldRef(
  node: MatchNode,
  acc: Access,
  fields: readonly FieldRef[],
  compare: StringOp,
  params: SqlParams,
): string {
  const fold = (sql: string): string => (node.cased ? sql : `lower(${sql})`);
  const parts = fields.map((field) => {
    const others = scalarValues(resolveTarget(field), params);
    const hit = acc.some((value) => {
      switch (compare) {
        case 'equals':
          return value.scalar === undefined ? 'FALSE' : `${fold(value.scalar)} = ${fold('fr')}`;
        case 'contains':
          return `strpos(${fold(value.text)}, ${fold('fr')}) > 0`;
        case 'startswith':
          return `strpos(${fold(value.text)}, ${fold('fr')}) = 1`;
        case 'endswith':
          return `strpos(reverse(${fold(value.text)}), reverse(${fold('fr')})) = 1`;
      }
    });
    return `coalesce(any_match(${others}, fr -> fr IS NOT NULL AND ${hit}), false)`;
  });
  if (parts.length === 1) return parts[0] as string;
  return `(${parts.join(node.all ? ' AND ' : ' OR ')})`;
}

/** ARRAY(VARCHAR) of the scalar values a target reaches (objects and arrays give NULL or nothing). */
function scalarValues(target: Target, params: SqlParams): string {
  const none = 'CAST(ARRAY[] AS ARRAY(VARCHAR))';
  switch (target.kind) {
    case 'scalar':
      return `ARRAY[${target.expr}]`;
    case 'object':
      return none;
    case 'resources':
      return `transform(${target.column}, r -> r.${quoteIdentifier(target.field)})`;
    case 'map': {
      if (target.keys.length > 1) return none;
      const key = params.add(target.keys[0] as string);
      return `map_values(map_filter(${target.expr}, (k, v) -> lower(k) = lower(${key})))`;
    }
    case 'json': {
      const x = target.column;
      if (target.keys.length === 0) return `ARRAY[if(substr(${x}, 1, 1) IN ('{', '['), NULL, ${x})]`;
      // Scalars with numbers in their canonical text, as the scan engine compares them.
      const text = `if(substr(json_format(j), 1, 1) = '"', CAST(j AS VARCHAR), ${canonicalJsonSql('json_format(j)')})`;
      return `transform(${jsonValues(x, target.keys, params)}, j -> if(is_json_scalar(j), ${text}))`;
    }
  }
}
