/**
 * summary.json's per-rule part: each matched rule with its count and first/last eventTime
 * (expected values known by construction), the rules that could not run, and no Sigma fields at
 * all when no rules were given.
 */
import { describe, expect, it } from 'vitest';
import type { MatchedEvent, SearchStats } from '../../src/engines/types.js';
import type { Investigation } from '../../src/investigation.js';
import { SummaryBuilder, type SummaryInputs } from '../../src/report/summary.js';
import type { RulePack } from '../../src/sigma/types.js';

const all = { kind: 'all' } as const;

const pack: RulePack = {
  rules: [
    { id: 'r-low', title: 'Low rule', level: 'low', file: 'a.yml', references: [], tags: [], query: all },
    {
      id: 'r-high',
      title: 'High rule',
      level: 'high',
      file: 'a.yml',
      references: ['https://docs.aws.amazon.com/x'],
      tags: [],
      query: all,
    },
    {
      id: 'r-none',
      title: 'No level',
      level: undefined,
      file: 'b.yml',
      references: [],
      tags: [],
      query: all,
    },
    {
      id: 'r-quiet',
      title: 'Never matched',
      level: 'critical',
      file: 'b.yml',
      references: [],
      tags: [],
      query: all,
    },
  ],
  unsupported: [{ file: 'c.yml', id: 'r-count', title: 'Counting', reason: 'aggregates events' }],
  anyQuery: all,
};

function inputs(rules: RulePack | undefined): SummaryInputs {
  const inv = {
    source: { kind: 'local', path: '/logs' },
    query: all,
    usesResources: false,
    window: { since: new Date('2023-07-10T00:00:00Z'), until: new Date('2023-07-11T00:00:00Z') },
    regions: 'all',
    accounts: 'all',
    engine: 'scan',
    output: { dir: '/tmp/out', format: 'jsonl', testId: '' },
    failOnMatch: false,
    dryRun: false,
    concurrency: 4,
    workers: 0,
    credentials: {},
    athena: { database: 'db', workgroup: 'primary', cleanup: true, concurrency: 4, timeoutMs: 1000 },
    ...(rules ? { rules } : {}),
  } satisfies Investigation;
  const stats: SearchStats = {
    engine: 'scan',
    engineReason: 'asked',
    objectsListed: 1,
    objectsRead: 1,
    objectsSkipped: 0,
    bytesRead: 1,
    bytesUncompressed: 1,
    recordsScanned: 5,
    recordsOutsideWindow: 0,
    failures: [],
    regions: [],
    warnings: [],
  };
  return {
    inv,
    stats,
    matches: 4,
    duplicatesDropped: 0,
    files: { results: 'r.jsonl', summary: 's.json' },
    startedAt: new Date(0),
    durationMs: 1,
  };
}

const ev = (eventTime: string | undefined, id: string): MatchedEvent => {
  const record = { eventName: 'X', eventID: id, ...(eventTime ? { eventTime } : {}) };
  return { record, json: JSON.stringify(record), eventID: id, region: 'us-east-1' };
};

describe('summary.json with Sigma rules', () => {
  it('counts each rule, keeps its first and last eventTime, highest level first', () => {
    const builder = new SummaryBuilder();
    builder.add(ev('2023-07-10T12:00:00Z', '1'), ['r-low', 'r-high']);
    builder.add(ev('2023-07-10T08:30:00Z', '2'), ['r-low']);
    builder.add(ev('2023-07-10T20:15:00Z', '3'), ['r-low', 'r-none']);
    builder.add(ev(undefined, '4'), ['r-none']);
    const s = builder.build(inputs(pack));
    expect(s.rulesEvaluated).toBe(4);
    expect(s.rules).toEqual([
      {
        id: 'r-high',
        title: 'High rule',
        level: 'high',
        count: 1,
        firstSeen: '2023-07-10T12:00:00Z',
        lastSeen: '2023-07-10T12:00:00Z',
        references: ['https://docs.aws.amazon.com/x'],
      },
      {
        id: 'r-low',
        title: 'Low rule',
        level: 'low',
        count: 3,
        firstSeen: '2023-07-10T08:30:00Z',
        lastSeen: '2023-07-10T20:15:00Z',
        references: [],
      },
      {
        id: 'r-none',
        title: 'No level',
        level: null,
        count: 2,
        firstSeen: '2023-07-10T20:15:00Z',
        lastSeen: '2023-07-10T20:15:00Z',
        references: [],
      },
    ]);
    expect(s.rulesUnsupported).toEqual([
      { file: 'c.yml', id: 'r-count', title: 'Counting', reason: 'aggregates events' },
    ]);
    // The rest of the summary is unchanged by rules.
    expect(s.top.eventNames).toEqual([{ value: 'X', count: 4 }]);
  });

  it('a rule whose matches have no eventTime has null first/last', () => {
    const builder = new SummaryBuilder();
    builder.add(ev(undefined, '1'), ['r-high']);
    expect(builder.build(inputs(pack)).rules).toEqual([
      expect.objectContaining({ id: 'r-high', count: 1, firstSeen: null, lastSeen: null }),
    ]);
  });

  it('without rules, summary.json has no Sigma fields (existing callers unchanged)', () => {
    const builder = new SummaryBuilder();
    builder.add(ev('2023-07-10T12:00:00Z', '1'));
    const s = builder.build(inputs(undefined));
    expect(Object.keys(s)).not.toContain('rules');
    expect(Object.keys(s)).not.toContain('rulesEvaluated');
    expect(Object.keys(s)).not.toContain('rulesUnsupported');
  });
});
