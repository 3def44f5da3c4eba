/**
 * A rule pack on Athena: one query per region that returns every record matching ANY rule of the
 * pack (and the user's filter), so the whole pack costs one scan of the data, not one per rule.
 *
 *   SELECT <the engine's columns> FROM <table>
 *   WHERE <partitions, window> AND <filter> AND (<rule 1> OR <rule 2> OR ...)
 *
 * Every value of every rule is a parameter, and Athena accepts `?` parameters only in the WHERE
 * clause ("Syntax like SELECT ? FROM table is not supported", docs/athena.md): which rules a row
 * matched is therefore decided in process, by the scan engine's own predicates run on the record
 * read back (`createRuleMatcher`, sigma/pack.ts), never by a computed column.
 */
import type { RegionQueryInput } from '../engines/athena/query-text.js';
import { regionQuery } from '../engines/athena/query-text.js';
import { ConfigurationError } from '../errors.js';
import type { QueryNode } from '../query/ast.js';
import { compileWhere, type CompiledSql } from '../query/sql.js';
import type { CompiledRule, RulePack } from './types.js';

/** The OR of the rules' queries (FALSE for none). */
function anyRule(rules: readonly Pick<CompiledRule, 'query'>[]): QueryNode {
  if (rules.length === 1) return (rules[0] as Pick<CompiledRule, 'query'>).query;
  return { kind: 'or', children: rules.map((r) => r.query) };
}

/**
 * The region's query for a pack: `input.query` is the user's filter (it narrows; `all` when
 * none), and a row comes back when it also matches some rule. Built on the engine's own region
 * query, so the partition pruning and the window are the ones every search uses.
 */
export function rulePackRegionQuery(
  input: RegionQueryInput,
  rules: readonly Pick<CompiledRule, 'query'>[],
): CompiledSql {
  const rulesQuery = anyRule(rules);
  const query: QueryNode =
    input.query.kind === 'all' ? rulesQuery : { kind: 'and', children: [input.query, rulesQuery] };
  return regionQuery({ ...input, query });
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
