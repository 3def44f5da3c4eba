/**
 * The benchmark's dataset: generated CloudTrail logs in the real delivery layout (two accounts,
 * three regions, three days), sized by file count and uncompressed megabytes, deterministic, and
 * cached: a folder per size with a manifest of every file's sizes and record count.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateObjects, type GenerateOptions } from '../tools/generate/index.js';

export interface DatasetFile {
  /** Key (relative path) in the delivery layout. */
  key: string;
  bytes: number;
  uncompressed: number;
  records: number;
  /** Delivery stamp of the file name, ISO. */
  delivered: string;
}

export interface Dataset {
  dir: string;
  /** The generator options used (seed included): same options, same bytes. */
  options: GenerateOptions;
  /** First and last instant of the generated period, ISO. */
  start: string;
  end: string;
  files: DatasetFile[];
}

const ACCOUNTS = ['111111111111', '222222222222'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const DAYS = 3;
const START = '2023-07-10T00:00:00Z';
/** Average size of a generated record's JSON (measured). */
const BYTES_PER_RECORD = 1420;
const MANIFEST = 'manifest.json';

/** Generator options for about `files` files and `megabytes` MB (uncompressed). */
export function datasetOptions(files: number, megabytes: number): GenerateOptions {
  const streams = ACCOUNTS.length * REGIONS.length;
  const perFile = Math.max(1, Math.round((megabytes * 1e6) / BYTES_PER_RECORD / files));
  const spread = Math.max(1, Math.round(perFile * 0.3));
  return {
    seed: 'bench',
    accounts: ACCOUNTS,
    regions: REGIONS,
    start: START,
    days: DAYS,
    filesPerHour: files / (streams * DAYS * 24),
    recordsPerFile: [Math.max(1, perFile - spread), perFile + spread],
  };
}

export async function ensureDataset(
  root: string,
  files: number,
  megabytes: number,
  log: (line: string) => void,
): Promise<Dataset> {
  return ensureGenerated(
    path.join(root, `cloudtrail-${files}f-${megabytes}mb`),
    datasetOptions(files, megabytes),
    log,
  );
}

/**
 * The dataset `options` describe (days from `options.start`), generated once into `home`/logs and
 * reused while the options stay the same.
 */
export async function ensureGenerated(
  home: string,
  options: GenerateOptions,
  log: (line: string) => void,
): Promise<Dataset> {
  // The manifest sits beside the logs folder: the scan engine reads every file under it.
  const dir = path.join(home, 'logs');
  const manifestPath = path.join(home, MANIFEST);
  if (existsSync(manifestPath)) {
    const cached = JSON.parse(await readFile(manifestPath, 'utf8')) as Dataset;
    if (JSON.stringify(cached.options) === JSON.stringify(options)) return { ...cached, dir };
  }
  log(`Generating the dataset in ${dir} (cached for later runs)…`);
  await rm(home, { recursive: true, force: true });
  const list: DatasetFile[] = [];
  const made = new Set<string>();
  for (const object of generateObjects(options)) {
    if (!object.log) continue;
    const file = path.join(dir, ...object.key.split('/'));
    const parent = path.dirname(file);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true });
      made.add(parent);
    }
    await writeFile(file, object.body);
    list.push({
      key: object.key,
      bytes: object.body.length,
      // The gzip trailer holds the uncompressed size (the files are far below 4 GB).
      uncompressed: object.body.readUInt32LE(object.body.length - 4),
      records: object.log.records.length,
      delivered: object.log.delivered.toISOString(),
    });
  }
  const endMs = Date.parse(options.start) + (options.days ?? 0) * 86_400_000;
  const dataset: Dataset = {
    dir,
    options,
    start: options.start,
    end: new Date(endMs).toISOString().replace('.000Z', 'Z'),
    files: list,
  };
  await writeFile(manifestPath, JSON.stringify(dataset));
  return dataset;
}

export function totals(files: readonly DatasetFile[]): {
  bytes: number;
  uncompressed: number;
  records: number;
} {
  return files.reduce(
    (t, f) => ({
      bytes: t.bytes + f.bytes,
      uncompressed: t.uncompressed + f.uncompressed,
      records: t.records + f.records,
    }),
    { bytes: 0, uncompressed: 0, records: 0 },
  );
}
