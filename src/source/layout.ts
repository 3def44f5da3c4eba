/**
 * The CloudTrail key layout in S3, as pure functions: which prefixes a window needs and what a
 * file name says about itself.
 *
 *   <prefix>/AWSLogs/[<o-org id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
 *     <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz
 *
 * The date folder and the stamp are the *delivery* time (UTC, truncated to the minute); a file holds
 * events from before it was delivered.
 */
import type { TimeWindow } from '../investigation.js';
import type { LogFileName } from './types.js';

/**
 * How late a file may be delivered after the events it holds. CloudTrail delivers within about
 * 5 minutes on average but does not guarantee it, and late files do occur; an hour of margin
 * costs about a dozen extra small files per account and region, a missed event costs a wrong
 * answer.
 */
export const DELIVERY_LAG_MS = 60 * 60 * 1000;

const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;

const LOG_FILE_NAME =
  /^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_([A-Za-z0-9]+)\.json(?:\.gz)?$/;

/** Accounts are 12 digits; organization trails add an `o-` folder above them. */
export const ACCOUNT_ID = /^\d{12}$/;
export const ORG_ID = /^o-[a-z0-9]{10,32}$/;
/** Region folder names (us-east-1, us-gov-west-1...): anything else under CloudTrail/ is not a region. */
export const REGION_NAME = /^[a-z0-9-]+$/;

/** The name of a CloudTrail log file (no folders), or undefined when it is not one. */
export function parseLogFileName(name: string): LogFileName | undefined {
  const m = LOG_FILE_NAME.exec(name);
  if (!m) return undefined;
  const [, account, region, y, mo, d, h, mi] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const delivered = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi));
  // Reject impossible stamps (month 13, 31 February...) that Date.UTC would silently roll over.
  if (
    delivered.getUTCFullYear() !== +y ||
    delivered.getUTCMonth() !== +mo - 1 ||
    delivered.getUTCDate() !== +d ||
    delivered.getUTCHours() !== +h ||
    delivered.getUTCMinutes() !== +mi
  ) {
    return undefined;
  }
  return { account, region, delivered };
}

export type KeyKind = 'log' | 'digest' | 'insight' | 'other';

/**
 * What an object is. Only `log` files hold management/data events; digests (integrity hashes) and
 * Insight files share the bucket and names that look alike, so they are told apart first.
 */
export function classifyKey(key: string): KeyKind {
  const parts = key.split('/');
  const name = parts[parts.length - 1] ?? '';
  const folders = parts.slice(0, -1);
  if (folders.includes('CloudTrail-Digest') || name.includes('_CloudTrail-Digest_')) return 'digest';
  if (folders.includes('CloudTrail-Insight') || name.includes('_CloudTrail-Insight_')) return 'insight';
  return parseLogFileName(name) ? 'log' : 'other';
}

/** The last path segment of a key. */
export function baseName(key: string): string {
  const i = key.lastIndexOf('/');
  return i === -1 ? key : key.slice(i + 1);
}

/**
 * Whether a file delivered at `delivered` (its name stamp) can hold events of `window`.
 * The stamp is truncated to the minute, so the file may have been delivered up to 59 s after it:
 * it only certainly predates `since` when `stamp + 1 min <= since`. Files stamped up to
 * `until + lagMs` (inclusive) may hold late-delivered events of the window.
 */
export function stampInWindow(delivered: Date, window: TimeWindow, lagMs: number): boolean {
  const t = delivered.getTime();
  return t + MINUTE_MS > window.since.getTime() && t <= window.until.getTime() + lagMs;
}

/** `YYYY/MM/DD` of a UTC day. */
export function dayFolder(date: Date): string {
  const y = String(date.getUTCFullYear()).padStart(4, '0');
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `${y}/${m}/${d}`;
}

/** The UTC day folders whose files can hold events of the window: day(since) .. day(until + lag). */
export function dayFolders(window: TimeWindow, lagMs: number): string[] {
  const first = Math.floor(window.since.getTime() / DAY_MS);
  const last = Math.floor((window.until.getTime() + lagMs) / DAY_MS);
  const days: string[] = [];
  for (let day = first; day <= last; day++) days.push(dayFolder(new Date(day * DAY_MS)));
  return days;
}

/** `<root>/AWSLogs/` (or `AWSLogs/` for an empty root): where accounts and org ids live. */
export function awsLogsPrefix(root: string): string {
  return root ? `${root}/AWSLogs/` : 'AWSLogs/';
}

/** `<root>/AWSLogs/[<org>/]<account>/CloudTrail/`: where the region folders of an account live. */
export function accountPrefix(root: string, orgId: string | undefined, account: string): string {
  return `${awsLogsPrefix(root)}${orgId ? `${orgId}/` : ''}${account}/CloudTrail/`;
}

/** `<root>/AWSLogs/[<org>/]<account>/CloudTrail/<region>/`: the day folders of one region. */
export function regionPrefix(
  root: string,
  orgId: string | undefined,
  account: string,
  region: string,
): string {
  return `${accountPrefix(root, orgId, account)}${region}/`;
}
