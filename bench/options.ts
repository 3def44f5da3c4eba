/**
 * Benchmark options from flags and environment variables (flags win). Pure: no I/O.
 *
 *   --files N    log files in the dataset (BENCH_FILES, default 500)
 *   --mb N       uncompressed size of the dataset in MB (BENCH_MB, default 200)
 *   --runs N     timed runs of each tool per scenario (BENCH_RUNS, default 3)
 *   --only a,b   scenarios to run (BENCH_ONLY), of: selective, broad, nested, window, export,
 *                rules (a generated pack of 600 Sigma rules, timed against an export of the same files),
 *                latency (S3 with injected latency, the scan engine against the AWS SDK peer)
 *                (default: all but export and latency; with --smoke: selective, broad, window, latency)
 *   --latencies a,b    injected times to first byte, ms (BENCH_LATENCIES, default 0,10,50,100; smoke 0,20)
 *   --bandwidth N      MB/s of the link all answers share, 0 = none (BENCH_BANDWIDTH, default 0)
 *   --latency-objects N  objects of the latency dataset (BENCH_LATENCY_OBJECTS, default 20736; smoke 96)
 *   --peer-concurrency N p-limit concurrency of the SDK peer (BENCH_PEER_CONCURRENCY, default 16)
 *   --no-peer    latency scenario: the scan engine only, e.g. for more runs (BENCH_PEER=0)
 *   --smoke      tiny data, one run: a check that the bench works, in seconds (BENCH_SMOKE=1)
 *   --workers N  threads for the scan engine, DuckDB and the gunzip floor (BENCH_WORKERS, default: cores)
 *   --no-s3      skip the scan engine over the local S3-protocol server (BENCH_S3=0)
 *   --no-jq      skip `zcat | jq` (BENCH_JQ=0)
 *   --out FILE   results file (BENCH_OUT, default bench/results.json)
 *   --data-dir D where datasets are cached (BENCH_DATA_DIR, default bench/data)
 */
import os from 'node:os';

export const SCENARIO_NAMES = [
  'selective',
  'broad',
  'nested',
  'window',
  'export',
  'rules',
  'latency',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface BenchOptions {
  files: number;
  megabytes: number;
  runs: number;
  smoke: boolean;
  workers: number;
  scenarios: ScenarioName[];
  s3: boolean;
  jq: boolean;
  out: string;
  dataDir: string;
  latencies: number[];
  bandwidthMBps: number;
  latencyObjects: number;
  peerConcurrency: number;
  peer: boolean;
}

export class BenchOptionError extends Error {
  override readonly name = 'BenchOptionError';
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new BenchOptionError(`${name} must be a whole number >= 1, got "${text}"`);
  return n;
}

function positiveNumber(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new BenchOptionError(`${name} must be a number > 0, got "${text}"`);
  return n;
}

function scenarioList(text: string): ScenarioName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
      throw new BenchOptionError(
        `--only: unknown scenario "${name}"; choose from ${SCENARIO_NAMES.join(', ')}`,
      );
    }
  }
  return names as ScenarioName[];
}

const FLAGS_WITH_VALUE = new Set([
  '--files',
  '--mb',
  '--runs',
  '--only',
  '--workers',
  '--out',
  '--data-dir',
  '--latencies',
  '--bandwidth',
  '--latency-objects',
  '--peer-concurrency',
]);

function latencyList(text: string): number[] {
  const list = text.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new BenchOptionError(`--latencies must be milliseconds >= 0 separated by commas, got "${text}"`);
  }
  return list;
}

function nonNegative(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new BenchOptionError(`${name} must be a number >= 0, got "${text}"`);
  return n;
}

export function parseBenchOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  defaults: { out: string; dataDir: string; cores?: number },
): BenchOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (FLAGS_WITH_VALUE.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new BenchOptionError(`${name} needs a value`);
      flags.set(name, value);
    } else if (name === '--smoke' || name === '--no-s3' || name === '--no-jq' || name === '--no-peer') {
      flags.set(name, 'true');
    } else {
      throw new BenchOptionError(`unknown option "${arg}"; see the comment at the top of bench/options.ts`);
    }
  }
  const pick = (flag: string, envName: string): string | undefined => flags.get(flag) ?? env[envName];
  const smoke = flags.has('--smoke') || env.BENCH_SMOKE === '1';
  const filesText = pick('--files', 'BENCH_FILES');
  const mbText = pick('--mb', 'BENCH_MB');
  const runsText = pick('--runs', 'BENCH_RUNS');
  const workersText = pick('--workers', 'BENCH_WORKERS');
  const onlyText = pick('--only', 'BENCH_ONLY');
  const latenciesText = pick('--latencies', 'BENCH_LATENCIES');
  const bandwidthText = pick('--bandwidth', 'BENCH_BANDWIDTH');
  const latencyObjectsText = pick('--latency-objects', 'BENCH_LATENCY_OBJECTS');
  const peerText = pick('--peer-concurrency', 'BENCH_PEER_CONCURRENCY');
  return {
    smoke,
    files: filesText ? positiveInt('--files', filesText) : smoke ? 12 : 500,
    megabytes: mbText ? positiveNumber('--mb', mbText) : smoke ? 2 : 200,
    runs: runsText ? positiveInt('--runs', runsText) : smoke ? 1 : 3,
    workers: workersText
      ? positiveInt('--workers', workersText)
      : (defaults.cores ?? os.availableParallelism()),
    scenarios: onlyText
      ? scenarioList(onlyText)
      : smoke
        ? ['selective', 'broad', 'window', 'latency']
        : ['selective', 'broad', 'nested', 'window', 'rules'],
    s3: !flags.has('--no-s3') && env.BENCH_S3 !== '0',
    jq: !flags.has('--no-jq') && env.BENCH_JQ !== '0',
    out: pick('--out', 'BENCH_OUT') ?? defaults.out,
    dataDir: pick('--data-dir', 'BENCH_DATA_DIR') ?? defaults.dataDir,
    latencies: latenciesText ? latencyList(latenciesText) : smoke ? [0, 20] : [0, 10, 50, 100],
    bandwidthMBps: bandwidthText ? nonNegative('--bandwidth', bandwidthText) : 0,
    latencyObjects: latencyObjectsText
      ? positiveInt('--latency-objects', latencyObjectsText)
      : smoke
        ? 96
        : 20_736,
    peerConcurrency: peerText ? positiveInt('--peer-concurrency', peerText) : 16,
    peer: !flags.has('--no-peer') && env.BENCH_PEER !== '0',
  };
}
