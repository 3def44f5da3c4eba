/**
 * A run without AWS credentials, end to end through the CLI: it says so first and writes no
 * result file. The terminal table over real logs is in answers.corpus.test.ts.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'ct-answers-'));
}

describe('no AWS credentials', () => {
  it('says so first and how to give them, writes no result file, exits 5', async () => {
    const home = await tmp();
    const out = path.join(home, 'out');
    const run = await runCli(['--source', 's3://my-trail-bucket', '--days', '1', '--out-dir', out], {
      cwd: home,
      env: {
        HOME: home,
        AWS_REGION: 'us-east-1',
        // No instance metadata and no shared files: the SDK's default chain finds nothing.
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: path.join(home, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
      },
    });
    expect(run.code, run.stderr).toBe(5);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors[0]).toMatch(/^error: No AWS credentials were found, so nothing was searched \(/);
    expect(run.stderr).toContain('--profile NAME');
    expect(run.stderr).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(run.stderr).toContain('No result files were written.');
    expect(run.stdout).not.toMatch(/0 matches|INCOMPLETE|Results:/);
    const files = await readdir(out).catch(() => [] as string[]);
    expect(files.filter((f) => !f.startsWith('.'))).toEqual([]);
  });
});
