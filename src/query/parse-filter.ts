/**
 * Parses a filter map (the original tool's `actionParams`, extended) into the query AST.
 *
 * Shape: `{ "<field>[|modifier...]": value | [values], ... }`.
 * - Keys are ANDed; a list of values is ORed (with `|all`, every value must match).
 * - Field paths are case-insensitive, in CloudTrail (`userIdentity.userName`) or Athena
 *   (`useridentity.username`) spelling; any path below a JSON field works
 *   (`requestParameters.containerDefinitions.command`). See fields.ts.
 * - Values are JSON scalars compared by value and ignoring case: `false`, "false" and "False" are
 *   one value, as are `5` and "5". `null` matches a field that is absent or null.
 * - Modifiers (Sigma style, combinable): `contains`, `startswith`, `endswith`, `re` (JavaScript
 *   regex, a search, not anchored), `cidr` (IPv4/IPv6 network or single address), `exists`
 *   (true/false), `all` (every listed value must match), `cased` (exact case). At most one of
 *   contains/startswith/endswith/re/cidr/exists per key.
 * - Grouping: `not: {map}` matches records the map does not match; `not: [{map}, {map}]` matches
 *   records matching none of them. `any: [{map}, {map}]` matches records matching at least one.
 *   Both nest, and combine (ANDed) with the other keys:
 *     { "eventSource": "s3.amazonaws.com",
 *       "any": [{ "eventName|startswith": "PutBucket" }, { "eventName": "DeleteBucket" }],
 *       "not": { "errorCode|exists": true } }
 * - `days` (window length, a positive number) and `cleanup` (boolean) are not filters: the
 *   original tool accepted them in the same map; they are returned beside the query, top level only.
 *
 * Every mistake is a ConfigurationError whose field is `filter key "<key as written>"`.
 */
import { YAMLParseError } from 'yaml';
import { parseYamlBounded, YamlTooLargeError } from '../yaml-bounded.js';
import { ConfigurationError } from '../errors.js';
import type { Condition, MatchNode, ParsedFilter, QueryNode, Scalar, StringOp } from './ast.js';
import { filterKeyLabel, resolveField } from './fields.js';
import { MAX_REGEX_LENGTH, linearRegexProblem } from './linear-regex.js';
import { closestMatch } from './suggest.js';
import { isPlainObject, isScalar, jsonTypeName, parseIpNetwork } from './values.js';

const OPERATORS = ['contains', 'startswith', 'endswith', 're', 'cidr', 'exists'] as const;
const FLAGS = ['all', 'cased'] as const;
export const MODIFIERS: readonly string[] = [...OPERATORS, ...FLAGS];
type Operator = (typeof OPERATORS)[number];

const ALL: QueryNode = { kind: 'all' };

/** Parses an already-parsed JSON/YAML value. `undefined`, `null` or `{}` = every record. */
export function parseFilter(input: unknown): ParsedFilter {
  if (input === undefined || input === null) return { query: ALL, usesResources: false };
  if (!isPlainObject(input)) {
    throw new ConfigurationError(
      `filter must be a map of field to a value or a list of values, e.g. {"eventName": "ConsoleLogin"}; got ${jsonTypeName(input)}.`,
      'filter',
    );
  }
  const result: ParsedFilter = { query: ALL, usesResources: false };
  const nodes: QueryNode[] = [];
  for (const [key, value] of Object.entries(input)) {
    const name = key.trim().toLowerCase();
    if (name === 'days') {
      if (result.days !== undefined) throw duplicateKey(key);
      result.days = parseDays(key, value);
    } else if (name === 'cleanup') {
      if (result.cleanup !== undefined) throw duplicateKey(key);
      result.cleanup = parseBoolean(key, value, 'cleanup');
    } else {
      nodes.push(parseEntry(key, value, '', 0));
    }
  }
  result.query = and(nodes);
  result.usesResources = testsResources(result.query);
  return result;
}

/** Longest filter text accepted: far above any real filter (a list of thousands of IOCs). */
export const MAX_FILTER_TEXT_CHARS = 1024 * 1024;
/** Deepest nesting of `not` / `any` groups: real filters use two or three levels. */
export const MAX_GROUP_DEPTH = 32;

/** Parses JSON or YAML text (YAML is a superset of JSON). Blank text = every record. */
export function parseFilterText(text: string): ParsedFilter {
  if (text.trim() === '') return parseFilter(undefined);
  if (text.length > MAX_FILTER_TEXT_CHARS) {
    throw new ConfigurationError(
      `filter is ${text.length} characters long; the limit is ${MAX_FILTER_TEXT_CHARS}. Split the search, or use |re, |startswith or |cidr to cover many values at once.`,
      'filter',
    );
  }
  let value: unknown;
  try {
    value = parseYamlBounded(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      const reason = (err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      throw new ConfigurationError(
        `filter is not valid JSON or YAML${where}: ${reason}. Write a map such as {"eventName": "ConsoleLogin"}.`,
        'filter',
      );
    }
    // The parser's other refusals are about the text too: alias bombs (by alias count or by
    // expanded size), nesting too deep for the stack (RangeError).
    const reason =
      err instanceof RangeError
        ? 'it is nested too deeply'
        : err instanceof YamlTooLargeError
          ? err.message
          : String((err as Error)?.message ?? err);
    throw new ConfigurationError(
      `filter cannot be read: ${reason}. Write the map out plainly, e.g. {"eventName": ["A", "B"]}.`,
      'filter',
    );
  }
  return parseFilter(value);
}

/** Label of a key inside `not` / `any` maps: `not.errorcode|exists`, `any[1].eventname`. */
function qualified(context: string, key: string): string {
  return context === '' ? key : `${context}.${key}`;
}

function parseEntry(key: string, value: unknown, context: string, depth: number): QueryNode {
  const name = key.trim().toLowerCase();
  const fullKey = qualified(context, key);
  if ((name === 'not' || name === 'any') && depth >= MAX_GROUP_DEPTH) {
    const label = filterKeyLabel(fullKey.length > 200 ? `…${fullKey.slice(-200)}` : fullKey);
    throw new ConfigurationError(
      `${label}: "not" and "any" nest more than ${MAX_GROUP_DEPTH} levels deep; simplify the filter.`,
      label,
    );
  }
  if (name === 'not') {
    const maps = Array.isArray(value) ? value : [value];
    const children = parseMaps(fullKey, maps, Array.isArray(value), 'not', depth + 1);
    return { kind: 'not', child: or(children) };
  }
  if (name === 'any') {
    if (!Array.isArray(value)) {
      throw new ConfigurationError(
        `${filterKeyLabel(fullKey)}: "any" takes a list of maps, e.g. any: [{"eventName": "A"}, {"errorCode|exists": true}]; got ${jsonTypeName(value)}.`,
        filterKeyLabel(fullKey),
      );
    }
    return or(parseMaps(fullKey, value, true, 'any', depth + 1));
  }
  if (name === 'days' || name === 'cleanup') {
    throw new ConfigurationError(
      `${filterKeyLabel(fullKey)}: "${name}" is only allowed at the top level of the filter, not inside "not" or "any".`,
      filterKeyLabel(fullKey),
    );
  }
  return parseMatch(key, value, fullKey);
}

function parseMaps(
  fullKey: string,
  maps: unknown[],
  isList: boolean,
  what: string,
  depth: number,
): QueryNode[] {
  const label = filterKeyLabel(fullKey);
  if (maps.length === 0) {
    throw new ConfigurationError(`${label}: the list is empty; give at least one map of conditions.`, label);
  }
  return maps.map((map, index) => {
    const context = isList ? `${fullKey}[${index}]` : fullKey;
    if (!isPlainObject(map)) {
      throw new ConfigurationError(
        `${filterKeyLabel(context)}: "${what}" takes ${isList ? 'maps' : 'a map (or a list of maps)'} of conditions, e.g. {"errorCode|exists": true}; got ${jsonTypeName(map)}.`,
        filterKeyLabel(context),
      );
    }
    const entries = Object.entries(map);
    if (entries.length === 0) {
      throw new ConfigurationError(
        `${filterKeyLabel(context)}: the map is empty; give at least one condition.`,
        filterKeyLabel(context),
      );
    }
    return and(entries.map(([k, v]) => parseEntry(k, v, context, depth)));
  });
}

function parseMatch(key: string, value: unknown, fullKey: string): MatchNode {
  const label = filterKeyLabel(fullKey);
  const fail = (message: string): ConfigurationError => new ConfigurationError(`${label}: ${message}`, label);
  const [fieldPath = '', ...modifierParts] = key.split('|');
  const modifiers = modifierParts.map((m) => m.trim().toLowerCase());

  const seen = new Set<string>();
  let operator: Operator | undefined;
  for (const modifier of modifiers) {
    if (!MODIFIERS.includes(modifier)) {
      const close = modifier === '' ? undefined : closestMatch(modifier, MODIFIERS);
      throw fail(
        `unknown modifier "${modifier}"${close ? ` (did you mean "${close}"?)` : ''}. Supported modifiers: ${MODIFIERS.join(', ')}.`,
      );
    }
    if (seen.has(modifier)) throw fail(`modifier "${modifier}" is repeated; give it once.`);
    seen.add(modifier);
    if ((OPERATORS as readonly string[]).includes(modifier)) {
      if (operator) {
        throw fail(
          `modifiers "${operator}" and "${modifier}" cannot be combined; use one of ${OPERATORS.join(', ')} per key (split the test into two keys, or use "any").`,
        );
      }
      operator = modifier as Operator;
    }
  }
  const all = seen.has('all');
  const cased = seen.has('cased');
  const field = resolveField(fieldPath, fullKey);

  let cond: Condition;
  if (operator === 'exists') {
    if (all || cased) throw fail(`"exists" cannot be combined with "${all ? 'all' : 'cased'}"; remove it.`);
    cond = { op: 'exists', value: parseBoolean(fullKey, value, 'exists') };
  } else {
    const values = valueList(value, fail);
    if (operator === 're') cond = { op: 're', values: values.map((v) => checkRegex(v, cased, fail)) };
    else if (operator === 'cidr') {
      if (cased)
        throw fail(`"cidr" cannot be combined with "cased" (addresses have no case); remove "cased".`);
      cond = { op: 'cidr', values: values.map((v) => checkCidr(v, fail)) };
    } else {
      const op: StringOp = operator ?? 'equals';
      if (op !== 'equals' && values.includes(null)) {
        throw fail(
          `null can only be compared for equality (it means "absent or null"); use "${fieldPath}|exists": false, or remove the "${op}" modifier.`,
        );
      }
      cond = { op, values };
    }
  }
  return { kind: 'match', field, cond, all, cased };
}

function valueList(value: unknown, fail: (m: string) => ConfigurationError): Scalar[] {
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0)
    throw fail(
      'the list of values is empty, so it could never match; give at least one value or remove the key.',
    );
  for (const v of values) {
    if (!isScalar(v)) {
      const nested = Array.isArray(value) ? ' inside the list' : '';
      throw fail(
        `values must be strings, numbers, booleans or null (or a list of them); found ${jsonTypeName(v)}${nested}. To combine conditions, use "not" or "any".`,
      );
    }
  }
  return values as Scalar[];
}

function checkRegex(value: Scalar, cased: boolean, fail: (m: string) => ConfigurationError): string {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw fail(`a regular expression must be a string; found ${jsonTypeName(value)}.`);
  }
  const source = String(value);
  if (source.length > MAX_REGEX_LENGTH) {
    throw fail(
      `the regular expression is ${source.length} characters long; the limit is ${MAX_REGEX_LENGTH}. Shorten it or split it over several keys in "any".`,
    );
  }
  try {
    new RegExp(source, cased ? '' : 'i');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw fail(
      `invalid regular expression ${JSON.stringify(source)}: ${reason}. Fix the pattern (JavaScript syntax; escape literal characters such as "(" "." "+" with a backslash).`,
    );
  }
  const problem = linearRegexProblem(source, { caseless: !cased });
  if (problem) throw fail(`regular expression ${JSON.stringify(source)} refused: ${problem}.`);
  return source;
}

function checkCidr(value: Scalar, fail: (m: string) => ConfigurationError): string {
  if (typeof value !== 'string') {
    throw fail(
      `a network must be a string such as "10.0.0.0/8" or "2001:db8::/32"; found ${jsonTypeName(value)}.`,
    );
  }
  const network = parseIpNetwork(value);
  if (typeof network === 'string') {
    throw fail(
      `${JSON.stringify(value)} is not a network: ${network}. Write it like "10.0.0.0/8", "2001:db8::/32" or a single address.`,
    );
  }
  return network.cidr;
}

function parseBoolean(key: string, value: unknown, what: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  const label = filterKeyLabel(key);
  throw new ConfigurationError(
    `${label}: "${what}" takes true or false; got ${describeValue(value)}.`,
    label,
  );
}

function parseDays(key: string, value: unknown): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number === 'number' && Number.isFinite(number) && number > 0) return number;
  const label = filterKeyLabel(key);
  throw new ConfigurationError(
    `${label}: "days" must be a positive number of days (fractions allowed, e.g. 0.25 for 6 hours); got ${describeValue(value)}.`,
    label,
  );
}

function describeValue(value: unknown): string {
  return isScalar(value) ? JSON.stringify(value) : jsonTypeName(value);
}

function duplicateKey(key: string): ConfigurationError {
  const label = filterKeyLabel(key);
  return new ConfigurationError(
    `${label}: "${key.trim()}" is given twice (keys ignore case); keep one.`,
    label,
  );
}

function and(children: QueryNode[]): QueryNode {
  if (children.length === 0) return ALL;
  return children.length === 1 ? (children[0] as QueryNode) : { kind: 'and', children };
}

function or(children: QueryNode[]): QueryNode {
  return children.length === 1 ? (children[0] as QueryNode) : { kind: 'or', children };
}

/** True when any condition (negated or not) tests a `resources` field. */
export function testsResources(node: QueryNode): boolean {
  switch (node.kind) {
    case 'match':
      return node.field.segments[0] === 'resources';
    case 'and':
    case 'or':
      return node.children.some(testsResources);
    case 'not':
      return testsResources(node.child);
    case 'all':
      return false;
  }
}
