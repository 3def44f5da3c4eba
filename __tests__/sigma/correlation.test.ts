/**
 * Sigma correlation rules: semantics against hand-written expectations on generated event
 * sequences. Windows start at each event and last the timespan, both ends included; events may
 * arrive in any order; events without a group-by field belong to no group; base rules with
 * `generate: false` (the default) report nothing of their own.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../src/sigma/load.js';
import { alertsOf, correlate, ev, packOf, shuffled, type Rec } from './correlation-helpers.js';

const FAILED = `title: Failed console login
id: 10000000-0000-4000-8000-000000000001
name: failed_login
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: Failure
  condition: sel
`;
const WHOAMI = `title: Caller identity asked
id: 10000000-0000-4000-8000-000000000002
name: whoami
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: GetCallerIdentity
  condition: sel
`;
const LIST = `title: Buckets listed
id: 10000000-0000-4000-8000-000000000003
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ListBuckets
  condition: sel
`;

function countRule(condition: string, extra = ''): string {
  return `title: Console brute force
id: 20000000-0000-4000-8000-000000000001
level: high
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [sourceIPAddress]
  timespan: 5m
  condition: ${condition}
${extra}---
${FAILED}`;
}

const fail = (id: string, hms: string, ip?: string): Rec =>
  ev(id, hms, 'ConsoleLogin', {
    ...(ip ? { sourceIPAddress: ip } : {}),
    responseElements: { ConsoleLogin: 'Failure' },
  });

describe('event_count', () => {
  // 198.51.100.1: three failures, the last exactly 5 minutes after the first (inside: ends included).
  // 198.51.100.2: three failures, the last 5 minutes and 1 second after the first (outside).
  // No address: three failures within a minute, in no group.
  const events = [
    fail('a1', '10:00:00', '198.51.100.1'),
    fail('a2', '10:02:00', '198.51.100.1'),
    fail('a3', '10:05:00', '198.51.100.1'),
    fail('b1', '11:00:00', '198.51.100.2'),
    fail('b2', '11:02:00', '198.51.100.2'),
    fail('b3', '11:05:01', '198.51.100.2'),
    fail('n1', '12:00:00'),
    fail('n2', '12:00:10'),
    fail('n3', '12:00:20'),
  ];

  it('counts per group within the timespan, both window ends included, whatever the arrival order', () => {
    const pack = packOf(['brute.yml', countRule('{gte: 3}')]);
    for (const order of [events, [...events].reverse(), shuffled(events), shuffled(events, 99)]) {
      const result = correlate(pack, order);
      expect(alertsOf(result)).toEqual([
        {
          group: { sourceIPAddress: '198.51.100.1' },
          firstSeen: '2024-03-01T10:00:00Z',
          lastSeen: '2024-03-01T10:05:00Z',
          count: 3,
          eventIDs: ['a1', 'a2', 'a3'],
        },
      ]);
      expect(result.outcomes[0]).toMatchObject({
        title: 'Console brute force',
        level: 'high',
        type: 'event_count',
      });
      // generate: false (the default): only the alert's events are reported, each naming it.
      expect(result.reported.map((e) => e.eventID).sort()).toEqual(['a1', 'a2', 'a3']);
      for (const e of result.reported) {
        expect(e.record.matched_correlations).toEqual([
          { id: '20000000-0000-4000-8000-000000000001', title: 'Console brute force', level: 'high' },
        ]);
        expect(e.record.matched_rules).toEqual([]);
        expect(JSON.parse(e.json).matched_correlations).toHaveLength(1);
      }
    }
  });

  it.each([
    ['{gt: 2}', ['198.51.100.1']],
    ['{gte: 3}', ['198.51.100.1']],
    ['{gt: 3}', []],
    ['{eq: 2}', ['198.51.100.1', '198.51.100.2']],
    ['{gt: 1, lte: 2}', ['198.51.100.1', '198.51.100.2']],
  ])('condition %s', (condition, groups) => {
    // Windows: .1 starts 3 (a1), 2 (a2), 1 (a3); .2 starts 2 (b1), 2 (b2), 1 (b3).
    const result = correlate(packOf(['brute.yml', countRule(condition)]), events);
    expect(alertsOf(result).map((a) => a.group.sourceIPAddress)).toEqual(groups);
  });

  it('lt and lte: windows with few events, separate when they share none', () => {
    const sparse = [fail('s1', '10:00:00', '203.0.113.9'), fail('s2', '10:06:00', '203.0.113.9')];
    for (const condition of ['{lt: 2}', '{lte: 1}']) {
      const result = correlate(packOf(['brute.yml', countRule(condition)]), sparse);
      expect(alertsOf(result).map((a) => [a.firstSeen, a.count, a.eventIDs])).toEqual([
        ['2024-03-01T10:00:00Z', 1, ['s1']],
        ['2024-03-01T10:06:00Z', 1, ['s2']],
      ]);
    }
  });

  it('overlapping matching windows are one alert', () => {
    // gte 2 within 5m: 10:00-10:04 (2), 10:04-10:08 (2), 10:08 alone; 10:20 alone.
    const chain = ['10:00:00', '10:04:00', '10:08:00', '10:20:00'].map((t, i) =>
      fail(`c${i}`, t, '192.0.2.1'),
    );
    const result = correlate(packOf(['brute.yml', countRule('{gte: 2}')]), shuffled(chain));
    expect(alertsOf(result)).toEqual([
      {
        group: { sourceIPAddress: '192.0.2.1' },
        firstSeen: '2024-03-01T10:00:00Z',
        lastSeen: '2024-03-01T10:08:00Z',
        count: 3,
        eventIDs: ['c0', 'c1', 'c2'],
      },
    ]);
  });

  it('generate: true reports every base rule match as well', () => {
    const result = correlate(packOf(['brute.yml', countRule('{gte: 3}', 'generate: true\n')]), events);
    expect(result.reported.map((e) => e.eventID).sort()).toEqual(events.map((e) => e.eventID).sort());
    const byId = new Map(result.reported.map((e) => [e.eventID, e.record]));
    expect(byId.get('b1')!.matched_rules).toEqual([
      { id: '10000000-0000-4000-8000-000000000001', title: 'Failed console login', level: null },
    ]);
    expect(byId.get('b1')!.matched_correlations).toBeUndefined();
    expect(byId.get('a1')!.matched_correlations).toHaveLength(1);
  });
});

describe('value_count', () => {
  const rule = `title: Password spraying
id: 20000000-0000-4000-8000-000000000002
level: medium
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [sourceIPAddress]
  timespan: 10m
  condition: {field: userIdentity.userName, gte: 3}
---
${FAILED}`;
  const as = (id: string, hms: string, ip: string, user?: string): Rec => ({
    ...fail(id, hms, ip),
    ...(user ? { userIdentity: { type: 'IAMUser', userName: user } } : {}),
  });

  it('counts distinct values of the field per group; events without it add none', () => {
    const events = [
      as('v1', '09:00:00', '198.51.100.7', 'alice'),
      as('v2', '09:01:00', '198.51.100.7', 'alice'),
      as('v3', '09:02:00', '198.51.100.7', 'bob'),
      as('v4', '09:03:00', '198.51.100.7'),
      as('v5', '09:10:00', '198.51.100.7', 'carol'),
      // Three users, but 10 minutes and 1 second apart.
      as('w1', '09:00:00', '198.51.100.8', 'alice'),
      as('w2', '09:05:00', '198.51.100.8', 'bob'),
      as('w3', '09:10:01', '198.51.100.8', 'carol'),
    ];
    const result = correlate(packOf(['spray.yml', rule]), shuffled(events));
    expect(alertsOf(result)).toEqual([
      {
        group: { sourceIPAddress: '198.51.100.7' },
        firstSeen: '2024-03-01T09:00:00Z',
        lastSeen: '2024-03-01T09:10:00Z',
        count: 5,
        eventIDs: ['v1', 'v2', 'v3', 'v4', 'v5'],
      },
    ]);
  });
});

describe('temporal and temporal_ordered', () => {
  const chain = (type: string, rules = '[whoami, Buckets listed]') => `title: Recon with a stolen key
id: 20000000-0000-4000-8000-000000000003
level: critical
correlation:
  type: ${type}
  rules: ${rules}
  group-by: [userIdentity.accessKeyId]
  timespan: 5m
---
${WHOAMI}---
${LIST}`;
  const call = (id: string, hms: string, name: string, key: string): Rec =>
    ev(id, hms, name, { userIdentity: { type: 'IAMUser', accessKeyId: key } });
  const events = [
    // AKIA1: identity then list, 4 minutes apart.
    call('k1', '08:00:00', 'GetCallerIdentity', 'AKIA1'),
    call('k2', '08:04:00', 'ListBuckets', 'AKIA1'),
    // AKIA2: list then identity (the wrong order), 1 minute apart.
    call('m1', '08:00:00', 'ListBuckets', 'AKIA2'),
    call('m2', '08:01:00', 'GetCallerIdentity', 'AKIA2'),
    // AKIA3: both in the same second.
    call('s1', '08:00:00', 'ListBuckets', 'AKIA3'),
    call('s2', '08:00:00', 'GetCallerIdentity', 'AKIA3'),
    // AKIA4: identity then list 6 minutes later.
    call('f1', '08:00:00', 'GetCallerIdentity', 'AKIA4'),
    call('f2', '08:06:00', 'ListBuckets', 'AKIA4'),
    // AKIA5: identity only.
    call('o1', '08:00:00', 'GetCallerIdentity', 'AKIA5'),
  ];
  const groups = (result: ReturnType<typeof correlate>) =>
    alertsOf(result).map((a) => [a.group['userIdentity.accessKeyId'], a.eventIDs]);

  it('temporal: every rule within the timespan, any order (rules by name and by title)', () => {
    const result = correlate(packOf(['recon.yml', chain('temporal')]), shuffled(events));
    expect(groups(result)).toEqual([
      ['AKIA1', ['k1', 'k2']],
      ['AKIA2', ['m1', 'm2']],
      ['AKIA3', ['s1', 's2']],
    ]);
  });

  it('temporal_ordered: in the order of `rules` (same second counts as in order)', () => {
    const result = correlate(packOf(['recon.yml', chain('temporal_ordered')]), shuffled(events, 3));
    expect(groups(result)).toEqual([
      ['AKIA1', ['k1', 'k2']],
      ['AKIA3', ['s1', 's2']],
    ]);
    // The identity-only key is not reported: its base rule does not generate.
    expect(result.reported.map((e) => e.eventID).sort()).toEqual(['k1', 'k2', 's1', 's2']);
  });

  it('temporal with a condition counts distinct rules, not events', () => {
    const users = `title: Users listed
id: 10000000-0000-4000-8000-000000000004
name: list_users
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ListUsers
  condition: sel
`;
    const rule = `title: Two kinds of recon
id: 20000000-0000-4000-8000-000000000005
correlation:
  type: temporal
  rules: [whoami, Buckets listed, list_users]
  group-by: [userIdentity.accessKeyId]
  timespan: 5m
  condition: {gte: 2}
---
${WHOAMI}---
${LIST}---
${users}`;
    const result = correlate(packOf(['two.yml', rule]), [
      // Same rule twice: one kind.
      call('t1', '08:00:00', 'GetCallerIdentity', 'AKIA6'),
      call('t2', '08:01:00', 'GetCallerIdentity', 'AKIA6'),
      // Two kinds, 5 minutes apart (inside).
      call('u1', '08:00:00', 'ListUsers', 'AKIA7'),
      call('u2', '08:05:00', 'ListBuckets', 'AKIA7'),
    ]);
    expect(groups(result)).toEqual([['AKIA7', ['u1', 'u2']]]);
  });

  it('rules by id work as names do', () => {
    const byId = chain(
      'temporal_ordered',
      '[10000000-0000-4000-8000-000000000002, 10000000-0000-4000-8000-000000000003]',
    );
    expect(groups(correlate(packOf(['recon.yml', byId]), events))).toEqual([
      ['AKIA1', ['k1', 'k2']],
      ['AKIA3', ['s1', 's2']],
    ]);
  });

  it('aliases read a different field per rule', () => {
    const rule = `title: Key used from the address that asked who it is
id: 20000000-0000-4000-8000-000000000004
correlation:
  type: temporal
  rules: [whoami, Buckets listed]
  group-by: [actor]
  timespan: 1h
  aliases:
    actor:
      whoami: userIdentity.accessKeyId
      Buckets listed: requestParameters.keyUsed
---
${WHOAMI}---
${LIST}`;
    const result = correlate(packOf(['alias.yml', rule]), [
      call('a1', '07:00:00', 'GetCallerIdentity', 'AKIA9'),
      ev('a2', '07:30:00', 'ListBuckets', { requestParameters: { keyUsed: 'AKIA9' } }),
      ev('a3', '07:30:00', 'ListBuckets', { requestParameters: { keyUsed: 'AKIA8' } }),
    ]);
    expect(alertsOf(result).map((a) => [a.group, a.eventIDs])).toEqual([[{ actor: 'AKIA9' }, ['a1', 'a2']]]);
  });
});

describe('limits', () => {
  it('a full group marks the correlation incomplete instead of growing', () => {
    const many = Array.from({ length: 6 }, (_, i) => fail(`x${i}`, `10:00:0${i}`, '198.51.100.1'));
    const result = correlate(packOf(['brute.yml', countRule('{gte: 3}')]), many, { maxEventsPerGroup: 4 });
    expect(result.outcomes[0]!.incomplete).toMatch(/more than 4 events in one group/);
    expect(result.problems).toEqual([
      expect.stringMatching(/Console brute force.*incomplete.*alerts may be missing/),
    ]);
    expect(alertsOf(result)[0]!.count).toBe(4);
  });

  it('only matches that belong to a group are held back (bytes cap)', () => {
    const grouped = ['10:00:00', '10:01:00', '10:02:00'].map((t, i) => fail(`in${i}`, t, '198.51.100.1'));
    const loose = Array.from({ length: 20 }, (_, i) => fail(`out${i}`, '10:00:30'));
    const ref = { id: '10000000-0000-4000-8000-000000000001', title: 'Failed console login', level: null };
    // What the engine hands over (the record naming its rule) is what is held.
    const bytes = grouped.reduce((n, e) => n + JSON.stringify({ ...e, matched_rules: [ref] }).length, 0);
    const pack = packOf(['brute.yml', countRule('{gte: 3}', 'generate: true\n')]);
    const result = correlate(pack, [...loose, ...grouped], { maxHeldBytes: bytes });
    expect(result.problems).toEqual([]);
    expect(alertsOf(result)[0]!.eventIDs).toEqual(['in0', 'in1', 'in2']);
    // generate: true: the loose matches are reported at once, naming their rule.
    const loneOne = result.reported.find((e) => e.eventID === 'out0')!;
    expect(loneOne.record.matched_rules).toEqual([ref]);
    expect(result.reported).toHaveLength(23);
    // One byte less and the third grouped match cannot be held: incomplete, and it says so.
    const short = correlate(pack, [...loose, ...grouped], { maxHeldBytes: bytes - 1 });
    expect(short.problems).toEqual([expect.stringMatching(/bytes of matches to hold back/)]);
  });

  it('too many groups marks it incomplete too; alerts list at most 100 eventIDs', () => {
    const spread = Array.from({ length: 3 }, (_, i) => fail(`g${i}`, '10:00:00', `198.51.100.${i}`));
    const groups = correlate(packOf(['brute.yml', countRule('{gte: 1}')]), spread, { maxGroups: 2 });
    expect(groups.outcomes[0]!.incomplete).toMatch(/more than 2 groups/);
    const burst = Array.from({ length: 150 }, (_, i) =>
      fail(`e${String(i).padStart(3, '0')}`, '10:00:00', '192.0.2.5'),
    );
    const [alert] = alertsOf(correlate(packOf(['brute.yml', countRule('{gte: 3}')]), burst));
    expect(alert!.count).toBe(150);
    expect(alert!.eventIDs).toHaveLength(100);
    expect(alert!.eventIDs[99]).toBe('e099');
  });
});

describe('loading correlation files', () => {
  const recon = (id: string) => `title: Recon ${id}
id: ${id}
correlation:
  type: temporal
  rules: [whoami, Buckets listed]
  group-by: [userIdentity.accessKeyId]
  timespan: 5m
---
${WHOAMI}---
${LIST}`;

  it('a base rule embedded in two files is one rule; both correlations run', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'corr-'));
    await writeFile(path.join(dir, 'one.yml'), recon('30000000-0000-4000-8000-000000000001'));
    await writeFile(path.join(dir, 'two.yml'), recon('30000000-0000-4000-8000-000000000002'));
    const pack = await loadRulePack([dir], { cwd: dir });
    expect(pack.rules.map((r) => r.id)).toEqual([
      '10000000-0000-4000-8000-000000000002',
      '10000000-0000-4000-8000-000000000003',
    ]);
    expect(pack.correlations!.map((c) => c.id)).toEqual([
      '30000000-0000-4000-8000-000000000001',
      '30000000-0000-4000-8000-000000000002',
    ]);
    expect(pack.correlationOnly).toEqual(pack.rules.map((r) => r.id));
    expect(pack.unsupported).toEqual([]);
  });

  it('the same id with other content is still an error naming both files', () => {
    const changed = LIST.replace('ListBuckets', 'ListObjects');
    expect(() => packOf(['one.yml', `${WHOAMI}---\n${LIST}`], ['two.yml', changed])).toThrow(
      /two\.yml.*10000000-0000-4000-8000-000000000003.*different rule in "one\.yml"/,
    );
  });

  it.each([
    ['type: sequence', /correlation type "sequence" is not one of/],
    ['rules: [nothing_here]', /no loaded rule has the id, name or title "nothing_here"/],
    ['timespan: 5 minutes', /"timespan: 5 minutes" is not a duration/],
    ['condition: {above: 3}', /condition "above" is not one of gt, gte, lt, lte, eq/],
    ['group-by: [src_ip]', /"src_ip" is not a CloudTrail field/],
  ])('refuses %s with a reason, the rest of the pack runs', (change, reason) => {
    const key = change.split(':')[0] as string;
    const base = `title: Broken
id: 40000000-0000-4000-8000-000000000001
correlation:
  type: event_count
  rules: [whoami]
  group-by: [sourceIPAddress]
  timespan: 5m
  condition: {gte: 3}
`;
    const text = base
      .split('\n')
      .map((line) => (line.trim().startsWith(`${key}:`) ? `  ${change}` : line))
      .join('\n');
    const pack = packOf(['broken.yml', `${text}---\n${WHOAMI}---\n${LIST}`]);
    expect(pack.unsupported).toEqual([
      {
        file: 'broken.yml',
        id: '40000000-0000-4000-8000-000000000001',
        title: 'Broken',
        reason: expect.stringMatching(reason),
      },
    ]);
    // The base rule only a refused correlation refers to does not run on its own (generate: false).
    const standalone = key === 'rules' ? ['Caller identity asked', 'Buckets listed'] : ['Buckets listed'];
    expect(pack.rules.map((r) => r.title)).toEqual(standalone);
  });

  it('chained correlations and old aggregations are reported per rule', () => {
    const chained = `title: Outer
id: 40000000-0000-4000-8000-000000000002
correlation:
  type: temporal
  rules: [Inner, whoami]
  timespan: 1h
---
title: Inner
id: 40000000-0000-4000-8000-000000000003
correlation:
  type: event_count
  rules: [whoami]
  timespan: 5m
  condition: {gte: 2}
---
${WHOAMI}---
title: Old style
id: 40000000-0000-4000-8000-000000000004
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: ConsoleLogin
  condition: sel | count() by sourceIPAddress > 5
`;
    const pack = packOf(['chain.yml', chained]);
    expect(pack.unsupported.map((u) => [u.title, u.reason])).toEqual([
      ['Old style', expect.stringMatching(/aggregat/)],
      ['Outer', expect.stringMatching(/correlation rule "Inner".*chained correlations are not supported/)],
    ]);
    expect(pack.correlations!.map((c) => c.title)).toEqual(['Inner']);
  });
});
