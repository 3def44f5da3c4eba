/**
 * Bundles what the benchmark runs as child processes, from the current source: the CLI and its
 * scan worker laid out like dist/ (so the engine runs as shipped: bundled, workers without tsx),
 * and the peers' small drivers. esbuild (a dependency of tsx) bundles in a second or two; ncc, which
 * builds dist/, takes minutes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface BenchBuild {
  cli: string;
  floor: string;
  duckdb: string;
  /** The AWS SDK peer of the latency scenario (bench/children/sdk-peer.ts). */
  sdkPeer: string;
}

interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<unknown>;
}

export async function buildBench(repoRoot: string, outDir: string): Promise<BenchBuild> {
  let esbuild: EsbuildApi;
  try {
    esbuild = (await import('esbuild')) as unknown as EsbuildApi;
  } catch (err) {
    throw new Error(`the benchmark bundles with esbuild (installed with tsx): ${(err as Error).message}`, {
      cause: err,
    });
  }
  await mkdir(outDir, { recursive: true });
  // The bundles are ESM (.js under the repository's "type": "module"); CommonJS dependencies
  // still call require().
  const banner =
    "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    banner: { js: banner },
  };
  const entries: Array<[string, string, string[]]> = [
    ['src/cli.ts', 'cli.js', []],
    ['src/engines/scan/worker.ts', 'scan-worker.js', []],
    ['bench/children/floor.ts', 'floor.js', []],
    ['bench/children/duckdb.ts', 'duckdb.js', ['@duckdb/node-api']],
    ['bench/children/sdk-peer.ts', 'sdk-peer.js', []],
  ];
  await Promise.all(
    entries.map(([entry, out, external]) =>
      esbuild.build({
        ...common,
        entryPoints: [path.join(repoRoot, entry)],
        outfile: path.join(outDir, out),
        external,
      }),
    ),
  );
  // DuckDB's driver is resolved from the repository's node_modules, not bundled (native code).
  await writeFile(path.join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
  return {
    cli: path.join(outDir, 'cli.js'),
    floor: path.join(outDir, 'floor.js'),
    duckdb: path.join(outDir, 'duckdb.js'),
    sdkPeer: path.join(outDir, 'sdk-peer.js'),
  };
}
