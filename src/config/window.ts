/**
 * Time window maths: `--days`, `--since/--until` (ISO-8601 instants or relative durations like
 * `15m`, `6h`, `3d`) -> a half-open window [since, until) exact to the second.
 */
import { ConfigurationError } from '../errors.js';
import type { TimeWindow } from '../investigation.js';

export const DEFAULT_DAYS = 90;
export const MIN_DAYS = 0.01;
/**
 * No CloudTrail event is older than CloudTrail (launched 2013-11-13): a window reaching further
 * back is a typo (`--days 200000000`, `99999999999w`) that would otherwise become an invalid date,
 * or plan millions of day folders, after the first AWS calls.
 */
export const EARLIEST_SINCE = new Date('2013-11-01T00:00:00Z');
/** A window may end at most this long after now (clock skew, "until tomorrow"); no later. */
export const MAX_UNTIL_AHEAD_DAYS = 1;
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};
const RELATIVE = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i;
// Date, or date-time with optional seconds/fraction and a zone (Z or ±hh:mm).
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Parses `--days` (a positive number of days, fractional allowed). */
export function parseDays(value: string | number, field = '--days'): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (String(value).trim() === '' || !Number.isFinite(n)) {
    throw new ConfigurationError(
      `${field} must be a number of days such as 1, 0.25 or 90; got "${String(value)}".`,
      field,
    );
  }
  if (n < MIN_DAYS) {
    throw new ConfigurationError(
      `${field} must be at least ${MIN_DAYS} (about 15 minutes); got ${n}. For a precise window use --since/--until.`,
      field,
    );
  }
  return n;
}

/**
 * Parses an instant: ISO-8601 (a date alone is midnight UTC; a time without a zone is UTC) or a
 * duration before `now` (`15m`, `6h`, `3d`, `2w`).
 */
export function parseInstant(value: string, now: Date, field: string): Date {
  const text = value.trim();
  const rel = RELATIVE.exec(text);
  if (rel) {
    const ms = Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!;
    return checkRange(new Date(now.getTime() - ms), field, value);
  }
  if (ISO.test(text)) {
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.length > 10;
    const normalised = text.replace(' ', 'T');
    const date = new Date(text.length === 10 ? `${text}T00:00:00Z` : hasZone ? normalised : `${normalised}Z`);
    if (!Number.isNaN(date.getTime())) return checkRange(date, field, value);
  }
  throw new ConfigurationError(
    `${field} must be an ISO-8601 time such as 2023-07-10T00:00:00Z or a duration before now such as 15m, 6h or 3d; got "${value}".`,
    field,
  );
}

/** An instant no earlier than EARLIEST_SINCE (NaN, from an overflow, is refused too). */
function checkRange(date: Date, field: string, value: string): Date {
  if (date.getTime() >= EARLIEST_SINCE.getTime()) return date;
  throw new ConfigurationError(
    `${field} "${value}" is before ${isoSecond(EARLIEST_SINCE)} (or out of range): CloudTrail did not exist then, so no log holds such an event. Give a later time.`,
    field,
  );
}

/** Truncates to the whole second: eventTime has second resolution. */
function toSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export interface WindowInput {
  days?: string | number;
  since?: string;
  until?: string;
  /** `days` found inside the filter map (the original tool's place for it). */
  filterDays?: number;
}

/** Resolves the window; `since` wins over `days`, `until` defaults to now. */
export function resolveWindow(input: WindowInput, now: Date): TimeWindow {
  const hasDays = input.days !== undefined && String(input.days).trim() !== '';
  const hasSince = input.since !== undefined && input.since.trim() !== '';
  const hasUntil = input.until !== undefined && input.until.trim() !== '';
  if (hasDays && hasSince) {
    throw new ConfigurationError(
      'Give either --days or --since, not both: --days N means the N days before --until (default now).',
      '--days',
    );
  }
  const until = toSecond(hasUntil ? parseInstant(input.until!, now, '--until') : now);
  let since: Date;
  if (hasSince) {
    since = toSecond(parseInstant(input.since!, now, '--since'));
  } else {
    const days = hasDays ? parseDays(input.days!) : (input.filterDays ?? DEFAULT_DAYS);
    const field = hasDays ? '--days' : 'filter key "days"';
    if (!hasDays && input.filterDays !== undefined) parseDays(input.filterDays, field);
    const maxDays = Math.floor((until.getTime() - EARLIEST_SINCE.getTime()) / UNIT_MS.d!);
    if (days > maxDays) {
      throw new ConfigurationError(
        `${field} ${days} reaches back before ${isoSecond(EARLIEST_SINCE)}, before CloudTrail existed; the limit is ${maxDays} days before --until (${isoSecond(until)}). Give a smaller number of days, or --since.`,
        field,
      );
    }
    since = toSecond(new Date(until.getTime() - days * UNIT_MS.d!));
  }
  if (since.getTime() >= until.getTime()) {
    throw new ConfigurationError(
      `The window is empty: --since (${since.toISOString()}) must be before --until (${until.toISOString()}).`,
      '--since',
    );
  }
  if (since.getTime() > now.getTime()) {
    throw new ConfigurationError(
      `The window starts in the future (${since.toISOString()} is after now, ${now.toISOString()}): no event can match. Check --since.`,
      '--since',
    );
  }
  const latest = now.getTime() + MAX_UNTIL_AHEAD_DAYS * UNIT_MS.d!;
  if (until.getTime() > latest) {
    throw new ConfigurationError(
      `--until (${isoSecond(until)}) is more than ${MAX_UNTIL_AHEAD_DAYS} day after now: no log holds future events, and the search would plan every day up to it. Give --until ${isoSecond(new Date(latest))} or earlier (or leave it out: it defaults to now).`,
      '--until',
    );
  }
  return { since, until };
}

/** `2023-07-10T00:00:00Z`: the form CloudTrail uses for eventTime. */
export function isoSecond(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A duration such as 90s, 15m, 6h, 3d or 2w, in milliseconds (plain numbers are seconds). */
export function parseDuration(value: string | number, field: string): number {
  const text = String(value).trim();
  const rel = RELATIVE.exec(/^\d+(?:\.\d+)?$/.test(text) ? `${text}s` : text);
  const ms = rel ? Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]! : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 400 * UNIT_MS.d!) {
    throw new ConfigurationError(
      `${field} must be a duration such as 30m, 6h or 3d (at most 400 days); got "${String(value)}".`,
      field,
    );
  }
  return ms;
}
