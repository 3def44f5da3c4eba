/**
 * What a match carries beside the delivered record, the same on both engines and in one key
 * order: `matched_rules` (the Sigma rules it matched, in pack order), then `filtered_resource`
 * (the ARNs of the resources that satisfied the filter's `resources.*` conditions; the rules do
 * not change it, as they do not decide whether it is set).
 */
import type { QueryNode } from '../query/ast.js';
import { matchedResources } from '../query/predicate.js';
import { ruleRefs } from '../sigma/pack.js';
import type { CompiledRule } from '../sigma/types.js';

export interface Decoration {
  /** The filter (without the rules). */
  filter: QueryNode;
  /** The filter tests a `resources.*` field. */
  usesResources: boolean;
  rules?: readonly Pick<CompiledRule, 'id' | 'title' | 'level'>[];
}

/** Adds the match's fields to `record` (in place); returns whether it added any. */
export function decorateMatch(
  record: Record<string, unknown>,
  decoration: Decoration,
  ruleIds: readonly string[] | undefined,
): boolean {
  let added = false;
  if (ruleIds && decoration.rules) {
    record.matched_rules = ruleRefs(decoration.rules, ruleIds);
    added = true;
  }
  if (decoration.usesResources) {
    record.filtered_resource = matchedResources(decoration.filter, record);
    added = true;
  }
  return added;
}
