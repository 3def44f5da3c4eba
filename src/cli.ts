#!/usr/bin/env node
/**
 * The command-line front end: flags -> Investigation -> search -> terminal table, files, exit code.
 * Exit codes (src/outcome.ts): 0 done; 1 matches found with --fail-on-match; 2 invalid input;
 * 3 incomplete (also with --fail-on-match: fail closed); 4 no logs where expected, with
 * --fail-on-no-logs (default with --fail-on-match); 5 the search could not run or write its results.
 */
import { ConfigurationError, ExitCode, asNoCredentialsError, errorMessage } from './errors.js';
import { ExitCodes, gateMessage } from './outcome.js';
import type { Logger } from './logger.js';
import { parseCliArgs, type CliSettings, type LogLevel } from './cli-args.js';
import { SHORT_USAGE } from './cli-help.js';
import { buildInvestigation } from './config/build.js';
import { attachRules } from './config/rules.js';
import { outputFileNames, runSearch } from './search.js';
import { abortOnSignals } from './interrupt.js';
import { prepareOutDir, removeOwnTempFiles } from './out-dir.js';
import { runDryRun } from './plan.js';
import {
  createProgress,
  formatMatchesTable,
  formatRulesTable,
  formatSkippedRules,
  formatSummaryLine,
  sanitizeForTerminal,
  type RuleInfo,
} from './report/terminal.js';
import { VERSION } from './version.js';
import { formatCount, plural } from './report/format.js';

/** How to give the CLI AWS credentials: the SDK's default chain, a profile, or keys. */
const CREDENTIALS_HELP = `Provide AWS credentials in one of these ways, then run the search again:
  - a profile from ~/.aws/config: --profile NAME or AWS_PROFILE=NAME (aws configure, aws sso login)
  - environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)
  - on AWS: the instance, container or Lambda role
No result files were written.`;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function stderrLogger(level: LogLevel): Logger {
  const say = (at: LogLevel, prefix: string) => (message: string) => {
    if (RANK[at] >= RANK[level]) process.stderr.write(`${prefix}${sanitizeForTerminal(message)}\n`);
  };
  return {
    debug: say('debug', 'debug: '),
    info: say('info', ''),
    warning: say('warn', 'warning: '),
    error: say('error', 'error: '),
  };
}

export async function main(argv: string[]): Promise<number> {
  // The CLI supports Node 20 with a pinned SDK: the SDK's notice about its future releases is
  // noise in every run's output (the user can still turn it back on).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let logger = stderrLogger('info');
  let settings: CliSettings | undefined;
  try {
    const parsed = parseCliArgs(argv, VERSION, Boolean(process.stdout.isTTY));
    if (parsed === 'exit') return ExitCode.Ok;
    if (parsed === 'usage') {
      // Like ripgrep: usage on stderr and the usage-error code, so an empty command line in a
      // script never passes for a clean search.
      process.stderr.write(`${SHORT_USAGE}\n`);
      return ExitCode.InvalidInput;
    }
    settings = parsed;
    logger = stderrLogger(settings.logLevel);
    const inv = await attachRules(buildInvestigation(settings.raw, new Date()), settings.raw, process.cwd());
    const names = outputFileNames(inv);
    // Below the current folder, no link may lead the results elsewhere; an absolute path outside
    // it is the user's explicit choice (see docs/reliability.md).
    await prepareOutDir(inv.output.dir, {
      roots: [process.cwd()],
      confined: false,
      files: inv.dryRun ? [names.plan] : [names.results, names.summary],
      field: '--out-dir',
    });
    if (inv.dryRun) {
      const { planPath, text } = await runDryRun(inv, logger);
      process.stdout.write(`${text}\nPlan written to ${planPath}\n`);
      return ExitCode.Ok;
    }
    const interrupt = abortOnSignals({
      say: (line) => process.stderr.write(`\n${line}\n`),
      beforeForcedExit: () => removeOwnTempFiles(inv.output.dir),
    });
    const progress = settings.progress ? createProgress(process.stderr) : undefined;
    const result = await runSearch(inv, {
      logger,
      signal: interrupt.signal,
      ...(progress ? { onProgress: (p) => progress.update(p) } : {}),
      keepFirst: settings.maxRows,
    });
    progress?.done();
    if (settings.maxRows > 0 && result.firstMatches.length > 0) {
      // Not a terminal (a pipe, a CI log): COLUMNS when set, else a wide log line.
      const width = process.stdout.columns || Number(process.env.COLUMNS) || 160;
      const rules = result.summary.rules
        ? new Map<string, RuleInfo>(result.summary.rules.map((r) => [r.id, r]))
        : undefined;
      const table = formatMatchesTable(result.firstMatches, {
        width,
        wide: settings.wide,
        color: settings.color,
        ...(rules ? { rules } : {}),
      });
      process.stdout.write(`${table}\n`);
      const { matches } = result.summary;
      if (matches > result.firstMatches.length) {
        const order = rules ? 'highest level first, then by time' : 'by time';
        // No filter and no rules: an export, whose rows are events rather than matches.
        const counted =
          result.summary.filter === null && !rules
            ? plural(matches, 'event')
            : plural(matches, 'match', 'matches');
        process.stdout.write(
          `Showing ${formatCount(result.firstMatches.length)} of ${counted} (${order}); all of them in ${result.resultsPath}\n`,
        );
      }
    }
    const rules = formatRulesTable(result.summary);
    if (rules) process.stdout.write(`${rules}\n`);
    const skipped = formatSkippedRules(result.summary);
    if (skipped) process.stdout.write(`${skipped}\n`);
    for (const w of result.summary.warnings) logger.warning(w);
    process.stdout.write(`${formatSummaryLine(result.summary)}\n`);
    process.stdout.write(`Results: ${result.resultsPath}\nSummary: ${result.summaryPath}\n`);
    const inc = result.summary.incremental;
    if (inc) {
      process.stdout.write(
        `State: ${sanitizeForTerminal(inc.state)} ${inc.advanced ? 'advanced' : 'NOT advanced'} ` +
          `(deliveries ${inc.from} → ${inc.to}${inc.firstRun ? ', first run' : ''}` +
          `${inc.filesAlreadyHandled > 0 ? `, ${plural(inc.filesAlreadyHandled, 'file')} already read by earlier runs` : ''})\n`,
      );
    }
    process.stdout.write(`Result: ${result.result}\n`);
    if (result.exitCode === ExitCodes.matched) {
      logger.error(gateMessage(result.summary, '--fail-on-match'));
    }
    if (result.exitCode === ExitCodes['no-logs']) {
      logger.error(
        'No logs where logs were expected: this run could not see what happened (--fail-on-no-logs).',
      );
    }
    return result.exitCode;
  } catch (err) {
    if (err instanceof ConfigurationError) {
      logger.error((settings ? settings.explain(err) : err).message);
      return ExitCode.InvalidInput;
    }
    // Also when the state (--state s3://…) could not be read for want of credentials.
    const noCredentials = asNoCredentialsError(err);
    if (noCredentials) {
      logger.error(noCredentials.message);
      process.stderr.write(`${CREDENTIALS_HELP}\n`);
      return ExitCodes.error;
    }
    logger.error(errorMessage(err));
    logger.debug(String((err as Error)?.stack ?? ''));
    return ExitCodes.error;
  }
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
