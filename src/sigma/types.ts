/**
 * The data of Sigma support: a rule as read from YAML, a rule compiled to the query AST, and a
 * compiled pack. Plain JSON data only, so a pack can be posted to worker threads and written
 * into plan.json.
 */
import type { QueryNode } from '../query/ast.js';

/** Sigma's levels, lowest first. */
export const SIGMA_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type SigmaLevel = (typeof SIGMA_LEVELS)[number];

/** A level's rank for ordering (informational 0 … critical 4); none or unknown: -1. */
export function levelRank(level: string | null | undefined): number {
  return level ? (SIGMA_LEVELS as readonly string[]).indexOf(level) : -1;
}

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
  /** Sigma 2's `name`: how correlation rules may refer to this rule. */
  name: string | undefined;
  /** The `correlation` map of a correlation rule ({} otherwise). */
  correlation: Record<string, unknown>;
  /** The `generate` key as written (correlation rules). */
  generate: unknown;
  /** The document's content as canonical JSON (keys sorted): two copies of one rule are equal. */
  fingerprint: string;
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

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';
export const CORRELATION_TYPES: readonly CorrelationType[] = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
];

/** A correlation's `condition`: every bound given must hold (`gt: 100, lte: 200` = a range). */
export interface CountCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
}

/** A Sigma correlation rule ready to evaluate over its base rules' matches. */
export interface CompiledCorrelation {
  id: string;
  title: string;
  level: SigmaLevel | undefined;
  file: string;
  references: string[];
  type: CorrelationType;
  /** Ids of the base rules (detections of the pack), in the order written. */
  rules: string[];
  /** The group-by names as written (alert groups are keyed by them). */
  groupBy: string[];
  /** Per base rule id: the CloudTrail field path read for each group-by name (aliases applied). */
  groupFields: Record<string, string[][]>;
  timespan: string;
  timespanMs: number;
  condition: CountCondition;
  /** value_count: the field whose distinct values are counted (CloudTrail path segments). */
  field?: string[];
  generate: boolean;
}

export interface RulePack {
  /** Detections, including correlations' base rules (the engines tag every match with them). */
  rules: CompiledRule[];
  unsupported: UnsupportedRule[];
  /** Correlation rules, run over the matches of their base rules (absent or empty: none). */
  correlations?: CompiledCorrelation[];
  /**
   * Ids of base rules that only feed correlations (`generate: false`, the default): their matches
   * are not detections of their own.
   */
  correlationOnly?: string[];
  /** OR of every rule's query: one predicate (or SQL condition) that pre-selects candidates. */
  anyQuery: QueryNode;
}
