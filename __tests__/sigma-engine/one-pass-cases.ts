/**
 * Sigma rule packs through the whole product: a pack of many rules runs in one pass (each object
 * fetched once, counted at the S3-protocol server), matches equal the union of the rules evaluated
 * one by one over the same records, and each match names its rules. With the built-in rules in
 * one-pass.test.ts, with the 50+ SigmaHQ rules of the real corpus in one-pass.corpus.test.ts.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateObjects, type GenerateOptions } from '../../tools/generate/index.js';
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { runCli } from '../helpers/cli.js';
import { loadRulePack } from '../../src/sigma/load.js';
import { compilePredicate } from '../../src/query/predicate.js';
import { decodeLogObject } from '../../src/engines/scan/decode.js';

const TRAIL: GenerateOptions = {
  seed: 'sigma-one-pass',
  accounts: ['111111111111'],
  regions: ['us-east-1', 'eu-west-1'],
  start: '2024-03-01T00:00:00Z',
  hours: 12,
  filesPerHour: 2,
  recordsPerFile: [20, 40],
  planted: [
    { eventName: 'StopLogging', after: '2024-03-01T02:00:00Z' },
    { eventName: 'DeleteTrail', after: '2024-03-01T03:00:00Z' },
    { eventName: 'ConsoleLogin', after: '2024-03-01T04:00:00Z', principal: 'root' },
  ],
};
const SINCE = '2024-03-01T00:00:00Z';
const UNTIL = '2024-03-01T12:00:00Z';

export interface OnePassScan {
  /** A --rules value. */
  rules: () => string;
  /** The pack holds at least this many rules. */
  minRules: number;
  /** Also the checks of --filter, --min-level and bad --rules (they do not depend on the pack). */
  cliChecks: boolean;
}

export function onePassScanCases(spec: OnePassScan): void {
  let server: S3TestServer;
  let logKeys: string[];
  let records: Array<Record<string, unknown>>;

  beforeAll(async () => {
    server = await startS3Server({ buckets: ['sigma-bucket'] });
    const objects = [...generateObjects(TRAIL)];
    await server.seed('sigma-bucket', objects);
    const logs = objects.filter((o) => o.kind === 'log');
    logKeys = logs.map((o) => o.key);
    // The records of the window, decoded once here for the per-rule reference evaluation.
    records = logs
      .flatMap((o) => decodeLogObject(o.body, o.key).records as Array<Record<string, unknown>>)
      .filter((r) => (r.eventTime as string) >= SINCE && (r.eventTime as string) < UNTIL);
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('a Sigma pack on the scan engine', () => {
    it(`reads each object once for ${spec.minRules}+ rules and finds what the rules find one by one`, async () => {
      const pack = await loadRulePack([spec.rules()], { cwd: process.cwd() });
      expect(pack.rules.length).toBeGreaterThanOrEqual(spec.minRules);
      server.requests.length = 0;
      const out = await mkdtemp(path.join(os.tmpdir(), 'sigma-'));
      const run = await runCli(
        [
          '--source',
          's3://sigma-bucket',
          '--rules',
          spec.rules(),
          '--since',
          SINCE,
          '--until',
          UNTIL,
          '--out-dir',
          out,
        ],
        { env: server.env },
      );
      expect(run.code, run.stderr).toBe(0);

      const gets = server.requests.filter((r) => r.method === 'GET' && r.key);
      const perKey = new Map<string, number>();
      for (const g of gets) perKey.set(g.key!, (perKey.get(g.key!) ?? 0) + 1);
      expect(gets.length).toBeGreaterThan(0);
      expect([...perKey.values()].every((n) => n === 1)).toBe(true);
      expect([...perKey.keys()].every((k) => logKeys.includes(k))).toBe(true);

      // Reference: every rule's own predicate over every record (N passes).
      const expected = new Map<string, string[]>();
      for (const rule of pack.rules) {
        const predicate = compilePredicate(rule.query);
        for (const r of records) {
          if (!predicate(r)) continue;
          const id = r.eventID as string;
          expected.set(id, [...(expected.get(id) ?? []), rule.id]);
        }
      }
      expect(expected.size).toBeGreaterThan(0);
      const lines = (await readFile(path.join(out, 'results.jsonl'), 'utf8')).split('\n').filter(Boolean);
      const got = new Map(
        lines.map((l) => {
          const r = JSON.parse(l) as { eventID: string; matched_rules: Array<{ id: string; title: string }> };
          return [r.eventID, r.matched_rules.map((m) => m.id).sort()] as const;
        }),
      );
      expect(new Map([...got].sort())).toEqual(
        new Map([...expected].map(([k, v]) => [k, [...new Set(v)].sort()] as const).sort()),
      );

      const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
      expect(summary.rulesEvaluated).toBe(pack.rules.length);
      expect(summary.rulesUnsupported.length).toBe(pack.unsupported.length);
      const counts = new Map<string, number>();
      for (const ids of got.values()) for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      for (const rule of summary.rules as Array<{ id: string; count: number }>) {
        expect(rule.count).toBe(counts.get(rule.id));
      }
    });

    // These do not depend on the pack: run once.
    if (spec.cliChecks) {
      it('narrows with --filter and gates on --min-level', async () => {
        const out = await mkdtemp(path.join(os.tmpdir(), 'sigma-'));
        const run = await runCli(
          [
            '--source',
            's3://sigma-bucket',
            '--rules',
            'builtin:trail-tampering',
            '--filter',
            '{"eventname":"StopLogging"}',
            '--since',
            SINCE,
            '--until',
            UNTIL,
            '--out-dir',
            out,
            '--fail-on-match',
            '--min-level',
            'high',
          ],
          { env: server.env },
        );
        const stops = records.filter((r) => r.eventName === 'StopLogging');
        expect(stops.length).toBeGreaterThan(0);
        expect(run.code, run.stderr).toBe(1);
        const lines = (await readFile(path.join(out, 'results.jsonl'), 'utf8')).split('\n').filter(Boolean);
        expect(lines.map((l) => (JSON.parse(l) as { eventID: string }).eventID).sort()).toEqual(
          stops.map((r) => r.eventID).sort(),
        );
        const low = await runCli(
          [
            '--source',
            's3://sigma-bucket',
            '--rules',
            'builtin:trail-tampering',
            '--filter',
            '{"eventname":"StopLogging"}',
            '--since',
            SINCE,
            '--until',
            UNTIL,
            '--out-dir',
            out,
            '--fail-on-match',
            '--min-level',
            'critical',
          ],
          { env: server.env },
        );
        expect(low.code, low.stderr).toBe(0);
      });

      it('refuses a bad rule path or level with exit 2', async () => {
        const bad = await runCli(
          ['--source', 's3://sigma-bucket', '--rules', '/nonexistent/rules', '--days', '1'],
          { env: server.env },
        );
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/--rules/);
        const level = await runCli(
          ['--source', 's3://sigma-bucket', '--rules', 'builtin:all', '--min-level', 'urgent', '--days', '1'],
          { env: server.env },
        );
        expect(level.code).toBe(2);
        expect(level.stderr).toMatch(/--min-level/);
      });
    }
  });
}
