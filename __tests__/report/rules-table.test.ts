import { describe, expect, it } from 'vitest';
import { formatRulesTable } from '../../src/report/terminal.js';
import type { Summary } from '../../src/report/types.js';

describe('terminal rules table', () => {
  it('shows each matched rule with its level and count, sanitised', () => {
    const summary = {
      rules: [
        {
          id: 'a',
          title: 'Trail deleted\u001b[2J\r::error::x',
          level: 'high',
          count: 12,
          firstSeen: null,
          lastSeen: null,
          references: [],
        },
        {
          id: 'b',
          title: 'Root login',
          level: null,
          count: 1,
          firstSeen: null,
          lastSeen: null,
          references: [],
        },
      ],
    } as unknown as Summary;
    const text = formatRulesTable(summary);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^high\s+12 {2}Trail deleted/);
    expect(lines[2]).toMatch(/^none\s+1 {2}Root login$/);
    expect(text.includes('\u001b') || text.includes('\r')).toBe(false);
    expect(formatRulesTable({ rules: [] } as unknown as Summary)).toBe('');
  });
});
