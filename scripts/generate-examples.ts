/**
 * Regenerates examples/cloudtrail/ (`npm run examples`): a small, committed CloudTrail bucket
 * copy for trying the CLI and for tests. Fixed options and seed, so the files are byte-identical
 * on every run; examples/README.md describes what is planted in it.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLogsToFolder } from '../tools/generate/index.js';
import { EXAMPLE_OPTIONS } from '../tools/generate/example-options.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(repoRoot, 'examples', 'cloudtrail');

async function main(): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  const result = await writeLogsToFolder(outDir, EXAMPLE_OPTIONS);
  const { log, digest, insight, foreign } = result.objects;
  process.stdout.write(
    `examples/cloudtrail: ${log} log files, ${result.records} records (${result.duplicateRecords} duplicate copy), ` +
      `${digest} digests, ${insight} insight file, ${foreign} AWS Config file, ${result.bytes} bytes\n`,
  );
}

await main();
