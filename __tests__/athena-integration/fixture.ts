/**
 * Shared by the Athena integration tests: generated trail logs written both to a local folder (the
 * scan engine's source and jq's input) and into an s3rver bucket (the Athena engine's discovery),
 * plus the independent oracle — jq over the local copy, with the Athena table's partition rules
 * (region folder, account folder, day folders) written here by hand from docs/athena.md.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateObjects, type GenerateOptions, type GeneratedObject } from '../../tools/generate/index.js';
import { cloudTrailFiles } from '../helpers/jq.js';

const run = promisify(execFile);

export const ACCOUNTS = ['111111111111', '222222222222'];
export const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];

/** An account trail with a key prefix: three days, three regions, many global-event duplicates. */
export const ACCOUNT_TRAIL: GenerateOptions = {
  seed: 'athena-parity',
  accounts: ACCOUNTS,
  prefix: 'audit/ct',
  regions: REGIONS,
  start: '2024-03-01T00:00:00Z',
  days: 3,
  filesPerHour: 0.5,
  recordsPerFile: [8, 20],
  globalDuplicateShare: 0.3,
  digests: true,
  foreignObjects: true,
};

/** An organization trail without a key prefix. */
export const ORG_ID = 'o-parity1234';
export const ORG_TRAIL: GenerateOptions = {
  seed: 'athena-org',
  accounts: ['333333333333', '444444444444'],
  organizationId: ORG_ID,
  regions: ['us-east-1', 'us-west-2'],
  start: '2024-03-01T00:00:00Z',
  days: 1,
  filesPerHour: 1,
  recordsPerFile: [3, 6],
};

export function objectsOf(options: GenerateOptions): GeneratedObject[] {
  return [...generateObjects(options)];
}

/** Writes the objects under `dir`, one file per key (the layout a synced bucket has on disk). */
export async function writeObjects(dir: string, objects: GeneratedObject[]): Promise<void> {
  for (const o of objects) {
    const file = path.join(dir, ...o.key.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, o.body);
  }
}

const tempDirs: string[] = [];

/** A new folder under the system temp folder, removed by `removeTempDirs`. */
export async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${name}-`));
  tempDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The day partitions a query reads, as docs/athena.md states the rule: from the day of `since`
 * to the day of `until + 1 hour`, as `YYYY/MM/DD`.
 */
export function partitionDays(since: string, until: string): string[] {
  const days: string[] = [];
  const last = Math.floor((Date.parse(until) + HOUR_MS) / DAY_MS);
  for (let d = Math.floor(Date.parse(since) / DAY_MS); d <= last; d++) {
    days.push(new Date(d * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '/'));
  }
  return days;
}

/** Log files of one region partition: the region folder, the accounts asked, the days read. */
export async function partitionFiles(
  root: string,
  region: string,
  days: string[],
  accounts: string[] | 'all',
): Promise<string[]> {
  return (await cloudTrailFiles(root)).filter((file) => {
    const m = /\/AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4}\/\d{2}\/\d{2})\//.exec(
      file,
    );
    return (
      m !== null &&
      m[2] === region &&
      days.includes(m[3] as string) &&
      (accounts === 'all' || accounts.includes(m[1] as string))
    );
  });
}

/**
 * jq helpers for filter semantics: `ci(k)` looks a key up ignoring case below a JSON field,
 * spreading arrays along the path, as docs/athena.md describes the JSON-text columns.
 */
const JQ_DEFS =
  'def ci($k): if type == "object" then (to_entries[] | select(.key | ascii_downcase == $k) | .value) ' +
  'elif type == "array" then (.[] | ci($k)) else empty end; ' +
  'def lc: if type == "string" then ascii_downcase else tostring | ascii_downcase end;';

/** Full records (as delivered) of `files` selected by the jq boolean expression `select`, in file order. */
export async function jqRecords(files: string[], select: string): Promise<Record<string, unknown>[]> {
  return (await jqEach(files, `select(${select})`)) as Record<string, unknown>[];
}

/** The outputs of the jq `program` run on each record of `files`, in file order. */
export async function jqEach(files: string[], program: string): Promise<unknown[]> {
  if (files.length === 0) return [];
  program = `${JQ_DEFS} .Records[] | ${program}`;
  const quoted = files.map((f) => `'${f.replace(/'/g, `'\\''`)}'`).join(' ');
  const { stdout } = await run(
    'bash',
    ['-c', `zcat -f ${quoted} | jq -c '${program.replace(/'/g, `'\\''`)}'`],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

/** Lines of a results.jsonl file, parsed. */
export async function readJsonl(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export async function readJson<T = Record<string, any>>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}
