/**
 * Cancellation reaches Athena: the front ends' abort signal, passed to runSearch, stops the
 * queries still running (StopQueryExecution: a query left running keeps billing), and the run
 * is written as incomplete. Athena and S3 are aws-sdk-client-mock stand-ins (Athena cannot run
 * here); the engine is the one runSearch builds, with its real SDK clients.
 */
import { GetBucketLocationCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSearch } from '../../src/search.js';
import { silentLogger } from '../../src/logger.js';
import { ExitCode } from '../../src/errors.js';
import { harness, investigation, type Harness } from '../athena/fake-athena.js';

const ACCOUNT = '111122223333';
let h: Harness | undefined;

afterEach(() => h?.reset());

describe('runSearch with the Athena engine, aborted mid-query', () => {
  it('stops every running query, writes the run as incomplete and says it was cancelled', async () => {
    const controller = new AbortController();
    // Both regions' queries run until stopped (the last state repeats).
    h = harness({
      scripts: {
        'eu-west-1': { states: ['QUEUED', 'RUNNING'] },
        'us-east-1': { states: ['QUEUED', 'RUNNING'] },
      },
      // Abort once a region's query has been seen running.
      onPoll: (id, count) => {
        if (h?.regionOf.has(id) && count === 2) controller.abort(new Error('interrupted by SIGTERM'));
      },
    });
    // Where the bucket is and which accounts and regions it holds (discovery by listing).
    h.s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'eu-west-1' });
    h.s3.on(ListObjectsV2Command, { Delimiter: '/' }).callsFake((input: { Prefix: string }) => {
      const folders: Record<string, string[]> = {
        'logs/AWSLogs/': [`logs/AWSLogs/${ACCOUNT}/`],
        [`logs/AWSLogs/${ACCOUNT}/CloudTrail/`]: ['eu-west-1', 'us-east-1'].map(
          (r) => `logs/AWSLogs/${ACCOUNT}/CloudTrail/${r}/`,
        ),
      };
      return {
        CommonPrefixes: (folders[input.Prefix] ?? []).map((Prefix) => ({ Prefix })),
        IsTruncated: false,
      };
    });

    const dir = await mkdtemp(path.join(os.tmpdir(), 'ct-athena-abort-'));
    const inv = investigation({}, { output: { dir, format: 'jsonl', testId: '' } });
    const result = await runSearch(inv, { logger: silentLogger, signal: controller.signal });

    const selects = h.started.filter((q) => h!.regionOf.has(q.id)).map((q) => q.id);
    expect(selects.length).toBeGreaterThan(0);
    // Every SELECT that was started was stopped.
    expect([...new Set(h.stopped)].sort()).toEqual(selects.sort());
    expect(result.exitCode).toBe(ExitCode.Incomplete);
    const summary = JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.complete).toBe(false);
    expect(summary.engine).toBe('athena');
    expect(summary.failures).toEqual([
      { key: '*', reason: expect.stringMatching(/cancelled; running queries were stopped/) },
    ]);
  });
});
