/**
 * Object keys in CloudTrail's delivery layout (and the neighbours that share its bucket):
 * `<prefix>/AWSLogs/[<org id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz`.
 */

export interface KeyBase {
  /** Key prefix without leading/trailing slashes; '' for none. */
  prefix: string;
  organizationId?: string;
  account: string;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY/MM/DD` of a UTC time. */
export function dayFolder(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
}

/** `YYYYMMDDTHHmmZ`, the delivery stamp of log file names. */
export function minuteStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
}

/** `YYYYMMDDTHHmmssZ`, the stamp of digest file names. */
export function secondStamp(ms: number): string {
  const d = new Date(ms);
  return `${minuteStamp(ms).slice(0, -1)}${pad(d.getUTCSeconds())}Z`;
}

function accountRoot({ prefix, organizationId, account }: KeyBase): string {
  const parts = [prefix, 'AWSLogs', organizationId, account].filter((p): p is string => !!p);
  return parts.join('/');
}

export function logFileKey(base: KeyBase, region: string, deliveredMs: number, suffix: string): string {
  const { account } = base;
  return `${accountRoot(base)}/CloudTrail/${region}/${dayFolder(deliveredMs)}/${account}_CloudTrail_${region}_${minuteStamp(deliveredMs)}_${suffix}.json.gz`;
}

export function digestFileKey(
  base: KeyBase,
  region: string,
  trailName: string,
  trailRegion: string,
  endMs: number,
): string {
  const { account } = base;
  return `${accountRoot(base)}/CloudTrail-Digest/${region}/${dayFolder(endMs)}/${account}_CloudTrail-Digest_${region}_${trailName}_${trailRegion}_${secondStamp(endMs)}.json.gz`;
}

export function insightFileKey(base: KeyBase, region: string, deliveredMs: number, suffix: string): string {
  const { account } = base;
  return `${accountRoot(base)}/CloudTrail-Insight/${region}/${dayFolder(deliveredMs)}/${account}_CloudTrail-Insight_${region}_${minuteStamp(deliveredMs)}_${suffix}.json.gz`;
}

/**
 * An AWS Config snapshot file; Config's date folders are not zero-padded. (History files name a
 * resource type with `::`, which Windows cannot check out, so the generator writes snapshots.)
 */
export function configSnapshotKey(base: KeyBase, region: string, ms: number, snapshotId: string): string {
  const d = new Date(ms);
  const folder = `${d.getUTCFullYear()}/${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
  return `${accountRoot(base)}/Config/${region}/${folder}/ConfigSnapshot/${base.account}_Config_${region}_ConfigSnapshot_${secondStamp(ms)}_${snapshotId}.json.gz`;
}
