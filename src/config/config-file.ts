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
import { formatBytes, formatLimit } from '../report/format.js';

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
  /** The key the user wrote for each option the file set (`outDir`, `actionParams`...). */
  keys?: Partial<Record<keyof RawOptions, string>>;
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
        `${fileName}: unknown key "${fileKey}".${hint ? ` Did you mean "${hint}"?` : ''}`,
        fileKey,
      );
    }
    if (value === null || value === undefined) continue;
    if (key !== 'logLevel') (out.keys ??= {})[key] = fileKey;
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

/**
 * A small text file the user names (a config file, a filter file): refused unread when it is not
 * a regular file or is larger than `maxBytes`, and when it is not UTF-8. Errors name the file and
 * the flag that gave it.
 */
export function readSmallTextFile(
  file: string,
  what: { noun: string; field: string; maxBytes?: number },
): string {
  const { noun, field } = what;
  const maxBytes = what.maxBytes ?? MAX_CONFIG_FILE_BYTES;
  let bytes: Buffer;
  try {
    // Not a regular file (a FIFO, /dev/zero, a folder) could block or never end: refuse it unread.
    const stats = statSync(file);
    if (!stats.isFile()) {
      throw new ConfigurationError(`${noun} ${file} is not a regular file. Check the ${field} path.`, field);
    }
    if (stats.size > maxBytes) {
      throw new ConfigurationError(
        `${noun} ${file} is ${formatBytes(stats.size)}, larger than the limit of ${formatLimit(maxBytes)}. Check the ${field} path.`,
        field,
      );
    }
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof ConfigurationError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigurationError(
      `Cannot read ${noun.toLowerCase()} ${file} (${code}). Check the ${field} path.`,
      field,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigurationError(`${noun} ${file} is not UTF-8 text. Save it as UTF-8.`, field);
  }
}

export function readConfigFile(file: string): FileOptions {
  return parseConfigText(readSmallTextFile(file, { noun: 'Config file', field: '--file' }), file);
}

/**
 * Restates an error about an option the config file set in the file's words: `--out-dir` in the
 * message becomes the key the user wrote (`outDir`), and the message names the file.
 */
export function inConfigFileTerms(
  err: ConfigurationError,
  file: string,
  keys: Partial<Record<keyof RawOptions, string>>,
  flagOf: Partial<Record<keyof RawOptions, string>>,
): ConfigurationError {
  let message = err.message;
  let field = err.field;
  for (const [option, key] of Object.entries(keys) as Array<[keyof RawOptions, string]>) {
    const flag = flagOf[option];
    if (!flag) continue;
    const pattern = new RegExp(`(?<![\\w-])${flag}(?![\\w-])`, 'g');
    if (pattern.test(message) || field === flag) {
      message = message.replace(pattern, key);
      if (field === flag) field = key;
    }
  }
  if (message === err.message && field === err.field) return err;
  return new ConfigurationError(`${file}: ${message}`, field);
}
