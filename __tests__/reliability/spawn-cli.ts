/**
 * Starts the CLI (from source, or the bundle: helpers/cli.ts `cliEntry`) as a child process and
 * hands back the process itself, for tests that signal it (cancellation) or run it in another
 * folder or under a shell limit. The tsx loader is given by absolute URL so the working folder can
 * be anywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEntry, repoRoot, type CliRun } from '../helpers/cli.js';

export interface StartedCli {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** A shell line run before the CLI (e.g. `ulimit -f 40`); the CLI is then exec'd by bash. */
  shellPrefix?: string;
  timeoutMs?: number;
}

export function startCli(args: string[], options: StartOptions = {}): StartedCli {
  const argv = [process.execPath, ...cliEntry(), ...args];
  const [command, commandArgs] = options.shellPrefix
    ? ['bash', ['-c', `${options.shellPrefix}; exec "$@"`, 'cli', ...argv]]
    : [argv[0]!, argv.slice(1)];
  const child = spawn(command as string, commandArgs as string[], {
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** Resolves once `condition()` holds (polled), or rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
