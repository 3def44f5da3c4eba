/**
 * Per-record checks shared by both ways of reading an object: where a record's eventTime falls
 * relative to the window, and whether it belongs to the asked regions and accounts.
 */

// CloudTrail writes eventTime as `YYYY-MM-DDTHH:MM:SSZ`: such strings, once checked to name a
// real time, compare correctly as text.
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** Other ISO 8601 times read: fractions of a second, an offset instead of `Z`. */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** The window as ISO seconds `[since, until)` and as epoch milliseconds. */
export interface WindowBounds {
  since: string;
  until: string;
  sinceMs: number;
  untilMs: number;
}

export function windowBounds(since: string, until: string): WindowBounds {
  return { since, until, sinceMs: Date.parse(since), untilMs: Date.parse(until) };
}

function daysIn(year: number, month: number): number {
  return month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : 30 + ((month + (month >> 3)) & 1);
}

/** Whether the fields of a date and time name a real instant (no hour 24, minute 60, 30 February...). */
function validFields(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo) && h <= 23 && mi <= 59 && s <= 59;
}

/** Two ASCII digits at `at` of `code`'s text, as a number. */
function two(code: (i: number) => number, at: number): number {
  return (code(at) - 48) * 10 + (code(at + 1) - 48);
}

/**
 * Whether the 20 characters `code(at)...` of a text already known to be shaped
 * `YYYY-MM-DDTHH:MM:SSZ` name a real time. For strings and for raw bytes alike.
 */
export function canonicalTimeValid(code: (i: number) => number, at = 0): boolean {
  const year = two(code, at) * 100 + two(code, at + 2);
  return validFields(
    year,
    two(code, at + 5),
    two(code, at + 8),
    two(code, at + 11),
    two(code, at + 14),
    two(code, at + 17),
  );
}

/**
 * -1 before the window, 0 inside, 1 after; NaN when the time is missing or unreadable: not an
 * ISO 8601 UTC or offset time, or one naming no real instant (`T24:00:00Z`, `T12:60:00Z`,
 * `2023-02-29`), which as text would sort inside windows it is not in.
 */
export function placeInWindow(eventTime: unknown, w: WindowBounds): number {
  if (typeof eventTime !== 'string') return Number.NaN;
  if (eventTime.length === 20 && CANONICAL_TIME.test(eventTime)) {
    if (!canonicalTimeValid((i) => eventTime.charCodeAt(i))) return Number.NaN;
    return eventTime < w.since ? -1 : eventTime >= w.until ? 1 : 0;
  }
  const ms = eventTimeMs(eventTime);
  if (Number.isNaN(ms)) return Number.NaN;
  // Whole seconds, as the window's bounds are: the fraction never moves a time across one.
  return ms < w.sinceMs ? -1 : ms >= w.untilMs ? 1 : 0;
}

/** Two ASCII digits at `at` of `text`, as a number. */
function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}

/**
 * The instant `eventTime` names, in epoch milliseconds (a fraction of a second to the
 * millisecond), or NaN when it is missing or unreadable by the rules `placeInWindow` applies.
 */
export function eventTimeMs(eventTime: unknown): number {
  if (typeof eventTime !== 'string') return Number.NaN;
  if (eventTime.length === 20 && CANONICAL_TIME.test(eventTime)) {
    const t = eventTime;
    const y = twoDigits(t, 0) * 100 + twoDigits(t, 2);
    const mo = twoDigits(t, 5);
    const day = twoDigits(t, 8);
    const h = twoDigits(t, 11);
    const mi = twoDigits(t, 14);
    const s = twoDigits(t, 17);
    if (!validFields(y, mo, day, h, mi, s)) return Number.NaN;
    const ms = Date.UTC(y, mo - 1, day, h, mi, s);
    return y < 100 ? new Date(ms).setUTCFullYear(y) : ms;
  }
  const m = ISO_TIME.exec(eventTime);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (!validFields(y, mo, d, h, mi, s)) return Number.NaN;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (y < 100) ms = new Date(ms).setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999
  if (m[7] !== undefined) ms += Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (m[8] !== undefined) {
    const offH = Number(m[9]);
    const offM = Number(m[10]);
    if (offH > 23 || offM > 59) return Number.NaN;
    ms -= (m[8] === '+' ? 1 : -1) * (offH * 60 + offM) * 60_000;
  }
  return ms;
}

/** Account of a record: the account whose trail recorded it. */
function recordAccount(record: Record<string, unknown>): unknown {
  const id = record.userIdentity as Record<string, unknown> | undefined;
  return record.recipientAccountId ?? id?.accountId;
}

export interface Scope {
  regions: Set<string> | undefined;
  accounts: Set<string> | undefined;
}

export function scopeOf(regions: string[] | 'all', accounts: string[] | 'all'): Scope | undefined {
  if (regions === 'all' && accounts === 'all') return undefined;
  return {
    regions: regions === 'all' ? undefined : new Set(regions),
    accounts: accounts === 'all' ? undefined : new Set(accounts),
  };
}

export function inScope(record: Record<string, unknown>, scope: Scope): boolean {
  if (scope.regions && !scope.regions.has(String(record.awsRegion))) return false;
  if (scope.accounts && !scope.accounts.has(String(recordAccount(record)))) return false;
  return true;
}
