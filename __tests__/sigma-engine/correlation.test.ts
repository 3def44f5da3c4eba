/**
 * Correlation rules through the search: log files of two regions whose events interleave in time
 * (so they arrive out of time order), read by the scan engine into results.jsonl and summary.json;
 * the gate (`fail-on-match`, `min-level`) counts correlation alerts. Then engine parity: the
 * Athena engine, fed the same events as rows, gives the same alerts through the same code.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSearch } from '../../src/search.js';
import { silentLogger } from '../../src/logger.js';
import { ExitCode } from '../../src/errors.js';
import { AthenaEngine } from '../../src/engines/athena/engine.js';
import { athenaRules } from '../../src/engines/athena/plan.js';
import { ScanEngine } from '../../src/engines/scan/engine.js';
import { openScanPlan } from '../../src/source/open.js';
import { CorrelationStage } from '../../src/correlation-stage.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import type { Investigation } from '../../src/investigation.js';
import type { SigmaLevel } from '../../src/sigma/types.js';
import {
  clientFactories,
  fakeClock,
  harness,
  investigation,
  LOCATION,
  type Harness,
} from '../athena/fake-athena.js';
import { renderRow } from '../athena/render-row.js';
import { ev, packOf, type Rec } from '../sigma/correlation-helpers.js';
import { formatRulesTable, formatSummaryLine } from '../../src/report/terminal.js';
import { runCli } from '../helpers/cli.js';
import { renderJobSummary } from '../../src/report/job-summary.js';
import { annotationsFor } from '../../src/report/annotations.js';

const PACK = `title: Console brute force
id: 20000000-0000-4000-8000-000000000001
level: high
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [sourceIPAddress]
  timespan: 5m
  condition: {gte: 3}
---
title: Failed console login
id: 10000000-0000-4000-8000-000000000001
name: failed_login
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  condition: sel
---
title: Root activity
id: 10000000-0000-4000-8000-000000000009
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    userIdentity.type: Root
  condition: sel
`;

const fail = (id: string, hms: string, ip: string, region: string, extra: Rec = {}): Rec => ({
  ...ev(id, hms, 'ConsoleLogin', { sourceIPAddress: ip, responseElements: { ConsoleLogin: 'Failure' } }),
  awsRegion: region,
  ...extra,
});

// 198.51.100.1 fails at 10:00 (us-east-1), 10:01 (eu-west-1), 10:03 (us-east-1): an alert. The
// us-east-1 file comes first, so its 10:03 event arrives before the eu-west-1 10:01 one.
// 198.51.100.2 fails twice only; one of those is by root (a low-level detection of its own).
const EAST = [
  fail('e1', '10:00:00', '198.51.100.1', 'us-east-1'),
  fail('e2', '10:03:00', '198.51.100.1', 'us-east-1'),
  fail('e3', '10:00:00', '198.51.100.2', 'us-east-1', { userIdentity: { type: 'Root' } }),
];
const WEST = [
  fail('w1', '10:01:00', '198.51.100.1', 'eu-west-1'),
  fail('w2', '10:02:00', '198.51.100.2', 'eu-west-1'),
  ev('w3', '10:05:00', 'GetCallerIdentity', { awsRegion: 'eu-west-1' }),
];
const WINDOW = { since: new Date('2024-03-01T00:00:00Z'), until: new Date('2024-03-02T00:00:00Z') };

async function logFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'corr-logs-'));
  await mkdir(path.join(dir, 'logs'));
  await writeFile(path.join(dir, 'logs', 'a-east.json'), JSON.stringify({ Records: EAST }));
  await writeFile(path.join(dir, 'logs', 'b-west.json'), JSON.stringify({ Records: WEST }));
  return path.join(dir, 'logs');
}

function scanInvestigation(source: string, out: string, extra: Partial<Investigation> = {}): Investigation {
  return {
    ...investigation(
      {},
      {
        rules: packOf(['pack.yml', PACK]),
        window: WINDOW,
        query: { kind: 'all' },
        engine: 'scan',
        workers: 0,
        output: { dir: out, format: 'jsonl', testId: '' },
        ...extra,
      },
    ),
    source: { kind: 'local', path: source },
  };
}

describe('correlation rules through the search', () => {
  it('writes the alert to summary.json and its events, naming it, to the results', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'corr-out-'));
    const result = await runSearch(scanInvestigation(await logFolder(), out), { logger: silentLogger });
    const summary = JSON.parse(await readFile(result.summaryPath, 'utf8'));
    expect(summary.correlations).toEqual([
      {
        id: '20000000-0000-4000-8000-000000000001',
        title: 'Console brute force',
        level: 'high',
        type: 'event_count',
        alerts: [
          {
            group: { sourceIPAddress: '198.51.100.1' },
            firstSeen: '2024-03-01T10:00:00Z',
            lastSeen: '2024-03-01T10:03:00Z',
            count: 3,
            eventIDs: ['e1', 'w1', 'e2'],
          },
        ],
      },
    ]);
    expect(summary.complete).toBe(true);
    // Reported: the alert's three events and the root detection; not w2 (a base-rule match only).
    const lines = (await readFile(result.resultsPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const byId = new Map(lines.map((r) => [r.eventID, r]));
    expect([...byId.keys()].sort()).toEqual(['e1', 'e2', 'e3', 'w1']);
    expect(summary.matches).toBe(4);
    const alert = [
      { id: '20000000-0000-4000-8000-000000000001', title: 'Console brute force', level: 'high' },
    ];
    for (const id of ['e1', 'e2', 'w1']) {
      expect(byId.get(id).matched_correlations).toEqual(alert);
      expect(byId.get(id).matched_rules).toEqual([]);
    }
    expect(byId.get('e3').matched_correlations).toBeUndefined();
    expect(byId.get('e3').matched_rules).toEqual([
      { id: '10000000-0000-4000-8000-000000000009', title: 'Root activity', level: 'low' },
    ]);
    // The base rule does not stand as a detection of its own.
    expect(summary.rules.map((r: { id: string }) => r.id)).toEqual(['10000000-0000-4000-8000-000000000009']);
  });

  it('CSV: matched_rules and matched_correlations columns, rows in time order', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'corr-csv-'));
    const result = await runSearch(
      scanInvestigation(await logFolder(), out, { output: { dir: out, format: 'csv', testId: '' } }),
      { logger: silentLogger },
    );
    const script =
      'import csv,json,sys\nprint(json.dumps(list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))))';
    const [header, ...rows] = JSON.parse(
      execFileSync('python3', ['-c', script, result.resultsPath], { encoding: 'utf8' }),
    ) as string[][];
    expect(header!.slice(-2)).toEqual(['matched_rules', 'matched_correlations']);
    const cell = (row: string[], name: string): string => row[header!.indexOf(name)]!;
    // By eventTime, then eventID: e1 and e3 at 10:00, w1 at 10:01, e2 at 10:03.
    expect(rows.map((r) => cell(r, 'eventID'))).toEqual(['e1', 'e3', 'w1', 'e2']);
    const alert = [
      { id: '20000000-0000-4000-8000-000000000001', title: 'Console brute force', level: 'high' },
    ];
    for (const row of rows) {
      if (cell(row, 'eventID') === 'e3') {
        expect(JSON.parse(cell(row, 'matched_rules'))).toEqual([
          { id: '10000000-0000-4000-8000-000000000009', title: 'Root activity', level: 'low' },
        ]);
        expect(cell(row, 'matched_correlations')).toBe('');
      } else {
        expect(JSON.parse(cell(row, 'matched_rules'))).toEqual([]);
        expect(JSON.parse(cell(row, 'matched_correlations'))).toEqual(alert);
      }
    }
  });

  it('the terminal, the job summary and the annotations show the alert before single detections', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'corr-show-'));
    const result = await runSearch(scanInvestigation(await logFolder(), out), { logger: silentLogger });
    const table = formatRulesTable(result.summary).split('\n');
    expect(table[1]).toMatch(
      /^high +3 +Console brute force \[sourceIPAddress=198\.51\.100\.1\] 2024-03-01T10:00:00Z → 2024-03-01T10:03:00Z$/,
    );
    expect(table.findIndex((l) => /Root activity/.test(l))).toBeGreaterThan(1);
    expect(formatSummaryLine(result.summary)).toMatch(
      /^4 detections by 1 of 2 rules, 1 correlation alert in /,
    );
    const md = renderJobSummary({
      summary: result.summary,
      firstMatches: result.firstMatches,
      maxRows: 10,
      failures: [],
      artifact: undefined,
      files: { results: result.resultsPath, summary: result.summaryPath },
    });
    expect(md.indexOf('### Correlation alerts')).toBeGreaterThan(0);
    expect(md.indexOf('### Correlation alerts')).toBeLessThan(md.indexOf('### Detections by rule'));
    // Cells are escaped as every job-summary cell is (CloudTrail values are attacker-controlled).
    expect(md).toContain(
      '| 🔴&nbsp;high | Console brute force | sourceIPAddress&#61;<wbr>198.51.100.1 | 3 | 10:00 → 10:03 |',
    );
    expect(md).toContain('| Level | Correlation | Group | Events | When (UTC) |');
    const warnings = annotationsFor(result.summary, result.firstMatches).filter((a) => a.level === 'warning');
    expect(warnings[0]).toEqual({
      level: 'warning',
      title: 'CloudTrail correlation (high): Console brute force',
      message:
        '3 events of sourceIPAddress=198.51.100.1 from 2024-03-01T10:00:00Z to 2024-03-01T10:03:00Z; first event ids e1, w1, e2',
    });
    expect(warnings).toHaveLength(5);
  });

  it.each<[SigmaLevel, number]>([
    ['high', 1],
    ['critical', 0],
  ])('fail-on-match with min-level %s counts %i correlation alerts', async (minLevel, gate) => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'corr-gate-'));
    const inv = scanInvestigation(await logFolder(), out, { failOnMatch: true, minLevel });
    const result = await runSearch(inv, { logger: silentLogger });
    expect(result.summary.gateMatches).toBe(gate);
    expect(result.exitCode).toBe(gate > 0 ? ExitCode.Matched : ExitCode.Ok);
  });

  it('a correlation past its caps makes the run incomplete (exit 3) and says why', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'corr-cap-'));
    const result = await runSearch(scanInvestigation(await logFolder(), out), {
      logger: silentLogger,
      correlationLimits: { maxEventsPerGroup: 2 },
    });
    expect(result.summary.complete).toBe(false);
    expect(result.exitCode).toBe(ExitCode.Incomplete);
    expect(result.summary.correlations?.[0]?.incomplete).toMatch(/more than 2 events in one group/);
    expect(result.summary.failures).toEqual([
      { key: '*', reason: expect.stringMatching(/Console brute force.*incomplete/) },
    ]);
  });
});

describe('the shipped CLI (dist/cli.js)', () => {
  it('runs a folder of correlation files that embed the same base rule, and fails on the alert', async () => {
    const rules = await mkdtemp(path.join(os.tmpdir(), 'corr-rules-'));
    const [correlation, base, root] = PACK.split('\n---\n') as [string, string, string];
    const second = correlation
      .replace('20000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000002')
      .replace('Console brute force', 'Console brute force (10 minutes)')
      .replace('timespan: 5m', 'timespan: 10m')
      .replace('level: high', 'level: critical');
    await writeFile(path.join(rules, 'brute_5m.yml'), `${correlation}\n---\n${base}\n`);
    await writeFile(path.join(rules, 'brute_10m.yml'), `${second}\n---\n${base}\n`);
    await writeFile(path.join(rules, 'root.yml'), root);
    const out = await mkdtemp(path.join(os.tmpdir(), 'corr-cli-'));
    const args = ['--source', await logFolder(), '--rules', rules, '--since', '2024-03-01T00:00:00Z'];
    args.push('--until', '2024-03-02T00:00:00Z', '--out-dir', out, '--fail-on-match', '--no-color');
    const run = await runCli(args, { bundle: true });
    expect(run.code, run.stderr).toBe(1);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    // Critical first; 198.51.100.2's two failures are under both conditions (gte 3).
    expect(
      summary.correlations.map((c: { title: string; alerts: Array<{ eventIDs: string[] }> }) => [
        c.title,
        c.alerts.map((a) => a.eventIDs),
      ]),
    ).toEqual([
      ['Console brute force (10 minutes)', [['e1', 'w1', 'e2']]],
      ['Console brute force', [['e1', 'w1', 'e2']]],
    ]);
    expect(summary.rulesUnsupported).toEqual([]);
    expect(run.stdout).toMatch(/critical +3 +Console brute force \(10 minutes\)/);
  });
});

let h: Harness | undefined;
afterEach(() => h?.reset());

async function collect(events: AsyncIterable<MatchedEvent>): Promise<MatchedEvent[]> {
  const out: MatchedEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

function correlated(pack: ReturnType<typeof packOf>, events: MatchedEvent[]) {
  const stage = new CorrelationStage(pack);
  const now: string[] = [];
  for (const e of events) if (stage.admit(e)) now.push(e.eventID as string);
  const done = stage.finish();
  return {
    outcomes: done.outcomes,
    reported: [...now, ...done.events.map((e) => e.eventID)].sort(),
    records: new Map(done.events.map((e) => [e.eventID, e.record.matched_correlations])),
  };
}

describe('correlation parity between engines', () => {
  it('the Athena engine, fed the same events, gives the same alerts and reported events', async () => {
    const pack = packOf(['pack.yml', PACK]);
    const scanInv = scanInvestigation(await logFolder(), '/tmp/unused');
    const scanned = await collect(new ScanEngine(openScanPlan, silentLogger).run(scanInv).events);
    expect(scanned.map((e) => e.eventID).sort()).toEqual(['e1', 'e2', 'e3', 'w1', 'w2']);

    // What Athena would return: the same records as rows, in another order (regions reversed).
    const runnable = athenaRules(pack).rules;
    const rowsOf = (events: MatchedEvent[]) =>
      events.map((e) => {
        const record = { ...e.record };
        const refs = record.matched_rules as Array<{ id: string }>;
        delete record.matched_rules;
        const positions = refs.map((r) => runnable.findIndex((x) => x.id === r.id) + 1);
        return { ...renderRow(record), sigma_rules: JSON.stringify(positions) };
      });
    h = harness({
      scripts: {
        'us-east-1': { states: ['SUCCEEDED'], rows: rowsOf(scanned.filter((e) => e.region === 'us-east-1')) },
        'eu-west-1': { states: ['SUCCEEDED'], rows: rowsOf(scanned.filter((e) => e.region === 'eu-west-1')) },
      },
    });
    const athenaInv = investigation({}, { rules: pack, window: WINDOW, query: { kind: 'all' } });
    const athena = await collect(
      new AthenaEngine({ ...clientFactories, locations: [LOCATION], clock: fakeClock() }).run(athenaInv)
        .events,
    );
    const fromScan = correlated(pack, scanned);
    const fromAthena = correlated(pack, athena);
    expect(fromAthena.outcomes).toEqual(fromScan.outcomes);
    expect(fromAthena.reported).toEqual(fromScan.reported);
    expect(fromAthena.records).toEqual(fromScan.records);
    expect(fromScan.outcomes[0]!.alerts.map((a) => a.eventIDs)).toEqual([['e1', 'w1', 'e2']]);
  });
});
