/**
 * A rule pack on Athena: one query per region that returns the candidate records together with
 * which rules each one matched, so the whole pack costs one scan of the data, not one per rule.
 *
 *   SELECT * FROM (
 *     SELECT <the engine's columns>,
 *            json_format(CAST(filter(ARRAY[if(<rule 1>, 1), if(<rule 2>, 2), ...], i -> i IS NOT NULL) AS JSON)) AS "sigma_rules"
 *     FROM <table> WHERE <partitions, window, filter>)
 *   WHERE "sigma_rules" <> '[]'
 *
 * `sigma_rules` holds the 1-based positions of the matched rules in the pack as JSON text
 * (`[1,3]`); `ruleIdsOfColumn` turns it back into rule ids. Each rule's condition is written once.
 * Rule ids never enter the SQL text (only positions, which are our own integers); every value of
 * every rule is a parameter, as for filters.
 */
import { regionQuery, type RegionQueryInput } from '../engines/athena/query-text.js';
import { ConfigurationError } from '../errors.js';
import { compileCondition, compileWhere, type CompiledSql, type SqlParams } from '../query/sql.js';
import type { CompiledRule, RulePack } from './types.js';

/** The extra result column: JSON array of the 1-based positions of the rules a row matched. */
export const RULES_COLUMN = 'sigma_rules';

/** The `sigma_rules` expression for `rules`, its placeholders registered on `params`. */
export function ruleMatchColumn(rules: readonly Pick<CompiledRule, 'query'>[], params: SqlParams): string {
  if (rules.length === 0) return `'[]'`;
  const hits = rules.map((rule, i) => `if(${compileCondition(rule.query, params)}, ${i + 1})`);
  return `json_format(CAST(filter(ARRAY[${hits.join(', ')}], i -> i IS NOT NULL) AS JSON))`;
}

/**
 * The region's query for a pack: `input.query` is the user's filter (it narrows; `all` when
 * none), the rules decide which rows come back. Built on the engine's own region query, so the
 * partition pruning and the window are the ones every search uses.
 */
export function rulePackRegionQuery(
  input: RegionQueryInput,
  rules: readonly Pick<CompiledRule, 'query'>[],
): CompiledSql {
  const inner = regionQuery(input, (params) => `${ruleMatchColumn(rules, params)} AS "${RULES_COLUMN}"`);
  return {
    sql: `SELECT * FROM (${inner.sql}) WHERE "${RULES_COLUMN}" <> '[]'`,
    parameters: inner.parameters,
  };
}

/** Rule ids from a `sigma_rules` cell (`[1,3]`), in pack order; unknown positions are a bug. */
export function ruleIdsOfColumn(
  cell: string | null | undefined,
  rules: readonly Pick<CompiledRule, 'id'>[],
): string[] {
  if (cell === null || cell === undefined || cell === '') return [];
  const positions: unknown = JSON.parse(cell);
  if (!Array.isArray(positions)) throw new Error(`unexpected ${RULES_COLUMN} value: ${cell}`);
  return positions.map((p) => {
    const rule = typeof p === 'number' ? rules[p - 1] : undefined;
    if (!rule) throw new Error(`unexpected rule position ${String(p)} in ${RULES_COLUMN}`);
    return rule.id;
  });
}

/**
 * The pack as the Athena engine can run it: rules testing a field the Athena table has no column
 * for (`managementEvent`, `userIdentity.identityProvider`...) move to `unsupported` with the
 * compiler's reason, so one such rule does not stop the others. The scan engine reads every field
 * and needs no such step.
 */
export function athenaRulePack(pack: RulePack): RulePack {
  const rules: CompiledRule[] = [];
  const unsupported = [...pack.unsupported];
  for (const rule of pack.rules) {
    try {
      compileWhere(rule.query);
      rules.push(rule);
    } catch (err) {
      if (!(err instanceof ConfigurationError)) throw err;
      unsupported.push({
        file: rule.file,
        id: rule.id,
        title: rule.title,
        reason: `on Athena: ${err.message}`,
      });
    }
  }
  if (rules.length === pack.rules.length) return pack;
  return {
    rules,
    unsupported,
    anyQuery:
      rules.length === 1
        ? (rules[0] as CompiledRule).query
        : { kind: 'or', children: rules.map((r) => r.query) },
  };
}
