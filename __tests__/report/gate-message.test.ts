import { describe, expect, it } from 'vitest';
import { gateMessage } from '../../src/outcome.js';

const alert = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    group: { sourceIPAddress: `203.0.113.${i}` },
    firstSeen: '2024-03-01T00:00:00Z',
    lastSeen: '2024-03-01T00:04:00Z',
    count: 6,
    eventIDs: [],
  }));

describe('the gate says what tripped it', () => {
  it('events only', () => {
    expect(gateMessage({ matches: 1 }, '--fail-on-match')).toBe(
      '1 matching CloudTrail event found (--fail-on-match).',
    );
  });

  it('names the correlation alerts beside the events', () => {
    const correlations = [
      { id: 'a', title: 'brute force', level: 'high', type: 'event_count', alerts: alert(2) },
      { id: 'b', title: 'chain', level: 'low', type: 'temporal', alerts: alert(1) },
    ];
    expect(gateMessage({ matches: 12, correlations }, '--fail-on-match')).toBe(
      '12 matching CloudTrail events and 3 correlation alerts found (--fail-on-match).',
    );
    // With --min-level, gateMatches counts the events of rules at that level and its alerts.
    expect(
      gateMessage({ matches: 12, gateMatches: 5, minLevel: 'high', correlations }, 'fail-on-match is true'),
    ).toBe(
      '3 matching CloudTrail events and 2 correlation alerts of rules at level high or above found (fail-on-match is true).',
    );
  });
});
