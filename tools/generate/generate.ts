/**
 * The generator: deterministic CloudTrail log files in the real delivery layout, optionally with
 * the digest, insight and AWS Config objects that share a real trail bucket.
 *
 * Time model: the period is cut into delivery slots of `60 / filesPerHour` minutes. In each slot
 * every account and region gets one file stamped at the slot start plus 0-4 minutes; each of its
 * records happened 1 to 15 minutes before that stamp (never exactly 15). Global-service events
 * (IAM, STS, sign-in, CloudFront) are drawn only in us-east-1 files, and a share of them is also
 * delivered into another region's file of the same slot, as the very same record.
 */
import { gzipSync } from 'node:zlib';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Rng } from './prng.js';
import { CATALOGUE, findEvent, type EventSpec } from './catalogue.js';
import { accountPool } from './identities.js';
import { buildRecord, GLOBAL_REGION, type CloudTrailRecord } from './record.js';
import { resolveOptions, type GenerateOptions, type ResolvedOptions } from './options.js';
import { configSnapshotKey, digestFileKey, insightFileKey, logFileKey, type KeyBase } from './layout.js';
import {
  configSnapshotBody,
  digestBody,
  insightRecords,
  sha256Hex,
  type DigestedLog,
  type PreviousDigest,
} from './extras.js';

export interface LogFile {
  key: string;
  account: string;
  region: string;
  /** The delivery time of the file name's stamp. */
  delivered: Date;
  records: CloudTrailRecord[];
  /** Records of this file that are copies of a record delivered in another file. */
  duplicates: number;
}

export type ObjectKind = 'log' | 'digest' | 'insight' | 'foreign';

export interface GeneratedObject {
  key: string;
  kind: ObjectKind;
  /** The object's bytes as stored (gzip). */
  body: Buffer;
  /** Set for log files. */
  log?: LogFile;
}

const MINUTE = 60_000;
/** Records are 60 to 899 seconds older than their file's stamp. */
const MIN_LAG_S = 60;
const MAX_LAG_S = 899;

/** gzip with a fixed header, so the same records always give the same bytes. */
export function gzipDeterministic(text: string): Buffer {
  const out = gzipSync(Buffer.from(text, 'utf8'));
  // Node writes mtime 0; the OS byte depends on the platform zlib was built for: pin it to Unix.
  out[9] = 3;
  return out;
}

/** `{"Records":[...]}` on one line, gzipped: a log file as CloudTrail stores it. */
export function encodeLogFile(records: readonly object[]): Buffer {
  return gzipDeterministic(serialiseLogFile(records));
}

export function serialiseLogFile(records: readonly object[]): string {
  return JSON.stringify({ Records: records });
}

interface FileDraft {
  region: string;
  deliveredMs: number;
  records: CloudTrailRecord[];
  duplicates: number;
}

/** A whole second that fits every given file stamp's lag window, within [notBefore, before). */
function eventTimeFor(
  rng: Rng,
  stamps: number[],
  notBeforeMs = -Infinity,
  beforeMs = Infinity,
): number | undefined {
  const lo = Math.max(Math.max(...stamps) - MAX_LAG_S * 1000, Math.ceil(notBeforeMs / 1000) * 1000);
  const hi = Math.min(Math.min(...stamps) - MIN_LAG_S * 1000, Math.ceil(beforeMs / 1000) * 1000 - 1000);
  if (lo > hi) return undefined;
  return lo + rng.int(0, (hi - lo) / 1000) * 1000;
}

function* logFiles(o: ResolvedOptions): Generator<LogFile> {
  const rng = new Rng(`${o.seed}/logs`);
  const pools = new Map(o.accounts.map((a) => [a, accountPool(o.seed, a)]));
  const regional = CATALOGUE.filter((s) => !s.global);
  const maxJitterMin = Math.max(0, Math.min(4, Math.floor(o.intervalMs / MINUTE) - 1));
  const placed = new Set<number>();

  for (let slot = 0; o.startMs + slot * o.intervalMs < o.endMs; slot++) {
    const slotStart = Math.floor((o.startMs + slot * o.intervalMs) / MINUTE) * MINUTE;
    for (const account of o.accounts) {
      const pool = pools.get(account)!;
      const files: FileDraft[] = o.regions.map((region) => ({
        region,
        deliveredMs: slotStart + rng.int(0, maxJitterMin) * MINUTE,
        records: [],
        duplicates: 0,
      }));

      for (const file of files) {
        const catalogue: readonly EventSpec[] = file.region === GLOBAL_REGION ? CATALOGUE : regional;
        const count = rng.int(o.recordsPerFile[0], o.recordsPerFile[1]);
        for (let i = 0; i < count; i++) {
          const spec = rng.weighted(catalogue, (s) => s.weight);
          const copyTo =
            spec.global && files.length > 1 && rng.chance(o.globalDuplicateShare)
              ? rng.pick(files.filter((f) => f !== file))
              : undefined;
          const stamps = copyTo ? [file.deliveredMs, copyTo.deliveredMs] : [file.deliveredMs];
          // Stamps of one slot differ by at most 4 minutes, so the lag windows always overlap.
          const timeMs = eventTimeFor(rng, stamps)!;
          const record = buildRecord({ rng, pool, spec, region: file.region, timeMs });
          file.records.push(record);
          if (copyTo) {
            copyTo.records.push(record);
            copyTo.duplicates++;
          }
        }
      }

      o.planted.forEach((p, index) => {
        if (placed.has(index) || (p.account ?? o.accounts[0]) !== account) return;
        const spec = findEvent(p.eventName);
        const region = p.region ?? (spec.global ? GLOBAL_REGION : o.regions[0]!);
        const file = files.find((f) => f.region === region)!;
        const copyTo =
          p.duplicateIn === undefined ? undefined : files.find((f) => f.region === p.duplicateIn)!;
        const stamps = copyTo ? [file.deliveredMs, copyTo.deliveredMs] : [file.deliveredMs];
        const timeMs = eventTimeFor(
          rng,
          stamps,
          Date.parse(p.after),
          p.before === undefined ? Infinity : Date.parse(p.before),
        );
        if (timeMs === undefined) return;
        const error = p.failed ? (spec.errors?.[0] ?? null) : null;
        const record = buildRecord({
          rng,
          pool,
          spec,
          region,
          timeMs,
          error,
          ...(p.principal ? { principalKind: p.principal } : {}),
          ...(p.principalName ? { principalName: p.principalName } : {}),
        });
        file.records.push(record);
        if (copyTo) {
          copyTo.records.push(record);
          copyTo.duplicates++;
        }
        placed.add(index);
      });

      const base: KeyBase = {
        prefix: o.prefix,
        account,
        ...(o.organizationId ? { organizationId: o.organizationId } : {}),
      };
      for (const file of files) {
        if (file.records.length === 0) continue;
        // Stable sort: records of one file in time order, as CloudTrail mostly writes them.
        file.records.sort((a, b) => (a.eventTime as string).localeCompare(b.eventTime as string));
        yield {
          key: logFileKey(base, file.region, file.deliveredMs, rng.alnum(16)),
          account,
          region: file.region,
          delivered: new Date(file.deliveredMs),
          records: file.records,
          duplicates: file.duplicates,
        };
      }
    }
  }
  const missing = o.planted.filter((_, i) => !placed.has(i));
  if (missing.length > 0) {
    throw new Error(
      `planted events outside the generated period: ${missing.map((p) => `${p.eventName} after ${p.after}`).join(', ')}`,
    );
  }
}

/** Every CloudTrail log file of the period, in delivery order (slot by slot). */
export function generateLogs(options: GenerateOptions): Iterable<LogFile> {
  const resolved = resolveOptions(options);
  return { [Symbol.iterator]: () => logFiles(resolved) };
}

interface DigestState {
  periodStartMs: number;
  logs: DigestedLog[];
  previous: PreviousDigest | undefined;
}

function* allObjects(o: ResolvedOptions): Generator<GeneratedObject> {
  // Extras draw from their own stream so turning them on never changes the log files.
  const rng = new Rng(`${o.seed}/extras`);
  const baseOf = (account: string): KeyBase => ({
    prefix: o.prefix,
    account,
    ...(o.organizationId ? { organizationId: o.organizationId } : {}),
  });
  const fingerprints = new Map(o.accounts.map((a) => [a, rng.hex(32)]));
  const digests = new Map<string, DigestState>();
  for (const account of o.accounts) {
    for (const region of o.regions)
      digests.set(`${account}/${region}`, { periodStartMs: o.startMs, logs: [], previous: undefined });
  }
  const trailRegion = o.regions.includes(GLOBAL_REGION) ? GLOBAL_REGION : o.regions[0]!;

  function* flushDigests(account: string, region: string, untilMs: number): Generator<GeneratedObject> {
    const state = digests.get(`${account}/${region}`)!;
    while (state.periodStartMs + o.digestEveryMs <= untilMs) {
      const endMs = state.periodStartMs + o.digestEveryMs;
      const key = digestFileKey(baseOf(account), region, o.trailName, trailRegion, endMs);
      const logs = state.logs.filter((l) => l.deliveredMs < endMs);
      state.logs = state.logs.filter((l) => l.deliveredMs >= endMs);
      const text = JSON.stringify(
        digestBody({
          rng,
          account,
          bucket: o.bucket,
          key,
          startMs: state.periodStartMs,
          endMs,
          fingerprint: fingerprints.get(account)!,
          logs,
          previous: state.previous,
        }),
      );
      yield { key, kind: 'digest', body: gzipDeterministic(text) };
      state.previous = { key, hash: sha256Hex(text), signature: rng.hex(512) };
      state.periodStartMs = endMs;
    }
  }

  let lastDeliveredMs = o.startMs;
  for (const log of logFiles(o)) {
    const text = serialiseLogFile(log.records);
    const deliveredMs = log.delivered.getTime();
    lastDeliveredMs = Math.max(lastDeliveredMs, deliveredMs);
    if (o.digests) {
      yield* flushDigests(log.account, log.region, deliveredMs);
      const times = log.records.map((r) => r.eventTime as string).sort();
      digests.get(`${log.account}/${log.region}`)!.logs.push({
        key: log.key,
        hash: sha256Hex(text),
        oldest: times[0] ?? null,
        newest: times.at(-1) ?? null,
        deliveredMs,
      });
    }
    yield { key: log.key, kind: 'log', body: gzipDeterministic(text), log };
  }
  if (o.digests) {
    // Cover the whole period, and any file stamped just after its end.
    const untilMs = Math.max(o.endMs, lastDeliveredMs + 1);
    for (const account of o.accounts) {
      for (const region of o.regions) {
        const state = digests.get(`${account}/${region}`)!;
        const periods = Math.ceil((untilMs - state.periodStartMs) / o.digestEveryMs);
        yield* flushDigests(account, region, state.periodStartMs + periods * o.digestEveryMs);
      }
    }
  }

  const firstAccount = o.accounts[0]!;
  const firstRegion = o.regions[0]!;
  const midMs = Math.floor((o.startMs + (o.endMs - o.startMs) / 2) / MINUTE) * MINUTE;
  if (o.insights) {
    const records = insightRecords(rng, firstAccount, firstRegion, midMs);
    yield {
      key: insightFileKey(baseOf(firstAccount), firstRegion, midMs, rng.alnum(16)),
      kind: 'insight',
      body: gzipDeterministic(serialiseLogFile(records)),
    };
  }
  if (o.foreignObjects) {
    const bucket = `acme-app-data-${firstAccount}`;
    const snapshotId = rng.uuid();
    const ms = midMs + 7 * MINUTE;
    yield {
      key: configSnapshotKey(baseOf(firstAccount), firstRegion, ms, snapshotId),
      kind: 'foreign',
      body: gzipDeterministic(
        JSON.stringify(configSnapshotBody(firstAccount, firstRegion, bucket, ms, snapshotId)),
      ),
    };
  }
}

/** Every object of the period, logs and (as asked) digests, insight and foreign objects, with their bytes. */
export function generateObjects(options: GenerateOptions): Iterable<GeneratedObject> {
  const resolved = resolveOptions(options);
  return { [Symbol.iterator]: () => allObjects(resolved) };
}

export interface WriteResult {
  /** Objects written, by kind. */
  objects: Record<ObjectKind, number>;
  /** Records in log files, copies included. */
  records: number;
  /** Records that are copies of a record delivered in another file (same eventID). */
  duplicateRecords: number;
  /** Bytes written (compressed). */
  bytes: number;
}

/** Writes the generated objects under `dir`, keys as relative paths. */
export async function writeLogsToFolder(dir: string, options: GenerateOptions): Promise<WriteResult> {
  const result: WriteResult = {
    objects: { log: 0, digest: 0, insight: 0, foreign: 0 },
    records: 0,
    duplicateRecords: 0,
    bytes: 0,
  };
  const made = new Set<string>();
  for (const object of generateObjects(options)) {
    const file = path.join(dir, ...object.key.split('/'));
    const parent = path.dirname(file);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true });
      made.add(parent);
    }
    await writeFile(file, object.body);
    result.objects[object.kind]++;
    result.bytes += object.body.length;
    if (object.log) {
      result.records += object.log.records.length;
      result.duplicateRecords += object.log.duplicates;
    }
  }
  return result;
}
