/**
 * `--source` text -> where the logs are: `s3://bucket[/prefix]` or a local folder/file.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { SourceSpec } from '../investigation.js';

const FIELD = '--source';
const S3_SCHEME = /^s3:\/\//i;

/**
 * Current S3 naming rules (required for every bucket created since 2018 and by CloudTrail):
 * 3-63 characters of lowercase letters, digits, '.' and '-', starting and ending with a letter or
 * digit, no '..', not an IP address, none of the reserved prefixes/suffixes.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may only hold lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must start and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not be formatted as an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'must not start with xn--, sthree- or amzn-s3-demo-';
  if (/(-s3alias|--ol-s3|\.mrap)$/.test(name))
    return 'must not end with -s3alias, --ol-s3 or .mrap (access points)';
  return undefined;
}

/** Parse `--source`: an `s3://` location, or a local folder or file that must exist. */
export function parseSource(text: string): SourceSpec {
  const value = text.trim();
  if (!value) {
    throw new ConfigurationError(
      `${FIELD} is empty: give an s3://bucket/prefix location or a local folder.`,
      FIELD,
    );
  }
  if (S3_SCHEME.test(value)) return parseS3(value);
  if (/^arn:aws[a-z-]*:s3:::/.test(value)) {
    const rest = value.replace(/^arn:aws[a-z-]*:s3:::/, '');
    throw new ConfigurationError(`${FIELD} "${value}" is an ARN: write it as s3://${rest}.`, FIELD);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new ConfigurationError(
      `${FIELD} "${value}": only s3:// locations and local paths are supported.`,
      FIELD,
    );
  }
  return parseLocal(value);
}

function parseS3(value: string): SourceSpec {
  const rest = value.replace(S3_SCHEME, '');
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = (slash === -1 ? '' : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, '');
  if (!bucket) {
    throw new ConfigurationError(`${FIELD} "${value}" has no bucket name: use s3://bucket[/prefix].`, FIELD);
  }
  const problem = bucketNameProblem(bucket);
  if (problem) {
    throw new ConfigurationError(`${FIELD} "${value}": the bucket name "${bucket}" ${problem}.`, FIELD);
  }
  // The search finds accounts and regions under <prefix>/AWSLogs/ itself; a location inside that
  // tree would silently find nothing, so point at the part above it.
  const segments = prefix.split('/');
  const awsLogs = segments.indexOf('AWSLogs');
  if (awsLogs !== -1) {
    const above = segments.slice(0, awsLogs).join('/');
    throw new ConfigurationError(
      `${FIELD} "${value}" points inside AWSLogs/: use s3://${bucket}${above ? `/${above}` : ''} ` +
        '(the trail prefix) and choose accounts and regions with --accounts and --regions.',
      FIELD,
    );
  }
  return { kind: 's3', bucket, prefix };
}

function parseLocal(value: string): SourceSpec {
  const resolved = path.resolve(value);
  try {
    const stat = statSync(resolved);
    if (!stat.isDirectory() && !stat.isFile()) {
      throw new ConfigurationError(`${FIELD} "${value}" is neither a folder nor a file.`, FIELD);
    }
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    throw new ConfigurationError(
      `${FIELD} "${value}" does not exist (or cannot be read): give an existing local folder or file, ` +
        'or an s3://bucket/prefix location.',
      FIELD,
    );
  }
  return { kind: 'local', path: resolved };
}
