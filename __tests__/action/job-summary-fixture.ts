/**
 * A job summary of a real investigation, rendered from source: the Invictus incident logs
 * (shared/data, 2023-07-10) searched with every built-in Sigma rule and a correlation rule, as the
 * Action runs it (buildInvestigation, attachRules, runSearch, renderJobSummary).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInvestigation } from '../../src/config/build.js';
import { attachRules } from '../../src/config/rules.js';
import { runSearch, type SearchResult } from '../../src/search.js';
import { silentLogger } from '../../src/logger.js';
import { renderJobSummary, type JobSummaryInput } from '../../src/report/job-summary.js';
import type { Summary } from '../../src/report/types.js';
import type { MatchedEvent } from '../../src/engines/types.js';

export const INVICTUS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/data/invictus-aws-dataset/CloudTrail',
);

/** Five Windows password reads from one address within ten minutes: an alert. */
export const CORRELATION = `title: Windows password data read in bulk
id: 30000000-0000-4000-8000-000000000001
level: high
correlation:
  type: event_count
  rules: [4d8b87ec-eb11-41e9-8835-59e04cd42b62]
  group-by: [sourceIPAddress]
  timespan: 10m
  condition: {gte: 5}
`;

export async function invictusSummary(maxRows = 50): Promise<{ markdown: string; result: SearchResult }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'job-summary-'));
  const rulesFile = path.join(dir, 'bulk-password-reads.yml');
  await writeFile(rulesFile, CORRELATION);
  const raw = {
    source: INVICTUS,
    since: '2023-07-10T00:00:00Z',
    until: '2023-07-11T00:00:00Z',
    outDir: path.join(dir, 'out'),
    rules: ['builtin:all', rulesFile],
    workers: 0,
  };
  const inv = await attachRules(buildInvestigation(raw, new Date('2023-07-12T00:00:00Z')), raw, dir);
  const result = await runSearch(inv, { logger: silentLogger, keepFirst: maxRows });
  const markdown = renderJobSummary({
    summary: result.summary,
    firstMatches: result.firstMatches,
    maxRows,
    failures: [`${result.summary.matches} matching CloudTrail events found (fail-on-match is true).`],
    artifact: {
      name: 'cloudtrail-investigation-1-audit-1',
      url: 'https://github.com/o/r/actions/runs/1/artifacts/42',
    },
    files: { results: result.resultsPath, summary: result.summaryPath },
    rules: ['builtin:all', 'rules/bulk-password-reads.yml'],
  });
  return { markdown, result };
}

/**
 * A summary whose every value is as long as CloudTrail allows or longer: 64-character role and
 * session names, IPv6 addresses, kilobyte user agents, long rule titles, groups, keys and paths.
 */
export function worstCase(values: { who?: string; ip?: string } = {}): JobSummaryInput {
  const role = `R${'o'.repeat(62)}e`;
  const session = `s${'e'.repeat(62)}n`;
  const arn = `arn:aws:sts::123456789012:assumed-role/${role}/${session}`;
  const ua = `Mozilla/5.0 ${'(KHTML,like-Gecko)'.repeat(40)} ${'x'.repeat(300)}`;
  const longTitle = `A rule with a very long title that goes on ${'and on '.repeat(20)}`;
  const matches: MatchedEvent[] = Array.from({ length: 60 }, (_, i) => {
    const record: Record<string, unknown> = {
      eventTime: `2024-03-0${1 + (i % 3)}T1${i % 10}:0${i % 6}:00Z`,
      eventSource: 'sts.amazonaws.com',
      eventName: i % 2 ? `Assume${'Role'.repeat(30)}` : 'AssumeRoleWithWebIdentity',
      awsRegion: i % 2 ? 'ap-southeast-2' : 'us-east-1',
      sourceIPAddress:
        values.ip && i === 0
          ? values.ip
          : i % 2
            ? '2001:0db8:85a3:0000:0000:8a2e:0370:7334'
            : 'x'.repeat(120),
      userAgent: ua,
      errorCode: i % 3 ? undefined : `Client.${'Unauthorized'.repeat(10)}`,
      userIdentity: {
        type: 'AssumedRole',
        arn: values.who && i === 0 ? `arn:aws:sts::1:assumed-role/${values.who}` : arn,
      },
      eventID: `${'f'.repeat(8)}-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resources: [{ ARN: `arn:aws:s3:::${'bucket'.repeat(10)}/${'key/'.repeat(50)}` }],
    };
    return {
      record,
      json: JSON.stringify(record),
      eventID: record.eventID as string,
      region: record.awsRegion as string,
      ruleIds: [i % 4 ? 'r-high' : 'r-low'],
    };
  });
  const summary: Summary = {
    tool: { name: 'cloudtrail-investigate', version: '0.0.0-test' },
    matches: 4000,
    duplicatesDropped: 3,
    complete: false,
    result: 'incomplete',
    engine: 'scan',
    engineReason: 'auto: a window of 3 days is short',
    filter: `eventName|startswith: ${'AssumeRole'.repeat(30)}\nuserIdentity.arn|contains: ${arn}`,
    window: { since: '2024-03-01T00:00:00Z', until: '2024-03-04T00:00:00Z' },
    source: `s3://${'my-org-cloudtrail-bucket'.repeat(4)}/${'prefix/'.repeat(20)}`,
    regions: ['us-east-1', 'ap-southeast-2', 'eu-central-1'],
    accounts: ['123456789012', '210987654321'],
    scanned: {
      objectsListed: 123_456,
      objects: 123_000,
      objectsSkipped: 456,
      bytes: 9.8e10,
      bytesUncompressed: 8.1e11,
      records: 98_765_432,
    },
    regionBreakdown: ['us-east-1', 'ap-southeast-2', 'eu-central-1'].map((region, i) => ({
      region,
      status: i === 2 ? ('failed' as const) : ('complete' as const),
      objects: 41_000,
      bytes: 3.2e10,
      records: 32_000_000,
      matches: 1333,
      durationMs: 4_000_000,
      errors:
        i === 2
          ? [`AccessDenied: ${arn} is not authorized to perform s3:GetObject on ${'x'.repeat(200)}`]
          : [],
    })),
    failures: Array.from({ length: 3 }, (_, i) => ({
      key: `AWSLogs/123456789012/CloudTrail/eu-central-1/2024/03/0${i + 1}/${'y'.repeat(150)}.json.gz`,
      reason: `gzip: ${'unexpected end of file '.repeat(8)}`,
    })),
    warnings: [`A warning with a long path: ${'/very/long/path'.repeat(20)}`],
    files: { results: 'results.jsonl', summary: 'summary.json' },
    format: 'jsonl',
    startedAt: '2024-03-04T00:05:00Z',
    durationMs: 9_000_000,
    top: {
      eventNames: [{ value: `Assume${'Role'.repeat(30)}`, count: 2000 }],
      principals: [
        { value: arn, count: 3000 },
        { value: `arn:aws:iam::210987654321:user/${'u'.repeat(64)}`, count: 1000 },
      ],
      sourceIPs: [
        { value: '2001:0db8:85a3:0000:0000:8a2e:0370:7334', count: 3000 },
        { value: 'x'.repeat(120), count: 1000 },
      ],
    },
    timeline: Array.from({ length: 72 }, (_, h) => ({
      bucket: new Date(Date.UTC(2024, 2, 1, h)).toISOString().replace('.000Z', 'Z'),
      count: (h * 7) % 13,
    })),
    rulesEvaluated: 30,
    rules: [
      {
        id: 'r-high',
        title: longTitle,
        level: 'high',
        count: 3000,
        firstSeen: '2024-03-01T10:00:00Z',
        lastSeen: '2024-03-03T19:05:00Z',
        references: [`https://example.com/${'p/'.repeat(100)}`],
      },
      {
        id: 'r-low',
        title: 'Low rule',
        level: 'low',
        count: 1000,
        firstSeen: '2024-03-01T10:00:00Z',
        lastSeen: '2024-03-03T19:05:00Z',
        references: [],
      },
    ],
    rulesUnsupported: [
      {
        file: `rules/${'deep/'.repeat(30)}rule.yml`,
        id: 'u1',
        title: longTitle,
        reason: 'aggregation (count() by) is not supported',
      },
    ],
    correlations: [
      {
        id: 'c1',
        title: longTitle,
        level: 'critical',
        type: 'value_count',
        alerts: [
          {
            group: { 'userIdentity.arn': arn, sourceIPAddress: '2001:0db8:85a3:0000:0000:8a2e:0370:7334' },
            firstSeen: '2024-03-01T10:00:00Z',
            lastSeen: '2024-03-02T10:00:00Z',
            count: 12,
            eventIDs: [],
          },
        ],
      },
    ],
  };
  return {
    summary,
    firstMatches: matches,
    maxRows: 50,
    failures: ['The search was incomplete: 3 objects could not be read (fail-on-incomplete is true).'],
    artifact: {
      name: 'cloudtrail-investigation-1-audit-1',
      url: 'https://github.com/o/r/actions/runs/1/artifacts/42',
    },
    files: { results: `/home/runner/work/${'r/'.repeat(40)}results.jsonl`, summary: '/tmp/summary.json' },
    rules: ['builtin:all', `rules/${'deep/'.repeat(30)}`],
  };
}
