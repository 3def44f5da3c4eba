/**
 * The built-in packs compile completely, and find on the in-repo corpus (corpus.ts) the trail
 * tampering and root activity it holds, as hand-written jq selects find them. Their detections
 * on the real Stratus Red Team detonations, Invictus logs and Panther tests: builtin.corpus.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadRulePack } from '../../src/sigma/load.js';
import { createRuleMatcher } from '../../src/sigma/pack.js';
import { BUILTIN_PACKS } from '../../src/sigma/builtin/index.js';
import { corpus, jqKeys, repoRoot } from './corpus.js';

describe('built-in packs', () => {
  it('every pack compiles completely', async () => {
    expect(Object.keys(BUILTIN_PACKS).length).toBeGreaterThan(0);
    for (const name of Object.keys(BUILTIN_PACKS)) {
      const pack = await loadRulePack([`builtin:${name}`], { cwd: repoRoot, strict: true });
      expect(pack.unsupported).toEqual([]);
      expect(pack.rules.length).toBeGreaterThan(0);
      for (const rule of pack.rules) {
        expect(rule.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(rule.level).toBeDefined();
        expect(rule.references.length).toBeGreaterThan(0);
        for (const ref of rule.references) expect(ref).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      }
    }
  });

  it('rule ids are unique across all packs', async () => {
    const pack = await loadRulePack(['builtin:all'], { cwd: repoRoot });
    expect(new Set(pack.rules.map((r) => r.id)).size).toBe(pack.rules.length);
  });

  it('trail-tampering finds the StopLogging, DeleteTrail and PutEventSelectors calls (jq)', async () => {
    const pack = await loadRulePack(['builtin:trail-tampering'], { cwd: repoRoot });
    const match = createRuleMatcher(pack);
    const delivered = (key: string): boolean => !key.startsWith('lower:');
    const expected = jqKeys(
      '(g("eventSource")|lc) == "cloudtrail.amazonaws.com" and ((g("eventName")|lc) as $n | ["stoplogging","deletetrail","puteventselectors","updatetrail"] | index($n) != null)',
    ).filter(delivered);
    // At least the flat trail's planted calls.
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const got = corpus()
      .events.filter(
        (e) =>
          delivered(e.key) && e.event.eventSource === 'cloudtrail.amazonaws.com' && match(e.event).length > 0,
      )
      .map((e) => e.key)
      .sort();
    expect(got).toEqual(expected);
  });

  it('root-usage matches the root sign-ins and the root creating its own access key', async () => {
    const pack = await loadRulePack(['builtin:root-usage'], { cwd: repoRoot });
    const match = createRuleMatcher(pack);
    const byTitle = (title: string): string => pack.rules.find((r) => r.title === title)!.id;
    const events = new Map(corpus().events.map((e) => [e.key, e.event]));
    const logins = jqKeys(
      '(g("eventName")|lc) == "consolelogin" and (g("userIdentity")|g("type")|lc) == "root"',
    ).filter((k) => k.startsWith('example:'));
    expect(logins.length).toBeGreaterThan(0);
    for (const key of logins) expect(match(events.get(key)!)).toContain(byTitle('Root user console sign-in'));
    const keys = jqKeys(
      '(g("eventName")|lc) == "createaccesskey" and (g("userIdentity")|g("type")|lc) == "root" and (g("requestParameters")|g("userName")) == null',
    );
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys)
      expect(match(events.get(key)!)).toContain(byTitle('Root user access key created'));
  });
});
