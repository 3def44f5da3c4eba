/**
 * What the Athena engine will run for an investigation over discovered locations, as pure data:
 * the dry-run plan (`--dry-run`) and the engine share these functions, so the plan is exactly
 * what a real run sends (SQL text and ExecutionParameters as quoted literals).
 */
import type { Investigation } from '../../investigation.js';
import { executionParameters } from '../../query/sql-literal.js';
import { scopeWarnings } from '../../source/planner.js';
import { noun } from '../../report/format.js';
import type { LogLocation } from '../../source/trail.js';
import {
  createDatabaseDdl,
  createTableDdl,
  isRegionName,
  validateDatabaseName,
  type TableSpec,
} from './ddl.js';
import { regionQuery } from './query-text.js';
import { athenaRulePack, rulePackRegionQuery } from '../../sigma/sql.js';
import type { RulePack } from '../../sigma/types.js';
import { tableNameFor } from './table-name.js';

export interface PlannedQuery {
  region: string;
  /** `database.table` queried. */
  table: string;
  sql: string;
  /** ExecutionParameters exactly as sent (each a quoted SQL string literal). */
  parameters: string[];
}

export interface AthenaPlan {
  engine: 'athena';
  ddl: string[];
  queries: PlannedQuery[];
  warnings: string[];
}

/** Where a location's account folders are, for messages: `s3://bucket/prefix/AWSLogs/[o-…/]`. */
function accountsFolder(location: LogLocation): string {
  return `${location.description}/AWSLogs/${location.orgId ? `${location.orgId}/` : ''}`;
}

/** The table a location needs; undefined (with a reason) when it holds nothing to query. */
export function tableSpecFor(inv: Investigation, location: LogLocation): TableSpec | string {
  const regions = location.regions.filter(isRegionName);
  if (location.accounts.length === 0) return `no account folders with logs under ${accountsFolder(location)}`;
  if (regions.length === 0) return `no region folders with logs under ${accountsFolder(location)}`;
  return {
    database: validateDatabaseName(inv.athena.database),
    table: tableNameFor(location),
    bucket: location.bucket,
    prefix: location.prefix,
    ...(location.orgId ? { orgId: location.orgId } : {}),
    accounts: location.accounts,
    regions,
  };
}

/** Regions to query in a location: the asked ones it has, or all it has. */
export function regionsToQuery(inv: Investigation, location: LogLocation): string[] {
  const present = location.regions.filter(isRegionName);
  return inv.regions === 'all' ? present : inv.regions.filter((r) => present.includes(r));
}

/**
 * Asked regions without logs, one warning per bucket and prefix: a region one layout lacks but
 * another has (an organization's folders beside plain ones) is not missing.
 */
export function missingRegionWarnings(inv: Investigation, locations: LogLocation[]): string[] {
  if (inv.regions === 'all') return [];
  const asked = inv.regions;
  const descriptions = [...new Set(locations.map((l) => l.description))];
  return descriptions.flatMap((description) => {
    const present = new Set(locations.filter((l) => l.description === description).flatMap((l) => l.regions));
    const missing = asked.filter((r) => !present.has(r));
    return missing.length > 0
      ? [`no logs for ${noun(missing.length, 'region')} ${missing.join(', ')} in ${description}.`]
      : [];
  });
}

/** The SELECT of one region of one table. */
export function plannedQuery(
  inv: Investigation,
  spec: TableSpec,
  location: LogLocation,
  region: string,
): { sql: string; parameters: string[] } {
  const input = {
    database: spec.database,
    table: spec.table,
    region,
    // 'all': every account the table projects has logs here, no predicate needed. Otherwise the
    // asked accounts that have logs (a reused table may project more).
    accounts: inv.accounts === 'all' ? ('all' as const) : location.accounts,
    window: inv.window,
    query: inv.query,
    ...(inv.delivery ? { delivery: { from: inv.delivery.from, to: inv.delivery.to } } : {}),
  };
  // With Sigma rules the filter narrows and one extra column says which rules each row matched.
  return inv.rules ? rulePackRegionQuery(input, athenaRules(inv.rules).rules) : regionQuery(input);
}

const athenaPacks = new WeakMap<RulePack, RulePack>();

/** The part of a rule pack Athena can run (rules on fields without a column are left out). */
export function athenaRules(pack: RulePack): RulePack {
  let runnable = athenaPacks.get(pack);
  if (!runnable) athenaPacks.set(pack, (runnable = athenaRulePack(pack)));
  return runnable;
}

/** Rules of the pack that Athena cannot run, as warnings (the scan engine runs them). */
export function athenaRuleWarnings(inv: Investigation): string[] {
  if (!inv.rules) return [];
  const before = new Set(inv.rules.unsupported.map((u) => `${u.file}#${u.id ?? ''}`));
  return athenaRules(inv.rules)
    .unsupported.filter((u) => !before.has(`${u.file}#${u.id ?? ''}`))
    .map(
      (u) =>
        `Rule ${u.title ?? u.id ?? u.file} cannot run on Athena (${u.reason}); use --engine scan to evaluate it.`,
    );
}

/**
 * Warnings about the scope itself, the scan engine's own (a region list leaving out us-east-1
 * misses every global-service event), so both engines warn alike.
 */
export function athenaScopeWarnings(inv: Investigation): string[] {
  return scopeWarnings({ regions: inv.regions, accounts: inv.accounts });
}

export function planAthena(inv: Investigation, locations: LogLocation[]): AthenaPlan {
  const plan: AthenaPlan = {
    engine: 'athena',
    ddl: [createDatabaseDdl(inv.athena.database)],
    queries: [],
    warnings: [...athenaScopeWarnings(inv), ...athenaRuleWarnings(inv)],
  };
  plan.warnings.push(...missingRegionWarnings(inv, locations));
  for (const location of locations) {
    plan.warnings.push(...location.warnings);
    const spec = tableSpecFor(inv, location);
    if (typeof spec === 'string') {
      plan.warnings.push(spec);
      continue;
    }
    plan.ddl.push(createTableDdl(spec));
    for (const region of regionsToQuery(inv, location)) {
      const q = plannedQuery(inv, spec, location, region);
      plan.queries.push({
        region,
        table: `${spec.database}.${spec.table}`,
        sql: q.sql,
        parameters: executionParameters(q.parameters),
      });
    }
  }
  return plan;
}
