/**
 * Generator options: what the caller may set, the defaults, and the checks that turn a mistake
 * into a ConfigurationError naming the option.
 */
import { ConfigurationError } from '../../src/errors.js';
import { findEvent } from './catalogue.js';
import type { PrincipalKind } from './identities.js';
import { GLOBAL_REGION } from './record.js';

/** An event placed on purpose (e.g. the root sign-in an example should find). */
export interface PlantedEvent {
  /** A catalogue event name, e.g. `ConsoleLogin`, `StopLogging`. */
  eventName: string;
  /** ISO time: the event goes into the first matching file stamped at least one minute later. */
  after: string;
  /** ISO time the event must precede (e.g. to put a late event into the next day's file). */
  before?: string;
  /** Default: the first account. */
  account?: string;
  /** Default: us-east-1 for global services, else the first region. */
  region?: string;
  principal?: PrincipalKind;
  /** A named IAM user or role of the generated accounts (alice, bob, ci-deploy, app-server…). */
  principalName?: string;
  /** true = the event's first catalogued error; false (default) = success. */
  failed?: boolean;
  /** Also deliver the very same record (same eventID) in this region's file of the same slot. */
  duplicateIn?: string;
}

export interface GenerateOptions {
  /** Same seed, same output, byte for byte. Default 1. */
  seed?: string | number;
  /** 12-digit account ids. */
  accounts: string[];
  /** Organization trail: keys become `AWSLogs/<org id>/<account>/…`. */
  organizationId?: string;
  /** Key prefix of the trail, without slashes at the ends; '' (default) for none. */
  prefix?: string;
  regions: string[];
  /** First delivery slot, ISO time on a whole minute (e.g. `2023-07-10T00:00:00Z`). */
  start: string;
  /** Length of the generated period; give `hours` or `days` (default 1 hour). */
  hours?: number;
  days?: number;
  /** Log files per hour per account and region; CloudTrail delivers about every 5 min (12). May be fractional. */
  filesPerHour?: number;
  /** Records per file, inclusive range. Default [20, 100]. */
  recordsPerFile?: [number, number];
  /** Share of global-service events also delivered into another region's file. Default 0.1. */
  globalDuplicateShare?: number;
  /** Write CloudTrail-Digest files, one per account, region and `digestEveryHours` (default 1). */
  digests?: boolean;
  digestEveryHours?: number;
  /** Write one CloudTrail-Insight file (first account, first region). */
  insights?: boolean;
  /** Write one AWS Config snapshot file (a foreign object sharing the bucket). */
  foreignObjects?: boolean;
  /** Bucket and trail names, as named inside digest files. */
  bucket?: string;
  trailName?: string;
  planted?: PlantedEvent[];
}

export interface ResolvedOptions {
  seed: string;
  accounts: string[];
  organizationId: string | undefined;
  prefix: string;
  regions: string[];
  startMs: number;
  endMs: number;
  intervalMs: number;
  recordsPerFile: [number, number];
  globalDuplicateShare: number;
  digests: boolean;
  digestEveryMs: number;
  insights: boolean;
  foreignObjects: boolean;
  bucket: string;
  trailName: string;
  planted: PlantedEvent[];
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ORG = /^o-[a-z0-9]{10,32}$/;
const HOUR_MS = 3_600_000;

function fail(field: string, message: string): never {
  throw new ConfigurationError(`${field}: ${message}`, field);
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) fail(field, `must be a positive number, got ${value}`);
  return value;
}

export function resolveOptions(o: GenerateOptions): ResolvedOptions {
  if (o.accounts.length === 0) fail('accounts', 'give at least one 12-digit account id');
  for (const a of o.accounts) if (!ACCOUNT.test(a)) fail('accounts', `"${a}" is not a 12-digit account id`);
  if (o.regions.length === 0) fail('regions', 'give at least one region, e.g. us-east-1');
  for (const r of o.regions)
    if (!REGION.test(r)) fail('regions', `"${r}" is not a region name like eu-west-1`);
  if (o.organizationId !== undefined && !ORG.test(o.organizationId)) {
    fail('organizationId', `"${o.organizationId}" is not an organization id like o-a1b2c3d4e5`);
  }
  const prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const startMs = Date.parse(o.start);
  if (Number.isNaN(startMs)) fail('start', `"${o.start}" is not an ISO time such as 2023-07-10T00:00:00Z`);
  if (startMs % 60_000 !== 0) fail('start', 'must be on a whole minute');
  if (o.hours !== undefined && o.days !== undefined) fail('hours', 'give hours or days, not both');
  const hours = o.days !== undefined ? positive('days', o.days) * 24 : positive('hours', o.hours ?? 1);
  const filesPerHour = positive('filesPerHour', o.filesPerHour ?? 12);
  const [min, max] = o.recordsPerFile ?? [20, 100];
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
    fail('recordsPerFile', `must be whole numbers 1 <= min <= max, got [${min}, ${max}]`);
  }
  const share = o.globalDuplicateShare ?? 0.1;
  if (!(share >= 0 && share <= 1)) fail('globalDuplicateShare', `must be between 0 and 1, got ${share}`);
  const digestHours = positive('digestEveryHours', o.digestEveryHours ?? 1);
  const planted = o.planted ?? [];
  for (const p of planted) {
    const spec = findEvent(p.eventName);
    if (Number.isNaN(Date.parse(p.after))) fail('planted.after', `"${p.after}" is not an ISO time`);
    if (p.before !== undefined && !(Date.parse(p.before) > Date.parse(p.after))) {
      fail('planted.before', `"${p.before}" must be an ISO time later than after (${p.after})`);
    }
    if (p.account !== undefined && !o.accounts.includes(p.account))
      fail('planted.account', `${p.account} is not one of the accounts`);
    const region = p.region ?? (spec.global ? GLOBAL_REGION : o.regions[0]);
    if (!o.regions.includes(region!)) fail('planted.region', `${region} is not one of the regions`);
    if (spec.global && region !== GLOBAL_REGION)
      fail('planted.region', `${p.eventName} is a global-service event, recorded in us-east-1`);
    if (p.duplicateIn !== undefined && (!o.regions.includes(p.duplicateIn) || p.duplicateIn === region)) {
      fail('planted.duplicateIn', `${p.duplicateIn} must be another of the generated regions`);
    }
  }
  return {
    seed: String(o.seed ?? 1),
    accounts: [...o.accounts],
    organizationId: o.organizationId,
    prefix,
    regions: [...o.regions],
    startMs,
    endMs: startMs + hours * HOUR_MS,
    intervalMs: HOUR_MS / filesPerHour,
    recordsPerFile: [min, max],
    globalDuplicateShare: share,
    digests: o.digests ?? false,
    digestEveryMs: digestHours * HOUR_MS,
    insights: o.insights ?? false,
    foreignObjects: o.foreignObjects ?? false,
    bucket: o.bucket ?? 'acme-cloudtrail-logs',
    trailName: o.trailName ?? 'management-events',
    planted,
  };
}
