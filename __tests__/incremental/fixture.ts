/**
 * A CloudTrail writer for incremental-mode tests: log files in the real key layout, stamped with
 * their delivery time, holding events up to an hour older than that, mirrored to a local folder
 * so `jq` can say independently what every run together should have reported.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const ACCOUNT = '111122223333';
export const WATCHED = ['StopLogging', 'DeleteTrail', 'ConsoleLogin'];
const OTHER = ['DescribeInstances', 'GetObject', 'ListBuckets', 'AssumeRole'];

export interface Delivered {
  key: string;
  body: Buffer;
  stamp: Date;
  ids: string[];
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `YYYYMMDDTHHmmZ` of a delivery time. */
export function stampText(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
}

export function logKey(region: string, stamp: Date, account = ACCOUNT): string {
  const day = `${stamp.getUTCFullYear()}/${pad(stamp.getUTCMonth() + 1)}/${pad(stamp.getUTCDate())}`;
  const id = randomBytes(8).toString('hex').toUpperCase();
  return `AWSLogs/${account}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${stampText(stamp)}_${id}.json.gz`;
}

export function event(
  name: string,
  time: Date,
  region: string,
  eventID = randomUUID(),
): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, userName: 'alice' },
    eventTime: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: name,
    awsRegion: region,
    sourceIPAddress: '203.0.113.7',
    eventID,
    readOnly: false,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
  };
}

/**
 * One log file delivered at `stamp` with `count` events from up to an hour before it, a third of
 * them watched; `extra` records are added as given (e.g. a copy of an event delivered before).
 */
export function logFile(
  region: string,
  stamp: Date,
  count: number,
  seed: number,
  extra: Record<string, unknown>[] = [],
): Delivered {
  const records = Array.from({ length: count }, (_, i) => {
    const name =
      (seed + i) % 3 === 0 ? WATCHED[(seed + i) % WATCHED.length]! : OTHER[(seed + i) % OTHER.length]!;
    const lag = ((seed * 7919 + i * 104729) % 3600) * 1000;
    return event(name, new Date(stamp.getTime() - lag), region);
  });
  records.push(...extra);
  return {
    key: logKey(region, stamp),
    body: gzipSync(JSON.stringify({ Records: records })),
    stamp,
    ids: records.map((r) => String(r.eventID)),
  };
}

/** Writes a file into the local mirror (the jq oracle's copy). */
export async function mirror(dir: string, file: Delivered): Promise<string> {
  const target = path.join(dir, file.key);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, file.body);
  return target;
}

export const minutesAgo = (now: number, m: number): Date => new Date(now - m * 60_000);
