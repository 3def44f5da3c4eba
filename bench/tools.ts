/**
 * How each tool is run and measured: as a child process, timed from the outside (wall) and,
 * where the tool can say, from the inside (work: without process start-up and module loading),
 * with its peak resident memory and the number of events it found.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchBuild } from './build.js';
import type { Scenario } from './scenarios.js';

/** `scan-s3`: objects read with signed GETs (the default); `scan-s3-sdk`: with the SDK's GetObject. */
export type ToolName = 'scan' | 'scan-s3' | 'scan-s3-sdk' | 'scan-export' | 'duckdb' | 'jq' | 'gunzip-floor';

export interface Measurement {
  wallMs: number;
  /** Time of the work itself as the tool reports it; wall time when it cannot say. */
  workMs: number;
  /** Events found (every occurrence, duplicates included); undefined for the floor. */
  count: number | undefined;
  /** Peak resident set of the process (KB), when measurable. */
  maxRssKb: number | undefined;
  /** CPU time of the process, all threads (ms), when measurable. */
  cpuMs: number | undefined;
  /** CPU time the S3-protocol server spent meanwhile (ms): it shares the machine's cores. */
  serverCpuMs?: number;
}

export interface ToolContext {
  build: BenchBuild;
  workers: number;
  dataDir: string;
  /** A scratch folder for outputs and lists. */
  tmp: string;
  /** s3:// location of the same data and the environment that reaches it. */
  s3?: {
    source: string;
    env: Record<string, string>;
    /** Which server answers (`nginx` or `node`), for the table. */
    server: string;
    /** CPU time (ms) the server has spent so far: it shares the machine's cores. */
    cpuMs(): Promise<number>;
  };
}

const GNU_TIME = '/usr/bin/time';

/** Makes a Node child write its peak RSS (KB) and CPU time (µs) to BENCH_PROBE_FILE when it exits. */
const PROBE =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { writeFileSync } from 'node:fs'; process.on('exit', () => { const u = process.resourceUsage(); " +
      'if (process.env.BENCH_PROBE_FILE) writeFileSync(process.env.BENCH_PROBE_FILE, ' +
      'JSON.stringify({ maxRssKb: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime })); });',
  );

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, wallMs: performance.now() - started }));
  });
}

export function check(r: Run, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code}:\n${r.stderr.slice(-2000)}`);
}

async function listFile(ctx: ToolContext, scenario: Scenario): Promise<string> {
  const file = path.join(ctx.tmp, `${scenario.name}.files`);
  await writeFile(file, scenario.files.map((f) => path.join(ctx.dataDir, f.key)).join('\n'));
  return file;
}

async function readProbe(file: string): Promise<{ maxRssKb: number | undefined; cpuMs: number | undefined }> {
  if (!existsSync(file)) return { maxRssKb: undefined, cpuMs: undefined };
  const p = JSON.parse(await readFile(file, 'utf8')) as { maxRssKb: number; cpuUs: number };
  return { maxRssKb: p.maxRssKb, cpuMs: p.cpuUs / 1000 };
}

async function scan(
  ctx: ToolContext,
  scenario: Scenario,
  source: string,
  env: Record<string, string>,
): Promise<Measurement> {
  const out = path.join(ctx.tmp, 'scan-out');
  const probeFile = path.join(ctx.tmp, 'scan.probe');
  await rm(out, { recursive: true, force: true });
  await rm(probeFile, { force: true });
  const args = ['--import', PROBE, ctx.build.cli, '--source', source, '--engine', 'scan'];
  if (scenario.filter) args.push('--filter', JSON.stringify(scenario.filter));
  if (scenario.rules) {
    const rules = path.join(ctx.tmp, 'rules.yml');
    await writeFile(rules, scenario.rules);
    args.push('--rules', rules);
  }
  args.push('--since', scenario.since, '--until', scenario.until, '--out-dir', out);
  args.push('--workers', String(ctx.workers), '--no-progress', '--no-color', '--log-level', 'error');
  const serverBefore = ctx.s3 && source.startsWith('s3://') ? await ctx.s3.cpuMs() : undefined;
  const r = await run(process.execPath, args, { ...env, BENCH_PROBE_FILE: probeFile });
  const serverCpuMs = serverBefore === undefined ? undefined : (await ctx.s3!.cpuMs()) - serverBefore;
  check(r, 'the scan engine');
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
    matches: number;
    duplicatesDropped: number;
    durationMs: number;
    complete: boolean;
  };
  if (!summary.complete) throw new Error(`the scan engine's search was incomplete (${source})`);
  return {
    wallMs: r.wallMs,
    workMs: summary.durationMs,
    count: summary.matches + summary.duplicatesDropped,
    ...(await readProbe(probeFile)),
    ...(serverCpuMs === undefined ? {} : { serverCpuMs }),
  };
}

async function duckdb(ctx: ToolContext, scenario: Scenario): Promise<Measurement> {
  const condition = path.join(ctx.tmp, 'duckdb.where');
  const out = path.join(ctx.tmp, 'duckdb-out.jsonl');
  await writeFile(condition, scenario.sql);
  const r = await run(process.execPath, [
    ctx.build.duckdb,
    String(ctx.workers),
    await listFile(ctx, scenario),
    condition,
    out,
  ]);
  check(r, 'DuckDB');
  const m = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Measurement;
  return { wallMs: r.wallMs, workMs: m.workMs, count: m.count, maxRssKb: m.maxRssKb, cpuMs: m.cpuMs };
}

async function countLines(file: string): Promise<number> {
  const text = await readFile(file);
  let n = 0;
  for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) n++;
  return n;
}

async function jq(ctx: ToolContext, scenario: Scenario): Promise<Measurement> {
  const out = path.join(ctx.tmp, 'jq-out.jsonl');
  const timeFile = path.join(ctx.tmp, 'jq.rss');
  await rm(timeFile, { force: true });
  const script = `xargs -d '\\n' zcat -- < "$1" | jq -c '.Records[] | select(${scenario.jq})' > "$2"`;
  const args = ['-c', script, 'bench-jq', await listFile(ctx, scenario), out];
  const timed = existsSync(GNU_TIME);
  const r = timed
    ? await run(GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, 'bash', ...args])
    : await run('bash', args);
  check(r, 'zcat | jq');
  // GNU time: peak RSS (KB) and user and system seconds of the pipeline.
  const [rss, user, sys] = timed
    ? ((await readFile(timeFile, 'utf8')).trim().split('\n').pop() ?? '').split(' ').map(Number)
    : [];
  return {
    wallMs: r.wallMs,
    workMs: r.wallMs,
    count: await countLines(out),
    maxRssKb: rss,
    cpuMs: user === undefined || sys === undefined ? undefined : (user + sys) * 1000,
  };
}

async function floor(ctx: ToolContext, scenario: Scenario): Promise<Measurement> {
  const r = await run(process.execPath, [
    ctx.build.floor,
    await listFile(ctx, scenario),
    String(ctx.workers),
  ]);
  check(r, 'the gunzip floor');
  const m = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Measurement;
  return { wallMs: r.wallMs, workMs: m.workMs, count: undefined, maxRssKb: m.maxRssKb, cpuMs: m.cpuMs };
}

export function measure(tool: ToolName, ctx: ToolContext, scenario: Scenario): Promise<Measurement> {
  switch (tool) {
    case 'scan':
      return scan(ctx, scenario, ctx.dataDir, {});
    case 'scan-export':
      // Every record of the same files written out: what a rule pack's time is held against.
      return scan(ctx, { ...scenario, filter: undefined, rules: undefined }, ctx.dataDir, {});
    case 'scan-s3':
      if (!ctx.s3) throw new Error('no S3 server');
      return scan(ctx, scenario, ctx.s3.source, ctx.s3.env);
    case 'scan-s3-sdk':
      if (!ctx.s3) throw new Error('no S3 server');
      return scan(ctx, scenario, ctx.s3.source, { ...ctx.s3.env, CLOUDTRAIL_INVESTIGATE_S3_READS: 'sdk' });
    case 'duckdb':
      return duckdb(ctx, scenario);
    case 'jq':
      return jq(ctx, scenario);
    case 'gunzip-floor':
      return floor(ctx, scenario);
  }
}

/** True when `jq` and `zcat` can be run. */
export async function jqAvailable(): Promise<boolean> {
  try {
    const r = await run('bash', ['-c', 'command -v jq && command -v zcat']);
    return r.code === 0;
  } catch {
    return false;
  }
}
