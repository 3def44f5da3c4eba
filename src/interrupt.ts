/**
 * SIGINT/SIGTERM (Ctrl-C, a cancelled workflow: the runner sends SIGINT, then SIGTERM, then kills)
 * abort the search through an AbortSignal: in-flight reads stop, running Athena queries are
 * stopped, and the partial result is written and marked incomplete (exit code 3). A second
 * signal quits at once, after removing this process's temporary files, still with exit code 3.
 */
import { ExitCode } from './errors.js';

export interface InterruptOptions {
  /** Says what is happening (the terminal, the workflow log). */
  say: (line: string) => void;
  /** Synchronous clean-up before a forced exit (temporary files). */
  beforeForcedExit: () => void;
}

export interface Interrupt {
  signal: AbortSignal;
  /** Stops listening (the search is over). */
  dispose(): void;
}

export function abortOnSignals(options: InterruptOptions): Interrupt {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      options.say(`${sig} again: quitting now; the search is incomplete.`);
      options.beforeForcedExit();
      process.exit(ExitCode.Incomplete);
    }
    options.say(
      `${sig}: stopping the search; partial results will be marked incomplete (send it again to quit at once).`,
    );
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
