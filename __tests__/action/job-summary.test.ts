import { describe, it, expect } from 'vitest';
import {
  escapeMarkdown,
  renderJobSummary,
  renderFailureSummary,
  SUMMARY_BUDGET_BYTES,
  SUMMARY_LIMIT_BYTES,
  type JobSummaryInput,
} from '../../src/report/job-summary.js';
import type { Summary } from '../../src/report/types.js';
import type { MatchedEvent } from '../../src/engines/types.js';

function summaryOf(overrides: Partial<Summary> = {}): Summary {
  return {
    tool: { name: 'cloudtrail-investigate', version: '0.0.0-test' },
    matches: 0,
    duplicatesDropped: 0,
    complete: true,
    engine: 'scan',
    engineReason: 'auto: a window of 2 hours is short',
    filter: '{"eventName": "StopLogging"}',
    window: { since: '2023-07-10T11:00:00Z', until: '2023-07-10T13:00:00Z' },
    source: '/logs',
    regions: ['us-east-1'],
    accounts: 'all',
    scanned: {
      objectsListed: 10,
      objects: 8,
      objectsSkipped: 2,
      bytes: 12_345,
      bytesUncompressed: 99_000,
      records: 300,
    },
    regionBreakdown: [
      {
        region: 'us-east-1',
        status: 'complete',
        objects: 8,
        bytes: 12_345,
        records: 300,
        matches: 0,
        durationMs: 1200,
        errors: [],
      },
    ],
    failures: [],
    warnings: [],
    files: { results: 'results.jsonl', summary: 'summary.json' },
    format: 'jsonl',
    startedAt: '2023-07-10T13:00:05Z',
    durationMs: 1500,
    top: { eventNames: [], principals: [], sourceIPs: [] },
    timeline: [],
    ...overrides,
  };
}

function event(record: Record<string, unknown>): MatchedEvent {
  return {
    record,
    json: JSON.stringify(record),
    eventID: record.eventID as string,
    region: record.awsRegion as string,
  };
}

function plainEvent(i: number, extra: Record<string, unknown> = {}): MatchedEvent {
  return event({
    eventTime: `2023-07-10T11:${String(i % 60).padStart(2, '0')}:00Z`,
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.13.0',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/alice', userName: 'alice' },
    eventID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    ...extra,
  });
}

function input(overrides: Partial<JobSummaryInput> = {}): JobSummaryInput {
  return {
    summary: summaryOf(),
    firstMatches: [],
    maxRows: 50,
    failures: [],
    artifact: {
      name: 'cloudtrail-investigation-1-audit-1',
      url: 'https://github.com/o/r/actions/runs/1/artifacts/42',
    },
    files: { results: '/tmp/out/results.jsonl', summary: '/tmp/out/summary.json' },
    ...overrides,
  };
}

/** Decodes numeric entities and drops the zero-width spaces the escaper adds: what a reader sees. */
function rendered(text: string): string {
  return text.replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n))).replace(/\u200B/g, '');
}

function matchRows(md: string): string[] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| Time | Region | Event |'));
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows;
}

const HOSTILE_UA =
  '::error::pwned | `rm -rf /` [click](https://evil.example) *bold* _it_ @octocat #1 $x^2$ www.evil.example <img src=x onerror=alert(1)>\n| forged | row |';

describe('escapeMarkdown', () => {
  it('writes every Markdown/HTML special character as an entity and keeps the text readable', () => {
    const out = escapeMarkdown(HOSTILE_UA, 1000);
    for (const raw of ['<', '>', '|', '`', '[', ']', '*', '_', '$', '\n', '::', '@octocat', 'www.evil']) {
      expect(out, raw).not.toContain(raw);
    }
    expect(out).not.toMatch(/(?<!&)#1/);
    // What the reader sees is the value itself, with the newline shown as \n.
    expect(rendered(out)).toBe(HOSTILE_UA.replace('\n', '\\n'));
  });

  it('shows control and bidi characters instead of obeying them', () => {
    const out = escapeMarkdown('admin\u202Egnp.exe\u0007\r\tend', 100);
    expect(rendered(out)).toBe('admin\\u202egnp.exe\\a\\r\\tend');
  });

  it('cuts long values without splitting a surrogate pair', () => {
    const out = rendered(escapeMarkdown('😀'.repeat(50), 10));
    expect(Array.from(out)).toHaveLength(10);
    expect(out.endsWith('…')).toBe(true);
    expect(out).not.toMatch(/[\uD800-\uDFFF](?![\uDC00-\uDFFF])/u);
  });
});

describe('renderJobSummary', () => {
  it('renders a clean search: what was searched, per-region table, no matches table', () => {
    const md = renderJobSummary(input());
    expect(md).toContain('## 🔎 CloudTrail investigation');
    expect(md).toContain('**0 matching events**');
    expect(md).toContain('✅ The step passes.');
    expect(md).toContain('| Region | Status | Objects | Data read | Matches | Time | Error |');
    expect(md).toContain('| us&#45;east&#45;1 |'.replace('&#45;', '-').replace('&#45;', '-'));
    expect(md).toContain('auto&#58; a window of 2 hours is short');
    expect(md).toContain('```\n{"eventName": "StopLogging"}\n```');
    expect(md).not.toContain('### Matches\n');
    expect(md).not.toContain('```mermaid');
  });

  it('escapes hostile CloudTrail values in every table they reach', () => {
    const hostile = plainEvent(1, {
      eventName: 'Stop|Logging`<b>',
      userAgent: HOSTILE_UA,
      sourceIPAddress: '<script>alert(1)</script>',
      errorCode: '](javascript:alert(1))',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/<script>x</script>|`' },
    });
    const summary = summaryOf({
      matches: 1,
      top: {
        principals: [{ value: 'arn:aws:iam::123456789012:user/<script>x</script>|`', count: 1 }],
        sourceIPs: [{ value: '<script>alert(1)</script>', count: 1 }],
        eventNames: [{ value: 'Stop|Logging`<b>', count: 1 }],
      },
      regionBreakdown: [
        {
          region: 'us-east-1',
          status: 'failed',
          objects: 1,
          bytes: 1,
          records: 1,
          matches: 1,
          durationMs: 5,
          errors: ['AccessDenied on <key>|`x`'],
        },
      ],
      failures: [{ key: 'AWSLogs/`evil`|<key>.json.gz', reason: '::error::bad\nline' }],
      warnings: ['@team look at #12 <now>'],
      complete: false,
      timeline: [{ bucket: '2023-07-10T11:00:00Z', count: 1 }],
    });
    const md = renderJobSummary(input({ summary, firstMatches: [hostile], failures: ['gate says <no>'] }));
    expect(md).not.toMatch(/<script|<b>|<img|<key>|<now>|<no>/);
    expect(md).not.toContain('@team');
    expect(md).not.toContain('@octocat');
    // No line of the document starts a workflow command or contains a raw one from the data.
    expect(md).not.toContain('::error::');
    // Backticks only in our own fences.
    const outsideFences = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');
    expect(outsideFences).not.toContain('`');
    // The match row keeps its 8 cells: no value added a column or a line.
    const rows = matchRows(md);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.split('|')).toHaveLength(10);
    expect(rendered(rows[0]!)).toContain('Stop|Logging`<b>');
    // A newline in a value is shown, not obeyed: the failure reason stays in its row.
    const failureRow = md.split('\n').find((l) => l.includes('bad&#92;nline'));
    expect(failureRow).toMatch(/^\| .* \| \u200B?&#58;&#58;error&#58;&#58;bad&#92;nline \|$/);
  });

  it('caps the matches table at summary-max-rows and says how many more are in the artifact', () => {
    const matches = Array.from({ length: 120 }, (_, i) => plainEvent(i));
    const md = renderJobSummary(
      input({ summary: summaryOf({ matches: 120 }), firstMatches: matches, maxRows: 50 }),
    );
    expect(matchRows(md)).toHaveLength(50);
    expect(md).toContain(
      '70 more matching events are in the artifact [cloudtrail&#45;investigation&#45;1&#45;audit&#45;1]'.replace(
        /&#45;/g,
        '-',
      ),
    );
    expect(md).toContain('(https://github.com/o/r/actions/runs/1/artifacts/42)');
  });

  it('points to the runner file when the artifact upload failed', () => {
    const md = renderJobSummary(
      input({
        summary: summaryOf({ matches: 3 }),
        firstMatches: [plainEvent(1)],
        maxRows: 1,
        artifact: { name: 'x', error: 'Failed to CreateArtifact: (409) Conflict' },
      }),
    );
    expect(md).toContain(
      '2 more matching events are in the results file on the runner (/tmp/out/results.jsonl)',
    );
    expect(md).toContain('The artifact upload failed');
  });

  it('stays under 1 MiB whatever the data, measuring bytes not characters', () => {
    const big = '𝔘'.repeat(3000); // 4 bytes each in UTF-8
    const matches = Array.from({ length: 1000 }, (_, i) =>
      plainEvent(i, {
        userAgent: big,
        userIdentity: { arn: big },
        eventName: big,
        sourceIPAddress: big,
        errorCode: big,
      }),
    );
    const summary = summaryOf({
      matches: 250_000,
      filter: big.repeat(10),
      warnings: Array.from({ length: 500 }, () => big),
      failures: Array.from({ length: 5000 }, (_, i) => ({ key: `${i}${big}`, reason: big })),
      regionBreakdown: Array.from({ length: 500 }, (_, i) => ({
        region: `r-${i}`,
        status: 'failed' as const,
        objects: 1,
        bytes: 1,
        records: 1,
        matches: 1,
        durationMs: 1,
        errors: [big, big],
      })),
      top: {
        principals: Array.from({ length: 10 }, () => ({ value: big, count: 1 })),
        sourceIPs: [],
        eventNames: [],
      },
      timeline: Array.from({ length: 300 }, (_, i) => ({
        bucket: new Date(Date.UTC(2023, 6, 10, i)).toISOString(),
        count: 5,
      })),
    });
    const md = renderJobSummary(input({ summary, firstMatches: matches, maxRows: 1000 }));
    expect(Buffer.byteLength(md, 'utf8')).toBeLessThanOrEqual(SUMMARY_BUDGET_BYTES);
    expect(SUMMARY_BUDGET_BYTES).toBeLessThan(SUMMARY_LIMIT_BYTES);
    const rows = matchRows(md);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.length).toBeLessThan(1000);
    expect(md).toMatch(
      /more matching events are in the artifact .* to keep this summary under GitHub's 1 MiB limit/,
    );
    expect(md).toContain('…and 4,980 more in summary.json.');
  });

  it('charts matches per hour across the window with only our own labels and numbers', () => {
    const summary = summaryOf({
      matches: 6,
      window: { since: '2023-07-10T11:30:00Z', until: '2023-07-10T14:10:00Z' },
      timeline: [
        { bucket: '2023-07-10T11:00:00Z', count: 2 },
        { bucket: '2023-07-10T13:00:00Z', count: 4 },
        { bucket: '"]\n```\n<script>alert(1)</script>', count: 99 },
      ],
    });
    const md = renderJobSummary(input({ summary, firstMatches: [plainEvent(1)] }));
    const block = /```mermaid\n([\s\S]*?)\n```/.exec(md)?.[1];
    expect(block).toBeDefined();
    expect(block!.split('\n')).toEqual([
      'xychart-beta',
      '    title "Matches per hour (UTC)"',
      '    x-axis ["07-10 11h", "07-10 12h", "07-10 13h", "07-10 14h"]',
      '    y-axis "Matches" 0 --> 4',
      '    bar [2, 0, 4, 0]',
    ]);
  });

  it('switches to daily bars for long windows', () => {
    const summary = summaryOf({
      matches: 3,
      window: { since: '2023-04-12T00:00:00Z', until: '2023-07-11T00:00:00Z' },
      timeline: [
        { bucket: '2023-07-10T11:00:00Z', count: 1 },
        { bucket: '2023-07-10T12:00:00Z', count: 2 },
      ],
    });
    const block = /```mermaid\n([\s\S]*?)\n```/.exec(renderJobSummary(input({ summary })))![1]!;
    const labels = /x-axis \[(.*)\]/.exec(block)![1]!.split(', ');
    const bars = /bar \[(.*)\]/.exec(block)![1]!.split(', ').map(Number);
    expect(labels).toHaveLength(90);
    expect(labels[0]).toBe('"04-12"');
    expect(labels.at(-1)).toBe('"07-10"');
    expect(bars.at(-1)).toBe(3);
    expect(bars.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('shows Athena data scanned and the estimated cost per region', () => {
    const summary = summaryOf({
      engine: 'athena',
      engineReason: 'engine: athena (asked for)',
      scanned: {
        objectsListed: 0,
        objects: 0,
        objectsSkipped: 0,
        bytes: 0,
        bytesUncompressed: 0,
        records: 0,
        bytesScanned: 2e12,
        costUsd: 10,
      },
      regionBreakdown: [
        {
          region: 'eu-west-1',
          status: 'complete',
          objects: 0,
          bytes: 0,
          records: 0,
          matches: 0,
          durationMs: 61_000,
          errors: [],
          bytesScanned: 2e12,
          queries: [{ id: 'q-1', state: 'SUCCEEDED', bytesScanned: 2e12 }],
        },
        {
          // Its query failed (not billed), or never started: no cost, rather than a minimum charge.
          region: 'us-east-1',
          status: 'failed',
          objects: 0,
          bytes: 0,
          records: 0,
          matches: 0,
          durationMs: 1_000,
          errors: ['AccessDenied'],
          bytesScanned: 0,
          queries: [{ id: 'q-2', state: 'FAILED', bytesScanned: 0 }],
        },
        {
          region: 'us-west-2',
          status: 'failed',
          objects: 0,
          bytes: 0,
          records: 0,
          matches: 0,
          durationMs: 0,
          errors: ['not started: over --max-scan-bytes'],
          bytesScanned: 0,
        },
      ],
    });
    const md = renderJobSummary(input({ summary }));
    expect(md).toContain('| Region | Status | Data scanned | Est. cost | Matches | Time | Error |');
    expect(md).toContain('| eu-west-1 | ✅ complete | 2.0 TB | $10.00 | 0 | 1 min 1 s | — |');
    expect(md).toMatch(/\| us-east-1 \| [^|]+ \| 0 B \| \$0\.0000 \|/);
    expect(md).toMatch(/\| us-west-2 \| [^|]+ \| 0 B \| — \|/);
    expect(md).toContain('2.0 TB scanned, about $10.00');
  });

  it('fences a filter holding backticks with a longer fence', () => {
    const md = renderJobSummary(
      input({ summary: summaryOf({ filter: 'userAgent|contains: "```"\n```\n# not a heading' }) }),
    );
    expect(md).toContain('````\nuserAgent|contains: "```"\n```\n# not a heading\n````');
  });

  it('names the gate failures at the top', () => {
    const md = renderJobSummary(
      input({
        summary: summaryOf({ matches: 2 }),
        failures: ['2 matching CloudTrail events found (fail-on-match is true).'],
      }),
    );
    expect(rendered(md)).toContain(
      '❌ **The step fails:** 2 matching CloudTrail events found (fail-on-match is true).',
    );
  });
});

describe('renderFailureSummary', () => {
  it('escapes the message', () => {
    expect(renderFailureSummary('bucket <x> | `y`')).toBe(
      '## 🔎 CloudTrail investigation\n\n❌ **The search failed:** bucket &#60;x&#62; &#124; &#96;y&#96;\n',
    );
  });
});

describe('Sigma detections', () => {
  const rules = [
    {
      id: 'r1',
      title: 'Logging stopped <img src=x onerror=alert(1)> | `x`',
      level: 'high',
      count: 3,
      firstSeen: '2024-03-01T01:00:00Z',
      lastSeen: '2024-03-01T02:00:00Z',
      references: ['https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html'],
    },
    {
      id: 'r2',
      title: 'Second',
      level: null,
      count: 1,
      firstSeen: null,
      lastSeen: null,
      references: ['javascript:alert(1)'],
    },
  ];

  it('lists the rules that matched, escaped, with safe links only', () => {
    const md = renderJobSummary(
      input({
        summary: summaryOf({
          matches: 4,
          rulesEvaluated: 7,
          rules,
          rulesUnsupported: [{ file: 'a.yml', id: 'x', title: 'agg', reason: 'aggregation' }],
        }),
      }),
    );
    const section = md.slice(md.indexOf('### Detections by rule'));
    expect(section).toContain('2 of 7 rules matched.');
    expect(section).toContain('1 rules could not run');
    expect(section).toContain(
      '[link](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html)',
    );
    expect(section).not.toContain('](javascript:');
    expect(section).not.toMatch(/<img/);
    const row = section.split('\n').find((l) => l.includes('Logging stopped'))!;
    // Six cells: the escaped `|` in the title does not add a column.
    expect(row.replace(/\\\|/g, '').split('|').length - 2).toBe(6);
  });

  it('is absent without rules', () => {
    expect(renderJobSummary(input({ summary: summaryOf({ matches: 1 }) }))).not.toContain(
      'Detections by rule',
    );
  });
});
