/**
 * The job summary, as GitHub-flavoured Markdown. Read top down, it answers in the order a
 * responder asks: the verdict; what matched (by level and rule, or by event); who, from where and
 * when; the correlation alerts; the first matches; then the reference part (matches over time,
 * full principals, warnings, what was searched, regions, files).
 *
 * Rendering is pure. Every value from CloudTrail or the environment goes through
 * `escapeMarkdown` (./markdown.ts); the document stays inside GitHub's ~880 px content column
 * (few columns, long values wrapped or in `<details>`) and under GitHub's 1 MiB limit.
 */
import * as core from '@actions/core';
import type { MatchedEvent, RegionStats } from '../engines/types.js';
import type { Summary } from './types.js';
import { athenaQueriesCostUsd, principalOf } from './summary.js';
import { formatBytes, formatCount, formatUsd, plural } from './format.js';
import { correlationAlerts, groupText } from './correlation-alerts.js';
import { arnAccount, eventStatus, principalShort, principalTextShort } from './event-view.js';
import { levelRank } from '../sigma/types.js';
import { cell, details, escapeMarkdown, fenced, table, truncateText, valueText } from './markdown.js';
import { showControls } from './sanitize.js';

export { escapeMarkdown, truncateText };

/** GitHub rejects a step summary over 1 MiB. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;
/** What we aim for: the limit, less room for the newline core.summary adds and for safety. */
export const SUMMARY_BUDGET_BYTES = SUMMARY_LIMIT_BYTES - 8 * 1024;

const MAX_REGION_ROWS = 100;
const MAX_FAILURE_ROWS = 20;
const MAX_WARNING_ROWS = 20;
const MAX_FILTER_CHARS = 4000;
const MAX_RULE_ROWS = 50;
/** Rules shown above the fold; the rest in a collapsed block below them. */
const TOP_RULE_ROWS = 8;
/** Principals / source IPs named in the overview. */
const OVERVIEW_TOP = 5;
/** The timeline never has more bars than this: more would not read. */
export const MAX_TIMELINE_BARS = 24;
const BAR_WIDTH = 24;

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
  /** The rule sets as the user named them (`builtin:all`, a folder…), when rules ran. */
  rules?: string[];
}

// ---------------------------------------------------------------------------------------------
// Facts of one event

export interface EventFacts {
  time: string;
  region: string;
  service: string;
  event: string;
  /** The full principal (ARN where there is one): summary.json's and the filters' form. */
  principal: string;
  /** The principal as a person names it (user, role/session, root): the same as the terminal's. */
  who: string;
  sourceIP: string;
  errorCode: string;
  /** ok, the error code, or why a sign-in failed. */
  status: { ok: boolean; text: string };
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
    who: principalShort(record),
    sourceIP: valueText(record.sourceIPAddress),
    errorCode: valueText(record.errorCode),
    status: eventStatus(record),
    eventID: valueText(record.eventID),
    userAgent: valueText(record.userAgent),
  };
}

// ---------------------------------------------------------------------------------------------
// Levels

const LEVEL_ICON: Record<string, string> = {
  critical: '🟣',
  high: '🔴',
  medium: '🟠',
  low: '🟡',
  informational: '⚪',
};

/** `🔴 high`; a level we do not know is escaped text. */
function levelLabel(level: string | null | undefined): string {
  if (!level) return 'no level';
  const icon = LEVEL_ICON[level];
  return icon ? `${icon}&nbsp;${level}` : cell(level, 20);
}

/** The highest level among the rules an event matched (null: none known). */
export function eventLevel(event: MatchedEvent, levels: ReadonlyMap<string, string | null>): string | null {
  let best: string | null = null;
  for (const id of event.ruleIds ?? []) {
    const level = levels.get(id) ?? null;
    if (levelRank(level) > levelRank(best)) best = level;
  }
  return best;
}

/** Rule id -> level, from summary.json's matched rules. */
export function ruleLevels(summary: Pick<Summary, 'rules'>): Map<string, string | null> {
  return new Map((summary.rules ?? []).map((r) => [r.id, r.level]));
}

/**
 * Matches highest level first, then by time, then as given: the order of the matches table and
 * of the annotations. Events whose time does not parse sort after those whose time does.
 */
export function byLevelThenTime(
  events: readonly MatchedEvent[],
  summary: Pick<Summary, 'rules'>,
): MatchedEvent[] {
  const levels = ruleLevels(summary);
  const keyed = events.map((event, i) => {
    const t = Date.parse(valueText(event.record.eventTime));
    return { event, i, rank: levelRank(eventLevel(event, levels)), t: Number.isFinite(t) ? t : Infinity };
  });
  keyed.sort((a, b) => b.rank - a.rank || a.t - b.t || a.i - b.i);
  return keyed.map((k) => k.event);
}

// ---------------------------------------------------------------------------------------------
// Numbers and times

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  if (ms % DAY === 0) return plural(ms / DAY, 'day');
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m - h * 60} min`;
  return `${(h / 24).toFixed(1)} days`;
}

const count = formatCount;
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `2023-07-10 11:54:48` in UTC; null when `text` is not a time. */
function utc(text: string): { date: string; time: string } | null {
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || !Number.isFinite(t)) return null;
  const d = new Date(t);
  return {
    date: `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`,
    time: `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`,
  };
}

/**
 * `from → to` in UTC, the date said once when both are on the same day, and not at all when it
 * is `day` (a column whose heading says the day). Whole minutes drop their seconds.
 */
function timeRange(from: string, to: string, day?: string): string {
  const a = utc(from);
  const b = utc(to);
  if (!a || !b) return `${cell(from, 30)} → ${cell(to, 30)}`;
  const zone = day ? '' : ' UTC';
  const at = (t: { date: string; time: string }, withDate: boolean): string =>
    `${withDate ? `${t.date} ` : ''}${a.time.endsWith(':00') && b.time.endsWith(':00') ? t.time.slice(0, 5) : t.time}`;
  const dated = a.date !== day || b.date !== day;
  if (a.date === b.date && a.time === b.time) return `${at(a, dated)}${zone}`;
  return a.date === b.date
    ? `${at(a, dated)} → ${at(b, false)}${zone}`
    : `${at(a, true)} → ${at(b, true)}${zone}`;
}

/** The one UTC day all these times fall on, if there is one. */
function oneDay(times: Array<string | null | undefined>): string | undefined {
  const days = new Set(times.filter((t) => !!t).map((t) => utc(t!)?.date ?? '?'));
  const [only] = days;
  return days.size === 1 && only !== '?' ? only : undefined;
}

// ---------------------------------------------------------------------------------------------
// The verdict and the overview

type Result = NonNullable<Summary['result']>;

function resultOf(summary: Summary): Result {
  if (summary.result) return summary.result;
  if (!summary.complete) return 'incomplete';
  return summary.matches > 0 ? 'matched' : 'clean';
}

const RESULT_TITLE: Record<Result, string> = {
  matched: '🔴 matched',
  clean: '🟢 clean',
  incomplete: '🟠 incomplete',
  'no-logs': '🟠 no logs',
};

function verdict(input: JobSummaryInput): string {
  const { summary, failures } = input;
  const result = resultOf(summary);
  const lines = [`## 🔎 CloudTrail investigation: ${RESULT_TITLE[result]}`];
  lines.push(
    failures.length > 0
      ? `❌ **The step fails:** ${failures.map((f) => escapeMarkdown(f, 300)).join(' ')}`
      : '✅ The step passes.',
  );
  lines.push(`${matchesSentence(summary)} ${completeness(summary)}`);
  if (result === 'no-logs' && (summary.noLogs?.length ?? 0) > 0) {
    lines.push(
      `⚠️ **No logs where logs were expected:** this run could not see what happened.\n\n` +
        (summary.noLogs ?? [])
          .slice(0, 10)
          .map((n) => `- ${escapeMarkdown(n, 300)}`)
          .join('\n'),
    );
  }
  return lines.join('\n\n');
}

function matchesSentence(summary: Summary): string {
  const n = `**${plural(summary.matches, 'matching event')}**`;
  const dupes =
    summary.duplicatesDropped > 0
      ? ` (${plural(summary.duplicatesDropped, 'duplicate delivery', 'duplicate deliveries')} dropped)`
      : '';
  const rules =
    summary.rulesEvaluated !== undefined
      ? `, detected by ${count(summary.rules?.length ?? 0)} of ${plural(summary.rulesEvaluated, 'rule')}`
      : '';
  return `${n}${dupes}${rules}, in ${plural(summary.scanned.records, 'record')} from ${windowText(summary)}.`;
}

function windowText(summary: Summary): string {
  const span = Date.parse(summary.window.until) - Date.parse(summary.window.since);
  return `${timeRange(summary.window.since, summary.window.until)} (${formatDuration(span)})`;
}

function completeness(summary: Summary): string {
  if (summary.complete) return 'Every log object asked for was read.';
  const failed =
    summary.failures.length + summary.regionBreakdown.filter((r) => r.status !== 'complete').length;
  const what =
    failed > 0
      ? `${plural(failed, 'object or region', 'objects or regions')} could not be read (see below)`
      : 'not everything asked for was read';
  return `⚠️ **The search was incomplete:** ${what}, so there may be more matches.`;
}

/** Above the fold, after the verdict: by level and rule (or by event), who, from where, when. */
function overview(input: JobSummaryInput): string | undefined {
  const { summary } = input;
  if (summary.matches === 0 && !summary.correlations?.some((c) => c.alerts.length > 0)) return undefined;
  const facts: string[] = [];
  const who = principalsLine(summary.top.principals);
  if (who) facts.push(`- **Who:** ${who}`);
  const from = topLine(summary.top.sourceIPs.map((t) => ({ label: cell(t.value, 60), count: t.count })));
  if (from) facts.push(`- **From:** ${from}`);
  const when = whenText(input);
  if (when) facts.push(`- **When:** ${when}`);
  if (summary.rulesEvaluated !== undefined) {
    const levels = levelsLine(summary);
    if (levels) facts.unshift(levels);
  } else {
    const events = topLine(summary.top.eventNames.map((t) => ({ label: cell(t.value, 60), count: t.count })));
    if (events) facts.unshift(`- **What:** ${events}`);
  }
  return facts.length > 0 ? facts.join('\n') : undefined;
}

/** Detections per level, highest first, in one line. */
function levelsLine(summary: Summary): string | undefined {
  const perLevel = new Map<string, number>();
  for (const r of summary.rules ?? [])
    perLevel.set(r.level ?? '', (perLevel.get(r.level ?? '') ?? 0) + r.count);
  const levels = [...perLevel.entries()]
    .sort((a, b) => levelRank(b[0]) - levelRank(a[0]))
    .map(([level, n]) => `${levelLabel(level || null)} **${count(n)}**`);
  return levels.length > 0 ? `- **Levels:** ${levels.join(' · ')}` : undefined;
}

function topLine(items: Array<{ label: string; count: number }>): string | undefined {
  if (items.length === 0) return undefined;
  const shown = items.slice(0, OVERVIEW_TOP).map((t) => `${t.label} (${count(t.count)})`);
  return shown.join(' · ') + (items.length > OVERVIEW_TOP ? ' · …' : '');
}

/** Short principal names; with the account when the names shown span several accounts. */
function principalsLine(top: Summary['top']['principals']): string | undefined {
  const shown = top.slice(0, OVERVIEW_TOP);
  const accounts = new Set(shown.map((t) => arnAccount(t.value)).filter(Boolean));
  return topLine(
    top.map((t) => {
      const short = principalTextShort(t.value);
      const account = arnAccount(t.value);
      const inAccount = accounts.size > 1 && account && short !== t.value ? ` in ${account}` : '';
      return { label: `${cell(short, 60)}${inAccount}`, count: t.count };
    }),
  );
}

/** The first and last match: the rules' own times, else the timeline's hours. */
function whenText(input: JobSummaryInput): string | undefined {
  const { summary } = input;
  const times: Array<string | null> = (summary.rules ?? []).flatMap((r) => [r.firstSeen, r.lastSeen]);
  for (const c of summary.correlations ?? []) for (const a of c.alerts) times.push(a.firstSeen, a.lastSeen);
  // Every match is at hand: their own times are exact.
  if (input.firstMatches.length >= summary.matches)
    for (const e of input.firstMatches) times.push(valueText(e.record.eventTime));
  const exact = times.filter((t): t is string => !!t && utc(t) !== null).map((t) => Date.parse(t));
  const iso = (ms: number): string => new Date(ms).toISOString();
  if (exact.length > 0) return timeRange(iso(Math.min(...exact)), iso(Math.max(...exact)));
  const hours = summary.timeline.map((b) => Date.parse(b.bucket)).filter(Number.isFinite);
  if (hours.length === 0) return undefined;
  return `${timeRange(iso(Math.min(...hours)), iso(Math.max(...hours) + 3_600_000))} (to the hour)`;
}

/** Sigma runs: the rules that matched, highest level first, and the rules that could not run. */
function rulesSection(summary: Summary): string | undefined {
  if (summary.rulesEvaluated === undefined) return undefined;
  const rules = summary.rules ?? [];
  const day = oneDay(rules.flatMap((r) => [r.firstSeen, r.lastSeen]));
  const row = (r: (typeof rules)[number]): string[] => [
    levelLabel(r.level),
    `${escapeMarkdown(r.title, 90)}${r.references[0] ? ` ${referenceLink(r.references[0])}` : ''}`,
    count(r.count),
    r.firstSeen && r.lastSeen ? timeRange(r.firstSeen, r.lastSeen, day) : '—',
  ];
  const header = ['Level', 'Rule', 'Matches', day ? 'When (UTC)' : 'First → last seen'];
  const parts: string[] = [];
  if (rules.length > 0) parts.push(table(header, rules.slice(0, TOP_RULE_ROWS).map(row), 'llrl'));
  const rest = rules.slice(TOP_RULE_ROWS, MAX_RULE_ROWS);
  if (rest.length > 0) {
    const beyond = rules.length - TOP_RULE_ROWS - rest.length;
    parts.push(
      details(
        `${plural(rules.length - TOP_RULE_ROWS, 'more rule')} matched`,
        table(header, rest.map(row), 'llrl') +
          (beyond > 0 ? `\n\n…and ${count(beyond)} more in summary.json.` : ''),
      ),
    );
  }
  const unsupported = summary.rulesUnsupported ?? [];
  if (unsupported.length > 0) {
    const items = unsupported
      .slice(0, MAX_RULE_ROWS)
      .map((u) => `- ${cell(u.title ?? u.id ?? u.file, 90)} (${cell(u.file, 80)}): ${cell(u.reason, 200)}`);
    const beyond = unsupported.length - items.length;
    parts.push(
      details(
        `${plural(unsupported.length, 'rule')} could not run on CloudTrail records and ${unsupported.length === 1 ? 'was' : 'were'} skipped`,
        items.join('\n') + (beyond > 0 ? `\n\n…and ${count(beyond)} more in summary.json.` : ''),
      ),
    );
  }
  if (rules.length === 0) parts.unshift(`None of the ${plural(summary.rulesEvaluated, 'rule')} matched.`);
  return `### Detections by rule\n\n${parts.join('\n\n')}`;
}

/** Rule references are links only when they are plain https URLs; anything else stays text. */
function referenceLink(url: string | undefined): string {
  if (url === undefined) return '';
  return /^https:\/\/[\w.-]+(?::\d+)?(?:\/[\w./%~+-]*)?(?:#[\w.-]*)?$/.test(url) && url.length <= 300
    ? `([ref](${url}))`
    : '';
}

// ---------------------------------------------------------------------------------------------
// Correlation alerts

function alertsSection(summary: Summary): string | undefined {
  if (!summary.correlations) return undefined;
  const all = correlationAlerts(summary);
  const day = oneDay(all.flatMap(({ alert: a }) => [a.firstSeen, a.lastSeen]));
  const rows = all
    .slice(0, MAX_RULE_ROWS)
    .map(({ correlation: c, alert: a }) => [
      levelLabel(c.level),
      escapeMarkdown(c.title, 90),
      cell(groupText(a.group), 120),
      count(a.count),
      timeRange(a.firstSeen, a.lastSeen, day),
    ]);
  const more = all.length - rows.length;
  const notes = [
    `${plural(all.length, 'alert')} from ${plural(summary.correlations.length, 'correlation rule')}.`,
    more > 0 ? `…and ${count(more)} more alerts in summary.json.` : '',
  ].filter(Boolean);
  const body =
    rows.length > 0
      ? `${table(['Level', 'Correlation', 'Group', 'Events', day ? 'When (UTC)' : 'When'], rows, 'lllrl')}\n\n`
      : '';
  return `### Correlation alerts\n\n${body}${notes.join(' ')}`;
}

// ---------------------------------------------------------------------------------------------
// Matches

interface MatchColumns {
  level: boolean;
  region: boolean;
  /** The date said once in the heading when every row is on the same day. */
  date: string | undefined;
  /** Else the year, said once when every row is in the same year. */
  year: string | undefined;
}

function matchColumns(events: readonly MatchedEvent[], summary: Summary): MatchColumns {
  const dates = new Set(events.map((e) => utc(valueText(e.record.eventTime))?.date ?? '?'));
  const regions = new Set(events.map((e) => valueText(e.record.awsRegion) || (e.region ?? '')));
  const only = dates.size === 1 ? [...dates][0] : undefined;
  const years = new Set([...dates].map((d) => d.slice(0, 4)));
  const year = years.size === 1 ? [...years][0] : undefined;
  return {
    level: summary.rulesEvaluated !== undefined,
    region: regions.size > 1,
    date: only && only !== '?' ? only : undefined,
    year: year && year !== '?' ? year : undefined,
  };
}

function matchHeader(c: MatchColumns): string[] {
  return [
    ...(c.level ? ['Level'] : []),
    'Time (UTC)',
    'Event',
    ...(c.region ? ['Region'] : []),
    'Who',
    'Source IP',
  ];
}

function timeCell(raw: string, c: MatchColumns): string {
  const t = utc(raw);
  if (!t) return cell(raw, 30);
  return c.date ? t.time : `${c.year ? t.date.slice(5) : t.date} ${t.time}`;
}

function matchRow(event: MatchedEvent, c: MatchColumns, levels: ReadonlyMap<string, string | null>): string {
  const f = eventFacts(event.record);
  const status = f.status.ok ? '' : `<br>✖ ${escapeMarkdown(f.status.text, 80)}`;
  return `| ${[
    ...(c.level ? [levelLabel(eventLevel(event, levels))] : []),
    timeCell(f.time, c),
    `${cell(f.event, 60)}${status}`,
    ...(c.region ? [cell(f.region || event.region, 30)] : []),
    cell(f.who, 80),
    cell(f.sourceIP, 60),
  ].join(' | ')} |`;
}

/** The long facts of one shown match, for the collapsed block under the table. */
function matchDetail(event: MatchedEvent, summary: Summary, c: MatchColumns): string {
  const f = eventFacts(event.record);
  const titles = new Map((summary.rules ?? []).map((r) => [r.id, r]));
  const rules = (event.ruleIds ?? [])
    .map((id) => titles.get(id))
    .filter((r) => r !== undefined)
    .map((r) => `${escapeMarkdown(r.title, 90)} (${r.level ?? 'no level'})`);
  const resources = Array.isArray(event.record.resources)
    ? (event.record.resources as unknown[])
        .slice(0, 5)
        .map((r) => (r && typeof r === 'object' ? valueText((r as Record<string, unknown>).ARN) : ''))
        .filter(Boolean)
    : [];
  const facts = [
    `principal: ${cell(f.principal, 300)}`,
    f.status.ok ? '' : `status: ${cell(f.status.text, 200)}`,
    rules.length > 0 ? `rules: ${rules.join(', ')}` : '',
    resources.length > 0 ? `resources: ${resources.map((r) => cell(r, 200)).join(', ')}` : '',
    `user agent: ${cell(f.userAgent, 200)}`,
  ].filter(Boolean);
  const where = `${cell(f.service, 60)}, ${cell(f.region || event.region, 30)}`;
  return `- **${timeCell(f.time, c)} ${cell(f.event, 60)}** (${where}) · event ID ${cell(f.eventID, 80)}<br>${facts.join('<br>')}`;
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

/** The matches table and the details of its rows, as many as `budget` bytes allow (up to maxRows). */
function matchesSection(input: JobSummaryInput, budget: number): string | undefined {
  const { summary, maxRows } = input;
  if (summary.matches === 0 || maxRows === 0) return undefined;
  const events = byLevelThenTime(input.firstMatches.slice(0, maxRows), summary);
  const c = matchColumns(events, summary);
  const levels = ruleLevels(summary);
  const order = c.level ? 'highest level first, then by time' : 'by time';
  const when = c.date ? `, on ${c.date}` : c.year ? `, in ${c.year}` : '';
  const intro = (shown: number): string =>
    shown === summary.matches
      ? `All ${plural(shown, 'match', 'matches')}, ${order}${when}.`
      : `The ${c.level ? 'highest-level' : 'earliest'} ${count(shown)} of ${count(summary.matches)} matches, ${order}${when}.`;
  const noteFor = (shown: number, cut: boolean): string => {
    const rest = summary.matches - shown;
    if (rest <= 0) return '';
    const why = cut
      ? ` (the table stops at ${count(shown)} rows to keep this summary under GitHub's 1 MiB limit)`
      : '';
    return `\n\n${count(rest)} more matching event${rest === 1 ? ' is' : 's are'} in ${whereTheRestIs(input)}${why}.`;
  };
  const head = `### Matches\n\n${intro(summary.matches)}\n\n${table(matchHeader(c), [])}`;
  const detailsHead = details('Event IDs, full principals, user agents and resources of these matches', '');
  // Reserve room for the longest texts around the rows before filling them.
  let used = bytes(head) + bytes(detailsHead) + bytes(noteFor(0, true)) + 64;
  const rows: string[] = [];
  const items: string[] = [];
  let cut = false;
  for (const event of events) {
    const row = matchRow(event, c, levels);
    const item = matchDetail(event, summary, c);
    const size = bytes(row) + bytes(item) + 2;
    if (used + size > budget) {
      cut = true;
      break;
    }
    used += size;
    rows.push(row);
    items.push(item);
  }
  if (rows.length === 0) return `### Matches\n\nThe matches are in ${whereTheRestIs(input)}.`;
  return (
    [
      `### Matches\n\n${intro(rows.length)}`,
      `${table(matchHeader(c), [])}\n${rows.join('\n')}`,
      details('Event IDs, full principals, user agents and resources of these matches', items.join('\n')),
    ].join('\n\n') + noteFor(rows.length, cut)
  );
}

// ---------------------------------------------------------------------------------------------
// Matches over time

interface Bar {
  /** Bucket start, ms. */
  start: number;
  count: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Bar sizes, finest first: the first that gives at most MAX_TIMELINE_BARS bars is used. */
const STEPS = [1, 2, 3, 4, 6, 8, 12]
  .map((h) => h * HOUR)
  .concat([1, 2, 3, 7, 14, 28, 56, 91, 182, 364].map((d) => d * DAY));

/**
 * Matches from the first to the last matching hour (or day), in at most MAX_TIMELINE_BARS bars
 * of a whole number of hours or days, aligned to UTC. Only our own numbers: nothing from the data
 * reaches the text but finite counts and parsed times.
 */
export function timelineBars(summary: Pick<Summary, 'timeline'>): { step: number; bars: Bar[] } | undefined {
  const points = summary.timeline
    .map((b) => ({ t: Date.parse(b.bucket), c: b.count }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.c) && p.c > 0)
    .sort((a, b) => a.t - b.t);
  if (points.length === 0) return undefined;
  // Hourly buckets unless every bucket starts a day and they are further apart (daily timeline).
  const daily =
    points.length > 1 &&
    points.every((p) => p.t % DAY === 0) &&
    points.some((p, i) => i > 0 && p.t - points[i - 1]!.t >= DAY);
  const grain = daily ? DAY : HOUR;
  const first = points[0]!.t;
  const end = points[points.length - 1]!.t + grain;
  const step =
    STEPS.find((s) => s >= grain && Math.ceil(end / s) - Math.floor(first / s) <= MAX_TIMELINE_BARS) ??
    STEPS[STEPS.length - 1]!;
  const start = Math.floor(first / step) * step;
  const n = Math.min(MAX_TIMELINE_BARS, Math.ceil((end - start) / step));
  const bars: Bar[] = Array.from({ length: n }, (_, i) => ({ start: start + i * step, count: 0 }));
  for (const p of points) {
    const i = Math.min(n - 1, Math.floor((p.t - start) / step));
    bars[i]!.count += Math.floor(p.c);
  }
  return { step, bars };
}

function barLabel(start: number, step: number, withYear: boolean): string {
  const d = new Date(start);
  const date = `${withYear ? `${d.getUTCFullYear()}-` : ''}${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  if (step >= DAY) return date;
  const end = new Date(start + step);
  return `${date} ${pad2(d.getUTCHours())}:00–${pad2(end.getUTCHours() || 24)}:00`;
}

function timelineSection(summary: Summary): string | undefined {
  if (summary.matches === 0) return undefined;
  const t = timelineBars(summary);
  if (!t || t.bars.length < 2) return undefined;
  const max = Math.max(1, ...t.bars.map((b) => b.count));
  const years = new Set(t.bars.map((b) => new Date(b.start).getUTCFullYear()));
  const unit =
    t.step % DAY === 0
      ? t.step === DAY
        ? 'day'
        : `${t.step / DAY} days`
      : t.step === HOUR
        ? 'hour'
        : `${t.step / HOUR} hours`;
  const rows = t.bars.map((b) => [
    barLabel(b.start, t.step, years.size > 1),
    count(b.count),
    b.count === 0 ? '' : '█'.repeat(Math.max(1, Math.round((b.count / max) * BAR_WIDTH))),
  ]);
  return `### Matches over time\n\nMatches per ${unit} (UTC), from the first matching ${t.step >= DAY ? 'day' : 'hour'} to the last.\n\n${table(['When (UTC)', 'Matches', 'Share'], rows, 'lrl')}`;
}

// ---------------------------------------------------------------------------------------------
// Reference sections

function topSection(summary: Summary): string | undefined {
  if (summary.matches === 0) return undefined;
  const tops: Array<[string, Array<{ value: string; count: number }>]> = [
    ['Principal', summary.top.principals],
    ['Source IP', summary.top.sourceIPs],
    ['Event', summary.top.eventNames],
  ];
  const parts = tops
    .filter(([, list]) => list.length > 0)
    .map(([title, list]) =>
      table(
        [title, 'Matches'],
        list.slice(0, 10).map((t) => [cell(t.value, 300), count(t.count)]),
        'lr',
      ),
    );
  if (parts.length === 0) return undefined;
  return `### Top principals, source IPs and events\n\n${parts.join('\n\n')}`;
}

function warningsSection(summary: Summary): string | undefined {
  if (summary.warnings.length === 0) return undefined;
  const items = summary.warnings.slice(0, MAX_WARNING_ROWS).map((w) => `- ${cell(w, 400)}`);
  const more = summary.warnings.length - items.length;
  return `### Warnings\n\n${items.join('\n')}${more > 0 ? `\n\n…and ${count(more)} more in summary.json.` : ''}`;
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

const STATUS_ICON: Record<string, string> = {
  complete: '✅ complete',
  incomplete: '⚠️ incomplete',
  failed: '❌ failed',
};

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
      athena ? (r.queries?.length ? formatUsd(athenaQueriesCostUsd([r])) : '—') : formatBytes(r.bytes),
      count(r.matches),
      formatDuration(r.durationMs),
      r.errors.length > 0 ? cell(r.errors.join('; '), 300) : '—',
    ]);
  const more = regions.length - rows.length;
  const note = more > 0 ? `\n\n…and ${count(more)} more regions in summary.json.` : '';
  return `### Regions\n\n${table(header, rows, 'llrrrrl')}${note}`;
}

function listValue(value: string[] | 'all'): string {
  return value === 'all' ? 'all' : value.map((v) => escapeMarkdown(v, 40)).join(', ');
}

/** What the events were checked against: the rules, the filter, or nothing (an export). */
function queryText(input: JobSummaryInput): string {
  const { summary } = input;
  const lines: string[] = [];
  if (summary.rulesEvaluated !== undefined) {
    const from = input.rules?.length
      ? ` from ${input.rules.map((r) => escapeMarkdown(r, 120)).join(', ')}`
      : '';
    const skipped = summary.rulesUnsupported?.length ?? 0;
    const correlations = summary.correlations?.length ?? 0;
    lines.push(
      `- **Rules:** ${plural(summary.rulesEvaluated, 'Sigma rule')}${from}` +
        (correlations > 0 ? `, ${plural(correlations, 'correlation rule')}` : '') +
        (skipped > 0 ? ` (${count(skipped)} more could not run)` : '') +
        (summary.minLevel
          ? `; the gate counts level ${escapeMarkdown(summary.minLevel, 20)} and above`
          : '') +
        '.',
    );
  }
  if (summary.filter === null) {
    lines.push(
      summary.rulesEvaluated !== undefined
        ? '- **Filter:** none: every event in the window was checked against the rules.'
        : '- **Filter:** none: every event in the window matches (an export).',
    );
    return lines.join('\n');
  }
  const role = summary.rulesEvaluated !== undefined ? ' it narrows the events the rules see.' : '';
  return `${lines.join('\n')}${lines.length > 0 ? '\n' : ''}- **Filter:**${role}\n\n${fenced(visibleFilter(summary.filter))}`;
}

/** The user's filter for a code block: controls made visible, length bounded. */
function visibleFilter(text: string): string {
  // Keep the user's line breaks (YAML), make every other control visible.
  return truncateText(text.split(/\r?\n/).map(showControls).join('\n'), MAX_FILTER_CHARS);
}

function searchedSection(input: JobSummaryInput): string {
  const { summary } = input;
  const s = summary.scanned;
  const items = [
    `- **Source:** ${cell(summary.source, 300)}`,
    `- **Window:** ${windowText(summary)}`,
    `- **Regions:** ${listValue(summary.regions)} · **Accounts:** ${listValue(summary.accounts)}`,
    `- **Engine:** ${cell(summary.engine, 20)} (${escapeMarkdown(summary.engineReason, 300)})`,
    `- **Read:** ${count(s.objects)} objects of ${count(s.objectsListed)} listed (${count(s.objectsSkipped)} skipped), ` +
      `${formatBytes(s.bytes)} (${formatBytes(s.bytesUncompressed)} uncompressed), ${plural(s.records, 'record')}` +
      (s.bytesScanned !== undefined
        ? `; Athena scanned ${formatBytes(s.bytesScanned)}${s.costUsd !== undefined ? `, about ${formatUsd(s.costUsd)}` : ''}`
        : '') +
      ` in ${formatDuration(summary.durationMs)}`,
  ];
  return `### What was searched\n\n${items.join('\n')}\n${queryText(input)}`;
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
  const { summary } = input;
  const before = [
    verdict(input),
    overview(input),
    alertsSection(summary),
    rulesSection(summary),
    failureSection(summary),
  ];
  const after = [
    timelineSection(summary),
    topSection(summary),
    warningsSection(summary),
    searchedSection(input),
    regionSection(summary),
    filesSection(input),
  ];
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
