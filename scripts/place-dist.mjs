// ncc writes each bundle as <out>/index.js; the action and the bin expect dist/index.js,
// dist/cli.js and dist/scan-worker.js side by side (the scan engine finds its worker next to it).
// ESM bundles rely on the repository's package.json ("type": "module"), which sits above dist/.
import { chmodSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

const dist = path.resolve('dist');
for (const name of ['index', 'cli', 'scan-worker']) {
  const dir = path.join(dist, name);
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir)) {
    // ncc marks each folder {"type":"module"}; the repository's package.json already does.
    if (file === 'package.json') continue;
    const target = file === 'index.js' ? `${name}.js` : file === 'licenses.txt' ? 'licenses.txt' : null;
    if (target === null) {
      throw new Error(`unexpected file from ncc: ${path.join(dir, file)} (bundle it or place it explicitly)`);
    }
    renameSync(path.join(dir, file), path.join(dist, target));
  }
  rmSync(dir, { recursive: true });
}
chmodSync(path.join(dist, 'cli.js'), 0o755);
