/**
 * Finding the logs: `--trail NAME|ARN` through cloudtrail:DescribeTrails (bucket, key prefix,
 * organization flag, home region), the bucket's region through s3:GetBucketLocation, and the
 * layouts, accounts and regions present by listing `AWSLogs/` (with the scan planner's own
 * discovery, so both engines find the same). `--source s3://` skips the first step. Every failure
 * says which permission or which name is wrong.
 */
import { DescribeTrailsCommand, type CloudTrailClient, type Trail } from '@aws-sdk/client-cloudtrail';
import { GetBucketLocationCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { noun } from '../report/format.js';
import { ConfigurationError, SearchError, errorMessage } from '../errors.js';
import type { SourceSpec } from '../investigation.js';
import { awsLogsPrefix } from './layout.js';
import { accountRegions, discoverAccounts } from './planner.js';
import type { ObjectStore } from './types.js';

export interface TrailInfo {
  name: string;
  arn: string | undefined;
  bucket: string;
  /** Key prefix without leading/trailing slashes; '' when the trail has none. */
  prefix: string;
  homeRegion: string;
}

/** One place logs are stored, with what the layout holds. */
export interface LogLocation {
  bucket: string;
  prefix: string;
  bucketRegion: string;
  /** Set for an organization's folders (`AWSLogs/o-…/<account>/…`). */
  orgId?: string;
  /** Accounts present (restricted to the asked ones when accounts were asked). */
  accounts: string[];
  /** Region folders present under those accounts. */
  regions: string[];
  trail?: TrailInfo;
  /** `s3://bucket/prefix`, for messages. */
  description: string;
  /** Things the user should know (asked accounts without logs, several org ids...). */
  warnings: string[];
}

export interface DiscoveryDeps {
  cloudtrail: (region: string) => CloudTrailClient;
  s3: (region: string) => S3Client;
  /** Folder listing of a bucket (an ObjectStore over it). */
  store: (bucket: string, region: string) => Pick<ObjectStore, 'listFolders'>;
  /** Region for DescribeTrails by name and for GetBucketLocation. */
  defaultRegion: string;
}

const TRAIL_ARN = /^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/;
/** Folders listed at once while discovering regions. */
const LIST_CONCURRENCY = 8;

interface SdkError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function isAccessDenied(err: unknown): boolean {
  const e = (err ?? {}) as SdkError;
  const code = e.Code ?? e.name ?? '';
  return /AccessDenied|UnauthorizedOperation|Forbidden/i.test(code) || e.$metadata?.httpStatusCode === 403;
}

/** Looks a trail up by name (in `defaultRegion`) or ARN (in the ARN's region). */
export async function describeTrail(
  ref: string,
  deps: Pick<DiscoveryDeps, 'cloudtrail' | 'defaultRegion'>,
): Promise<TrailInfo> {
  const text = ref.trim();
  const arn = TRAIL_ARN.exec(text);
  const region = arn ? (arn[1] as string) : deps.defaultRegion;
  const client = deps.cloudtrail(region);
  let trails: Trail[];
  try {
    // Shadow trails: a multi-region or organization trail is listed in every region it covers.
    const res = await client.send(
      new DescribeTrailsCommand({ trailNameList: [text], includeShadowTrails: true }),
    );
    trails = res.trailList ?? [];
  } catch (err) {
    throw describeError(err, text, region);
  }
  const trail = trails.find((t) => t.TrailARN === text || t.Name === text) ?? (arn ? trails[0] : undefined);
  if (!trail) throw await notFound(client, text, region);
  if (!trail.S3BucketName) {
    throw new ConfigurationError(
      `--trail "${text}" does not deliver logs to S3 (no S3 bucket in its configuration); nothing to search.`,
      '--trail',
    );
  }
  return {
    name: trail.Name ?? text,
    arn: trail.TrailARN,
    bucket: trail.S3BucketName,
    prefix: (trail.S3KeyPrefix ?? '').replace(/^\/+|\/+$/g, ''),
    homeRegion: trail.HomeRegion ?? region,
  };
}

function describeError(err: unknown, ref: string, region: string): Error {
  if (isAccessDenied(err)) {
    return new SearchError(
      `Access denied looking up trail "${ref}" in ${region}: the credentials need cloudtrail:DescribeTrails ` +
        '(or give the bucket directly with --source s3://bucket/prefix, which needs no CloudTrail permission).',
      { cause: err },
    );
  }
  const name = ((err ?? {}) as SdkError).name ?? '';
  if (/InvalidTrailName|CloudTrailARNInvalid/.test(name)) {
    return new ConfigurationError(
      `--trail "${ref}" is not a valid trail name or ARN: ${errorMessage(err)}`,
      '--trail',
    );
  }
  return new SearchError(`Could not look up trail "${ref}" in ${region}: ${errorMessage(err)}`, {
    cause: err,
  });
}

async function notFound(client: CloudTrailClient, ref: string, region: string): Promise<Error> {
  let known = '';
  try {
    const all = await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
    const names = (all.trailList ?? []).map((t) => t.Name).filter((n): n is string => Boolean(n));
    known =
      names.length > 0
        ? ` Trails visible there: ${[...new Set(names)].sort().join(', ')}.`
        : ' No trails are visible there.';
  } catch {
    // The list only helps the message; the lookup itself already answered.
  }
  return new ConfigurationError(
    `--trail "${ref}" was not found in ${region}.${known} For a trail of another region or account, give its ARN.`,
    '--trail',
  );
}

/** The bucket's region: GetBucketLocation answers null/'' for us-east-1 and 'EU' for eu-west-1. */
export async function getBucketRegion(s3: S3Client, bucket: string): Promise<string> {
  try {
    const res = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
    const constraint = res.LocationConstraint as string | null | undefined;
    if (!constraint) return 'us-east-1';
    if (constraint === 'EU') return 'eu-west-1';
    return constraint;
  } catch (err) {
    if (isAccessDenied(err)) {
      throw new SearchError(
        `Access denied asking where bucket "${bucket}" is: the credentials need s3:GetBucketLocation on arn:aws:s3:::${bucket}.`,
        { cause: err },
      );
    }
    const e = (err ?? {}) as SdkError;
    if ((e.Code ?? e.name) === 'NoSuchBucket') {
      throw new SearchError(`The bucket "${bucket}" does not exist (NoSuchBucket).`, { cause: err });
    }
    throw new SearchError(`Could not get the region of bucket "${bucket}": ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

export interface LayoutOptions {
  /** Accounts asked for, or 'all'. */
  accounts: string[] | 'all';
  /** `s3://bucket` for messages. */
  where: string;
}

/** One folder layout under `AWSLogs/`: an organization's (`o-…/<account>/`) or plain accounts'. */
export interface Layout {
  orgId?: string;
  accounts: string[];
  regions: string[];
  warnings: string[];
}

/**
 * Every layout under `<prefix>/AWSLogs/`: the plain account folders, and each organization's,
 * as separate layouts (an Athena table projects one). All are searched, as the scan engine reads
 * them all: a bucket that an account trail wrote to before an organization trail took over holds
 * both, and a search across the change must read both. Layouts left without accounts (after the
 * asked ones are applied) are dropped; when none is left, one empty layout says so.
 */
export async function discoverLayouts(
  store: Pick<ObjectStore, 'listFolders'>,
  prefix: string,
  options: LayoutOptions,
): Promise<Layout[]> {
  // By organization (undefined: the plain account folders), in the order found.
  const groups = new Map<string | undefined, string[]>();
  for (const { orgId, account } of await discoverAccounts(store, prefix, LIST_CONCURRENCY)) {
    const group = groups.get(orgId);
    if (group) group.push(account);
    else groups.set(orgId, [account]);
  }
  const warnings: string[] = [];
  const asked = options.accounts;
  if (asked !== 'all') {
    const present = new Set([...groups.values()].flat());
    const missing = asked.filter((a) => !present.has(a));
    if (missing.length > 0)
      warnings.push(
        `no logs for ${noun(missing.length, 'account')} ${missing.join(', ')} under ${options.where}/${awsLogsPrefix(prefix)}.`,
      );
  }
  const limit = pLimit(LIST_CONCURRENCY);
  const layouts: Layout[] = [];
  for (const [orgId, found] of groups) {
    const accounts = found.filter((a) => asked === 'all' || asked.includes(a)).sort();
    if (accounts.length === 0) continue;
    const perAccount = await Promise.all(
      accounts.map((account) => limit(() => accountRegions(store, prefix, { orgId, account }))),
    );
    const regions = [...new Set(perAccount.flat())].sort();
    layouts.push({ ...(orgId ? { orgId } : {}), accounts, regions, warnings: [] });
  }
  if (layouts.length === 0) return [{ accounts: [], regions: [], warnings }];
  layouts[0]!.warnings.push(...warnings);
  return layouts;
}

/**
 * The trails' buckets and prefixes, each once, with the first trail delivering there: several
 * trails can deliver to one bucket and prefix (both engines read it once).
 */
export async function trailTargets(
  refs: string[],
  deps: Pick<DiscoveryDeps, 'cloudtrail' | 'defaultRegion'>,
): Promise<{ bucket: string; prefix: string; trail: TrailInfo }[]> {
  const targets: { bucket: string; prefix: string; trail: TrailInfo }[] = [];
  for (const ref of refs) {
    const trail = await describeTrail(ref, deps);
    if (!targets.some((t) => t.bucket === trail.bucket && t.prefix === trail.prefix)) {
      targets.push({ bucket: trail.bucket, prefix: trail.prefix, trail });
    }
  }
  return targets;
}

function describeLocation(bucket: string, prefix: string): string {
  return `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
}

/**
 * Every S3 location the source names, one per folder layout found there (the plain accounts',
 * each organization's: an Athena table projects one layout). Several trails delivering to one
 * bucket and prefix share its locations.
 */
export async function resolveLocations(
  source: SourceSpec,
  accounts: string[] | 'all',
  deps: DiscoveryDeps,
): Promise<LogLocation[]> {
  if (source.kind === 'local') {
    throw new ConfigurationError(
      'The Athena engine reads logs in S3; a local folder needs --engine scan.',
      '--engine',
    );
  }
  const targets: { bucket: string; prefix: string; trail?: TrailInfo }[] =
    source.kind === 's3'
      ? [{ bucket: source.bucket, prefix: source.prefix }]
      : await trailTargets(source.trails, deps);
  const locations: LogLocation[] = [];
  for (const target of targets) {
    const bucketRegion = await getBucketRegion(deps.s3(deps.defaultRegion), target.bucket);
    const layouts = await discoverLayouts(deps.store(target.bucket, bucketRegion), target.prefix, {
      accounts,
      where: `s3://${target.bucket}`,
    });
    for (const layout of layouts) {
      locations.push({
        bucket: target.bucket,
        prefix: target.prefix,
        bucketRegion,
        ...(layout.orgId ? { orgId: layout.orgId } : {}),
        accounts: layout.accounts,
        regions: layout.regions,
        ...(target.trail ? { trail: target.trail } : {}),
        description: describeLocation(target.bucket, target.prefix),
        warnings: layout.warnings,
      });
    }
  }
  return locations;
}
