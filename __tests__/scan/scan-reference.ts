/**
 * Test helpers for the scan engine's readers: the spec of a query, and an independent reference
 * (JSON.parse everything, then compilePredicate and the window, as a person would write it).
 */
import type { QueryNode } from '../../src/query/ast.js';
import { compilePredicate } from '../../src/query/predicate.js';
import type { MatcherSpec } from '../../src/engines/scan/scan-object.js';

export const WIDE_WINDOW = { since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z' };

export function specFor(query: QueryNode, window = WIDE_WINDOW): MatcherSpec {
  return {
    query,
    usesResources: false,
    since: window.since,
    until: window.until,
    regions: 'all',
    accounts: 'all',
  };
}

/** What should match: objects with a readable eventTime in the window that pass the predicate. */
export function referenceMatches(
  records: readonly unknown[],
  query: QueryNode,
  window = WIDE_WINDOW,
): Record<string, unknown>[] {
  const predicate = compilePredicate(query);
  return records.filter((r): r is Record<string, unknown> => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
    const record = r as Record<string, unknown>;
    const t = record.eventTime;
    if (typeof t !== 'string') return false;
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) return false;
    const sec = Math.floor(ms / 1000) * 1000;
    return sec >= Date.parse(window.since) && sec < Date.parse(window.until) && predicate(record);
  });
}
