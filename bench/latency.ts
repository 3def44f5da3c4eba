/**
 * The latency scenario (`npm run bench -- --only latency`): the scan engine and the AWS SDK peer
 * (bench/children/sdk-peer.ts) read the same CloudTrail-shaped objects from the latency server
 * (bench/latency-server.ts) at each injected time to first byte, runs interleaved. Its own
 * dataset: many small objects in the delivery layout (accounts x 4 regions x 3 days, 12 files an
 * hour each, 2-100 records a file), generated once and cached.
 */
import os from 'node:os';
import path from 'node:path';
import { SELECTIVITY } from '../tools/generate/index.js';
import type { GenerateOptions } from '../tools/generate/index.js';
import type { BenchBuild } from './build.js';
import { ensureGenerated, totals, type Dataset } from './dataset.js';
import {
  checkLatencyCounts,
  formatLatencyTable,
  latencyRows,
  latencyTargets,
  type LatencyRow,
  type LatencyRun,
} from './latency-report.js';
import { startLatencyS3Server, type LatencyS3Server } from './latency-server.js';
import type { BenchOptions } from './options.js';
import type { TargetCheck } from './report.js';
import type { Scenario } from './scenarios.js';
import { check, measure, run, type ToolContext } from './tools.js';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'];
const DAYS = 3;
const FILES_PER_HOUR = 12;
const START = '2023-07-10T00:00:00Z';

/** Generator options for about `objects` log files: CloudTrail's 12 files an hour per account and region. */
export function latencyDatasetOptions(objects: number): GenerateOptions {
  const perAccount = REGIONS.length * DAYS * 24 * FILES_PER_HOUR;
  const accounts = Math.max(1, Math.round(objects / perAccount));
  return {
    seed: 'bench-latency',
    accounts: Array.from({ length: accounts }, (_, i) => String(100000000001 + i * 111111111)),
    regions: REGIONS,
    start: START,
    days: DAYS,
    filesPerHour: objects / (accounts * REGIONS.length * DAYS * 24),
    recordsPerFile: [2, 100],
  };
}

export interface LatencyResult {
  dataset: { objects: number; bytes: number; uncompressed: number; records: number };
  latencies: number[];
  bandwidthMBps: number;
  peerConcurrency: number;
  loadAverage: Record<string, number[]>;
  rows: LatencyRow[];
  targets: TargetCheck[];
  table: string;
}

async function sdkPeer(build: BenchBuild, server: LatencyS3Server, scenario: Scenario, concurrency: number) {
  const rare = (scenario.filter as { eventName: string }).eventName;
  const r = await run(
    process.execPath,
    [build.sdkPeer, server.bucket, 'AWSLogs/', String(concurrency), rare, scenario.since, scenario.until],
    server.env,
  );
  check(r, 'the SDK peer');
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
    workMs: number;
    count: number;
    objects: number;
    maxRssKb: number;
    cpuMs: number;
  };
}

function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export async function runLatencyBench(
  opts: BenchOptions,
  build: BenchBuild,
  tmp: string,
  log: (line: string) => void,
): Promise<LatencyResult> {
  const options = latencyDatasetOptions(opts.latencyObjects);
  const dataset: Dataset = await ensureGenerated(
    path.join(opts.dataDir, `latency-${opts.latencyObjects}`),
    options,
    log,
  );
  const size = totals(dataset.files);
  log(
    `Latency dataset: ${dataset.files.length} objects, ${(size.bytes / 1e6).toFixed(1)} MB gzipped ` +
      `(${Math.round(size.bytes / dataset.files.length)} bytes each on average), ${(size.uncompressed / 1e6).toFixed(1)} MB of JSON`,
  );
  const bytesPerSecond = opts.bandwidthMBps * 1e6;
  const server = await startLatencyS3Server({ dir: dataset.dir, ttfbMs: 0, bytesPerSecond });
  const rare = SELECTIVITY.rare.value;
  const scenario: Scenario = {
    name: 'latency',
    description: `eventName = ${rare} over S3 with injected latency`,
    filter: { eventName: rare },
    since: dataset.start,
    until: dataset.end,
    sql: '',
    jq: '',
    files: dataset.files,
  };
  const ctx: ToolContext = {
    build,
    workers: opts.workers,
    dataDir: dataset.dir,
    tmp,
    s3: {
      source: `s3://${server.bucket}`,
      env: server.env,
      server: 'latency',
      cpuMs: () => Promise.resolve(ownCpuMs()),
    },
  };
  const runs = new Map<string, LatencyRun[]>();
  const loadAverage: Record<string, number[]> = { before: os.loadavg() };
  try {
    for (let i = 0; i < opts.runs; i++) {
      for (const latencyMs of opts.latencies) {
        server.configure({ ttfbMs: latencyMs, bytesPerSecond });
        const both = i % 2 === 0 ? (['scan-s3', 'sdk-peer'] as const) : (['sdk-peer', 'scan-s3'] as const);
        for (const tool of opts.peer ? both : (['scan-s3'] as const)) {
          const cpuBefore = ownCpuMs();
          let r: LatencyRun;
          if (tool === 'scan-s3') {
            const m = await measure('scan-s3', ctx, scenario);
            r = {
              workMs: m.workMs,
              count: m.count ?? -1,
              cpuMs: m.cpuMs,
              serverCpuMs: 0,
              maxRssKb: m.maxRssKb,
            };
          } else {
            const m = await sdkPeer(build, server, scenario, opts.peerConcurrency);
            if (m.objects !== dataset.files.length) {
              throw new Error(`the SDK peer read ${m.objects} objects of ${dataset.files.length}`);
            }
            r = { workMs: m.workMs, count: m.count, cpuMs: m.cpuMs, serverCpuMs: 0, maxRssKb: m.maxRssKb };
          }
          r.serverCpuMs = ownCpuMs() - cpuBefore;
          const key = `${latencyMs}/${tool}`;
          runs.set(key, [...(runs.get(key) ?? []), r]);
          const objectsPerSecond = dataset.files.length / (r.workMs / 1000);
          log(
            `  latency ${latencyMs} ms run ${i + 1}/${opts.runs} ${tool}: ${(r.workMs / 1000).toFixed(2)} s, ` +
              `${Math.round(objectsPerSecond)} objects/s, ${r.count} events`,
          );
        }
        loadAverage[`run ${i + 1}, ${latencyMs} ms`] = os.loadavg();
      }
    }
  } finally {
    await server.close();
  }
  checkLatencyCounts(runs);
  const rows = latencyRows(runs, opts.latencies, {
    objects: dataset.files.length,
    bytes: size.bytes,
    uncompressed: size.uncompressed,
  });
  return {
    dataset: { objects: dataset.files.length, ...size },
    latencies: opts.latencies,
    bandwidthMBps: opts.bandwidthMBps,
    peerConcurrency: opts.peerConcurrency,
    loadAverage,
    rows,
    targets: latencyTargets(rows),
    table: formatLatencyTable(rows),
  };
}
