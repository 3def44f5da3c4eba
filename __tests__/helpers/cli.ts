/**
 * Runs the CLI as a user does: a child process, from source through tsx (or the bundle with
 * `bundle: true`), with its own environment. Asynchronous, so an in-process test server keeps
 * answering.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The external corpora: only `*.corpus.test.ts` files may read them (see ./corpus.ts). */
export { sharedData } from './corpus-location.js';

/**
 * Node arguments that start the CLI: the source through tsx (a change is tested before it is
 * bundled), or the bundle when asked or when CLI_UNDER_TEST=dist. .ci/run sets that once it has
 * checked that dist/ is exactly what the source builds: the same code, without tsx compiling the
 * source again in every process the tests start.
 */
export function cliEntry(bundle = false): string[] {
  if (bundle || process.env.CLI_UNDER_TEST === 'dist') return [path.join(repoRoot, 'dist/cli.js')];
  const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
  return ['--import', tsx, path.join(repoRoot, 'src/cli.ts')];
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; bundle?: boolean; timeoutMs?: number } = {},
): Promise<CliRun> {
  const entry = cliEntry(options.bundle);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
