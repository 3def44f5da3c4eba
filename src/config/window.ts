/**
 * Time window maths: `--days`, `--since/--until` (ISO-8601 instants or relative durations like
 * `15m`, `6h`, `3d`) -> a half-open window [since, until) exact to the second.
 */
import { ConfigurationError } from '../errors.js';
import type { TimeWindow } from '../investigation.js';

export const DEFAULT_DAYS = 90;
export const MIN_DAYS = 0.01;
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
    return new Date(now.getTime() - ms);
  }
  if (ISO.test(text)) {
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.length > 10;
    const normalised = text.replace(' ', 'T');
    const date = new Date(text.length === 10 ? `${text}T00:00:00Z` : hasZone ? normalised : `${normalised}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new ConfigurationError(
    `${field} must be an ISO-8601 time such as 2023-07-10T00:00:00Z or a duration before now such as 15m, 6h or 3d; got "${value}".`,
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
    if (!hasDays && input.filterDays !== undefined) parseDays(input.filterDays, 'filter key "days"');
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
