#!/usr/bin/env node
/**
 * The command-line front end: flags -> Investigation -> search -> terminal table, files, exit code.
 * Exit codes (src/outcome.ts): 0 done; 1 matches found with --fail-on-match; 2 invalid input;
 * 3 incomplete (also with --fail-on-match: fail closed); 4 no logs where expected, with
 * --fail-on-no-logs (default with --fail-on-match); 5 the search could not run or write its results.
 */
import { ConfigurationError, ExitCode, errorMessage } from './errors.js';
import { ExitCodes, gateMessage } from './outcome.js';
import type { Logger } from './logger.js';
import { parseCliArgs, type LogLevel } from './cli-args.js';
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
  formatSummaryLine,
  sanitizeForTerminal,
} from './report/terminal.js';
import { VERSION } from './version.js';

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
  try {
    const settings = parseCliArgs(argv, VERSION, Boolean(process.stdout.isTTY));
    if (settings === 'exit') return ExitCode.Ok;
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
      const width = process.stdout.columns ?? 160;
      process.stdout.write(`${formatMatchesTable(result.firstMatches, { width, color: settings.color })}\n`);
      const more = result.summary.matches - result.firstMatches.length;
      if (more > 0) process.stdout.write(`… and ${more} more in ${result.resultsPath}\n`);
    }
    const rules = formatRulesTable(result.summary);
    if (rules) process.stdout.write(`${rules}\n`);
    for (const w of result.summary.warnings) logger.warning(w);
    process.stdout.write(`${formatSummaryLine(result.summary)}\n`);
    process.stdout.write(`Results: ${result.resultsPath}\nSummary: ${result.summaryPath}\n`);
    const inc = result.summary.incremental;
    if (inc) {
      process.stdout.write(
        `State: ${sanitizeForTerminal(inc.state)} ${inc.advanced ? 'advanced' : 'NOT advanced'} ` +
          `(deliveries ${inc.from} → ${inc.to}${inc.firstRun ? ', first run' : ''}` +
          `${inc.filesAlreadyHandled > 0 ? `, ${inc.filesAlreadyHandled} files already read by earlier runs` : ''})\n`,
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
      logger.error(err.message);
      return ExitCode.InvalidInput;
    }
    logger.error(errorMessage(err));
    logger.debug(String((err as Error)?.stack ?? ''));
    return ExitCodes.error;
  }
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
