/**
 * `--file config.yml|json`: the original tool's config keys (assetIds, regions, actionParams,
 * outputType, outDir, testId, logLevel, profile, awsAccessKey, awsSecret, awsSessionToken) and
 * ours, into RawOptions. Unknown keys are errors with a suggestion: a typo must not silently widen
 * a search.
 */
import { readFileSync, statSync } from 'node:fs';
import { YAMLError } from 'yaml';
import { ConfigurationError } from '../errors.js';
import { closestMatch } from '../query/suggest.js';
import type { RawOptions } from './options.js';
import { parseYamlBounded, YamlTooLargeError } from '../yaml-bounded.js';

/** Config-file key -> RawOptions key. Original tool's names first, then ours (camelCase and kebab). */
const KEYS: Record<string, keyof RawOptions | 'logLevel'> = {
  assetIds: 'trails',
  actionParams: 'filter',
  outputType: 'format',
  outDir: 'outDir',
  testId: 'testId',
  logLevel: 'logLevel',
  profile: 'profile',
  awsAccessKey: 'accessKeyId',
  awsSecret: 'secretAccessKey',
  awsSessionToken: 'sessionToken',
  regions: 'regions',
  source: 'source',
  trail: 'trails',
  trails: 'trails',
  filter: 'filter',
  filters: 'filter',
  days: 'days',
  since: 'since',
  until: 'until',
  accounts: 'accounts',
  engine: 'engine',
  format: 'format',
  failOnMatch: 'failOnMatch',
  concurrency: 'concurrency',
  workers: 'workers',
  awsRegion: 'awsRegion',
  athenaDatabase: 'athenaDatabase',
  athenaWorkgroup: 'athenaWorkgroup',
  athenaOutput: 'athenaOutput',
  athenaConcurrency: 'athenaConcurrency',
  athenaTimeout: 'athenaTimeout',
  maxScanBytes: 'maxScanBytes',
  cleanup: 'cleanup',
  rules: 'rules',
  strict: 'strict',
  minLevel: 'minLevel',
  state: 'state',
  stateMargin: 'stateMargin',
  maxDeliveryDelay: 'maxDeliveryDelay',
  failOnNoLogs: 'failOnNoLogs',
};

export interface FileOptions {
  raw: RawOptions;
  logLevel?: string;
}

function kebabToCamel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function asStringList(value: unknown, key: string): string[] {
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return value.map(String);
  }
  throw new ConfigurationError(
    `config key "${key}" must be a list of strings or a comma-separated string.`,
    key,
  );
}

function asScalar(value: unknown, key: string): string | number | boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new ConfigurationError(
    `config key "${key}" must be a single value, not ${Array.isArray(value) ? 'a list' : 'a map'}.`,
    key,
  );
}

/** A config file is a few lines; this bounds what a wrong path (a log, a disk image) costs. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** Parses the text of a config file (YAML, which includes JSON). */
export function parseConfigText(text: string, fileName: string): FileOptions {
  let data: unknown;
  try {
    data = parseYamlBounded(text);
  } catch (err) {
    if (err instanceof YAMLError) {
      throw new ConfigurationError(
        `${fileName} is not valid YAML/JSON: ${err.message.split('\n')[0]}`,
        '--file',
      );
    }
    const reason =
      err instanceof YamlTooLargeError
        ? `${err.message}; write the values out`
        : err instanceof RangeError
          ? 'it is nested too deeply'
          : (err as Error).message;
    throw new ConfigurationError(`${fileName} could not be read: ${reason}.`, '--file');
  }
  if (data === null || data === undefined) return { raw: {} };
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigurationError(
      `${fileName} must hold a map of settings (e.g. "regions: [us-east-1]").`,
      '--file',
    );
  }
  const raw: RawOptions = {};
  const out: FileOptions = { raw };
  const target = raw as Record<string, unknown>;
  for (const [fileKey, value] of Object.entries(data as Record<string, unknown>)) {
    const key = KEYS[fileKey] ?? KEYS[kebabToCamel(fileKey)];
    if (!key) {
      const hint = closestMatch(fileKey, Object.keys(KEYS));
      throw new ConfigurationError(
        `${fileName}: unknown key "${fileKey}"${hint ? ` — did you mean "${hint}"?` : ''}.`,
        fileKey,
      );
    }
    if (value === null || value === undefined) continue;
    if (key === 'logLevel') out.logLevel = String(asScalar(value, fileKey));
    else if (key === 'filter') {
      if (typeof value === 'string' || (typeof value === 'object' && !Array.isArray(value))) {
        raw.filter = value as string | Record<string, unknown>;
      } else {
        throw new ConfigurationError(`config key "${fileKey}" must be a map of field filters.`, fileKey);
      }
    } else if (key === 'trails' || key === 'regions' || key === 'accounts' || key === 'rules') {
      target[key] = asStringList(value, fileKey);
    } else {
      const v = asScalar(value, fileKey);
      target[key] =
        key === 'failOnMatch' || key === 'cleanup' || key === 'strict' || key === 'failOnNoLogs'
          ? v
          : typeof v === 'boolean'
            ? String(v)
            : v;
    }
  }
  return out;
}

export function readConfigFile(file: string): FileOptions {
  let bytes: Buffer;
  try {
    // Not a regular file (a FIFO, /dev/zero, a folder) could block or never end: refuse it unread.
    const stats = statSync(file);
    if (!stats.isFile()) {
      throw new ConfigurationError(
        `Config file ${file} is not a regular file. Check the --file path.`,
        '--file',
      );
    }
    if (stats.size > MAX_CONFIG_FILE_BYTES) {
      throw new ConfigurationError(
        `Config file ${file} is ${stats.size} bytes; the limit is ${MAX_CONFIG_FILE_BYTES}. Check the --file path.`,
        '--file',
      );
    }
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigurationError(
      `Cannot read config file ${file} (${code}). Check the --file path.`,
      '--file',
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigurationError(`Config file ${file} is not UTF-8 text. Save it as UTF-8.`, '--file');
  }
  return parseConfigText(text, file);
}
