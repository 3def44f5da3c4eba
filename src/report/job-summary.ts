/**
 * The job summary: what was searched, per-region results, the first matches, a chart of matches
 * over time and the top principals / source IPs / event names, as GitHub-flavoured Markdown.
 * Rendering is pure; every CloudTrail value is attacker-controlled and goes through
 * `escapeMarkdown` into a table cell (never the start of a block); the Mermaid chart holds only
 * labels and numbers computed here. The whole document stays under GitHub's 1 MiB limit.
 */
import { athenaQueriesCostUsd, principalOf } from './summary.js';
import * as core from '@actions/core';
import type { MatchedEvent, RegionStats } from '../engines/types.js';
import type { Summary } from './types.js';
import { formatBytes, formatCount, formatUsd } from './format.js';
import { sanitizeForTerminal } from './sanitize.js';
import { correlationAlerts, groupText } from './correlation-alerts.js';

/** GitHub rejects a step summary over 1 MiB. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;
/** What we aim for: the limit, less room for the newline core.summary adds and for safety. */
export const SUMMARY_BUDGET_BYTES = SUMMARY_LIMIT_BYTES - 8 * 1024;

const MAX_REGION_ROWS = 100;
const MAX_FAILURE_ROWS = 20;
const MAX_WARNING_ROWS = 20;
const MAX_FILTER_CHARS = 4000;
/** Above this many hourly bars the chart switches to days (a 3-day window), then to weeks. */
const MAX_HOURLY_BARS = 72;
/** A 90-day post-incident window still gets one bar per day. */
const MAX_DAILY_BARS = 120;

export interface ArtifactInfo {
  name: string;
  url?: string;
  /** Set when the upload failed: the files are still on the runner. */
  error?: string;
}

export interface JobSummaryInput {
  summary: Summary;
  firstMatches: MatchedEvent[];
  /** Rows of the matches table (summary-max-rows). */
  maxRows: number;
  /** The gate's decision: failure reasons (empty = the step passes). */
  failures: string[];
  artifact: ArtifactInfo | undefined;
  /** Absolute paths on the runner. */
  files: { results: string; summary: string };
}

// ---------------------------------------------------------------------------------------------
// Escaping

/**
 * Control, format (bidi overrides, zero-width) and separator characters made visible (`\n`,
 * `\u202e`), as the CLI shows them: they could reorder or hide what the reader sees, and a
 * newline would end a table row.
 */
function visibleControls(text: string): string {
  return sanitizeForTerminal(text);
}

/** Cuts to `max` code points (never inside a surrogate pair), marking the cut. */
export function truncateText(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

// Every ASCII character with a meaning in inline Markdown, GFM tables, HTML or GitHub's
// extensions (math `$`, mentions `@`, references `#`, autolinks `:`).
const MD_SPECIAL = /[&<>"'\\`*_[\]()|~@#$:!{}+=^%]/g;

function valueText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? '';
}

/**
 * Any value -> text safe inside a Markdown table cell or paragraph: controls made visible, cut to
 * `maxChars`, then every Markdown/HTML special character written as a numeric entity. `@` and
 * `#` also get a zero-width space so GitHub cannot turn them into mentions or issue links, and
 * `www.` loses its autolink.
 */
export function escapeMarkdown(value: unknown, maxChars = 120): string {
  const text = truncateText(visibleControls(valueText(value)), maxChars);
  return text
    .replace(MD_SPECIAL, (ch) => `&#${ch.charCodeAt(0)};${ch === '@' || ch === '#' ? '&#8203;' : ''}`)
    .replace(/(w)(ww)\./gi, '$1$2&#46;');
}

/** A cell: escaped text, or an em dash when there is nothing to show. */
function cell(value: unknown, maxChars = 120): string {
  const text = escapeMarkdown(value, maxChars);
  return text === '' ? '—' : text;
}

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** A fenced code block that no backtick run inside `text` can close early. */
function fenced(text: string, info = ''): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}\n${fence}`;
}

// ---------------------------------------------------------------------------------------------
// Facts of one event

export interface EventFacts {
  time: string;
  region: string;
  service: string;
  event: string;
  principal: string;
  sourceIP: string;
  errorCode: string;
  eventID: string;
  userAgent: string;
}

/** The displayable facts of a CloudTrail record (raw text: escape before showing). */
export function eventFacts(record: Record<string, unknown>): EventFacts {
  return {
    time: valueText(record.eventTime),
    region: valueText(record.awsRegion),
    service: valueText(record.eventSource).replace(/\.amazonaws\.com$/, ''),
    event: valueText(record.eventName),
    principal: principalOf(record),
    sourceIP: valueText(record.sourceIPAddress),
    errorCode: valueText(record.errorCode),
    eventID: valueText(record.eventID),
    userAgent: valueText(record.userAgent),
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting numbers

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m - h * 60} min`;
  return `${(h / 24).toFixed(1)} days`;
}

const count = formatCount;

const usd = formatUsd;

// ---------------------------------------------------------------------------------------------
// Sections

const STATUS_ICON: Record<string, string> = {
  complete: '✅ complete',
  incomplete: '⚠️ incomplete',
  failed: '❌ failed',
};

function headline(input: JobSummaryInput): string {
  const { summary, failures } = input;
  const matches = `**${count(summary.matches)} matching event${summary.matches === 1 ? '' : 's'}**`;
  const dupes =
    summary.duplicatesDropped > 0
      ? ` (${count(summary.duplicatesDropped)} duplicate deliveries dropped)`
      : '';
  const completeness = summary.complete
    ? 'Every object asked for was read.'
    : '⚠️ **The search was incomplete**: some logs could not be read, so there may be more matches.';
  const verdict =
    failures.length > 0
      ? `\n\n❌ **The step fails:** ${failures.map((f) => escapeMarkdown(f, 300)).join(' ')}`
      : '\n\n✅ The step passes.';
  return `## 🔎 CloudTrail investigation\n\n${matches}${dupes}. ${completeness}${verdict}`;
}

function listValue(value: string[] | 'all'): string {
  return value === 'all' ? 'all' : value.map((v) => escapeMarkdown(v, 40)).join(', ');
}

function searched(summary: Summary): string {
  const since = new Date(summary.window.since);
  const until = new Date(summary.window.until);
  const span = until.getTime() - since.getTime();
  const scanned = summary.scanned;
  const rows: string[][] = [
    ['Source', cell(summary.source, 300)],
    [
      'Window',
      `${cell(summary.window.since, 40)} → ${cell(summary.window.until, 40)} (${formatDuration(span)})`,
    ],
    ['Regions', listValue(summary.regions)],
    ['Accounts', listValue(summary.accounts)],
    ['Engine', `${cell(summary.engine, 20)}: ${cell(summary.engineReason, 300)}`],
    [
      'Read',
      `${count(scanned.objects)} objects of ${count(scanned.objectsListed)} listed (${count(scanned.objectsSkipped)} skipped), ` +
        `${formatBytes(scanned.bytes)} (${formatBytes(scanned.bytesUncompressed)} uncompressed), ${count(scanned.records)} records`,
    ],
  ];
  if (scanned.bytesScanned !== undefined) {
    rows.push([
      'Athena',
      `${formatBytes(scanned.bytesScanned)} scanned` +
        (scanned.costUsd !== undefined ? `, about ${usd(scanned.costUsd)}` : ''),
    ]);
  }
  rows.push(['Took', formatDuration(summary.durationMs)]);
  const filter =
    summary.filter === null
      ? '**Filter:** none: every event in the window matches (an export).'
      : `**Filter:**\n\n${fenced(visibleFilter(summary.filter))}`;
  return `### What was searched\n\n${table(['', ''], rows)}\n\n${filter}`;
}

/** The user's filter for a code block: controls made visible, length bounded. */
function visibleFilter(text: string): string {
  // Keep the user's line breaks (YAML), make every other control visible.
  const lines = text.split(/\r?\n/).map((line) => visibleControls(line));
  return truncateText(lines.join('\n'), MAX_FILTER_CHARS);
}

function warningsSection(summary: Summary): string | undefined {
  if (summary.warnings.length === 0) return undefined;
  const rows = summary.warnings.slice(0, MAX_WARNING_ROWS).map((w) => [cell(w, 400)]);
  const more = summary.warnings.length - rows.length;
  return `### Warnings\n\n${table(['Warning'], rows)}${more > 0 ? `\n\n…and ${count(more)} more in summary.json.` : ''}`;
}

function regionSection(summary: Summary): string | undefined {
  const regions = summary.regionBreakdown;
  if (regions.length === 0) return undefined;
  const athena = summary.engine === 'athena';
  const header = [
    'Region',
    'Status',
    athena ? 'Data scanned' : 'Objects',
    athena ? 'Est. cost' : 'Data read',
    'Matches',
    'Time',
    'Error',
  ];
  const rows = regions
    .slice(0, MAX_REGION_ROWS)
    .map((r: RegionStats) => [
      cell(r.region, 40),
      STATUS_ICON[r.status] ?? cell(r.status, 20),
      athena ? formatBytes(r.bytesScanned ?? 0) : count(r.objects),
      athena ? (r.queries?.length ? usd(athenaQueriesCostUsd([r])) : '—') : formatBytes(r.bytes),
      count(r.matches),
      formatDuration(r.durationMs),
      r.errors.length > 0 ? cell(r.errors.join('; '), 300) : '—',
    ]);
  const more = regions.length - rows.length;
  const note = more > 0 ? `\n\n…and ${count(more)} more regions in summary.json.` : '';
  return `### Regions\n\n${table(header, rows)}${note}`;
}

const MATCH_HEADER = [
  'Time',
  'Region',
  'Event',
  'Principal',
  'Source IP',
  'Error code',
  'Event ID',
  'User agent',
];

function matchRow(event: MatchedEvent): string {
  const f = eventFacts(event.record);
  const what = f.service ? `${cell(f.event, 80)} (${escapeMarkdown(f.service, 40)})` : cell(f.event, 80);
  return `| ${[
    cell(f.time, 40),
    cell(f.region || event.region, 30),
    what,
    cell(f.principal, 120),
    cell(f.sourceIP, 60),
    cell(f.errorCode, 60),
    cell(f.eventID, 60),
    cell(f.userAgent, 80),
  ].join(' | ')} |`;
}

function whereTheRestIs(input: JobSummaryInput): string {
  const { artifact } = input;
  if (artifact && !artifact.error) {
    const name = escapeMarkdown(artifact.name, 200);
    return artifact.url ? `the artifact [${name}](${safeUrl(artifact.url)})` : `the artifact ${name}`;
  }
  return `the results file on the runner (${escapeMarkdown(input.files.results, 300)})`;
}

/** URLs we build ourselves from GITHUB_* values; anything unexpected is shown as text. */
function safeUrl(url: string): string {
  return /^https?:\/\/[\w.:-]+\/[\w./%-]*$/.test(url) ? url : '#';
}

/** The matches table, as many rows as `budget` bytes allow (up to maxRows). */
function matchesSection(input: JobSummaryInput, budget: number): string | undefined {
  const { summary, firstMatches, maxRows } = input;
  if (summary.matches === 0 || maxRows === 0) return undefined;
  const head = `### Matches\n\n${table(MATCH_HEADER, [])}`;
  const noteFor = (shown: number, cut: boolean): string => {
    const rest = summary.matches - shown;
    if (rest <= 0) return '';
    const why = cut
      ? ` (the table stops at ${count(shown)} rows to keep this summary under GitHub's 1 MiB limit)`
      : '';
    return `\n\n${count(rest)} more matching event${rest === 1 ? ' is' : 's are'} in ${whereTheRestIs(input)}${why}.`;
  };
  // Reserve room for the longest note before filling rows.
  let used = bytes(head) + bytes(noteFor(0, true)) + 2;
  const rows: string[] = [];
  let cut = false;
  for (const event of firstMatches.slice(0, maxRows)) {
    const row = matchRow(event);
    const size = bytes(row) + 1;
    if (used + size > budget) {
      cut = true;
      break;
    }
    used += size;
    rows.push(row);
  }
  if (rows.length === 0) {
    return `### Matches\n\nThe matches are in ${whereTheRestIs(input)}.`;
  }
  return `${head}\n${rows.join('\n')}${noteFor(rows.length, cut)}`;
}

/** Rule references are links only when they are plain https URLs; anything else stays text. */
function referenceLink(url: string | undefined): string {
  if (url === undefined) return '';
  return /^https:\/\/[\w.-]+(?::\d+)?(?:\/[\w./%~+-]*)?(?:#[\w.-]*)?$/.test(url) && url.length <= 300
    ? `[link](${url})`
    : cell(url, 120);
}

const MAX_RULE_ROWS = 50;

/** Correlation alerts, highest level first: shown before the rules. */
function alertsSection(summary: Summary): string | undefined {
  if (!summary.correlations) return undefined;
  const all = correlationAlerts(summary);
  const rows = all
    .slice(0, MAX_RULE_ROWS)
    .map(({ correlation: c, alert: a }) => [
      cell(c.level ?? 'none', 20),
      cell(c.title, 120),
      cell(groupText(a.group), 120),
      count(a.count),
      cell(a.firstSeen, 30),
      cell(a.lastSeen, 30),
    ]);
  const more = all.length - rows.length;
  const notes = [
    `${count(all.length)} alerts from ${count(summary.correlations.length)} correlation rules.`,
    more > 0 ? `…and ${count(more)} more alerts in summary.json.` : '',
  ].filter(Boolean);
  const body =
    rows.length > 0
      ? `${table(['Level', 'Correlation', 'Group', 'Events', 'First seen', 'Last seen'], rows)}\n\n`
      : '';
  return `### Correlation alerts\n\n${body}${notes.join(' ')}`;
}

/** Sigma runs: the rules that matched, highest level first, and how many rules could not run. */
function rulesSection(summary: Summary): string | undefined {
  if (summary.rulesEvaluated === undefined) return undefined;
  const rules = summary.rules ?? [];
  const rows = rules
    .slice(0, MAX_RULE_ROWS)
    .map((r) => [
      cell(r.level ?? 'none', 20),
      cell(r.title, 120),
      count(r.count),
      cell(r.firstSeen ?? '', 30),
      cell(r.lastSeen ?? '', 30),
      referenceLink(r.references[0]),
    ]);
  const more = rules.length - rows.length;
  const unsupported = summary.rulesUnsupported?.length ?? 0;
  const notes = [
    `${count(rules.length)} of ${count(summary.rulesEvaluated)} rules matched.`,
    more > 0 ? `…and ${count(more)} more rules in summary.json.` : '',
    unsupported > 0
      ? `${count(unsupported)} rules could not run on CloudTrail records (listed with the reason in summary.json).`
      : '',
  ].filter(Boolean);
  const body =
    rows.length > 0
      ? `${table(['Level', 'Rule', 'Matches', 'First seen', 'Last seen', 'Reference'], rows)}\n\n`
      : '';
  return `### Detections by rule\n\n${body}${notes.join(' ')}`;
}

function topSection(summary: Summary): string | undefined {
  if (summary.matches === 0) return undefined;
  const tops: Array<[string, Array<{ value: string; count: number }>]> = [
    ['Principal', summary.top.principals],
    ['Source IP', summary.top.sourceIPs],
    ['Event name', summary.top.eventNames],
  ];
  const parts = tops
    .filter(([, list]) => list.length > 0)
    .map(([title, list]) =>
      table(
        [title, 'Matches'],
        list.slice(0, 10).map((t) => [cell(t.value, 120), count(t.count)]),
      ),
    );
  if (parts.length === 0) return undefined;
  return `### Top principals, source IPs and events\n\n${parts.join('\n\n')}`;
}

function failureSection(summary: Summary): string | undefined {
  if (summary.failures.length === 0) return undefined;
  const rows = summary.failures
    .slice(0, MAX_FAILURE_ROWS)
    .map((f) => [cell(f.key, 200), cell(f.reason, 300)]);
  const more = summary.failures.length - rows.length;
  return (
    `### Could not be read\n\n${table(['Object', 'Reason'], rows)}` +
    (more > 0 ? `\n\n…and ${count(more)} more in summary.json.` : '')
  );
}

function filesSection(input: JobSummaryInput): string {
  const lines = [
    `- Results: ${escapeMarkdown(input.files.results, 400)}`,
    `- Summary: ${escapeMarkdown(input.files.summary, 400)}`,
  ];
  const { artifact } = input;
  if (artifact?.error) {
    lines.push(
      `- ⚠️ The artifact upload failed (${escapeMarkdown(artifact.error, 300)}); the files above stay on the runner until the job ends.`,
    );
  } else if (artifact) {
    const name = escapeMarkdown(artifact.name, 200);
    lines.push(`- Artifact: ${artifact.url ? `[${name}](${safeUrl(artifact.url)})` : name}`);
  }
  return `### Files\n\n${lines.join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// Chart

interface Bar {
  label: string;
  count: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Matches over the window in hourly, daily or weekly bars (the finest that keeps the chart legible),
 * empty bars included. Labels come from our own date arithmetic, counts are finite numbers:
 * nothing from the data can reach the Mermaid text.
 */
export function chartBars(summary: Summary): { unit: 'hour' | 'day' | 'week'; bars: Bar[] } {
  const since = Date.parse(summary.window.since);
  const until = Date.parse(summary.window.until);
  const span = Number.isFinite(since) && Number.isFinite(until) ? until - since : 0;
  const unit = span <= MAX_HOURLY_BARS * HOUR ? 'hour' : span <= MAX_DAILY_BARS * DAY ? 'day' : 'week';
  const size = unit === 'hour' ? HOUR : unit === 'day' ? DAY : 7 * DAY;
  const start = Math.floor((Number.isFinite(since) ? since : 0) / size) * size;
  const n = Math.max(
    1,
    Math.min(MAX_DAILY_BARS + 1, Math.ceil(((Number.isFinite(until) ? until : start + size) - start) / size)),
  );
  const counts = new Array<number>(n).fill(0);
  for (const { bucket, count: c } of summary.timeline) {
    const t = Date.parse(bucket);
    if (!Number.isFinite(t) || !Number.isFinite(c) || c < 0) continue;
    const i = Math.floor((t - start) / size);
    if (i >= 0 && i < n) counts[i]! += Math.floor(c);
  }
  const bars = counts.map((c, i) => {
    const d = new Date(start + i * size);
    const date = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    return { label: unit === 'hour' ? `${date} ${pad2(d.getUTCHours())}h` : date, count: c };
  });
  return { unit, bars };
}

function chartSection(summary: Summary): string | undefined {
  if (summary.matches === 0 || summary.timeline.length === 0) return undefined;
  const { unit, bars } = chartBars(summary);
  const max = Math.max(1, ...bars.map((b) => b.count));
  const lines = [
    'xychart-beta',
    // Week bars are labelled with the date they start on.
    `    title "Matches per ${unit} (UTC)"`,
    `    x-axis [${bars.map((b) => `"${b.label}"`).join(', ')}]`,
    `    y-axis "Matches" 0 --> ${max}`,
    `    bar [${bars.map((b) => b.count).join(', ')}]`,
  ];
  return `### Matches over time\n\n\`\`\`mermaid\n${lines.join('\n')}\n\`\`\``;
}

// ---------------------------------------------------------------------------------------------
// Document

export function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cuts `text` to at most `max` UTF-8 bytes at a line boundary, saying so. */
function capBytes(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  const note = "\n\n…(the summary was cut here to stay under GitHub's 1 MiB limit; see summary.json)";
  const buf = Buffer.from(text, 'utf8').subarray(0, max - bytes(note));
  const head = buf.toString('utf8').replace(/\uFFFD$/, '');
  const lastLine = head.lastIndexOf('\n');
  return `${lastLine > 0 ? head.slice(0, lastLine) : head}${note}`;
}

/** The job summary for a finished search, under `maxBytes` UTF-8 bytes. */
export function renderJobSummary(input: JobSummaryInput, maxBytes = SUMMARY_BUDGET_BYTES): string {
  const before = [
    headline(input),
    searched(input.summary),
    warningsSection(input.summary),
    regionSection(input.summary),
    alertsSection(input.summary),
    rulesSection(input.summary),
    chartSection(input.summary),
  ];
  const after = [topSection(input.summary), failureSection(input.summary), filesSection(input)];
  const join = (parts: Array<string | undefined>): string =>
    parts.filter((p): p is string => p !== undefined).join('\n\n');
  const fixed = bytes(join(before)) + bytes(join(after)) + 4;
  const matches = matchesSection(input, Math.max(0, maxBytes - fixed));
  return capBytes(`${join([...before, matches, ...after])}\n`, maxBytes);
}

/** The job summary when the search could not run at all. */
export function renderFailureSummary(message: string): string {
  return `## 🔎 CloudTrail investigation\n\n❌ **The search failed:** ${escapeMarkdown(message, 2000)}\n`;
}

/** Appends to the step summary; false when there is none (e.g. a local run). */
export async function writeJobSummary(
  markdown: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  if (!env.GITHUB_STEP_SUMMARY) return false;
  await core.summary.addRaw(markdown).write();
  return true;
}
