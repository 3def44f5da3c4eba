/**
 * What the CLI prints: a table of the first matches, the one-line summary and a progress line.
 * Every CloudTrail value goes through sanitizeForTerminal before it is measured or printed.
 */
import path from 'node:path';
import type { EngineProgress, MatchedEvent } from '../engines/types.js';
import type { Summary } from './types.js';
import { sanitizeForTerminal } from './sanitize.js';
import { correlationAlerts, groupText } from './correlation-alerts.js';
import { formatBytes, formatCount, formatUsd, plural } from './format.js';
import { eventStatus, principalShort } from './event-view.js';

export { sanitizeForTerminal } from './sanitize.js';
import { SEARCH_FAILURE_KEY } from '../engines/types.js';

const ELLIPSIS = '…';
const GAP = '  ';
const ANSI = { bold: '\u001b[1m', dim: '\u001b[2m', red: '\u001b[31m', reset: '\u001b[0m' };
type Style = keyof typeof ANSI;
const PRINCIPAL = 'principal';
/** Longer than any real CloudTrail value shown here: hostile, cut even in `--wide`. */
const MAX_CELL = 1000;
/** Longer than any IAM name (a role name and a session name are at most 64 each): hostile, cut. */
const MAX_PRINCIPAL = 300;

/** Sigma runs: what the table shows of the rules an event matched. */
export interface RuleInfo {
  title: string;
  level: string | null;
}

export interface TableOptions {
  /** Terminal width in columns (default 120). */
  width?: number;
  color?: boolean;
  /** Every column at full width, whatever the terminal's width (`--wide`). */
  wide?: boolean;
  /** Sigma runs: rule id -> title and level; adds the level and rule columns. */
  rules?: ReadonlyMap<string, RuleInfo>;
}

interface Column {
  header: string;
  value(event: MatchedEvent): string;
  /** When space is short, columns are dropped lowest first; without it, never dropped. */
  drop?: number;
  /** How narrow the column may be cut once nothing is left to drop; without it, never cut. */
  min?: number;
  style?(value: string): Style | undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const LEVEL_RANK: Record<string, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The rules an event matched, highest level first (then as the pack lists them). */
function rulesOf(event: MatchedEvent, rules: ReadonlyMap<string, RuleInfo>): RuleInfo[] {
  const found = (event.ruleIds ?? []).flatMap((id) => {
    const r = rules.get(id);
    return r ? [r] : [];
  });
  return found.sort((a, b) => (LEVEL_RANK[b.level ?? ''] ?? -1) - (LEVEL_RANK[a.level ?? ''] ?? -1));
}

const isFailure = (status: string): Style | undefined => (status === 'ok' ? undefined : 'red');

/**
 * The columns, in display order. The answer comes first (when, what, who, whether it worked);
 * the event id, user agent, account, region and source IP give way, in that order, to a narrow
 * terminal before anything is cut. The principal's short form and the time are never cut.
 */
function columnsFor(rules: ReadonlyMap<string, RuleInfo> | undefined): Column[] {
  const ruleColumns: Column[] = rules
    ? [
        {
          header: 'level',
          value: (e) => rulesOf(e, rules)[0]?.level ?? '',
          style: (v) => (v === 'critical' || v === 'high' ? 'red' : 'bold'),
        },
      ]
    : [];
  const ruleTitle: Column[] = rules
    ? [
        {
          header: 'rule',
          value: (e) => {
            const [first, ...more] = rulesOf(e, rules);
            return first ? `${first.title}${more.length > 0 ? ` (+${more.length})` : ''}` : '';
          },
          min: 16,
        },
      ]
    : [];
  return [
    ...ruleColumns,
    { header: 'time', value: (e) => text(e.fields?.eventTime ?? e.record.eventTime), style: () => 'dim' },
    ...ruleTitle,
    { header: 'event', value: (e) => text(e.record.eventName), min: 10, style: () => 'bold' },
    // Never cut, but bounded: a real short form is at most a role and a session name.
    { header: PRINCIPAL, value: (e) => truncate(principalShort(e.record), MAX_PRINCIPAL) },
    { header: 'status', value: (e) => eventStatus(e.record).text, min: 8, style: isFailure },
    { header: 'source IP', value: (e) => text(e.record.sourceIPAddress), drop: 5 },
    { header: 'region', value: (e) => text(e.record.awsRegion ?? e.region), drop: 4 },
    {
      header: 'account',
      value: (e) => text(e.record.recipientAccountId ?? obj(e.record.userIdentity)?.accountId),
      drop: 3,
    },
    { header: 'user agent', value: (e) => text(e.record.userAgent), drop: 2 },
    { header: 'event id', value: (e) => text(e.eventID ?? e.record.eventID), drop: 1 },
  ];
}

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

const lineWidth = (widths: readonly number[]) =>
  widths.reduce((a, b) => a + b, 0) + GAP.length * Math.max(0, widths.length - 1);

/**
 * The columns among `indices` to show and how wide, to fit `width`: all at full width when they
 * fit; else columns are dropped by priority; then those that may be cut give way, widest first,
 * down to their minimum.
 */
function fit(
  columns: readonly Column[],
  natural: readonly number[],
  indices: readonly number[],
  width: number,
): { shown: number[]; widths: number[] } {
  let shown = [...indices];
  const droppable = shown
    .filter((i) => columns[i]!.drop !== undefined)
    .sort((a, b) => columns[a]!.drop! - columns[b]!.drop!);
  for (const i of droppable) {
    if (lineWidth(shown.map((j) => natural[j]!)) <= width) break;
    shown = shown.filter((j) => j !== i);
  }
  const widths = shown.map((i) => natural[i]!);
  const floor = shown.map((i, k) => {
    const min = columns[i]!.min;
    return min === undefined ? widths[k]! : Math.min(widths[k]!, Math.max(min, columns[i]!.header.length));
  });
  while (lineWidth(widths) > width) {
    let widest = -1;
    for (let k = 0; k < widths.length; k++) {
      if (widths[k]! > floor[k]! && (widest < 0 || widths[k]! > widths[widest]!)) widest = k;
    }
    if (widest < 0) break;
    widths[widest]!--;
  }
  return { shown, widths };
}

/** What the principal column keeps for itself when it must run past the edge (see layout). */
const OVERFLOW_RESERVE = 24;

/**
 * The table's layout. When even the narrowest table is wider than the terminal, the columns
 * that are never cut cannot all fit: the principal then moves to the end of the line, the other
 * columns fit what is left, and a long principal runs past the edge whole (the terminal wraps
 * it) instead of being cut or pushing the other columns out of line.
 */
function layout(
  columns: readonly Column[],
  natural: readonly number[],
  width: number,
  wide: boolean,
): { shown: number[]; widths: number[] } {
  const all = columns.map((_, i) => i);
  if (wide) return { shown: all, widths: [...natural] };
  const first = fit(columns, natural, all, width);
  const principal = columns.findIndex((c) => c.header === PRINCIPAL);
  if (lineWidth(first.widths) <= width || principal < 0) return first;
  const reserve = Math.min(natural[principal]!, OVERFLOW_RESERVE);
  const rest = fit(
    columns,
    natural,
    all.filter((i) => i !== principal),
    width - GAP.length - reserve,
  );
  return { shown: [...rest.shown, principal], widths: [...rest.widths, natural[principal]!] };
}

/**
 * The matches as an aligned table that fits `width` columns: see {@link layout}. Values are
 * sanitised before they are measured.
 */
export function formatMatchesTable(events: readonly MatchedEvent[], options: TableOptions = {}): string {
  const width = options.width ?? 120;
  const color = options.color ?? false;
  const all = columnsFor(options.rules);
  const cells = events.map((e) => all.map((c) => sanitizeForTerminal(truncate(c.value(e), MAX_CELL))));
  // An empty column (no user agent in any row) says nothing: left out.
  const present = all
    .map((_, i) => i)
    .filter((i) => cells.length === 0 || cells.some((row) => row[i] !== ''));
  const columns = present.map((i) => all[i]!);
  const rows = cells.map((row) => present.map((i) => row[i]!));
  const natural = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => Array.from(r[i]!).length)),
  );
  const { shown, widths } = layout(columns, natural, width, options.wide ?? false);
  const paint = (value: string, style: Style | undefined) =>
    color && style && value.trim() !== '' ? `${ANSI[style]}${value}${ANSI.reset}` : value;
  const line = (values: string[], styles: Array<Style | undefined>) =>
    values
      .map((value, k) => {
        const cut = truncate(value, widths[k]!);
        return paint(k === values.length - 1 ? cut : padEnd(cut, widths[k]!), styles[k]);
      })
      .join(GAP)
      .trimEnd();
  const header = line(
    shown.map((i) => columns[i]!.header),
    shown.map(() => 'bold' as const),
  );
  return [
    header,
    ...rows.map((r) =>
      line(
        shown.map((i) => r[i]!),
        shown.map((i) => columns[i]!.style?.(r[i]!)),
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

/** Seconds as `45s`, `3m05s`, `2h07m`. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The rate is measured over this much recent time, so it follows a run that speeds up or stalls. */
const RATE_WINDOW_MS = 10_000;
/** A rate over less time than this says little: none is shown yet. */
const MIN_RATE_SPAN_MS = 1_000;

/** The progress line's text: counts, bytes, rate and, once listing is done, the share and an ETA. */
export function progressText(p: EngineProgress, bytesPerSecond: number | undefined): string {
  if (p.unit === 'queries') {
    return `searching: ${formatCount(p.objectsDone)}/${plural(p.objectsTotal, 'region query', 'region queries')}, ${formatBytes(p.bytesDone)} scanned`;
  }
  const rate = bytesPerSecond !== undefined ? `, ${formatBytes(bytesPerSecond)}/s` : '';
  if (!p.listingDone) {
    return `searching: ${formatCount(p.objectsDone)} of ${plural(p.objectsTotal, 'object')} listed so far (still listing), ${formatBytes(p.bytesDone)} read${rate}`;
  }
  const pct = p.bytesTotal > 0 ? ` ${Math.floor((100 * p.bytesDone) / p.bytesTotal)}%` : '';
  const eta =
    bytesPerSecond !== undefined && bytesPerSecond > 0 && p.bytesTotal > p.bytesDone
      ? `, ETA ${formatEta((p.bytesTotal - p.bytesDone) / bytesPerSecond)}`
      : '';
  return `searching: ${formatCount(p.objectsDone)}/${plural(p.objectsTotal, 'object')}, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}${pct}${rate}${eta}`;
}

/**
 * A progress line redrawn in place at most every `intervalMs`, only when the stream is a
 * terminal; elsewhere (CI logs, pipes) nothing is written.
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
  const samples: Array<{ t: number; bytes: number }> = [];
  return {
    update(p) {
      const t = now();
      if (t - last < intervalMs) return;
      last = t;
      samples.push({ t, bytes: p.bytesDone });
      while (samples.length > 2 && t - samples[1]!.t >= RATE_WINDOW_MS) samples.shift();
      const oldest = samples[0]!;
      const span = t - oldest.t;
      const rate = span >= MIN_RATE_SPAN_MS ? ((p.bytesDone - oldest.bytes) * 1000) / span : undefined;
      const columns = stream.columns || 80;
      stream.write(`\r\u001b[2K${truncate(progressText(p, rate), Math.max(10, columns - 1))}`);
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

/**
 * Sigma runs: the rules that could not run on CloudTrail records, each named with why (at most
 * `max`; summary.json lists them all). Empty when every rule ran.
 */
export function formatSkippedRules(summary: Summary, max = 20): string {
  const skipped = summary.rulesUnsupported ?? [];
  if (skipped.length === 0) return '';
  const total = (summary.rulesEvaluated ?? 0) + skipped.length;
  const lines = skipped.slice(0, max).map((r) => {
    const name = r.title ? `${r.title} (${shortPath(r.file)})` : shortPath(r.file);
    return `  ${sanitizeForTerminal(truncate(name, 160))}: ${sanitizeForTerminal(truncate(r.reason, 300))}`;
  });
  const more =
    skipped.length > max ? [`  … and ${skipped.length - max} more in summary.json (rulesUnsupported)`] : [];
  return [
    `Skipped ${formatCount(skipped.length)} of ${plural(total, 'rule')}: they cannot run on CloudTrail records.`,
    ...lines,
    ...more,
  ].join('\n');
}

/** A rule file's path relative to the current folder when it is inside it. */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
