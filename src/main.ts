/**
 * The Action: inputs -> Investigation -> credentials -> search -> outputs, annotations, artifact,
 * job summary -> gate. The only place that calls `core.setFailed`: every error ends in `run()`'s
 * one wrapper, which turns it into a clear message and the CLI's exit code (2 invalid input,
 * 3 incomplete, 1 matches with fail-on-match).
 */
import * as core from '@actions/core';
import { buildInvestigation } from './config/build.js';
import { attachRules } from './config/rules.js';
import {
  readActionInputs,
  runContextFromEnv,
  SECRET_INPUTS,
  toActionInputError,
  type ActionSettings,
} from './config/action-inputs.js';
import { actionUserAgent, resolveCredentials, sdkAppId } from './aws/credentials.js';
import { ConfigurationError, ExitCode, SearchError, errorMessage } from './errors.js';
import type { Logger } from './logger.js';
import type { EngineProgress } from './engines/types.js';
import { failsOnNoLogs, outputFileNames, runSearch, type SearchResult } from './search.js';
import { abortOnSignals } from './interrupt.js';
import { prepareOutDir, removeOwnTempFiles } from './out-dir.js';
import type { Summary } from './report/types.js';
import {
  annotationsFor,
  describeMatch,
  MAX_MATCH_ANNOTATIONS,
  neutraliseLogText,
} from './report/annotations.js';
import { uploadResults, type UploadOutcome } from './report/artifact.js';
import { renderFailureSummary, renderJobSummary, writeJobSummary } from './report/job-summary.js';
import { formatBytes, noun, plural } from './report/format.js';
import { ExitCodes, gateMessage, type RunResult } from './outcome.js';
import { cacheStateStore } from './state/cache-store.js';

const PROGRESS_EVERY_MS = 15_000;

/** Engine messages go to the log as plain lines; annotations come only from annotations.ts. */
function actionsLogger(): Logger {
  return {
    debug: (m) => core.debug(neutraliseLogText(m)),
    info: (m) => core.info(neutraliseLogText(m)),
    warning: (m) => core.info(`Warning: ${neutraliseLogText(m)}`),
    error: (m) => core.info(`Error: ${neutraliseLogText(m)}`),
  };
}

export interface GateVerdict {
  /** Why the step fails; empty = it passes. */
  failures: string[];
  /** Said but not failing (an incomplete search with fail-on-incomplete: false). */
  warnings: string[];
  exitCode: ExitCode;
}

/**
 * The gate: fail closed on an incomplete search, then on a blind location (no-logs) when asked
 * (by default whenever fail-on-match is), then on matches when asked (pure).
 */
export function gate(
  summary: Pick<
    Summary,
    | 'complete'
    | 'matches'
    | 'failures'
    | 'regionBreakdown'
    | 'gateMatches'
    | 'minLevel'
    | 'noLogs'
    | 'correlations'
  >,
  settings: Pick<ActionSettings, 'failOnMatch' | 'failOnIncomplete'> & { failOnNoLogs?: boolean },
): GateVerdict {
  const failures: string[] = [];
  const warnings: string[] = [];
  let exitCode: ExitCode = ExitCode.Ok;
  if (!summary.complete) {
    const regions = summary.regionBreakdown.filter((r) => r.status !== 'complete').length;
    const what = [
      summary.failures.length > 0
        ? `${plural(summary.failures.length, 'object or listing', 'objects or listings')} could not be read`
        : '',
      regions > 0
        ? `${plural(regions, 'region')} ${noun(regions, 'was', 'were')} not searched completely`
        : '',
    ]
      .filter(Boolean)
      .join(' and ');
    const message = `The search was incomplete${what ? `: ${what}` : ''}, so matching events may be missing.`;
    if (settings.failOnIncomplete) {
      failures.push(`${message} (fail-on-incomplete is true)`);
      exitCode = ExitCode.Incomplete;
    } else {
      warnings.push(message);
    }
  }
  const blind = summary.complete ? (summary.noLogs ?? []) : [];
  if (blind.length > 0) {
    const message = `No logs where logs were expected, so this run could not see what happened: ${blind.join(' ')}`;
    if (settings.failOnNoLogs ?? settings.failOnMatch) {
      failures.push(`${message} (fail-on-no-logs)`);
      if (exitCode === ExitCode.Ok) exitCode = ExitCodes['no-logs'] as ExitCode;
    } else {
      warnings.push(message);
    }
  }
  const tripping = summary.gateMatches ?? summary.matches;
  if (settings.failOnMatch && tripping > 0) {
    failures.push(gateMessage(summary, 'fail-on-match is true'));
    if (exitCode === ExitCode.Ok) exitCode = ExitCode.Matched;
  }
  return { failures, warnings, exitCode };
}

/** A cancelled run fails whatever fail-on-incomplete says: it did not finish. */
export function cancelledVerdict(summary: Pick<Summary, 'matches'>): GateVerdict {
  return {
    failures: [
      `The search was cancelled before it finished (${plural(summary.matches, 'matching event')} found so far); the results are incomplete.`,
    ],
    warnings: [],
    exitCode: ExitCode.Incomplete,
  };
}

/** An error -> the failure message, result and exit code; never a stack trace (that goes to debug). */
export function describeFailure(err: unknown): { message: string; exitCode: number; result: RunResult } {
  if (err instanceof ConfigurationError) {
    const e = toActionInputError(err);
    const invalid = { exitCode: ExitCodes['invalid-input'], result: 'invalid-input' as const };
    if (!e.field) return { message: `Invalid input: ${e.message}`, ...invalid };
    // Messages usually start with the field's name ("days must be ..."): say it once.
    const rest = e.message.startsWith(e.field)
      ? e.message.slice(e.field.length).replace(/^[\s:]+/, '')
      : e.message;
    return { message: `Invalid input \`${e.field}\`: ${rest}`, ...invalid };
  }
  return { message: errorMessage(err), exitCode: ExitCodes.error, result: 'error' };
}

/**
 * Outputs for a run that ended before a search result existed (invalid input, an error): set on
 * every path, so `if: steps.x.outputs.result == 'clean'` never mistakes a broken run for a clean one.
 */
function setFailureOutputs(result: RunResult): void {
  core.setOutput('result', result);
  core.setOutput('matched', false);
  core.setOutput('match-count', 0);
  core.setOutput('gate-matches', 0);
  core.setOutput('highest-level', '');
  core.setOutput('complete', false);
  core.setOutput('state-advanced', false);
}

function progressLogger(logger: Logger): (p: EngineProgress) => void {
  let last = Date.now();
  return (p) => {
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    logger.info(
      `Progress: ${p.objectsDone}/${p.objectsTotal} objects, ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`,
    );
  };
}

function setOutputs(result: SearchResult, upload: UploadOutcome | undefined, runResult: RunResult): void {
  const { summary } = result;
  core.setOutput('result', runResult);
  core.setOutput('gate-matches', summary.gateMatches ?? summary.matches);
  core.setOutput('highest-level', summary.highestLevel ?? '');
  core.setOutput('state-advanced', summary.incremental?.advanced ?? false);
  core.setOutput('match-count', summary.matches);
  core.setOutput('matched', summary.matches > 0);
  core.setOutput('complete', summary.complete);
  core.setOutput('results-file', result.resultsPath);
  core.setOutput('summary-file', result.summaryPath);
  // Athena reports data scanned; the scan engine's equivalent is the bytes it read.
  core.setOutput('bytes-scanned', summary.scanned.bytesScanned ?? summary.scanned.bytes);
  core.setOutput('artifact-id', upload?.ok ? upload.id : '');
  core.setOutput('artifact-url', upload?.ok ? (upload.url ?? '') : '');
}

function logResult(result: SearchResult, logger: Logger): void {
  const { summary } = result;
  const s = summary.scanned;
  logger.info(
    `${plural(summary.matches, 'matching event')} in ${plural(s.records, 'record')} from ${plural(s.objects, 'object')}, ${formatBytes(s.bytes)} read` +
      (s.bytesScanned !== undefined ? `, ${formatBytes(s.bytesScanned)} scanned by Athena` : '') +
      `${summary.complete ? '' : ' (INCOMPLETE)'}.`,
  );
  if (result.firstMatches.length > 0) {
    core.startGroup(
      `${Math.min(result.firstMatches.length, MAX_MATCH_ANNOTATIONS)} matches (highest level first, then earliest)`,
    );
    for (const event of result.firstMatches.slice(0, MAX_MATCH_ANNOTATIONS)) core.info(describeMatch(event));
    core.endGroup();
  }
  logger.info(`Results: ${result.resultsPath}`);
}

/** The whole run; returns the gate's verdict, throws for anything that stopped it. */
async function investigate(env: NodeJS.ProcessEnv, now: Date): Promise<GateVerdict & { result: RunResult }> {
  // Mask secrets before anything can echo them (a validation message, a debug line).
  for (const name of SECRET_INPUTS) {
    const value = core.getInput(name);
    if (value) core.setSecret(value);
  }
  const ctx = runContextFromEnv(env);
  const { raw, action } = readActionInputs((name) => core.getInput(name), ctx);
  const investigation = await attachRules(
    buildInvestigation(raw, now),
    raw,
    env.GITHUB_WORKSPACE || process.cwd(),
    {
      rules: 'rules',
      strict: 'strict',
      minLevel: 'min-level',
    },
  );
  const logger = actionsLogger();
  const names = outputFileNames(investigation);
  // Results go under the workspace or the runner's temp folder, never through a link.
  await prepareOutDir(investigation.output.dir, {
    roots: [env.GITHUB_WORKSPACE || process.cwd(), ctx.runnerTemp],
    confined: true,
    files: [names.results, names.summary],
  });

  // Every SDK client built from here on names the run in its user agent (see CloudTrail's userAgent).
  env.AWS_SDK_UA_APP_ID = sdkAppId(ctx.runId);
  const resolved = await resolveCredentials(action.auth, {
    env,
    getIDToken: (audience) => core.getIDToken(audience),
    setSecret: (value) => core.setSecret(value),
    logger,
  });
  if (investigation.source.kind !== 'local') {
    logger.info(
      `AWS credentials: ${resolved.description}; API calls identify as ${actionUserAgent(ctx.runId)} (app/${sdkAppId(ctx.runId)}).`,
    );
  }

  // A cancelled workflow (SIGINT, then SIGTERM) stops the search; the step then fails.
  const interrupt = abortOnSignals({
    say: (line) => core.info(neutraliseLogText(line)),
    beforeForcedExit: () => removeOwnTempFiles(investigation.output.dir),
  });
  let result: SearchResult;
  try {
    result = await runSearch(
      { ...investigation, credentials: { ...investigation.credentials, ...resolved.credentials } },
      {
        logger,
        signal: interrupt.signal,
        onProgress: progressLogger(logger),
        keepFirst: Math.max(action.summaryMaxRows, MAX_MATCH_ANNOTATIONS),
        cacheState: (fingerprint) => cacheStateStore(fingerprint, env),
      },
    );
  } finally {
    interrupt.dispose();
  }
  const cancelled = interrupt.signal.aborted;
  logResult(result, logger);

  for (const a of annotationsFor(result.summary, result.firstMatches)) {
    if (a.level === 'error') core.error(a.message, { title: a.title });
    else core.warning(a.message, { title: a.title });
  }

  let upload: UploadOutcome | undefined;
  // Cancelled: the runner kills the step seconds after its signal, too soon for an upload.
  if (action.uploadArtifact && !cancelled) {
    upload = await uploadResults(
      {
        name: action.artifactName,
        files: [result.resultsPath, result.summaryPath],
        retentionDays: action.retentionDays,
      },
      env,
    );
    if (upload.ok) logger.info(`Uploaded artifact ${upload.name} (id ${upload.id}).`);
    else if (!upload.conflict)
      core.warning(
        neutraliseLogText(
          `The artifact upload failed: ${upload.error}. The files stay on the runner: ${result.resultsPath}, ${result.summaryPath}.`,
        ),
        { title: 'Artifact not uploaded' },
      );
  }
  const verdict = cancelled
    ? cancelledVerdict(result.summary)
    : gate(result.summary, { ...action, failOnNoLogs: failsOnNoLogs(investigation) });
  const runResult: RunResult = cancelled ? 'incomplete' : result.result;
  // A name already taken in this run: another leg's results would stand in for these ones.
  if (upload && !upload.ok && upload.conflict) {
    verdict.failures.push(
      `The artifact ${upload.name} could not be uploaded: ${upload.error}. The files stay on the runner: ${result.resultsPath}, ${result.summaryPath}.`,
    );
    verdict.exitCode = ExitCodes.error as ExitCode;
  }
  setOutputs(result, upload, upload && !upload.ok && upload.conflict ? 'error' : runResult);
  for (const w of verdict.warnings) core.warning(w, { title: 'CloudTrail search incomplete' });
  const markdown = renderJobSummary({
    summary: result.summary,
    firstMatches: result.firstMatches,
    maxRows: action.summaryMaxRows,
    failures: verdict.failures,
    artifact: upload
      ? upload.ok
        ? { name: upload.name, ...(upload.url ? { url: upload.url } : {}) }
        : { name: upload.name, error: upload.error }
      : undefined,
    files: { results: result.resultsPath, summary: result.summaryPath },
    ...(investigation.rules && raw.rules ? { rules: raw.rules } : {}),
  });
  await writeJobSummary(markdown, env);
  return { ...verdict, result: runResult };
}

function fail(message: string, exitCode: number): void {
  core.setFailed(neutraliseLogText(message));
  // Mirror the CLI's exit codes; any non-zero code fails the step.
  process.exitCode = exitCode;
}

export async function run(): Promise<void> {
  try {
    const verdict = await investigate(process.env, new Date());
    if (verdict.failures.length > 0) fail(verdict.failures.join(' '), verdict.exitCode);
  } catch (err) {
    const { message, exitCode, result } = describeFailure(err);
    setFailureOutputs(result);
    if (!(err instanceof ConfigurationError) && !(err instanceof SearchError)) {
      core.debug(neutraliseLogText(String((err as Error)?.stack ?? err)));
    }
    try {
      await writeJobSummary(renderFailureSummary(message));
    } catch (summaryErr) {
      core.debug(`Could not write the job summary: ${neutraliseLogText(errorMessage(summaryErr))}`);
    }
    fail(message, exitCode);
  }
}
