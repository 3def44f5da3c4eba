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

/** What a reader sees (and copies): entities decoded, our break opportunities and line breaks gone. */
function rendered(text: string): string {
  return text
    .replace(/<wbr>/g, '')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
}

/** The rows of the table whose header starts with `head`. */
function tableRows(md: string, head: string): string[] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(head));
  expect(start, head).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows;
}

const matchRows = (md: string): string[] => tableRows(md, '| Time (UTC) | Event |');

/** Cells of a table row, as GFM splits it (escaped pipes are entities here). */
const cells = (row: string): string[] => row.slice(2, -2).split(' | ');

const HOSTILE_UA =
  '::error::pwned | `rm -rf /` [click](https://evil.example) *bold* _it_ @octocat #1 $x^2$ www.evil.example <img src=x onerror=alert(1)>\n| forged | row |';

describe('escapeMarkdown', () => {
  it('writes every Markdown/HTML special character as an entity and reads (and copies) as the value', () => {
    const out = escapeMarkdown(HOSTILE_UA, 1000);
    const markup = out.replace(/<wbr>/g, '');
    for (const raw of ['<', '>', '|', '`', '[', ']', '*', '_', '$', '\n', '::', '@octocat', 'www.evil']) {
      expect(markup, raw).not.toContain(raw);
    }
    expect(markup).not.toMatch(/(?<!&)#1/);
    // What the reader sees is the value itself, with the newline shown as \n.
    expect(rendered(out)).toBe(HOSTILE_UA.replace('\n', '\\n'));
  });

  it('adds no invisible character: a pasted value equals the original', () => {
    const value = 'alice@example.com #12 arn:aws:iam::123456789012:user/alice';
    const out = escapeMarkdown(value, 200);
    expect(out).not.toMatch(/[\u200b-\u200d\u2060\ufeff]/);
    expect(rendered(out)).toBe(value);
    // GitHub's filters run on the rendered text: `@` and `#` end a text run, so neither a mention,
    // an issue reference nor an e-mail link can start there.
    expect(out).toContain('alice&#64;<wbr>example.com');
    expect(out).toContain('&#35;<wbr>12');
  });

  it('gives long values break opportunities, so no value widens a table', () => {
    const arn = `arn:aws:sts::123456789012:assumed-role/${'R'.repeat(64)}/${'s'.repeat(64)}`;
    const out = escapeMarkdown(arn, 300);
    const pieces = rendered(out.replace(/<wbr>/g, '\n')).split(/[\n -]/);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(16);
    expect(rendered(out)).toBe(arn);
  });

  it('escapes the tags the summary writes itself when they come from the data', () => {
    const out = escapeMarkdown('<wbr><br><details><summary>x</summary></details>', 200);
    expect(out.replace(/<wbr>/g, '')).not.toContain('<');
    expect(rendered(out)).toBe('<wbr><br><details><summary>x</summary></details>');
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
  it('renders a clean search: the verdict first, what was searched, no matches table', () => {
    const md = renderJobSummary(input());
    const lines = md.split('\n');
    expect(lines[0]).toBe('## 🔎 CloudTrail investigation: 🟢 clean');
    expect(md).toContain('✅ The step passes.');
    expect(md).toContain('**0 matching events**');
    expect(md).toContain('| Region | Status | Objects | Data read | Matches | Time | Error |');
    expect(md).toContain('| us-east-1 | ✅ complete |');
    expect(rendered(md)).toContain('- **Engine:** scan (auto: a window of 2 hours is short)');
    expect(md).toContain('- **Filter:**\n\n```\n{"eventName": "StopLogging"}\n```');
    expect(md).not.toContain('### Matches\n');
    // Every table header has text: no empty grey bar.
    for (const line of lines.filter((l, i) => l.startsWith('|') && lines[i + 1]?.startsWith('|--'))) {
      expect(
        cells(line).every((c) => c.trim() !== ''),
        line,
      ).toBe(true);
    }
  });

  it('says an export is an export, and a rules run without filter is not one', () => {
    expect(renderJobSummary(input({ summary: summaryOf({ filter: null }) }))).toContain(
      '- **Filter:** none: every event in the window matches (an export).',
    );
    const md = renderJobSummary(
      input({
        summary: summaryOf({ filter: null, rulesEvaluated: 23, rules: [], rulesUnsupported: [] }),
        rules: ['builtin:all'],
      }),
    );
    expect(rendered(md)).toContain('- **Rules:** 23 Sigma rules from builtin:all.');
    expect(md).toContain('- **Filter:** none: every event in the window was checked against the rules.');
    expect(md).not.toContain('an export');
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
    const markup = md.replace(/<wbr>|<br>|<\/?details>|<\/?summary>/g, '');
    expect(markup).not.toMatch(/<|>/);
    expect(markup).not.toMatch(/@\w|(?<!&)#\d/);
    expect(md).not.toContain('::error::');
    // Backticks only in our own fences.
    const outsideFences = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');
    expect(outsideFences).not.toContain('`');
    // The match row keeps its 4 cells (time, event, who, source IP): no value added a column.
    const rows = matchRows(md);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.split('|')).toHaveLength(6);
    expect(rendered(rows[0]!)).toContain('Stop|Logging`<b>');
    // The error shows under the event name, escaped.
    expect(rendered(cells(rows[0]!)[1]!)).toBe('Stop|Logging`<b><br>✖ ](javascript:alert(1))');
    // A newline in a value is shown, not obeyed: the failure reason stays in its row.
    const failureRow = md.split('\n').find((l) => l.includes('bad&#92;nline'));
    expect(rendered(failureRow!)).toMatch(/^\| .* \| ::error::bad\\nline \|$/);
  });

  it('caps the matches table at summary-max-rows and says how many more are in the artifact', () => {
    const matches = Array.from({ length: 120 }, (_, i) => plainEvent(i));
    const md = renderJobSummary(
      input({ summary: summaryOf({ matches: 120 }), firstMatches: matches, maxRows: 50 }),
    );
    expect(matchRows(md)).toHaveLength(50);
    expect(md).toContain('The earliest 50 of 120 matches, by time, on 2023-07-10.');
    expect(rendered(md)).toContain(
      '70 more matching events are in the artifact [cloudtrail-investigation-1-audit-1](https://github.com/o/r/actions/runs/1/artifacts/42)',
    );
  });

  it('shows the principal by its short name, the status of a failed sign-in, and rows by time', () => {
    const signIn = plainEvent(2, {
      eventTime: '2023-07-10T11:30:00Z',
      eventName: 'ConsoleLogin',
      eventSource: 'signin.amazonaws.com',
      userIdentity: { type: 'IAMUser', userName: 'mallory', accountId: '123456789012' },
      responseElements: { ConsoleLogin: 'Failure' },
      errorMessage: 'Failed authentication',
    });
    const role = plainEvent(1, {
      eventTime: '2023-07-10T11:05:00Z',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/Deploy/gh-run-42' },
    });
    const md = renderJobSummary(input({ summary: summaryOf({ matches: 2 }), firstMatches: [signIn, role] }));
    const rows = matchRows(md).map((r) => cells(r).map(rendered));
    expect(rows).toEqual([
      ['11:05:00', 'StopLogging', 'Deploy/gh-run-42', '198.51.100.7'],
      ['11:30:00', 'ConsoleLogin<br>✖ sign-in failed: Failed authentication', 'mallory', '198.51.100.7'],
    ]);
  });

  it('names who and from where above the fold, short, with the account when accounts differ', () => {
    const summary = summaryOf({
      matches: 7,
      top: {
        principals: [
          { value: 'arn:aws:iam::111122223333:user/alice', count: 4 },
          { value: 'arn:aws:iam::444455556666:user/alice', count: 2 },
          { value: 'mallory', count: 1 },
        ],
        sourceIPs: [{ value: '198.51.100.7', count: 7 }],
        eventNames: [{ value: 'StopLogging', count: 7 }],
      },
    });
    const md = rendered(renderJobSummary(input({ summary })));
    expect(md).toContain('- **What:** StopLogging (7)');
    expect(md).toContain('- **Who:** alice in 111122223333 (4) · alice in 444455556666 (2) · mallory (1)');
    expect(md).toContain('- **From:** 198.51.100.7 (7)');
    expect(md.indexOf('**Who:**')).toBeLessThan(md.indexOf('### What was searched'));
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
    expect(rendered(md)).toContain(
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
    const rows = tableRows(md, '| Time (UTC) | Event |');
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.length).toBeLessThan(1000);
    expect(md).toMatch(
      /more matching events are in the artifact .* to keep this summary under GitHub's 1 MiB limit/,
    );
    expect(md).toContain('…and 4,980 more in summary.json.');
  });

  it('counts matches over time in whole hours, from the first matching hour to the last', () => {
    const summary = summaryOf({
      matches: 6,
      window: { since: '2023-07-10T00:00:00Z', until: '2023-07-11T00:00:00Z' },
      timeline: [
        { bucket: '2023-07-10T11:00:00Z', count: 2 },
        { bucket: '2023-07-10T13:00:00Z', count: 4 },
        { bucket: '"]\n```\n<script>alert(1)</script>', count: 99 },
      ],
    });
    const md = renderJobSummary(input({ summary, firstMatches: [plainEvent(1)] }));
    expect(md).not.toContain('```mermaid');
    expect(tableRows(md, '| When (UTC) | Matches | Share |')).toEqual([
      `| 07-10 11:00–12:00 | 2 | ${'█'.repeat(12)} |`,
      '| 07-10 12:00–13:00 | 0 |  |',
      `| 07-10 13:00–14:00 | 4 | ${'█'.repeat(24)} |`,
    ]);
  });

  it('keeps to 24 bars of whole hours or days, whatever the span', () => {
    // Hourly buckets from 01:00 over 70 hours: 3-hour bars from 00:00 make 24.
    const hours = Array.from({ length: 70 }, (_, h) => ({
      bucket: new Date(Date.UTC(2023, 6, 10, 1 + h)).toISOString(),
      count: 1,
    }));
    const hourly = tableRows(
      renderJobSummary(input({ summary: summaryOf({ matches: 70, timeline: hours }) })),
      '| When (UTC) |',
    );
    expect(hourly.length).toBeLessThanOrEqual(24);
    expect(hourly[0]).toMatch(/^\| 07-10 00:00–03:00 \| 2 \|/);
    expect(hourly.map((r) => Number(cells(r)[1])).reduce((a, b) => a + b, 0)).toBe(70);
    // Daily buckets over 90 days (summary.json's timeline past 336 hours): 4-day bars.
    const days = Array.from({ length: 90 }, (_, d) => ({
      bucket: new Date(Date.UTC(2023, 3, 12 + d)).toISOString(),
      count: 2,
    }));
    const daily = tableRows(
      renderJobSummary(input({ summary: summaryOf({ matches: 180, timeline: days }) })),
      '| When (UTC) |',
    );
    expect(daily.length).toBeLessThanOrEqual(24);
    expect(daily.map((r) => Number(cells(r)[1])).reduce((a, b) => a + b, 0)).toBe(180);
    expect(daily.every((r) => /^\| \d{2}-\d{2} \| \d+ \|/.test(r))).toBe(true);
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
    expect(md).toContain('Athena scanned 2.0 TB, about $10.00');
  });

  it('fences a filter holding backticks with a longer fence', () => {
    const md = renderJobSummary(
      input({ summary: summaryOf({ filter: 'userAgent|contains: "```"\n```\n# not a heading' }) }),
    );
    expect(md).toContain('````\nuserAgent|contains: "```"\n```\n# not a heading\n````');
  });

  it('names the gate failures right under the verdict', () => {
    const md = renderJobSummary(
      input({
        summary: summaryOf({ matches: 2, result: 'matched' }),
        failures: ['2 matching CloudTrail events found (fail-on-match is true).'],
      }),
    );
    expect(md.split('\n\n').slice(0, 2).map(rendered)).toEqual([
      '## 🔎 CloudTrail investigation: 🔴 matched',
      '❌ **The step fails:** 2 matching CloudTrail events found (fail-on-match is true).',
    ]);
  });

  it('says why a run found no logs where logs were expected', () => {
    const md = rendered(
      renderJobSummary(
        input({
          summary: summaryOf({
            result: 'no-logs',
            noLogs: ['No CloudTrail log file was delivered to s3://b/AWSLogs between A and B.'],
          }),
        }),
      ),
    );
    expect(md.split('\n')[0]).toBe('## 🔎 CloudTrail investigation: 🟠 no logs');
    expect(md).toContain('- No CloudTrail log file was delivered to s3://b/AWSLogs between A and B.');
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
      firstSeen: '2023-07-10T11:00:00Z',
      lastSeen: '2023-07-10T12:00:30Z',
      references: ['https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html'],
    },
    {
      id: 'r2',
      title: 'Second',
      level: 'low',
      count: 1,
      firstSeen: null,
      lastSeen: null,
      references: ['javascript:alert(1)'],
    },
  ];
  const summary = summaryOf({
    matches: 4,
    rulesEvaluated: 7,
    rules,
    rulesUnsupported: [{ file: 'a.yml', id: 'x', title: 'agg', reason: 'aggregation' }],
  });

  it('puts the levels and the rules above the fold, escaped, with safe links only', () => {
    const md = renderJobSummary(input({ summary }));
    const fold = md.slice(0, md.indexOf('### What was searched'));
    expect(rendered(fold)).toContain('- **Levels:** 🔴\u00a0high **3** · 🟡\u00a0low **1**');
    const rows = tableRows(md, '| Level | Rule | Matches |');
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => cells(r).length)).toEqual([4, 4]);
    expect(rendered(rows[0]!)).toBe(
      '| 🔴\u00a0high | Logging stopped <img src=x onerror=alert(1)> | `x` ([ref](https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html)) | 3 | 11:00:00 → 12:00:30 |',
    );
    expect(md).not.toContain('](javascript:');
    expect(md).not.toMatch(/<img/);
    expect(rendered(md)).toContain(
      '<details><summary>1 rule could not run on CloudTrail records and was skipped</summary>\n\n- agg (a.yml): aggregation',
    );
  });

  it('shows the matches highest level first, then by time', () => {
    const low = {
      ...plainEvent(1, { eventTime: '2023-07-10T11:00:00Z', eventName: 'GetCallerIdentity' }),
      ruleIds: ['r2'],
    };
    const high = { ...plainEvent(2, { eventTime: '2023-07-10T11:30:00Z' }), ruleIds: ['r1', 'r2'] };
    const earlyHigh = { ...plainEvent(3, { eventTime: '2023-07-10T11:10:00Z' }), ruleIds: ['r1'] };
    const md = renderJobSummary(input({ summary, firstMatches: [low, high, earlyHigh] }));
    const rows = tableRows(md, '| Level | Time (UTC) | Event |').map((r) =>
      cells(r).slice(0, 3).map(rendered),
    );
    expect(rows).toEqual([
      ['🔴\u00a0high', '11:10:00', 'StopLogging'],
      ['🔴\u00a0high', '11:30:00', 'StopLogging'],
      ['🟡\u00a0low', '11:00:00', 'GetCallerIdentity'],
    ]);
  });

  it('is absent without rules', () => {
    expect(renderJobSummary(input({ summary: summaryOf({ matches: 1 }) }))).not.toContain('| Level | Rule |');
  });
});
