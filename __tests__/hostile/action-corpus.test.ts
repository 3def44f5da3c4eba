/**
 * A representative subset of the hostile-input corpus (the rows of cases.ts with `action`) against
 * the built Action, run as the runner runs it. For each: the documented exit code, a failure
 * message (`::error::`) naming the input, no stack trace, the same message in the job summary,
 * and — for invalid input — no AWS call and no outputs.
 */
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { repoRoot, runAction } from '../helpers/run-action.js';
import { startAwsListener } from './aws-listener.js';
import { CASES } from './cases.js';
import { prepareCaseFiles } from './prepare.js';

const examples = path.join(repoRoot, 'examples/cloudtrail');
const STACK_TRACE = /\n\s+at .+[:(]/;

describe.concurrent('hostile and bad input: the Action', () => {
  for (const [index, c] of CASES.entries()) {
    if (!c.action) continue;
    it(`${c.name} -> exit ${c.exit}`, async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), `ct-hostile-action-${index}-`));
      const { data } = await prepareCaseFiles(c, dir);
      const listener = await startAwsListener();
      try {
        const run = await runAction({
          inputs: {
            source: data ?? examples,
            since: '2023-07-10T00:00:00Z',
            until: '2023-07-11T00:00:00Z',
            'upload-artifact': 'false',
            ...c.action,
          },
          env: listener.env,
          timeoutMs: 90_000,
        });
        const said = `exit ${run.exitCode}\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-1000)}`;
        expect(run.exitCode, said).toBe(c.exit);
        const failed = run.commands.filter((x) => x.command === 'error');
        expect(failed.length, said).toBeGreaterThan(0);
        expect(failed.map((x) => x.message).join('\n'), said).toMatch(c.actionMessage ?? c.message);
        expect(run.stdout + run.stderr, said).not.toMatch(STACK_TRACE);
        expect(listener.connections, 'AWS calls made').toBe(0);
        if (c.exit === 2) {
          // Outputs on every path: the run says it refused the input, never that it is clean.
          expect(run.outputs, 'outputs of an invalid input').toMatchObject({
            result: 'invalid-input',
            matched: 'false',
            complete: 'false',
          });
          expect(run.summary).toMatch(/The search failed/);
        } else {
          expect(run.outputs.complete).toBe('false');
        }
      } finally {
        await listener.close();
      }
    });
  }
});
