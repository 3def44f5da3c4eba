import { describe, it, expect } from 'vitest';
import { annotationsFor, neutraliseLogText, MAX_ERROR_ANNOTATIONS } from '../../src/report/annotations.js';
import type { Summary } from '../../src/report/types.js';
import type { MatchedEvent } from '../../src/engines/types.js';

/** What the runner would execute: a line starting with `::` after whitespace, or `##[` anywhere. */
function runnerWouldExecute(line: string): boolean {
  return /^[\s]*::/.test(line) || line.includes('##[');
}

describe('neutraliseLogText', () => {
  it.each([
    '::add-mask::x',
    '  ::stop-commands::tok',
    'ok\n::error file=a::injected\nmore',
    '\t::set-output name=x::y',
    'prefix ##[error]legacy',
    '\u001b[31mred\u001b[0m\r::warning::overwrite',
  ])('disarms %j on every line', (text) => {
    const out = neutraliseLogText(text);
    for (const line of out.split('\n')) expect(runnerWouldExecute(line), line).toBe(false);
    expect(out).not.toMatch(/\p{Cc}(?<!\n)/u);
  });

  it('leaves ordinary text alone', () => {
    expect(neutraliseLogText('arn:aws:iam::123456789012:user/alice\nline two')).toBe(
      'arn:aws:iam::123456789012:user/alice\nline two',
    );
  });
});

function summaryWith(partial: Partial<Summary>): Summary {
  return {
    regionBreakdown: [],
    failures: [],
    warnings: [],
    ...partial,
  } as Summary;
}

describe('annotationsFor', () => {
  const match = (i: number, extra: Record<string, unknown> = {}): MatchedEvent => ({
    record: {
      eventName: 'StopLogging',
      eventSource: 'cloudtrail.amazonaws.com',
      eventTime: '2023-07-10T11:00:00Z',
      awsRegion: 'us-east-1',
      eventID: `id-${i}`,
      sourceIPAddress: '1.2.3.4',
      userIdentity: { arn: 'arn:aws:iam::1:user/a' },
      ...extra,
    },
    json: '{}',
    eventID: `id-${i}`,
    region: 'us-east-1',
  });

  it('annotates at most 10 matches, one line each, neutralised', () => {
    const hostile = match(0, { userAgent: 'x', eventName: '::error::x\n::add-mask::y' });
    const list = annotationsFor(summaryWith({}), [
      hostile,
      ...Array.from({ length: 14 }, (_, i) => match(i + 1)),
    ]);
    expect(list).toHaveLength(10);
    expect(list.every((a) => a.level === 'warning')).toBe(true);
    expect(list[1]!.message).toBe(
      'StopLogging (cloudtrail) by a (arn:aws:iam::1:user/a) from 1.2.3.4 at 2023-07-10T11:00:00Z in us-east-1 event id id-1',
    );
    for (const a of list) {
      expect(a.message).not.toContain('\n');
      expect(runnerWouldExecute(a.message)).toBe(false);
      expect(runnerWouldExecute(a.title)).toBe(false);
    }
  });

  it('reports failed regions and unreadable objects as errors, capped with a count of the rest', () => {
    const list = annotationsFor(
      summaryWith({
        regionBreakdown: [
          {
            region: 'eu-west-1',
            status: 'failed',
            objects: 0,
            bytes: 0,
            records: 0,
            matches: 0,
            durationMs: 1,
            errors: ['AccessDenied'],
          },
        ],
        failures: Array.from({ length: 15 }, (_, i) => ({ key: `k${i}`, reason: 'gzip: bad' })),
      }),
      [],
    );
    expect(list).toHaveLength(MAX_ERROR_ANNOTATIONS);
    expect(list[0]).toEqual({
      level: 'error',
      title: 'CloudTrail search failed in eu-west-1',
      message: 'AccessDenied',
    });
    expect(list[1]).toEqual({ level: 'error', title: 'CloudTrail log not read', message: 'k0: gzip: bad' });
    expect(list.at(-1)!.message).toBe(
      '7 more regions or objects could not be read: see summary.json in the artifact.',
    );
  });
});

describe('annotationsFor with Sigma rules', () => {
  const rules = [
    {
      id: 'hi',
      title: 'CloudTrail logging stopped',
      level: 'high',
      count: 2,
      firstSeen: null,
      lastSeen: null,
      references: [],
    },
    {
      id: 'lo',
      title: 'Secret read',
      level: 'low',
      count: 11,
      firstSeen: null,
      lastSeen: null,
      references: [],
    },
  ];
  const tagged = (i: number, time: string, ruleIds: string[], name = 'GetSecretValue'): MatchedEvent => ({
    record: {
      eventName: name,
      eventSource: 'secretsmanager.amazonaws.com',
      eventTime: time,
      awsRegion: 'us-east-1',
      eventID: `id-${i}`,
      sourceIPAddress: '1.2.3.4',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/alice', userName: 'alice' },
    },
    json: '{}',
    eventID: `id-${i}`,
    region: 'us-east-1',
    ruleIds,
  });

  it('annotates the highest level first, then the earliest, whatever the order of the files', () => {
    // Eleven low findings read first, then two high ones (later in the log files, earlier or later in time).
    const lows = Array.from({ length: 11 }, (_, i) =>
      tagged(i, `2023-07-10T11:${String(10 + i)}:00Z`, ['lo']),
    );
    const highLate = tagged(20, '2023-07-10T12:30:00Z', ['hi', 'lo'], 'StopLogging');
    const highEarly = tagged(21, '2023-07-10T11:00:00Z', ['hi'], 'StopLogging');
    const list = annotationsFor(summaryWith({ rules }), [...lows, highLate, highEarly]);
    expect(list).toHaveLength(10);
    expect(list.map((a) => a.message.match(/event id (\S+)/)![1])).toEqual([
      'id-21',
      'id-20',
      ...['id-0', 'id-1', 'id-2', 'id-3', 'id-4', 'id-5', 'id-6', 'id-7'],
    ]);
    expect(list[0]!.title).toBe('CloudTrail high: CloudTrail logging stopped (StopLogging)');
    expect(list[2]!.title).toBe('CloudTrail low: Secret read (GetSecretValue)');
  });

  it('says a failed sign-in failed, by the user name when there is no ARN', () => {
    const signIn: MatchedEvent = {
      record: {
        eventName: 'ConsoleLogin',
        eventSource: 'signin.amazonaws.com',
        eventTime: '2023-07-10T11:00:00Z',
        awsRegion: 'us-east-1',
        eventID: 'id-9',
        sourceIPAddress: '203.0.113.9',
        userIdentity: { type: 'IAMUser', userName: 'mallory', accountId: '1' },
        responseElements: { ConsoleLogin: 'Failure' },
        errorMessage: 'Failed authentication',
      },
      json: '{}',
      eventID: 'id-9',
      region: 'us-east-1',
    };
    expect(annotationsFor(summaryWith({}), [signIn])[0]!.message).toBe(
      'ConsoleLogin (signin) by mallory from 203.0.113.9 at 2023-07-10T11:00:00Z in us-east-1 sign-in failed: Failed authentication event id id-9',
    );
  });
});
