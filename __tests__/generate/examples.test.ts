/**
 * examples/cloudtrail/ is committed: it must be what `npm run examples` writes, stay small, and
 * hold what examples/README.md promises (checked with jq over the committed files).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLogsToFolder } from '../../tools/generate/index.js';
import { EXAMPLE_OPTIONS } from '../../tools/generate/example-options.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const examples = path.join(repoRoot, 'examples', 'cloudtrail');

function sh(script: string): string {
  return execFileSync('bash', ['-c', script], { cwd: examples, encoding: 'utf8' });
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

const LOGS = `$(find . -path '*/CloudTrail/*' -name '*.json.gz')`;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ct-examples-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('examples/cloudtrail', () => {
  it('is what the generator writes with the example options (run `npm run examples` if not)', async () => {
    await writeLogsToFolder(tmp, EXAMPLE_OPTIONS);
    const committed = await listFiles(examples);
    expect(committed).toEqual(await listFiles(tmp));
    for (const f of committed) {
      // Compare the JSON, not the gzip bytes: another zlib build may compress differently.
      const a = gunzipSync(await readFile(path.join(examples, f))).toString();
      const b = gunzipSync(await readFile(path.join(tmp, f))).toString();
      expect(a === b, f).toBe(true);
    }
  });

  it('is small: 30-60 files, well under 1 MB', async () => {
    const files = await listFiles(examples);
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(files.length).toBeLessThanOrEqual(60);
    let bytes = 0;
    for (const f of files) bytes += (await stat(path.join(examples, f))).size;
    expect(bytes).toBeLessThan(500_000);
  });

  it('holds 4 console sign-ins on 2023-07-10 (one delivered twice, one in a file of the 11th) and 1 on the 11th', () => {
    const rows = sh(
      `zcat ${LOGS} | jq -r '.Records[] | select(.eventName == "ConsoleLogin") | [.eventTime, .eventID] | @tsv' | sort`,
    )
      .trim()
      .split('\n')
      .map((l) => l.split('\t') as [string, string]);
    const onTenth = rows.filter(([t]) => t >= '2023-07-10T00:00:00Z' && t < '2023-07-11T00:00:00Z');
    expect(onTenth).toHaveLength(5);
    expect(new Set(onTenth.map(([, id]) => id)).size).toBe(4);
    expect(rows.length - onTenth.length).toBe(1);
    const lateFile = sh(
      `for f in $(find . -path '*/2023/07/11/*' -path '*/CloudTrail/*'); do zcat "$f" | jq -r '.Records[] | select(.eventName == "ConsoleLogin" and .eventTime < "2023-07-11") | .eventID'; done`,
    ).trim();
    expect(lateFile.split('\n')).toHaveLength(1);
  });

  it('holds root activity, a StopLogging and exactly one duplicated global event', () => {
    expect(
      Number(
        sh(
          `zcat ${LOGS} | jq -r '.Records[] | select(.userIdentity.type == "Root") | .eventID' | sort -u | wc -l`,
        ),
      ),
    ).toBeGreaterThanOrEqual(3);
    expect(
      Number(
        sh(`zcat ${LOGS} | jq -r '.Records[] | select(.eventName == "StopLogging") | .eventID' | wc -l`),
      ),
    ).toBeGreaterThanOrEqual(1);
    const dups = sh(`zcat ${LOGS} | jq -r '.Records[].eventID' | sort | uniq -d`).trim().split('\n');
    expect(dups).toHaveLength(1);
    expect(
      sh(
        `zcat ${LOGS} | jq -r '.Records[] | select(.eventID == "${dups[0]}") | .eventSource' | sort -u`,
      ).trim(),
    ).toBe('signin.amazonaws.com');
  });
});
