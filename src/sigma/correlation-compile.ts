/**
 * Sigma correlation rules (specification v2) -> CompiledCorrelation, or the reason one cannot run.
 *
 * - `rules` name base rules by `id`, `name` or `title` (in that order of preference); a title two
 *   rules share is ambiguous and refused. Base rules must be single-event detections that run:
 *   chained correlations (a correlation over another correlation) are refused with that reason.
 * - `group-by` names CloudTrail fields or `aliases` (per base rule: which field to read); no
 *   `group-by` = one group.
 * - `timespan`: a whole number followed by s, m, h or d.
 * - `condition`: gt/gte/lt/lte/eq (several = all must hold); `field` for value_count.
 *   temporal defaults to "every base rule"; temporal_ordered only runs as "every base rule, in order".
 * - `generate` (default false): whether the base rules' matches also stand as detections.
 */
import { ConfigurationError } from '../errors.js';
import { resolveField } from '../query/fields.js';
import { isPlainObject } from '../query/values.js';
import { RuleProblem } from './problem.js';
import {
  CORRELATION_TYPES,
  type CompiledCorrelation,
  type CorrelationType,
  type CountCondition,
  type SigmaRule,
} from './types.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const OPERATORS = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;

/** What a correlation needs to know about the other rules of the pack. */
export interface CorrelationContext {
  /** Every rule document of the pack (detections and correlations). */
  all: readonly SigmaRule[];
  /** Why a detection cannot run, by id (absent: it runs). */
  problems: ReadonlyMap<string, string>;
}

export type CorrelationCompilation =
  { ok: true; correlation: CompiledCorrelation } | { ok: false; reason: string };

export function compileCorrelation(rule: SigmaRule, context: CorrelationContext): CorrelationCompilation {
  try {
    return { ok: true, correlation: build(rule, context) };
  } catch (err) {
    if (!(err instanceof RuleProblem)) throw err;
    return { ok: false, reason: err.message };
  }
}

/** The base rules a correlation names (resolved ids), ignoring names that resolve to nothing. */
export function referencedRuleIds(rule: SigmaRule, all: readonly SigmaRule[]): string[] {
  return refList(rule.correlation.rules).flatMap((ref) => {
    try {
      return [resolveRef(ref, all).id];
    } catch (err) {
      if (err instanceof RuleProblem) return [];
      throw err;
    }
  });
}

function build(rule: SigmaRule, { all, problems }: CorrelationContext): CompiledCorrelation {
  const c = rule.correlation;
  const type = c.type;
  if (typeof type !== 'string' || !(CORRELATION_TYPES as readonly string[]).includes(type)) {
    throw new RuleProblem(
      `correlation type ${JSON.stringify(type)} is not one of ${CORRELATION_TYPES.join(', ')}`,
    );
  }
  const refs = refList(c.rules);
  if (refs.length === 0) throw new RuleProblem('a correlation needs "rules": the rules it correlates');
  const bases = refs.map((ref) => resolveRef(ref, all));
  for (const base of bases) {
    if (base.kind === 'correlation') {
      throw new RuleProblem(
        `it correlates the correlation rule "${base.title}" (${base.id}); chained correlations are not supported`,
      );
    }
    if (base.kind === 'filter') throw new RuleProblem(`"${base.title}" is a filter, not a detection rule`);
    const problem = problems.get(base.id);
    if (problem !== undefined) {
      throw new RuleProblem(`its base rule "${base.title}" (${base.id}) cannot run: ${problem}`);
    }
  }
  const ruleIds = [...new Set(bases.map((b) => b.id))];
  const groupBy = nameList(c['group-by'], 'group-by');
  const aliases = parseAliases(c.aliases, all);
  const groupFields: Record<string, string[][]> = {};
  for (const id of ruleIds) {
    groupFields[id] = groupBy.map((name) => {
      const alias = aliases.get(name);
      if (!alias) return fieldPath(name);
      const field = alias.get(id);
      if (field === undefined) {
        throw new RuleProblem(`alias "${name}" does not say which field of rule ${id} to read`);
      }
      return field;
    });
  }
  const { timespan, timespanMs } = parseTimespan(c.timespan);
  const { condition, field } = parseCondition(c.condition, type as CorrelationType, ruleIds.length);
  const generate = rule.generate ?? c.generate ?? false;
  if (typeof generate !== 'boolean') {
    throw new RuleProblem(`"generate: ${JSON.stringify(generate)}" is not true or false`);
  }
  return {
    id: rule.id,
    title: rule.title,
    level: rule.level,
    file: rule.file,
    references: rule.references,
    type: type as CorrelationType,
    rules: ruleIds,
    groupBy,
    groupFields,
    timespan,
    timespanMs,
    condition,
    ...(field ? { field } : {}),
    generate,
  };
}

function refList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.map((v) => String(v).trim()).filter((v) => v !== '');
}

function nameList(value: unknown, key: string): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === 'string' && v.trim() !== '')) {
    throw new RuleProblem(`"${key}" must be a field name or a list of field names`);
  }
  return list.map((v) => (v as string).trim());
}

/** A rule by id, then by name, then by a title no other rule has. */
function resolveRef(ref: string, all: readonly SigmaRule[]): SigmaRule {
  const byId = all.find((r) => r.id === ref);
  if (byId) return byId;
  const byName = all.filter((r) => r.name === ref);
  if (byName.length === 1) return byName[0] as SigmaRule;
  if (byName.length > 1) throw new RuleProblem(`${byName.length} rules are named "${ref}"`);
  const byTitle = all.filter((r) => r.title === ref);
  if (byTitle.length === 1) return byTitle[0] as SigmaRule;
  if (byTitle.length > 1) {
    throw new RuleProblem(`${byTitle.length} rules have the title "${ref}"; refer to one by id or name`);
  }
  throw new RuleProblem(`no loaded rule has the id, name or title "${ref}"`);
}

/** A CloudTrail field's path segments; unknown fields are refused (they would never have a value). */
function fieldPath(name: string): string[] {
  try {
    return resolveField(name).segments;
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    throw new RuleProblem(`"${name}" is not a CloudTrail field`);
  }
}

/** alias -> (base rule id -> field path). */
function parseAliases(value: unknown, all: readonly SigmaRule[]): Map<string, Map<string, string[]>> {
  const aliases = new Map<string, Map<string, string[]>>();
  if (value === undefined || value === null) return aliases;
  if (!isPlainObject(value)) throw new RuleProblem('"aliases" must map alias names to {rule: field}');
  for (const [alias, perRule] of Object.entries(value)) {
    if (!isPlainObject(perRule)) throw new RuleProblem(`alias "${alias}" must map rule names to fields`);
    const fields = new Map<string, string[]>();
    for (const [ref, field] of Object.entries(perRule)) {
      if (typeof field !== 'string')
        throw new RuleProblem(`alias "${alias}": the field of ${ref} is not a name`);
      fields.set(resolveRef(ref, all).id, fieldPath(field));
    }
    aliases.set(alias, fields);
  }
  return aliases;
}

function parseTimespan(value: unknown): { timespan: string; timespanMs: number } {
  const text = typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m || Number(m[1]) === 0) {
    throw new RuleProblem(
      `"timespan: ${String(value)}" is not a duration; write a number and s, m, h or d (e.g. 5m)`,
    );
  }
  return { timespan: text, timespanMs: Number(m[1]) * (UNIT_MS[m[2] as string] as number) };
}

function parseCondition(
  value: unknown,
  type: CorrelationType,
  ruleCount: number,
): { condition: CountCondition; field?: string[] } {
  if (value === undefined || value === null) {
    if (type === 'temporal' || type === 'temporal_ordered') return { condition: { gte: ruleCount } };
    throw new RuleProblem(`a ${type} correlation needs a condition (gt, gte, lt, lte or eq)`);
  }
  if (!isPlainObject(value)) throw new RuleProblem('"condition" must be a map such as {gte: 10}');
  const condition: CountCondition = {};
  let field: string[] | undefined;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'field') {
      if (type !== 'value_count' || typeof v !== 'string') {
        throw new RuleProblem('"condition.field" names a field, and only for value_count');
      }
      field = fieldPath(v);
      continue;
    }
    if (!(OPERATORS as readonly string[]).includes(key)) {
      throw new RuleProblem(`condition "${key}" is not one of ${OPERATORS.join(', ')}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RuleProblem(`condition "${key}: ${JSON.stringify(v)}" needs a number`);
    }
    condition[key as (typeof OPERATORS)[number]] = v;
  }
  if (Object.keys(condition).length === 0) {
    throw new RuleProblem('"condition" needs one of gt, gte, lt, lte, eq');
  }
  if (type === 'value_count' && !field) {
    throw new RuleProblem(
      'a value_count correlation needs "condition.field": the field whose values it counts',
    );
  }
  if (type === 'temporal_ordered' && !satisfiedOnlyByAll(condition, ruleCount)) {
    throw new RuleProblem(
      'a temporal_ordered condition other than "every rule" (no condition, or gte/eq the number of rules) is not supported',
    );
  }
  return field ? { condition, field } : { condition };
}

/** True when a count of distinct rules meets `condition` only at `n` (all of them). */
function satisfiedOnlyByAll(condition: CountCondition, n: number): boolean {
  for (let k = 0; k <= n; k++) if (meets(k, condition) !== (k === n)) return false;
  return true;
}

/** Whether `count` meets every bound of `condition`. */
export function meets(count: number, c: CountCondition): boolean {
  return (
    (c.gt === undefined || count > c.gt) &&
    (c.gte === undefined || count >= c.gte) &&
    (c.lt === undefined || count < c.lt) &&
    (c.lte === undefined || count <= c.lte) &&
    (c.eq === undefined || count === c.eq)
  );
}
