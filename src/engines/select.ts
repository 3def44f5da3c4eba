/**
 * `--engine auto`: the documented rule that picks an engine, and the reason shown in summaries.
 * Searches choose through choose-engine.ts, which estimates both engines' cost over S3 and falls
 * back on this rule when no estimate can be made.
 *
 * - A local folder: scan (Athena reads S3 only).
 * - S3 or a trail, window up to AUTO_SCAN_MAX_DAYS: scan — a few days of one account's logs are
 *   minutes of reading at most, need only s3:GetObject, and cost nothing but GETs.
 * - S3 or a trail, longer window: Athena — it reads only the partitions of the window, in
 *   parallel per region, and scales to months and organization trails — unless the filter is one
 *   Athena cannot run (a field the table has no column for): then scan, which reads every field.
 */
import { ConfigurationError } from '../errors.js';
import type { Investigation } from '../investigation.js';
import type { QueryNode } from '../query/ast.js';
import { compileWhere } from '../query/sql.js';

export const AUTO_SCAN_MAX_DAYS = 7;

export interface EngineChoice {
  engine: 'scan' | 'athena';
  reason: string;
}

function days(inv: Investigation): number {
  return (inv.window.until.getTime() - inv.window.since.getTime()) / 86_400_000;
}

function formatDays(d: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  return d >= 1 ? plural(Number(d.toFixed(2)), 'day') : plural(Number((d * 24).toFixed(2)), 'hour');
}

/** Why Athena cannot run this filter (the SQL compiler's own message), or undefined when it can. */
export function athenaCannotRun(query: QueryNode): string | undefined {
  try {
    compileWhere(query);
    return undefined;
  } catch (err) {
    if (err instanceof ConfigurationError)
      return err.message.replace(/\s*Use --engine scan\b.*$/s, '').replace(/\.$/, '');
    throw err;
  }
}

export function chooseEngine(inv: Investigation): EngineChoice {
  if (inv.engine !== 'auto') return { engine: inv.engine, reason: `${inv.engine} engine requested` };
  if (inv.source.kind === 'local') {
    return { engine: 'scan', reason: 'auto: local folder (only the scan engine reads local files)' };
  }
  const d = days(inv);
  if (d <= AUTO_SCAN_MAX_DAYS) {
    return {
      engine: 'scan',
      reason: `auto: window of ${formatDays(d)} is at most ${AUTO_SCAN_MAX_DAYS} days, so reading the objects directly is fastest`,
    };
  }
  const blocker = athenaCannotRun(inv.query);
  if (blocker !== undefined) {
    return {
      engine: 'scan',
      reason: `auto: window of ${formatDays(d)}, but only the scan engine can run this filter: ${blocker}`,
    };
  }
  return {
    engine: 'athena',
    reason: `auto: window of ${formatDays(d)} is longer than ${AUTO_SCAN_MAX_DAYS} days, so Athena reads the window's partitions in parallel`,
  };
}
