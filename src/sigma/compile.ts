/**
 * One Sigma rule -> one QueryNode over single CloudTrail records, or the reason it cannot be.
 *
 * - Selections: a map ANDs its fields; a list of maps ORs them; a field's list of values ORs them
 *   (ANDs with `|all`); `null` = field absent or null.
 * - Field names are CloudTrail's (`eventName`, `userIdentity.arn`, `requestParameters.x`),
 *   resolved case-insensitively by the query model; arrays along a path match when any element does.
 * - Matching ignores case unless `|cased`; `|re` is case-sensitive unless `|re|i` (as in Sigma).
 * - Wildcards `*`/`?` become startswith/endswith/contains or a regex (strings.ts).
 *
 * Rules that need more than one event (aggregations, `near`, `timeframe`, correlation rules),
 * placeholders (`|expand`), keyword searches and fields CloudTrail does not have are refused
 * with a reason (RuleProblem), per rule.
 */
import { ConfigurationError } from '../errors.js';
import type { Condition, FieldRef, MatchNode, QueryNode, Scalar, StringOp } from '../query/ast.js';
import { resolveField } from '../query/fields.js';
import { linearRegexProblem } from '../query/linear-regex.js';
import { isPlainObject, isScalar, parseIpNetwork } from '../query/values.js';
import { parseCondition, patternRegExp, type ConditionExpr } from './condition.js';
import { RuleProblem } from './problem.js';
import {
  applyTransform,
  finished,
  parseSigmaString,
  plainString,
  toStringTest,
  TRANSFORMS,
  withMatchType,
  type StringTest,
  type Transformed,
  type TransformName,
} from './strings.js';
import type { CompiledRule, SigmaRule, UnsupportedRule } from './types.js';

export type RuleCompilation = { ok: true; rule: CompiledRule } | { ok: false; unsupported: UnsupportedRule };

export function compileRule(rule: SigmaRule): RuleCompilation {
  try {
    const query = compileDetection(rule);
    return {
      ok: true,
      rule: {
        id: rule.id,
        title: rule.title,
        level: rule.level,
        file: rule.file,
        references: rule.references,
        tags: rule.tags,
        query,
      },
    };
  } catch (err) {
    if (!(err instanceof RuleProblem)) throw err;
    return {
      ok: false,
      unsupported: { file: rule.file, id: rule.id, title: rule.title, reason: err.message },
    };
  }
}

function compileDetection(rule: SigmaRule): QueryNode {
  if (rule.kind === 'correlation') {
    throw new RuleProblem(
      'a correlation rule relates several events (counts, sequences over time); only single-event detections are supported',
    );
  }
  if (rule.kind === 'filter') {
    throw new RuleProblem(
      "a Sigma filter document (exclusions for other rules) is not supported; put the exclusion into the rule's condition",
    );
  }
  checkLogsource(rule);
  const { condition, timeframe, ...selections } = rule.detection;
  const conditions = typeof condition === 'string' ? [condition] : condition;
  if (
    !Array.isArray(conditions) ||
    conditions.length === 0 ||
    !conditions.every((c) => typeof c === 'string')
  ) {
    throw new RuleProblem('the detection has no "condition" (a text such as "selection and not filter")');
  }
  // Parsed first: an aggregation in the condition is the clearer reason than its timeframe.
  const parsed = conditions.map(parseCondition);
  if (timeframe !== undefined) {
    throw new RuleProblem(
      `"timeframe: ${String(timeframe)}" correlates events over time, which cannot be decided on one event`,
    );
  }
  const compiler = new SelectionCompiler(selections);
  const nodes = parsed.map((c) => compiler.expression(c));
  const query = nodes.length === 1 ? (nodes[0] as QueryNode) : { kind: 'or' as const, children: nodes };
  if (rule.status?.toLowerCase() === 'unsupported') {
    throw new RuleProblem('the rule\'s status is "unsupported": its authors say it cannot run as written');
  }
  return query;
}

function checkLogsource(rule: SigmaRule): void {
  const { product, service, category } = rule.logsource;
  if (product?.toLowerCase() === 'aws' && service?.toLowerCase() === 'cloudtrail') return;
  const described = Object.entries({ product, service, category })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  throw new RuleProblem(
    `its logsource (${described || 'none'}) is not AWS CloudTrail; only rules for "product: aws, service: cloudtrail" run on CloudTrail logs`,
  );
}

/** Compiles the named selections a condition refers to (each once). */
class SelectionCompiler {
  private readonly compiled = new Map<string, QueryNode>();

  constructor(private readonly selections: Record<string, unknown>) {}

  expression(expr: ConditionExpr): QueryNode {
    switch (expr.kind) {
      case 'ref':
        return this.selection(expr.name);
      case 'not':
        return { kind: 'not', child: this.expression(expr.child) };
      case 'and':
      case 'or':
        return { kind: expr.kind, children: expr.children.map((c) => this.expression(c)) };
      case 'of': {
        const names = this.namesMatching(expr.pattern);
        const children = names.map((n) => this.selection(n));
        if (children.length === 1) return children[0] as QueryNode;
        return { kind: expr.quantifier === 'all' ? 'and' : 'or', children };
      }
    }
  }

  private namesMatching(pattern: string): string[] {
    const all = Object.keys(this.selections);
    // `them` leaves out names starting with "_" (Sigma's convention for helper selections).
    const names =
      pattern === 'them'
        ? all.filter((n) => !n.startsWith('_'))
        : all.filter((n) => patternRegExp(pattern).test(n));
    if (names.length === 0) {
      throw new RuleProblem(
        `the condition's "of ${pattern}" matches no selection (selections: ${all.join(', ') || 'none'})`,
      );
    }
    return names;
  }

  private selection(name: string): QueryNode {
    const done = this.compiled.get(name);
    if (done) return done;
    if (!Object.hasOwn(this.selections, name)) {
      throw new RuleProblem(`the condition names "${name}", which is not a selection of the rule`);
    }
    const node = compileSelection(name, this.selections[name]);
    this.compiled.set(name, node);
    return node;
  }
}

function compileSelection(name: string, value: unknown): QueryNode {
  if (isPlainObject(value)) return compileFieldMap(name, value);
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    return either(value.map((map) => compileFieldMap(name, map)));
  }
  if (isScalar(value) || (Array.isArray(value) && value.every(isScalar))) throw keywordSearch(name);
  throw new RuleProblem(`selection "${name}" must be a map of fields, or a list of such maps`);
}

function keywordSearch(name: string): RuleProblem {
  return new RuleProblem(
    `selection "${name}" is a keyword search (values without a field); CloudTrail records are searched field by field, so name the field (e.g. "eventName: ...")`,
  );
}

function compileFieldMap(name: string, map: Record<string, unknown>): QueryNode {
  const entries = Object.entries(map);
  if (entries.length === 0) throw new RuleProblem(`selection "${name}" is empty`);
  return both(entries.map(([key, value]) => compileFieldItem(name, key, value)));
}

// ---------------------------------------------------------------------------------------------
// One `field|modifier|...: value(s)` item

type MatchType = 'contains' | 'startswith' | 'endswith' | 're' | 'cidr' | 'exists' | 'fieldref';
const MATCH_TYPES: readonly MatchType[] = [
  'contains',
  'startswith',
  'endswith',
  're',
  'cidr',
  'exists',
  'fieldref',
];
const RE_FLAGS: Record<string, 'i' | 'm' | 's'> = {
  i: 'i',
  ignorecase: 'i',
  m: 'm',
  multiline: 'm',
  s: 's',
  dotall: 's',
};
const REFUSED_MODIFIERS: Record<string, string> = {
  expand: 'the "expand" modifier fills in placeholders (%name%) from a configuration this tool does not have',
  gt: 'numeric comparisons (gt, gte, lt, lte) are not supported',
  gte: 'numeric comparisons (gt, gte, lt, lte) are not supported',
  lt: 'numeric comparisons (gt, gte, lt, lte) are not supported',
  lte: 'numeric comparisons (gt, gte, lt, lte) are not supported',
  minute: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  hour: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  day: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  week: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  month: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
  year: 'time-part modifiers (minute, hour, day, week, month, year) are not supported',
};

interface Modifiers {
  /** The match type; `contains`/`startswith`/`endswith` may also come with `fieldref`. */
  match: MatchType | undefined;
  compare: StringOp;
  all: boolean;
  cased: boolean;
  reFlags: Set<'i' | 'm' | 's'>;
  transforms: TransformName[];
}

function parseModifiers(key: string, names: string[]): Modifiers {
  const mods: Modifiers = {
    match: undefined,
    compare: 'equals',
    all: false,
    cased: false,
    reFlags: new Set(),
    transforms: [],
  };
  const problem = (why: string): RuleProblem => new RuleProblem(`field "${key}": ${why}`);
  for (const raw of names) {
    const name = raw.trim().toLowerCase();
    const refused = REFUSED_MODIFIERS[name];
    if (refused) throw problem(refused);
    if (name === 'all') mods.all = true;
    else if (name === 'cased') mods.cased = true;
    else if (RE_FLAGS[name]) mods.reFlags.add(RE_FLAGS[name]);
    else if ((TRANSFORMS as readonly string[]).includes(name)) mods.transforms.push(name as TransformName);
    else if ((MATCH_TYPES as readonly string[]).includes(name)) {
      const type = name as MatchType;
      const stringOp = type === 'contains' || type === 'startswith' || type === 'endswith';
      if (mods.match === 'fieldref' && stringOp && mods.compare === 'equals') mods.compare = type;
      else if (type === 'fieldref' && mods.match !== undefined && isStringOp(mods.match)) {
        mods.compare = mods.match;
        mods.match = 'fieldref';
      } else if (mods.match !== undefined) {
        throw problem(`the modifiers "${mods.match}" and "${type}" cannot be combined`);
      } else mods.match = type;
    } else throw problem(`unknown modifier "${raw}"`);
  }
  if (mods.reFlags.size > 0 && mods.match !== 're')
    throw problem('the i, m and s modifiers only go with "re"');
  const plain = mods.match === undefined || isStringOp(mods.match);
  if (mods.transforms.length > 0 && !plain) {
    throw problem(`the "${mods.transforms[0]}" modifier cannot be combined with "${mods.match}"`);
  }
  return mods;
}

function isStringOp(type: MatchType): type is 'contains' | 'startswith' | 'endswith' {
  return type === 'contains' || type === 'startswith' || type === 'endswith';
}

function compileFieldItem(selection: string, key: string, value: unknown): QueryNode {
  const [fieldName = '', ...modifierNames] = key.split('|');
  if (fieldName.trim() === '') throw keywordSearch(selection);
  const mods = parseModifiers(key, modifierNames);
  const field = sigmaField(fieldName, key);
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0)
    throw new RuleProblem(`field "${key}" has an empty list of values, which can never match`);
  if (!values.every(isScalar)) {
    throw new RuleProblem(
      `field "${key}": values must be strings, numbers, booleans or null (or a list of them)`,
    );
  }
  const node = (cond: Condition, all = mods.all): MatchNode => ({
    kind: 'match',
    field,
    cond,
    all,
    cased: mods.cased,
  });

  switch (mods.match) {
    case 'exists':
      return node({ op: 'exists', value: existsValue(key, values) }, false);
    case 'fieldref':
      return node({
        op: 'fieldref',
        fields: values.map((v) => fieldRefTarget(key, v)),
        compare: mods.compare,
      });
    case 'cidr':
      return node({ op: 'cidr', values: values.map((v) => cidrValue(key, v)) });
    case 're': {
      const compiled = values.map((v) => regexValue(key, v, mods.reFlags));
      const flags = compiled[0]?.flags ?? '';
      if (compiled.some((c) => c.flags !== flags || c.caseless !== compiled[0]?.caseless)) {
        throw new RuleProblem(
          `field "${key}": regexes with different inline flags in one list; split them into separate fields`,
        );
      }
      const caseless = compiled[0]?.caseless ?? false;
      return {
        kind: 'match',
        field,
        cond: flags
          ? { op: 're', values: compiled.map((c) => c.source), flags }
          : { op: 're', values: compiled.map((c) => c.source) },
        all: mods.all,
        // Sigma regexes are case-sensitive unless `i` (or an inline (?i)).
        cased: !caseless,
      };
    }
    default: {
      const type = mods.match ?? 'equals';
      const perValue = values.map((v) => valueTests(key, v, type, mods.transforms));
      if (mods.all) return both(perValue.map((tests) => testsNode(tests, node)));
      return testsNode(perValue.flat(), node);
    }
  }
}

/** A resolved CloudTrail field; unknown names are refused (the rule could never match them). */
function sigmaField(name: string, key: string): FieldRef {
  try {
    return resolveField(name.trim(), key);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    // The resolver's message minus its filter-key prefix and its long list of known fields.
    const why = err.message.replace(/^filter key "[^"]*": /, '').replace(/ Known (sub-)?fields.*$/s, '');
    throw new RuleProblem(`field "${name.trim()}" is not a CloudTrail field: ${why}`);
  }
}

/** The tests one written value stands for (several after base64offset/windash; ORed). */
function valueTests(
  key: string,
  value: Scalar,
  type: 'equals' | StringOp,
  transforms: TransformName[],
): Array<StringTest | { op: 'equals'; value: Scalar }> {
  if (value === null) return [{ op: 'equals', value: null }];
  if (typeof value !== 'string' && type === 'equals' && transforms.length === 0)
    return [{ op: 'equals', value }];
  let current: Transformed[] = [
    { kind: 'text', value: typeof value === 'string' ? parseSigmaString(value) : plainString(String(value)) },
  ];
  for (const name of transforms) {
    try {
      current = current.flatMap((v) => applyTransform(name, v));
    } catch (err) {
      if (err instanceof RuleProblem) throw new RuleProblem(`field "${key}": ${err.message}`);
      throw err;
    }
  }
  return current.map((v) => toStringTest(withMatchType(finished(v), type === 'equals' ? 'equals' : type)));
}

/** ORs tests of one field, one match node per kind of test. */
function testsNode(
  tests: Array<StringTest | { op: 'equals'; value: Scalar }>,
  node: (cond: Condition, all?: boolean) => MatchNode,
): QueryNode {
  const byOp = new Map<string, Scalar[]>();
  let exists = false;
  for (const test of tests) {
    if (test.op === 'exists') {
      exists = true;
      continue;
    }
    const list = byOp.get(test.op) ?? [];
    list.push(test.value);
    byOp.set(test.op, list);
  }
  const nodes: QueryNode[] = [];
  if (exists) nodes.push(node({ op: 'exists', value: true }, false));
  for (const [op, values] of byOp) {
    // Within one written value the variants are alternatives: never `all` across them.
    const cond: Condition =
      op === 'glob' ? { op: 'glob', values: values as string[] } : { op: op as StringOp, values };
    nodes.push(node(cond, false));
  }
  return either(nodes);
}

function existsValue(key: string, values: Scalar[]): boolean {
  const [only] = values;
  if (values.length === 1 && (only === true || only === false)) return only;
  if (values.length === 1 && typeof only === 'string' && /^(true|false)$/i.test(only))
    return only.toLowerCase() === 'true';
  throw new RuleProblem(`field "${key}": "exists" takes true or false`);
}

function fieldRefTarget(key: string, value: Scalar): FieldRef {
  if (typeof value !== 'string') throw new RuleProblem(`field "${key}": "fieldref" takes field names`);
  return sigmaField(value, key);
}

function cidrValue(key: string, value: Scalar): string {
  const network =
    value === null || typeof value === 'boolean' ? 'not an address' : parseIpNetwork(String(value));
  if (typeof network === 'string')
    throw new RuleProblem(`field "${key}": ${JSON.stringify(value)} is not an IP network (${network})`);
  return network.cidr;
}

interface RegexValue {
  source: string;
  flags: string;
  caseless: boolean;
}

/** A Sigma regex: leading inline flags like `(?i)` become flags; JavaScript must accept it and it must be safe. */
function regexValue(key: string, value: Scalar, modifierFlags: ReadonlySet<'i' | 'm' | 's'>): RegexValue {
  if (typeof value !== 'string' && typeof value !== 'number')
    throw new RuleProblem(`field "${key}": a regular expression must be text`);
  let source = String(value);
  const flags = new Set(modifierFlags);
  const inline = /^\(\?([ims]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1] as string) flags.add(f as 'i' | 'm' | 's');
    source = source.slice(inline[0].length);
  }
  const extra = ['m', 's'].filter((f) => flags.has(f as 'm' | 's')).join('');
  try {
    new RegExp(source, extra + (flags.has('i') ? 'i' : ''));
  } catch (err) {
    throw new RuleProblem(
      `field "${key}": the regular expression ${JSON.stringify(source)} is not valid here: ${(err as Error).message}`,
    );
  }
  const unsafe = linearRegexProblem(source, { caseless: flags.has('i'), flags: extra });
  if (unsafe)
    throw new RuleProblem(
      `field "${key}": the regular expression ${JSON.stringify(source)} is refused: ${unsafe}`,
    );
  return { source, flags: extra, caseless: flags.has('i') };
}

function either(nodes: QueryNode[]): QueryNode {
  return nodes.length === 1 ? (nodes[0] as QueryNode) : { kind: 'or', children: nodes };
}

function both(nodes: QueryNode[]): QueryNode {
  return nodes.length === 1 ? (nodes[0] as QueryNode) : { kind: 'and', children: nodes };
}
