/**
 * The data of Sigma support: a rule as read from YAML, a rule compiled to the query AST, and a
 * compiled pack. Plain JSON data only, so a pack can be posted to worker threads and written
 * into plan.json.
 */
import type { QueryNode } from '../query/ast.js';

/** Sigma's levels, lowest first. */
export const SIGMA_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type SigmaLevel = (typeof SIGMA_LEVELS)[number];

/** Where a rule's text came from: a file path, or `builtin:<pack>`. */
export interface RuleSource {
  /** The file (or `builtin:<name>`) the text came from, for messages. */
  file: string;
  text: string;
}

/**
 * The `field` of errors about a rule file. Here, not in parse.ts, so the scan worker (which
 * compiles packs) does not bundle the YAML parser.
 */
export function ruleFileLabel(file: string): string {
  return `rule file ${JSON.stringify(file)}`;
}

/** One Sigma rule document, typed but not yet compiled. */
export interface SigmaRule {
  file: string;
  /** 0-based index of the document in a multi-document file. */
  document: number;
  /** The rule's `id`; rules without one get `<file>#<document>` so results can still name them. */
  id: string;
  title: string;
  level: SigmaLevel | undefined;
  status: string | undefined;
  description: string | undefined;
  references: string[];
  tags: string[];
  logsource: { product?: string; service?: string; category?: string };
  /** The `detection` map as written (selections, `condition`, maybe `timeframe`). */
  detection: Record<string, unknown>;
  /** Set for documents that are not single-event detections (correlation rules, filters). */
  kind: 'detection' | 'correlation' | 'filter';
}

/** A rule turned into one query over single CloudTrail records. */
export interface CompiledRule {
  id: string;
  title: string;
  level: SigmaLevel | undefined;
  file: string;
  references: string[];
  tags: string[];
  query: QueryNode;
}

/** A rule that cannot run on CloudTrail records, and why. */
export interface UnsupportedRule {
  file: string;
  id: string | undefined;
  title: string | undefined;
  reason: string;
}

export interface RulePack {
  rules: CompiledRule[];
  unsupported: UnsupportedRule[];
  /** OR of every rule's query: one predicate (or SQL condition) that pre-selects candidates. */
  anyQuery: QueryNode;
}
