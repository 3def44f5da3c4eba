/**
 * A search of a local folder does not load the AWS SDK: the SDK is most of the bundle, and
 * evaluating it was most of the CLI's start-up (`--version` 0.39 s before, 0.27 s after, on the
 * 2-core machine). Checked twice: on the shipped bundle, through the Node built-ins the process
 * loaded (the SDK's HTTP handlers load `http`, `https`, `http2` and `tls` as soon as their modules
 * run; a local search needs none of them), with a search of S3 as the control that the probe does
 * see an SDK load; and on the source, whose static import graph from the CLI must not reach an
 * AWS package (only the lazily imported S3 and Athena modules do).
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateObjects } from '../../tools/generate/index.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const WINDOW = ['--since', '2023-07-10T00:00:00Z', '--until', '2023-07-11T00:00:00Z'];
const NETWORK_MODULES = ['http', 'https', 'http2', 'tls'];

let server: S3TestServer;
let probeDir: string;

beforeAll(async () => {
  server = await startS3Server({ buckets: ['startup-bucket'] });
  await server.seed(
    'startup-bucket',
    generateObjects({
      seed: 'startup',
      accounts: ['111111111111'],
      regions: ['us-east-1'],
      start: '2023-07-10T00:00:00Z',
      days: 1,
      filesPerHour: 1,
      recordsPerFile: [2, 4],
    }),
  );
  probeDir = await mkdtemp(path.join(os.tmpdir(), 'ct-startup-'));
  // Preloaded into the CLI's process: on exit, writes the public built-ins it loaded.
  await writeFile(
    path.join(probeDir, 'probe.mjs'),
    `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.PROBE_OUT, JSON.stringify(
  process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)))));
`,
  );
});

afterAll(async () => {
  await server?.close();
});

/** Runs the bundled CLI with the probe; the Node built-ins it loaded. */
async function builtinsLoaded(args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const out = path.join(probeDir, `loaded-${Math.random().toString(36).slice(2)}.json`);
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'ct-startup-out-'));
  const run = await runCli([...args, ...WINDOW, '--out-dir', outDir, '--no-progress'], {
    bundle: true,
    env: { ...env, PROBE_OUT: out, NODE_OPTIONS: `--import=${path.join(probeDir, 'probe.mjs')}` },
  });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(await readFile(out, 'utf8')) as string[];
}

const isAws = (p: string) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/');

/**
 * The packages a source file's module graph imports: those its static imports reach (evaluated
 * as soon as it is), and all of them (dynamic imports too). esbuild's metafile, with packages left
 * external and dynamic imports split into chunks of their own.
 */
async function importGraph(entry: string) {
  const esbuild = await import('esbuild');
  const built = await esbuild.build({
    entryPoints: [path.join(repoRoot, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    splitting: true,
    packages: 'external',
    outdir: path.join(probeDir, 'graph'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = Object.values(built.metafile.outputs);
  type Output = (typeof outputs)[number];
  const packages = (imports: Output['imports']) =>
    imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path);
  const staticImports = (o: Output) => o.imports.filter((i) => i.kind === 'import-statement');
  const main = outputs.find((o) => o.entryPoint?.endsWith(entry));
  if (!main) throw new Error(`esbuild made no chunk for ${entry}`);
  // Shared chunks the entry imports statically are evaluated with it.
  const statics = [main];
  for (let i = 0; i < statics.length; i++) {
    for (const imp of staticImports(statics[i]!)) {
      const chunk = imp.external ? undefined : built.metafile.outputs[imp.path];
      if (chunk && !statics.includes(chunk)) statics.push(chunk);
    }
  }
  return {
    staticPackages: [...new Set(statics.flatMap((o) => packages(staticImports(o))))],
    allPackages: [...new Set(outputs.flatMap((o) => packages(o.imports)))],
    importsDynamically: main.imports.some((i) => i.kind === 'dynamic-import'),
  };
}

describe('CLI start-up', () => {
  it('a search of a local folder loads no network module (the AWS SDK is not loaded)', async () => {
    const loaded = await builtinsLoaded([
      '--source',
      path.join(repoRoot, 'examples/cloudtrail'),
      '--filter',
      '{"eventName":"ConsoleLogin"}',
    ]);
    expect(loaded).toContain('fs'); // the probe saw the run
    expect(loaded.filter((m) => NETWORK_MODULES.includes(m))).toEqual([]);
  });

  it('control: a search of S3 loads the SDK and its network modules', async () => {
    const loaded = await builtinsLoaded(['--source', 's3://startup-bucket', '--filter', '{}'], server.env);
    expect(loaded).toEqual(expect.arrayContaining(NETWORK_MODULES));
  });

  it('the CLI source imports no AWS package statically (only through the lazy S3 and Athena modules)', async () => {
    const graph = await importGraph('src/cli.ts');
    expect(graph.staticPackages.filter(isAws)).toEqual([]);
    // The S3 client is still reachable, through a dynamic import.
    expect(graph.allPackages).toContain('@aws-sdk/client-s3');
    expect(graph.importsDynamically).toBe(true);
  });

  it('a search of s3:// does not load the CloudTrail client (only trails need it)', async () => {
    const graph = await importGraph('src/source/s3-targets.ts');
    expect(graph.staticPackages).toContain('@aws-sdk/client-s3');
    expect(graph.staticPackages).not.toContain('@aws-sdk/client-cloudtrail');
    // Still reachable, for --trail, through a dynamic import.
    expect(graph.allPackages).toContain('@aws-sdk/client-cloudtrail');
  });
});
