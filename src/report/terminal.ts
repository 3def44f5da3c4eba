/**
 * What the CLI prints: a table of the first matches, the one-line summary and a progress line.
 * Every CloudTrail value goes through sanitizeForTerminal before it is measured or printed.
 */
import type { EngineProgress, MatchedEvent } from '../engines/types.js';
import type { Summary } from './types.js';
import { sanitizeForTerminal } from './sanitize.js';
import { correlationAlerts, groupText } from './correlation-alerts.js';
import { formatBytes, formatCount, formatUsd, plural } from './format.js';
import { principalOf } from './summary.js';

export { sanitizeForTerminal } from './sanitize.js';
import { SEARCH_FAILURE_KEY } from '../engines/types.js';

const ELLIPSIS = '…';
const GAP = '  ';
const ANSI = { bold: '\u001b[1m', dim: '\u001b[2m', red: '\u001b[31m', reset: '\u001b[0m' };

interface Column {
  header: string;
  value(event: MatchedEvent): string;
  /** Narrowest the column may get when space is short. */
  min: number;
  color?: keyof typeof ANSI;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

const COLUMNS: Column[] = [
  { header: 'time', value: (e) => text(e.record.eventTime), min: 20, color: 'dim' },
  { header: 'region', value: (e) => text(e.record.awsRegion ?? e.region), min: 6 },
  { header: 'event', value: (e) => text(e.record.eventName), min: 8, color: 'bold' },
  { header: 'principal', value: (e) => principalOf(e.record), min: 10 },
  { header: 'source IP', value: (e) => text(e.record.sourceIPAddress), min: 7 },
  { header: 'error', value: (e) => text(e.record.errorCode), min: 5, color: 'red' },
  { header: 'event id', value: (e) => text(e.eventID ?? e.record.eventID), min: 6 },
];

/** Cuts to `width` characters (code points), ending with … when cut. */
export function truncate(value: string, width: number): string {
  const chars = Array.from(value);
  if (chars.length <= width) return value;
  if (width <= 0) return '';
  return chars.slice(0, width - 1).join('') + ELLIPSIS;
}

function padEnd(value: string, width: number): string {
  return value + ' '.repeat(Math.max(0, width - Array.from(value).length));
}

/**
 * Column widths that fit `width`: the widest columns give way first, down to their minimum; on a
 * very narrow terminal every column may then shrink to one character.
 */
function fitWidths(natural: number[], mins: number[], width: number): number[] {
  const widths = [...natural];
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
  for (const floor of [mins, mins.map(() => 1)]) {
    while (total() > width) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) {
        if (widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      }
      if (widest < 0) break;
      widths[widest]!--;
    }
  }
  return widths;
}

/** The matches as an aligned table, at most `width` columns wide (default 120). */
export function formatMatchesTable(
  events: readonly MatchedEvent[],
  options: { width?: number; color?: boolean } = {},
): string {
  const width = Math.max(COLUMNS.length * (1 + GAP.length), options.width ?? 120);
  const color = options.color ?? false;
  const rows = events.map((e) => COLUMNS.map((c) => sanitizeForTerminal(c.value(e))));
  const natural = COLUMNS.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => Array.from(r[i]!).length)),
  );
  const widths = fitWidths(
    natural,
    // A column keeps its header readable before it gives way to a narrow terminal.
    COLUMNS.map((c, i) => Math.min(Math.max(c.min, c.header.length), natural[i]!)),
    width,
  );
  const paint = (value: string, style: keyof typeof ANSI | undefined) =>
    color && style && value.trim() !== '' ? `${ANSI[style]}${value}${ANSI.reset}` : value;
  const line = (cells: string[], styles: Array<keyof typeof ANSI | undefined>) =>
    cells
      .map((cell, i) => {
        const last = i === cells.length - 1;
        const cut = truncate(cell, widths[i]!);
        return paint(last ? cut : padEnd(cut, widths[i]!), styles[i]);
      })
      .join(GAP)
      .trimEnd();
  const header = line(
    COLUMNS.map((c) => c.header),
    COLUMNS.map(() => 'bold' as const),
  );
  return [
    header,
    ...rows.map((r) =>
      line(
        r,
        COLUMNS.map((c) => c.color),
      ),
    ),
  ].join('\n');
}

function incompleteReason(summary: Summary): string {
  const reasons: string[] = [];
  const search = summary.failures.filter((f) => f.key === SEARCH_FAILURE_KEY);
  for (const f of search) reasons.push(`search failed: ${sanitizeForTerminal(f.reason)}`);
  const objects = summary.failures.length - search.length;
  if (objects > 0) reasons.push(`${plural(objects, 'object')} could not be read`);
  const regions = summary.regionBreakdown.filter((r) => r.status !== 'complete');
  if (regions.length > 0) {
    reasons.push(`${regions.map((r) => `${sanitizeForTerminal(r.region)} ${r.status}`).join(', ')}`);
  }
  return reasons.length > 0 ? `INCOMPLETE: ${reasons.join('; ')}` : 'INCOMPLETE';
}

/**
 * One line saying what was found and how sure it is, e.g.
 * `12 matches (3 duplicates dropped) in 48 objects / 1.2 MB / 10,345 records over
 * 2023-07-10T00:00:00Z → 2023-07-11T00:00:00Z; complete`.
 */
export function formatSummaryLine(summary: Summary): string {
  const found =
    summary.rulesEvaluated !== undefined
      ? `${plural(summary.matches, 'detection')} by ${summary.rules?.length ?? 0} of ${plural(summary.rulesEvaluated, 'rule')}`
      : summary.filter === null
        ? `export of every event in the window (no filter): ${plural(summary.matches, 'event')}`
        : plural(summary.matches, 'match', 'matches');
  const alerts = correlationAlerts(summary).length;
  const correlated = summary.correlations ? `, ${plural(alerts, 'correlation alert')}` : '';
  const dupes =
    summary.duplicatesDropped > 0 ? ` (${plural(summary.duplicatesDropped, 'duplicate')} dropped)` : '';
  const s = summary.scanned;
  const read =
    summary.engine === 'athena'
      ? `${formatBytes(s.bytesScanned ?? 0)} scanned by Athena${s.costUsd !== undefined ? ` (about ${formatUsd(s.costUsd)})` : ''}`
      : `${plural(s.objects, 'object')} / ${formatBytes(s.bytes)} / ${plural(s.records, 'record')}`;
  const window = `${sanitizeForTerminal(summary.window.since)} → ${sanitizeForTerminal(summary.window.until)}`;
  const status = summary.complete ? 'complete' : incompleteReason(summary);
  return `${found}${correlated}${dupes} in ${read} over ${window}; ${status}`;
}

export interface Progress {
  update(p: EngineProgress): void;
  /** Clears the line; call once at the end. */
  done(): void;
}

interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/**
 * A progress line (objects and bytes) redrawn in place at most every `intervalMs`, only when the
 * stream is a terminal; elsewhere (CI logs, pipes) nothing is written.
 */
export function createProgress(
  stream: ProgressStream,
  options: { intervalMs?: number; now?: () => number } = {},
): Progress {
  if (!stream.isTTY) return { update() {}, done() {} };
  const intervalMs = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  let last = -Infinity;
  let drawn = false;
  return {
    update(p) {
      const t = now();
      if (t - last < intervalMs) return;
      last = t;
      const pct = p.bytesTotal > 0 ? ` ${Math.floor((100 * p.bytesDone) / p.bytesTotal)}%` : '';
      const line = `searching: ${formatCount(p.objectsDone)}/${formatCount(p.objectsTotal)} objects, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}${pct}`;
      const columns = stream.columns ?? 80;
      stream.write(`\r\u001b[2K${truncate(line, Math.max(10, columns - 1))}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\u001b[2K');
      drawn = false;
    },
  };
}

/**
 * Sigma runs: one line per matched rule (level, matches, title), highest level first, at most
 * `maxRules`; rule titles come from rule files, so they are sanitised like log values.
 */
export function formatRulesTable(summary: Summary, maxRules = 20): string {
  const rules = summary.rules ?? [];
  const alerts = formatAlertsTable(summary, maxRules);
  if (rules.length === 0) return alerts;
  const lines = rules.slice(0, maxRules).map((r) => {
    const level = (r.level ?? 'none').padEnd(13);
    const n = String(r.count).padStart(7);
    return `${sanitizeForTerminal(level)} ${n}  ${sanitizeForTerminal(truncate(r.title, 100))}`;
  });
  const more = rules.length > maxRules ? [`… and ${rules.length - maxRules} more rules in summary.json`] : [];
  const table = [`${'level'.padEnd(13)} ${'matches'.padStart(7)}  rule`, ...lines, ...more].join('\n');
  return alerts ? `${alerts}\n${table}` : table;
}

/** Correlation alerts, shown before the rules: level, events, correlation, group, time span. */
function formatAlertsTable(summary: Summary, max: number): string {
  const all = correlationAlerts(summary);
  if (all.length === 0) return '';
  const lines = all.slice(0, max).map(({ correlation: c, alert: a }) => {
    const level = (c.level ?? 'none').padEnd(13);
    const n = String(a.count).padStart(7);
    const what = `${truncate(c.title, 80)} [${truncate(groupText(a.group), 80)}] ${a.firstSeen} → ${a.lastSeen}`;
    return `${sanitizeForTerminal(level)} ${n}  ${sanitizeForTerminal(what)}`;
  });
  const more = all.length > max ? [`… and ${all.length - max} more correlation alerts in summary.json`] : [];
  return [`${'level'.padEnd(13)} ${'events'.padStart(7)}  correlation alert`, ...lines, ...more].join('\n');
}
