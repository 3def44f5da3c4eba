/**
 * Per-record checks shared by both ways of reading an object: where a record's eventTime falls
 * relative to the window, and whether it belongs to the asked regions and accounts.
 */

// CloudTrail writes eventTime as `YYYY-MM-DDTHH:MM:SSZ`: such strings compare correctly as text.
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

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

/** -1 before the window, 0 inside, 1 after; NaN when the time is missing or unreadable. */
export function placeInWindow(eventTime: unknown, w: WindowBounds): number {
  if (typeof eventTime !== 'string') return Number.NaN;
  if (eventTime.length === 20 && CANONICAL_TIME.test(eventTime)) {
    return eventTime < w.since ? -1 : eventTime >= w.until ? 1 : 0;
  }
  const ms = Date.parse(eventTime);
  if (Number.isNaN(ms)) return Number.NaN;
  const sec = Math.floor(ms / 1000) * 1000;
  return sec < w.sinceMs ? -1 : sec >= w.untilMs ? 1 : 0;
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
