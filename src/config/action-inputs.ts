/**
 * The Action's inputs -> RawOptions (shared with the CLI, validated by buildInvestigation) plus the
 * settings only the Action has (gates, summary, artifact, authentication). Parsed once, here, from
 * a `getInput` function, so this module is pure and every message names the *input* a workflow
 * author wrote (`fail-on-match`), never the CLI flag (`--fail-on-match`).
 */
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { parseBoolean, parseInteger } from './build.js';
import type { RawOptions } from './options.js';

/** Reads one input: the trimmed value, '' when unset (the contract of `core.getInput`). */
export type GetInput = (name: string) => string;

/** What the runner says about the current run (from GITHUB_* / RUNNER_* variables). */
export interface RunContext {
  runnerTemp: string;
  runId: string;
  job: string;
  attempt: string;
  /** The matrix leg (`strategy.job-index`, through the `job-index` input's default); '' outside a matrix. */
  jobIndex?: string;
}

export function runContextFromEnv(env: NodeJS.ProcessEnv): RunContext {
  return {
    runnerTemp: env.RUNNER_TEMP || os.tmpdir(),
    runId: env.GITHUB_RUN_ID || 'local',
    job: env.GITHUB_JOB || 'job',
    attempt: env.GITHUB_RUN_ATTEMPT || '1',
  };
}

export interface AuthSettings {
  /** IAM role ARN to assume with the job's GitHub OIDC token. */
  roleToAssume: string | undefined;
  roleSessionName: string;
  roleDurationSeconds: number;
  audience: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  sessionToken: string | undefined;
  /** Region for STS and API calls when the log location does not say. */
  region: string | undefined;
}

export interface ActionSettings {
  failOnMatch: boolean;
  failOnIncomplete: boolean;
  /** Rows of the job summary's matches table (0 = no table). */
  summaryMaxRows: number;
  uploadArtifact: boolean;
  artifactName: string;
  /** undefined = the repository's default retention. */
  retentionDays: number | undefined;
  auth: AuthSettings;
}

/**
 * Defaults of the inputs this module applies itself. action.yml declares the same values (a unit
 * test holds the two together); repeating them here keeps runs without the runner's defaulting
 * (e.g. `@github/local-action`, or `node dist/index.js`) behaving the same.
 */
export const ACTION_INPUT_DEFAULTS = {
  'fail-on-match': 'false',
  'fail-on-incomplete': 'true',
  strict: 'false',
  'summary-max-rows': '50',
  'upload-artifact': 'true',
  'role-session-name': 'cloudtrail-investigate',
  'role-duration-seconds': '3600',
  audience: 'sts.amazonaws.com',
} as const;

/** Inputs holding secrets: masked before anything else reads them. */
export const SECRET_INPUTS = ['aws-access-key-id', 'aws-secret-access-key', 'aws-session-token'] as const;

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
// @actions/artifact rejects these in names (NTFS limits); say so before the search, not after it.
const ARTIFACT_NAME_FORBIDDEN = /[":<>|*?\r\n\\/]/;
const MAX_SUMMARY_ROWS = 1000;

function inputOr(getInput: GetInput, name: keyof typeof ACTION_INPUT_DEFAULTS): string {
  return getInput(name) || ACTION_INPUT_DEFAULTS[name];
}

function optional(value: string): string | undefined {
  return value === '' ? undefined : value;
}

/** Items of a comma- or newline-separated input, e.g. `trail`. */
function listInput(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The default output folder: per run and job, under the runner's temp (cleaned after the job). */
export function defaultOutDir(ctx: RunContext): string {
  return path.join(ctx.runnerTemp, `cloudtrail-investigate-${ctx.runId}-${safeName(ctx.job)}`);
}

/**
 * The default artifact name: unique per run, job, matrix leg and attempt (matrix legs share the
 * job's id; re-runs share the run id).
 */
export function defaultArtifactName(ctx: RunContext): string {
  const leg = ctx.jobIndex ? `-${safeName(ctx.jobIndex)}` : '';
  return `cloudtrail-investigation-${ctx.runId}-${safeName(ctx.job)}${leg}-${ctx.attempt}`;
}

function safeName(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function parseAuth(getInput: GetInput): AuthSettings {
  const roleToAssume = optional(getInput('role-to-assume'));
  const accessKeyId = optional(getInput('aws-access-key-id'));
  const secretAccessKey = optional(getInput('aws-secret-access-key'));
  const sessionToken = optional(getInput('aws-session-token'));
  if (roleToAssume !== undefined && !ROLE_ARN.test(roleToAssume)) {
    throw new ConfigurationError(
      `role-to-assume must be an IAM role ARN such as arn:aws:iam::123456789012:role/cloudtrail-reader; got ${JSON.stringify(roleToAssume)}.`,
      'role-to-assume',
    );
  }
  if (roleToAssume !== undefined && (accessKeyId || secretAccessKey || sessionToken)) {
    throw new ConfigurationError(
      "role-to-assume is assumed with the job's GitHub OIDC token; remove aws-access-key-id, aws-secret-access-key and aws-session-token, or remove role-to-assume to use the keys.",
      'role-to-assume',
    );
  }
  // Never echo a secret's value in a message: say which one is missing.
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    const missing = accessKeyId ? 'aws-secret-access-key' : 'aws-access-key-id';
    throw new ConfigurationError(
      `${missing} is required with ${accessKeyId ? 'aws-access-key-id' : 'aws-secret-access-key'}: give both keys, or neither (to use role-to-assume or the runner's default credentials).`,
      missing,
    );
  }
  if (sessionToken && !accessKeyId) {
    throw new ConfigurationError(
      'aws-session-token needs aws-access-key-id and aws-secret-access-key too.',
      'aws-session-token',
    );
  }
  const roleSessionName = inputOr(getInput, 'role-session-name');
  if (!SESSION_NAME.test(roleSessionName)) {
    throw new ConfigurationError(
      `role-session-name must be 2 to 64 characters from letters, digits and _+=,.@- ; got ${JSON.stringify(roleSessionName)}.`,
      'role-session-name',
    );
  }
  return {
    roleToAssume,
    roleSessionName,
    roleDurationSeconds: parseInteger(
      inputOr(getInput, 'role-duration-seconds'),
      3600,
      'role-duration-seconds',
      900,
      43_200,
    ),
    audience: inputOr(getInput, 'audience'),
    accessKeyId,
    secretAccessKey,
    sessionToken,
    region: optional(getInput('aws-region')),
  };
}

/**
 * Reads every input once. Investigation inputs stay strings in `raw` (buildInvestigation validates
 * them; `toActionInputError` renames its fields); Action-only inputs are validated here.
 */
export function readActionInputs(
  getInput: GetInput,
  ctx: RunContext = runContextFromEnv(process.env),
): { raw: RawOptions; action: ActionSettings } {
  const trails = listInput(getInput('trail'));
  const raw: RawOptions = {
    ...(trails.length > 0 ? { trails } : {}),
    source: optional(getInput('source')),
    filter: optional(getInput('filters')),
    days: optional(getInput('days')),
    since: optional(getInput('since')),
    until: optional(getInput('until')),
    regions: optional(getInput('regions')),
    accounts: optional(getInput('accounts')),
    engine: optional(getInput('engine')),
    athenaDatabase: optional(getInput('athena-database')),
    athenaWorkgroup: optional(getInput('athena-workgroup')),
    athenaOutput: optional(getInput('athena-output')),
    cleanup: optional(getInput('cleanup')),
    format: optional(getInput('output-format')),
    awsRegion: optional(getInput('aws-region')),
    failOnMatch: inputOr(getInput, 'fail-on-match'),
    outDir: defaultOutDir(ctx),
    ...(listInput(getInput('rules')).length > 0 ? { rules: listInput(getInput('rules')) } : {}),
    strict: inputOr(getInput, 'strict'),
    minLevel: optional(getInput('min-level')),
    state: optional(getInput('state')),
    stateMargin: optional(getInput('state-margin')),
    maxDeliveryDelay: optional(getInput('max-delivery-delay')),
    failOnNoLogs: optional(getInput('fail-on-no-logs')),
  };
  const retention = getInput('retention-days');
  // `${{ strategy.job-index }}` in action.yml's default; a runner that leaves it unevaluated says nothing.
  const jobIndex = /^\d+$/.test(getInput('job-index')) ? getInput('job-index') : '';
  const artifactName = getInput('artifact-name') || defaultArtifactName({ ...ctx, jobIndex });
  if (ARTIFACT_NAME_FORBIDDEN.test(artifactName)) {
    throw new ConfigurationError(
      `artifact-name must not contain " : < > | * ? \\ / or line breaks; got ${JSON.stringify(artifactName)}.`,
      'artifact-name',
    );
  }
  const action: ActionSettings = {
    failOnMatch: parseBoolean(inputOr(getInput, 'fail-on-match'), false, 'fail-on-match'),
    failOnIncomplete: parseBoolean(inputOr(getInput, 'fail-on-incomplete'), true, 'fail-on-incomplete'),
    summaryMaxRows: parseInteger(
      inputOr(getInput, 'summary-max-rows'),
      50,
      'summary-max-rows',
      0,
      MAX_SUMMARY_ROWS,
    ),
    uploadArtifact: parseBoolean(inputOr(getInput, 'upload-artifact'), true, 'upload-artifact'),
    artifactName,
    // GitHub allows up to 90 days on public and 400 on private repositories; it clamps to the
    // repository's own maximum (with a warning), so only reject what no repository accepts.
    retentionDays: retention === '' ? undefined : parseInteger(retention, 0, 'retention-days', 1, 400),
    auth: parseAuth(getInput),
  };
  return { raw, action };
}

/** CLI flag or config key -> the Action input it comes from. */
const INPUT_FOR_FIELD: Record<string, string> = {
  '--source': 'source',
  '--trail': 'trail',
  '--trails': 'trail',
  '--filter': 'filters',
  filter: 'filters',
  '--days': 'days',
  '--since': 'since',
  '--until': 'until',
  '--regions': 'regions',
  '--accounts': 'accounts',
  '--engine': 'engine',
  '--format': 'output-format',
  '--fail-on-match': 'fail-on-match',
  '--state': 'state',
  '--state-margin': 'state-margin',
  '--max-delivery-delay': 'max-delivery-delay',
  '--fail-on-no-logs': 'fail-on-no-logs',
  '--athena-database': 'athena-database',
  '--athena-workgroup': 'athena-workgroup',
  '--athena-output': 'athena-output',
  '--cleanup': 'cleanup',
  '--aws-region': 'aws-region',
  '--aws-access-key-id': 'aws-access-key-id',
  '--aws-secret-access-key': 'aws-secret-access-key',
  '--aws-session-token': 'aws-session-token',
};

/** The Action input a ConfigurationError field refers to (filter keys -> `filters`). */
export function actionInputFor(field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  if (field.startsWith('filter')) return 'filters';
  return INPUT_FOR_FIELD[field] ?? field;
}

/**
 * Restates a shared validator's error in the Action's words: the field becomes the input name and
 * CLI flags in the message become input names (`--format` -> `output-format`).
 */
export function toActionInputError(err: ConfigurationError): ConfigurationError {
  const message = err.message.replace(
    /(?<![\w-])--[a-z][a-z0-9-]*/g,
    (flag) => INPUT_FOR_FIELD[flag] ?? flag,
  );
  return new ConfigurationError(message, actionInputFor(err.field));
}
