/**
 * `npm run bench`: the scan engine against its peers on the same generated CloudTrail logs, in the
 * same run: DuckDB's read_json, `zcat | jq`, and the gunzip-only floor; plus the scan engine
 * reading the same objects from a local S3-protocol server. Prints a table and the targets, writes
 * bench/results.json, and fails when the tools disagree on how many events match.
 * Options: see bench/options.ts (`npm run bench -- --smoke` runs on tiny data in seconds).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBench } from './build.js';
import { ensureDataset, totals, type Dataset } from './dataset.js';
import { parseBenchOptions, type BenchOptions } from './options.js';
import {
  checkCounts,
  checkTargets,
  formatTable,
  formatTargets,
  ratios,
  summariseTool,
  type ScenarioResult,
} from './report.js';
import { runLatencyBench, type LatencyResult } from './latency.js';
import { nginxPath, startNginxS3Server } from './s3-nginx.js';
import { startBenchS3Server } from './s3-server.js';
import { scenarios, type Scenario } from './scenarios.js';
import { jqAvailable, measure, type Measurement, type ToolContext, type ToolName } from './tools.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Scenarios also run against the S3-protocol server. */
const S3_SCENARIOS = new Set(['selective', 'broad']);

/**
 * An S3-protocol server over the dataset's folder: nginx in front of the lean server when nginx is
 * installed (bench/s3-nginx.ts says why), else the lean server alone, in this process.
 */
async function startS3(
  dataset: Dataset,
): Promise<{ ctx: NonNullable<ToolContext['s3']>; close: () => Promise<void> }> {
  const bucket = 'bench-trail-logs';
  const nginx = await nginxPath();
  const withNginx = nginx ? await startNginxS3Server({ nginx, dir: dataset.dir, bucket }) : undefined;
  const server = withNginx ?? (await startBenchS3Server({ dir: dataset.dir, bucket }));
  const cpuMs = withNginx ? withNginx.cpuMs : ownCpuMs;
  if (server.objects !== dataset.files.length) {
    await server.close();
    throw new Error(
      `the S3 server found ${server.objects} objects in ${dataset.dir}, the manifest ${dataset.files.length}`,
    );
  }
  return {
    ctx: { source: `s3://${server.bucket}`, env: server.env, server: nginx ? 'nginx' : 'node', cpuMs },
    close: () => server.close(),
  };
}

/** The bench process's CPU time (ms): the lean server runs in it. */
function ownCpuMs(): Promise<number> {
  const { user, system } = process.cpuUsage();
  return Promise.resolve((user + system) / 1000);
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

async function runScenario(
  scenario: Scenario,
  tools: ToolName[],
  ctx: ToolContext,
  opts: BenchOptions,
): Promise<ScenarioResult> {
  const input = totals(scenario.files);
  const runs = new Map<ToolName, Measurement[]>(tools.map((t) => [t, []]));
  for (let i = 0; i < opts.runs; i++) {
    // Rotate the order so no tool always runs right after the same neighbour (caches, heat).
    const order = tools.map((_, k) => tools[(k + i) % tools.length] as ToolName);
    for (const tool of order) {
      const m = await measure(tool, ctx, scenario);
      runs.get(tool)!.push(m);
      log(
        `  ${scenario.name} run ${i + 1}/${opts.runs} ${tool}: ${(m.workMs / 1000).toFixed(2)} s, ${m.count ?? '-'} events`,
      );
    }
  }
  const results = tools.map((t) =>
    summariseTool(t, runs.get(t)!, { uncompressedBytes: input.uncompressed, records: input.records }),
  );
  checkCounts(scenario.name, results);
  return {
    scenario: scenario.name,
    description: scenario.description,
    files: scenario.files.length,
    uncompressedBytes: input.uncompressed,
    records: input.records,
    tools: results,
    ratios: ratios(results),
  };
}

async function main(): Promise<void> {
  const opts = parseBenchOptions(process.argv.slice(2), process.env, {
    out: path.join(repoRoot, 'bench', 'results.json'),
    dataDir: path.join(repoRoot, 'bench', 'data'),
  });
  const withMain = opts.scenarios.some((s) => s !== 'latency');
  const dataset = await ensureDataset(
    opts.dataDir,
    withMain ? opts.files : 1,
    withMain ? opts.megabytes : 0.01,
    log,
  );
  const size = totals(dataset.files);
  log(
    `Dataset: ${dataset.files.length} files, ${(size.bytes / 1e6).toFixed(1)} MB gzipped, ` +
      `${(size.uncompressed / 1e6).toFixed(1)} MB of JSON, ${size.records.toLocaleString('en-US')} records`,
  );
  // Inside the repository whatever --data-dir says: the bundles resolve DuckDB from its node_modules.
  const build = await buildBench(repoRoot, path.join(repoRoot, 'bench', 'data', '.build'));
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ct-bench-'));
  const withJq = opts.jq && (await jqAvailable());
  if (opts.jq && !withJq) log('jq or zcat not found: skipping zcat | jq');
  const s3 = opts.s3 && withMain ? await startS3(dataset) : undefined;
  if (s3)
    log(
      `S3-protocol server: ${s3.ctx.server === 'nginx' ? 'nginx (object GETs) + the lean server (the rest)' : 'the lean Node server (nginx not installed)'}`,
    );
  const loadBefore = os.loadavg();
  const started = Date.now();
  try {
    const ctx: ToolContext = {
      build,
      workers: opts.workers,
      dataDir: dataset.dir,
      tmp,
      ...(s3 ? { s3: s3.ctx } : {}),
    };
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios(dataset, opts.scenarios)) {
      const tools: ToolName[] = ['scan', 'duckdb', 'gunzip-floor'];
      if (s3 && S3_SCENARIOS.has(scenario.name)) tools.splice(1, 0, 'scan-s3', 'scan-s3-sdk');
      if (scenario.rules) tools.splice(1, 0, 'scan-export');
      if (withJq) tools.push('jq');
      log(`Scenario ${scenario.name}: ${scenario.description}`);
      results.push(await runScenario(scenario, tools, ctx, opts));
    }
    let latency: LatencyResult | undefined;
    if (opts.scenarios.includes('latency')) {
      log(
        `Scenario latency: the scan engine${opts.peer ? ` and the AWS SDK peer (p-limit ${opts.peerConcurrency})` : ''} over S3 at ` +
          `${opts.latencies.join(', ')} ms to first byte${opts.bandwidthMBps > 0 ? `, ${opts.bandwidthMBps} MB/s link` : ''}`,
      );
      latency = await runLatencyBench(opts, build, tmp, log);
    }
    const targets = [...checkTargets(results), ...(latency?.targets ?? [])];
    const table = formatTable(results);
    const latencyTable = latency ? `\n\nS3 with injected latency:\n${latency.table}` : '';
    console.log(`\n${table}${latencyTable}\n\nTargets (ratios from this run):\n${formatTargets(targets)}\n`);
    const report = {
      generatedAt: new Date().toISOString(),
      durationS: Math.round((Date.now() - started) / 1000),
      machine: { ...machine(), loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() },
      options: { ...opts, out: undefined, dataDir: undefined },
      ...(s3 ? { s3Server: s3.ctx.server } : {}),
      dataset: { files: dataset.files.length, ...size, generator: dataset.options },
      method:
        'Each tool runs as a child process on the same files, runs interleaved. Time = the work as the tool ' +
        'reports it (scan: summary.json durationMs; DuckDB: instance creation to COPY done; floor: worker start to ' +
        "last gunzip) or the wall time (jq). MB/s = uncompressed JSON of the scenario's files / median time.",
      scenarios: results,
      ...(latency ? { latency } : {}),
      targets,
      table,
    };
    await writeFile(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    log(`Results: ${opts.out}`);
  } finally {
    await s3?.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
