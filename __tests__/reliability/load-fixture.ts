/**
 * A fast writer of a large, realistic CloudTrail folder for the load test: about a million records
 * in a day of named log files over three regions, written in seconds. The deterministic generator
 * (tools/generate) makes a pool of realistic records; each output record is one of them with a
 * new eventID and eventTime stamped into its JSON text (so no record is built or serialised per
 * copy). Duplicates are planted on purpose: copies of matching global-service records delivered
 * again into another region's file or a later file of the same region, and copies of
 * non-matching records. Everything a test asserts is counted here, as the files are written.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import { generateLogs } from '../../tools/generate/index.js';

export const LOAD_ACCOUNT = '123456789012';
export const LOAD_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const;
export const LOAD_DAY = '2024-05-01';

export interface LoadFixtureOptions {
  /** Unique records to write (duplicates come on top). */
  records: number;
  recordsPerFile: number;
  /** Extra copies of matching records, delivered into another file. */
  matchingDuplicates: number;
  /** Extra copies of records that do not match. */
  otherDuplicates: number;
  /** Which records of the pool match the test's filter. */
  matches: (record: Record<string, unknown>) => boolean;
}

export interface LoadFixture {
  dir: string;
  files: number;
  /** Every record in the files, duplicates included. */
  recordsWritten: number;
  /** eventIDs of the matching records, once each, sorted. */
  expectedIds: string[];
  /** Copies of matching records beyond the first (what de-duplication must drop). */
  matchingDuplicates: number;
  /** Copies of matching records delivered into a different region's folder. */
  crossRegionDuplicates: number;
}

interface Queued {
  bytes: Buffer;
  region: string;
  file: number;
  otherRegion: boolean;
}

interface Template {
  /** JSON bytes around the quoted eventTime and eventID values. */
  parts: [Buffer, Buffer, Buffer];
  /** Bytes of a record made from it (the time and id have fixed lengths). */
  size: number;
  matches: boolean;
}

const TIME_MARK = '"@@TIME@@"';
const ID_MARK = '"@@ID@@"';
/** `"YYYY-MM-DDTHH:MM:SSZ"` and a quoted 36-character UUID. */
const TIME_BYTES = 22;
const ID_BYTES = 38;

/** Pool records of each region, as templates with the eventTime and eventID cut out. */
function templatePool(options: LoadFixtureOptions): Map<string, Template[]> {
  const pool = new Map<string, Template[]>(LOAD_REGIONS.map((r) => [r, []]));
  for (const file of generateLogs({
    seed: 'load-pool',
    accounts: [LOAD_ACCOUNT],
    regions: [...LOAD_REGIONS],
    start: `${LOAD_DAY}T00:00:00Z`,
    hours: 2,
    filesPerHour: 12,
    recordsPerFile: [40, 80],
    globalDuplicateShare: 0,
  })) {
    for (const record of file.records) {
      const text = JSON.stringify({ ...record, eventTime: '@@TIME@@', eventID: '@@ID@@' });
      const [before, rest] = splitOnce(text, TIME_MARK);
      const [middle, after] = splitOnce(rest, ID_MARK);
      const parts: Template['parts'] = [Buffer.from(before), Buffer.from(middle), Buffer.from(after)];
      const size = parts[0].length + TIME_BYTES + parts[1].length + ID_BYTES + parts[2].length;
      pool.get(file.region)!.push({ parts, size, matches: options.matches(record) });
    }
  }
  return pool;
}

function splitOnce(text: string, mark: string): [string, string] {
  const at = text.indexOf(mark);
  if (at < 0 || text.indexOf(mark, at + 1) >= 0) throw new Error(`pool record without exactly one ${mark}`);
  return [text.slice(0, at), text.slice(at + mark.length)];
}

const gzipAsync = promisify(gzip);
const gzipFast = (data: Buffer): Promise<Buffer> =>
  gzipAsync(data, { level: constants.Z_BEST_SPEED, chunkSize: 1 << 20 });

/** A UUID-shaped, unique, deterministic eventID. */
function eventId(n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `10ad0000-0000-4000-8000-${h}`;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
}

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Copies one record into `buf` at `at`; returns the offset after it. */
function fill(buf: Buffer, at: number, t: Template, time: string, id: string): number {
  let o = at + t.parts[0].copy(buf, at);
  o += buf.write(`"${time}"`, o, 'latin1');
  o += t.parts[1].copy(buf, o);
  o += buf.write(`"${id}"`, o, 'latin1');
  return o + t.parts[2].copy(buf, o);
}

/** Writes the folder; resolves with what was written. */
export async function writeLoadFixture(dir: string, options: LoadFixtureOptions): Promise<LoadFixture> {
  const pool = templatePool(options);
  const dayStart = Date.parse(`${LOAD_DAY}T00:00:00Z`);
  const filesPerRegion = Math.ceil(options.records / options.recordsPerFile / LOAD_REGIONS.length);
  // Stamps from 00:20 to before 23:50, evenly: every record (60-899 s older) stays inside the day.
  const stepMs = Math.floor((23.5 * 3_600_000) / filesPerRegion);
  const expected = new Set<string>();
  // Records waiting to be delivered a second time: into another region's file, or into a later
  // file of their own region (alternately).
  const matchingQueue: Queued[] = [];
  const otherQueue: Queued[] = [];
  // Copies are taken from every k-th matching (or other) record, spread over the whole day.
  const all = [...pool.values()].flat();
  const share = all.filter((t) => t.matches).length / all.length;
  const everyMatching = Math.max(1, Math.floor((options.records * share) / (options.matchingDuplicates * 2)));
  const everyOther = Math.max(1, Math.floor((options.records * (1 - share)) / (options.otherDuplicates * 2)));
  let matchingSeen = 0;
  let otherSeen = 0;
  let matchingLeft = options.matchingDuplicates;
  let otherLeft = options.otherDuplicates;
  let crossRegion = 0;
  let n = 0;
  let written = 0;
  let files = 0;
  let cursor = 0;
  const writing: Promise<void>[] = [];

  for (let f = 0; f < filesPerRegion; f++) {
    const deliveredMs = dayStart + 20 * 60_000 + f * stepMs;
    for (const [ri, region] of LOAD_REGIONS.entries()) {
      const templates = pool.get(region)!;
      const count = Math.min(options.recordsPerFile, options.records - n);
      const chosen: Template[] = [];
      let size = 0;
      for (let i = 0; i < count; i++) {
        const t = templates[cursor++ % templates.length]!;
        chosen.push(t);
        size += t.size;
      }
      // Copies delivered into this file: it is another file (a later one, or another region's).
      const copies: Queued[] = [];
      for (const queue of [matchingQueue, otherQueue]) {
        const isMatching = queue === matchingQueue;
        for (let q = 0; q < queue.length;) {
          const copy = queue[q]!;
          const eligible = copy.otherRegion
            ? copy.region !== region
            : copy.region === region && copy.file < f;
          if (!eligible || (isMatching ? matchingLeft === 0 : otherLeft === 0)) {
            q++;
            continue;
          }
          copies.push(copy);
          size += copy.bytes.length;
          queue.splice(q, 1);
          if (isMatching) {
            matchingLeft--;
            if (copy.region !== region) crossRegion++;
          } else otherLeft--;
        }
      }
      const records = chosen.length + copies.length;
      if (records === 0) continue;
      const head = Buffer.from('{"Records":[');
      const buf = Buffer.allocUnsafe(head.length + size + (records - 1) + 2);
      let o = head.copy(buf, 0);
      for (const [i, t] of chosen.entries()) {
        if (i > 0) buf[o++] = 0x2c;
        const id = eventId(n);
        const start = o;
        o = fill(buf, o, t, iso(deliveredMs - (60 + ((n * 7919) % 840)) * 1000), id);
        n++;
        if (!t.matches) {
          if (otherLeft > otherQueue.length && otherSeen++ % everyOther === 0) {
            otherQueue.push({
              bytes: Buffer.from(buf.subarray(start, o)),
              region,
              file: f,
              otherRegion: otherQueue.length % 2 === 0,
            });
          }
          continue;
        }
        expected.add(id);
        if (matchingLeft > matchingQueue.length && matchingSeen++ % everyMatching === 0) {
          matchingQueue.push({
            bytes: Buffer.from(buf.subarray(start, o)),
            region,
            file: f,
            otherRegion: matchingQueue.length % 2 === 0,
          });
        }
      }
      for (const copy of copies) {
        if (o > head.length) buf[o++] = 0x2c;
        o += copy.bytes.copy(buf, o);
      }
      o += buf.write(']}', o, 'latin1');
      if (o !== buf.length) throw new Error(`fixture file size: wrote ${o} of ${buf.length} bytes`);

      const folder = path.join(dir, 'AWSLogs', LOAD_ACCOUNT, 'CloudTrail', region, ...LOAD_DAY.split('-'));
      if (f === 0) await mkdir(folder, { recursive: true });
      const name = `${LOAD_ACCOUNT}_CloudTrail_${region}_${stamp(deliveredMs)}_${f.toString(36).padStart(8, '0')}${ri}load.json.gz`;
      // Compressed as CloudTrail delivers them (and 10x less to write), on the thread pool, one
      // file per core at a time.
      if (writing.length >= 2) await writing.shift();
      writing.push(gzipFast(buf).then((body) => writeFile(path.join(folder, name), body)));
      written += records;
      files++;
    }
  }
  await Promise.all(writing);
  if (matchingLeft > 0 || otherLeft > 0)
    throw new Error('the fixture could not place every planted duplicate');
  return {
    dir,
    files,
    recordsWritten: written,
    expectedIds: [...expected].sort(),
    matchingDuplicates: options.matchingDuplicates,
    crossRegionDuplicates: crossRegion,
  };
}
