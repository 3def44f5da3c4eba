/**
 * RawOptions -> Investigation: the one validator every front end shares. Throws a
 * ConfigurationError naming the field and the fix; never touches the network.
 */
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { Credentials, EngineName, Investigation, OutputFormat, SourceSpec } from '../investigation.js';
import { parseFilter, parseFilterText } from '../query/parse-filter.js';
import type { ParsedFilter } from '../query/ast.js';
import { parseSource } from '../source/location.js';
import type { RawOptions } from './options.js';
import { parseDuration, resolveWindow } from './window.js';
import { isInside } from '../out-dir.js';
import { parseAccounts, parseRegionName, parseRegions } from './scope.js';
import { parseIncremental, parseMaxDeliveryDelay } from './incremental.js';

export const DEFAULT_OUT_DIR = 'cloudtrail-investigation';

/** Valid values of an enum option, named in its error. */
function oneOf<T extends string>(
  value: string | undefined,
  valid: readonly T[],
  fallback: T,
  field: string,
): T {
  if (value === undefined || value.trim() === '') return fallback;
  const v = value.trim().toLowerCase();
  if ((valid as readonly string[]).includes(v)) return v as T;
  throw new ConfigurationError(`${field} must be one of ${valid.join(', ')}; got "${value}".`, field);
}

export function parseBoolean(value: boolean | string | undefined, fallback: boolean, field: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  // As the toolkit's getBooleanInput: YAML 1.2's core schema, nothing else (no yes/no/1/0).
  const v = value.trim();
  if (v === '') return fallback;
  if (v === 'true' || v === 'True' || v === 'TRUE') return true;
  if (v === 'false' || v === 'False' || v === 'FALSE') return false;
  throw new ConfigurationError(
    `${field} must be true or false (true | True | TRUE | false | False | FALSE); got "${value}".`,
    field,
  );
}

export function parseInteger(
  value: string | number | undefined,
  fallback: number,
  field: string,
  min: number,
  max: number,
): number {
  if (value === undefined || String(value).trim() === '') return fallback;
  const n = Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigurationError(
      `${field} must be a whole number from ${min} to ${max}; got "${value}".`,
      field,
    );
  }
  return n;
}

/**
 * The output folder, absolute. A relative one (the default, or one from a config file) stays
 * inside the current folder: `../` cannot send results elsewhere unless an absolute path says so.
 */
function parseOutDir(value: string | undefined): string {
  const given = value?.trim() || DEFAULT_OUT_DIR;
  const resolved = path.resolve(given);
  if (!path.isAbsolute(given) && !isInside(resolved, process.cwd())) {
    throw new ConfigurationError(
      `--out-dir "${given}" leads out of the current folder; give an absolute path to write the results elsewhere.`,
      '--out-dir',
    );
  }
  return resolved;
}

function parseSourceSpec(raw: RawOptions): SourceSpec {
  const trails = (raw.trails ?? []).map((t) => t.trim()).filter((t) => t !== '');
  const source = raw.source?.trim();
  if (source && trails.length > 0) {
    throw new ConfigurationError('Give either --source or --trail, not both.', '--source');
  }
  if (trails.length > 0) return { kind: 'trail', trails };
  if (!source) {
    throw new ConfigurationError(
      'Say where the logs are: --source ./folder or --source s3://bucket/prefix, or --trail NAME.',
      '--source',
    );
  }
  return parseSource(source);
}

function parseFilterOption(filter: RawOptions['filter']): { parsed: ParsedFilter; text?: string } {
  if (filter === undefined) return { parsed: parseFilter(undefined) };
  if (typeof filter === 'string') {
    if (filter.trim() === '') return { parsed: parseFilter(undefined) };
    return { parsed: parseFilterText(filter), text: filter.trim() };
  }
  return { parsed: parseFilter(filter), text: JSON.stringify(filter) };
}

function parseCredentials(raw: RawOptions): Credentials {
  const creds: Credentials = {};
  const key = raw.accessKeyId?.trim();
  const secret = raw.secretAccessKey?.trim();
  if (Boolean(key) !== Boolean(secret)) {
    throw new ConfigurationError(
      'Give both the access key id and the secret access key, or neither (to use the default credential chain).',
      key ? '--aws-secret-access-key' : '--aws-access-key-id',
    );
  }
  if (key && secret) {
    creds.accessKeyId = key;
    creds.secretAccessKey = secret;
    if (raw.sessionToken?.trim()) creds.sessionToken = raw.sessionToken.trim();
  }
  if (raw.profile?.trim()) {
    if (key) throw new ConfigurationError('Give either --profile or access keys, not both.', '--profile');
    creds.profile = raw.profile.trim();
  }
  if (raw.awsRegion?.trim()) creds.region = parseRegionName(raw.awsRegion, '--aws-region');
  return creds;
}

function parseS3Url(value: string | undefined, field: string): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v)) {
    throw new ConfigurationError(
      `${field} must be an S3 location such as s3://my-athena-results/prefix/; got "${v}".`,
      field,
    );
  }
  return v.endsWith('/') ? v : `${v}/`;
}

export function buildInvestigation(raw: RawOptions, now: Date = new Date()): Investigation {
  const { parsed, text } = parseFilterOption(raw.filter);
  const source = parseSourceSpec(raw);
  const incremental = parseIncremental(raw, now);
  // Incremental mode: the window only describes the first run's look-back.
  const window = incremental
    ? { since: new Date(now.getTime() - incremental.lookBackMs), until: now }
    : resolveWindow({ days: raw.days, since: raw.since, until: raw.until, filterDays: parsed.days }, now);
  const format = oneOf<OutputFormat>(raw.format, ['jsonl', 'json', 'csv'], 'jsonl', '--format');
  const engine = oneOf<EngineName>(raw.engine, ['scan', 'athena', 'auto'], 'auto', '--engine');
  if (source.kind === 'local' && engine === 'athena') {
    throw new ConfigurationError(
      'The Athena engine reads S3 only: use --engine scan (or auto) with a local --source.',
      '--engine',
    );
  }
  const testId = raw.testId?.trim() ?? '';
  if (!/^[A-Za-z0-9._-]*$/.test(testId)) {
    throw new ConfigurationError(
      `--test-id may hold letters, digits, ".", "_" and "-" only (it prefixes file names); got "${testId}".`,
      '--test-id',
    );
  }
  const maxScan = raw.maxScanBytes;
  return {
    source,
    query: parsed.query,
    ...(text !== undefined ? { filterText: text } : {}),
    usesResources: parsed.usesResources,
    window,
    regions: parseRegions(raw.regions),
    accounts: parseAccounts(raw.accounts),
    engine,
    output: {
      dir: parseOutDir(raw.outDir),
      format,
      testId,
    },
    failOnMatch: parseBoolean(raw.failOnMatch, false, '--fail-on-match'),
    ...(incremental ? { incremental } : {}),
    maxDeliveryDelayMs: parseMaxDeliveryDelay(raw.maxDeliveryDelay),
    ...(raw.failOnNoLogs !== undefined && String(raw.failOnNoLogs).trim() !== ''
      ? { failOnNoLogs: parseBoolean(raw.failOnNoLogs, false, '--fail-on-no-logs') }
      : {}),
    dryRun: raw.dryRun ?? false,
    ...parseConcurrency(raw.concurrency),
    workers: parseInteger(raw.workers, Math.min(os.availableParallelism(), 8), '--workers', 0, 64),
    credentials: parseCredentials(raw),
    athena: {
      database: raw.athenaDatabase?.trim() || 'cloudtrail_investigate',
      workgroup: raw.athenaWorkgroup?.trim() || 'primary',
      ...(parseS3Url(raw.athenaOutput, '--athena-output')
        ? { outputLocation: parseS3Url(raw.athenaOutput, '--athena-output')! }
        : {}),
      cleanup: parseBoolean(raw.cleanup, parsed.cleanup ?? false, '--cleanup'),
      concurrency: parseInteger(raw.athenaConcurrency, 5, '--athena-concurrency', 1, 50),
      timeoutMs:
        raw.athenaTimeout === undefined || String(raw.athenaTimeout).trim() === ''
          ? 30 * 60_000
          : parseDuration(raw.athenaTimeout, '--athena-timeout'),
      ...(maxScan !== undefined && String(maxScan).trim() !== ''
        ? { maxScanBytes: parseByteSize(maxScan, '--max-scan-bytes') }
        : {}),
    },
  };
}

/**
 * `--concurrency`: `auto` (the default) lets the scan engine choose and adapt the objects fetched
 * at once (adaptive-concurrency.ts), starting at 16; a number fixes it.
 */
export function parseConcurrency(
  value: string | number | undefined,
): Pick<Investigation, 'concurrency' | 'adaptiveConcurrency'> {
  if (value === undefined || String(value).trim() === '' || String(value).trim().toLowerCase() === 'auto') {
    return { concurrency: 16, adaptiveConcurrency: true };
  }
  if (!/^\s*\d+\s*$/.test(String(value))) {
    throw new ConfigurationError(
      `--concurrency must be "auto" (the default: chosen and adapted while reading) or a whole number from 1 to 256; got "${value}".`,
      '--concurrency',
    );
  }
  return { concurrency: parseInteger(value, 16, '--concurrency', 1, 256), adaptiveConcurrency: false };
}

/** `10GB`, `500 MB`, `1e9` -> bytes. */
export function parseByteSize(value: string | number, field: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?$/i.exec(String(value).trim());
  if (!m)
    throw new ConfigurationError(`${field} must be a size such as 500MB or 2GB; got "${value}".`, field);
  const units: Record<string, number> = {
    b: 1,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
    tb: 1e12,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
    tib: 1024 ** 4,
  };
  return Math.round(Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()]!);
}
