/**
 * Runs the built Action the way the runner does: `node dist/index.js` in a child process, with
 * every input of action.yml as `INPUT_<NAME>` (its default unless given; upper-cased, spaces to
 * `_`, hyphens kept), the runner's file commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY...), a fresh
 * RUNNER_TEMP and GITHUB_* context. The environment is built from scratch: nothing of the
 * developer's or CI's AWS or GitHub settings leaks in.
 *
 * The bundle is `dist/index.js` (committed, checked by CI) unless ACTION_DIST names another
 * (e.g. a development build).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

export const repoRoot = path.resolve(__dirname, '../..');
export const actionPath = path.resolve(repoRoot, process.env.ACTION_DIST ?? 'dist/index.js');

const actionYml = parse(readFileSync(path.join(repoRoot, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
};

/** The runner's variable name for an input. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export interface RunActionOptions {
  inputs?: Record<string, string>;
  /** Extra variables (service stand-ins, AWS endpoints). */
  env?: Record<string, string>;
  /** The workspace (cwd); a new temp folder by default. */
  workspace?: string;
  runId?: string;
  job?: string;
  timeoutMs?: number;
}

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

export interface ActionRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  runnerTemp: string;
  workspace: string;
  /** Workflow commands the runner would execute (`::name k=v::message` lines), unescaped. */
  commands: WorkflowCommand[];
}

const unescapeData = (s: string): string =>
  s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string): string => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');

/** Parses the lines the runner would treat as workflow commands (leading whitespace trimmed). */
export function parseCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trimStart();
    const m = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    const properties: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    commands.push({ command: m[1]!, properties, message: unescapeData(m[3]!) });
  }
  return commands;
}

/** GITHUB_OUTPUT's heredoc format: `name<<DELIM\nvalue\nDELIM\n`. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (m) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
      outputs[m[1]!] = value.join('\n');
    } else if (lines[i]!.includes('=')) {
      const eq = lines[i]!.indexOf('=');
      outputs[lines[i]!.slice(0, eq)] = lines[i]!.slice(eq + 1);
    }
  }
  return outputs;
}

export async function runAction(options: RunActionOptions = {}): Promise<ActionRun> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'action-run-'));
  const workspace = options.workspace ?? path.join(base, 'workspace');
  const runnerTemp = path.join(base, 'runner-temp');
  const home = path.join(base, 'home');
  await Promise.all([mkdir(workspace, { recursive: true }), mkdir(runnerTemp), mkdir(home)]);
  const files = {
    GITHUB_OUTPUT: path.join(base, 'output.txt'),
    GITHUB_STEP_SUMMARY: path.join(base, 'step-summary.md'),
    GITHUB_ENV: path.join(base, 'env.txt'),
    GITHUB_PATH: path.join(base, 'path.txt'),
    GITHUB_STATE: path.join(base, 'state.txt'),
  };
  await Promise.all(Object.values(files).map((f) => writeFile(f, '')));

  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(actionYml.inputs))
    inputs[inputEnvName(name)] = spec.default ?? '';
  for (const [name, value] of Object.entries(options.inputs ?? {})) {
    if (!(name in actionYml.inputs)) throw new Error(`action.yml declares no input "${name}"`);
    inputs[inputEnvName(name)] = value;
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    // The SDK must find no credentials or config of the machine running the tests.
    AWS_CONFIG_FILE: path.join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: '__run',
    GITHUB_ACTOR: 'octocat',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_JOB: options.job ?? 'investigate',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'octo-org/audit-repo',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_RUN_ID: options.runId ?? '7000000001',
    GITHUB_RUN_NUMBER: '12',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_WORKFLOW: 'audit',
    GITHUB_WORKSPACE: workspace,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: runnerTemp,
    ...files,
    ...inputs,
    ...(options.env ?? {}),
  };

  const child = spawn(process.execPath, [actionPath], {
    cwd: workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timeoutMs = options.timeoutMs ?? 45_000;
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`the action did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseOutputFile(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    runnerTemp,
    workspace,
    commands: parseCommands(stdout),
  };
}
