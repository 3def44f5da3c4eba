/**
 * A compiled pack of rules, evaluated in one pass: `anyQuery` (the OR of every rule) lets an
 * engine pre-select candidate records with one predicate or one SQL condition, and
 * `createRuleMatcher` says which rules a record matches. Pure; the pack is plain data.
 */
import { ConfigurationError } from '../errors.js';
import { compileRule } from './compile.js';
import { compileCorrelation, referencedRuleIds } from './correlation-compile.js';
import {
  SIGMA_LEVELS,
  ruleFileLabel,
  type CompiledCorrelation,
  type CompiledRule,
  type RulePack,
  type SigmaLevel,
  type SigmaRule,
  type UnsupportedRule,
} from './types.js';

export interface PackOptions {
  /** Refuse the whole pack (ConfigurationError naming the rule file) when any rule cannot run. */
  strict?: boolean;
}

export function compileRulePack(rules: readonly SigmaRule[], options: PackOptions = {}): RulePack {
  const unique = withoutCopies(rules);
  const compiled: CompiledRule[] = [];
  const unsupported: UnsupportedRule[] = [];
  const problems = new Map<string, string>();
  const refuse = (rule: SigmaRule, reason: string): void => {
    if (options.strict) {
      const label = ruleFileLabel(rule.file);
      throw new ConfigurationError(
        `${label}: rule "${rule.title}" (${rule.id}) cannot run on CloudTrail: ${reason}. Fix the rule, remove it, or turn strict mode off to skip it.`,
        label,
      );
    }
    unsupported.push({ file: rule.file, id: rule.id, title: rule.title, reason });
  };
  for (const rule of unique) {
    if (rule.kind === 'correlation') continue;
    const result = compileRule(rule);
    if (result.ok) compiled.push(result.rule);
    else {
      problems.set(rule.id, result.unsupported.reason);
      refuse(rule, result.unsupported.reason);
    }
  }
  // Correlations, and which base rules only feed them (`generate: false` everywhere they appear).
  const correlations: CompiledCorrelation[] = [];
  const generated = new Set<string>();
  const fed = new Set<string>();
  for (const rule of unique) {
    if (rule.kind !== 'correlation') continue;
    const result = compileCorrelation(rule, { all: unique, problems });
    if (result.ok) {
      correlations.push(result.correlation);
      for (const id of result.correlation.rules) fed.add(id);
    } else refuse(rule, result.reason);
    const generate = rule.generate ?? rule.correlation.generate;
    for (const id of referencedRuleIds(rule, unique)) if (generate === true) generated.add(id);
  }
  const referenced = new Set(
    unique.filter((r) => r.kind === 'correlation').flatMap((r) => referencedRuleIds(r, unique)),
  );
  const correlationOnly = new Set([...referenced].filter((id) => !generated.has(id)));
  // A base rule that only feeds correlations none of which can run has nothing to report.
  const running = compiled.filter((r) => !correlationOnly.has(r.id) || fed.has(r.id));
  return {
    rules: running,
    unsupported,
    correlations,
    correlationOnly: running.filter((r) => correlationOnly.has(r.id)).map((r) => r.id),
    anyQuery:
      running.length === 1
        ? (running[0] as CompiledRule).query
        : { kind: 'or', children: running.map((r) => r.query) },
  };
}

/**
 * One rule per id. Public rule sets embed a base rule in every correlation file that uses it: the
 * same id with the same content is one rule; the same id with other content is an error.
 */
function withoutCopies(rules: readonly SigmaRule[]): SigmaRule[] {
  const seen = new Map<string, SigmaRule>();
  const unique: SigmaRule[] = [];
  for (const rule of rules) {
    const other = seen.get(rule.id);
    if (other === undefined) {
      seen.set(rule.id, rule);
      unique.push(rule);
    } else if (other.fingerprint !== rule.fingerprint) {
      const label = ruleFileLabel(rule.file);
      throw new ConfigurationError(
        `${label}: rule id ${rule.id} is also the id of a different rule in ${JSON.stringify(other.file)}; every rule needs its own id (matches are reported by id). Make the two copies identical, remove one, or give it a new id.`,
        label,
      );
    }
  }
  return unique;
}

// ---------------------------------------------------------------------------------------------
// Matching: rule-dispatch.ts

export { createRuleMatcher, type RuleMatcher } from './rule-dispatch.js';

// ---------------------------------------------------------------------------------------------
// Levels

/** Parses a `min-level` input; the error lists the valid levels. */
export function parseMinLevel(text: string, field = 'min-level'): SigmaLevel {
  const level = text.trim().toLowerCase();
  if ((SIGMA_LEVELS as readonly string[]).includes(level)) return level as SigmaLevel;
  throw new ConfigurationError(
    `${field}: unknown level ${JSON.stringify(text)}; use one of ${SIGMA_LEVELS.join(', ')}.`,
    field,
  );
}

/**
 * True when `level` is `min` or above. A rule without a level counts as `informational` (the
 * lowest), so a gate at `min-level: low` or above ignores it.
 */
export function levelAtLeast(level: SigmaLevel | undefined, min: SigmaLevel): boolean {
  return SIGMA_LEVELS.indexOf(level ?? 'informational') >= SIGMA_LEVELS.indexOf(min);
}

/** Ids of the pack's rules at `min` or above: the rules a `fail-on-match` gate counts. */
export function ruleIdsAtLeast(
  rules: readonly Pick<CompiledRule, 'id' | 'level'>[],
  min: SigmaLevel,
): Set<string> {
  return new Set(rules.filter((r) => levelAtLeast(r.level, min)).map((r) => r.id));
}

/** What a matched record carries about its rules (`matched_rules`), in pack order. */
export interface RuleRef {
  id: string;
  title: string;
  level: string | null;
}

/** `matched_rules` for the ids a record matched. */
export function ruleRefs(
  rules: ReadonlyArray<Pick<CompiledRule, 'id' | 'title' | 'level'>>,
  ids: readonly string[],
): RuleRef[] {
  const wanted = new Set(ids);
  return rules
    .filter((r) => wanted.has(r.id))
    .map((r) => ({ id: r.id, title: r.title, level: r.level ?? null }));
}
