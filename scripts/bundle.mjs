// Builds dist/ with ncc: the Action, the CLI and the scan worker. The three builds are independent
// processes of 10-25 s each, so they run at the same time (one after the other took about a
// minute); then place-dist.mjs lays the files out. Any build failing fails the whole, with its
// own output shown.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const ncc = createRequire(import.meta.url).resolve('@vercel/ncc/dist/ncc/cli.js');

const BUILDS = [
  ['src/index.ts', 'dist/index', '--license', 'licenses.txt'],
  ['src/cli.ts', 'dist/cli'],
  ['src/engines/scan/worker.ts', 'dist/scan-worker'],
];

function build([entry, out, ...extra]) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ncc, 'build', entry, '-o', out, '--minify', '-q', ...extra], {
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`ncc build ${entry} failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

rmSync('dist', { recursive: true, force: true });
const results = await Promise.allSettled(BUILDS.map(build));
const failed = results.filter((r) => r.status === 'rejected');
if (failed.length > 0) {
  for (const f of failed) console.error(f.reason.message);
  process.exit(1);
}
await import('./place-dist.mjs');
