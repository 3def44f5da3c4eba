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
      'StopLogging (cloudtrail) by arn:aws:iam::1:user/a from 1.2.3.4 at 2023-07-10T11:00:00Z in us-east-1 event id id-1',
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
