/**
 * Engine parity for rule packs: the scan engine over a folder of delivered logs (the in-repo flat
 * trail in athena-parity.test.ts, the real Invictus logs in athena-parity.corpus.test.ts) with every built-in
 * pack, and the Athena engine fed with the same events as Athena returns them (rows rendered like
 * the engine's SELECT, nothing else: which rules matched is not a column). Both must give the
 * same events with the same `matched_rules`, the Athena engine computing them from the rows it
 * read back. Trino cannot run here: the SQL it sent is checked against the Trino grammar and,
 * by the stand-in, against Athena's limits on parameters (plan-check.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AthenaEngine } from '../../src/engines/athena/engine.js';
import { athenaRules } from '../../src/engines/athena/plan.js';
import { ScanEngine } from '../../src/engines/scan/engine.js';
import { openScanPlan } from '../../src/source/open.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import { loadRulePack } from '../../src/sigma/load.js';
import { silentLogger } from '../../src/logger.js';
import {
  clientFactories,
  fakeClock,
  harness,
  investigation,
  LOCATION,
  type Harness,
} from '../athena/fake-athena.js';
import { trino } from '../athena/grammar.js';
import { renderRow } from '../athena/render-row.js';

let h: Harness | undefined;
afterEach(() => h?.reset());

async function collect(events: AsyncIterable<MatchedEvent>): Promise<MatchedEvent[]> {
  const out: MatchedEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

type Ref = { id: string; title: string; level: string | null };

/** The check, over the delivered files in `folder()` (events of 2023-07-10 11:00–13:00Z). */
export function athenaParityCases(folder: () => string): void {
  describe('rule packs on both engines', () => {
    it('give the same detections and matched_rules', async () => {
      const pack = await loadRulePack(['builtin:all'], { cwd: process.cwd() });
      const window = { since: new Date('2023-07-10T11:00:00Z'), until: new Date('2023-07-10T13:00:00Z') };
      const scanInv = {
        ...investigation(
          {},
          { rules: pack, window, query: { kind: 'all' } as const, engine: 'scan' as const, workers: 0 },
        ),
        source: { kind: 'local' as const, path: folder() },
      };
      const scanned = await collect(new ScanEngine(openScanPlan, silentLogger).run(scanInv).events);
      expect(scanned.length).toBeGreaterThan(5);

      // What Athena would return: the same events, rendered as rows.
      expect(athenaRules(pack).rules).toHaveLength(pack.rules.length);
      const rows = scanned.map((e) => {
        const record = { ...e.record };
        delete record.matched_rules;
        return renderRow(record);
      });
      h = harness({
        scripts: {
          'us-east-1': { states: ['SUCCEEDED'], rows },
          'eu-west-1': { states: ['SUCCEEDED'], rows: [] },
        },
      });
      const athenaInv = investigation({}, { rules: pack, window, query: { kind: 'all' } });
      const athena = await collect(
        new AthenaEngine({ ...clientFactories, locations: [LOCATION], clock: fakeClock() }).run(athenaInv)
          .events,
      );

      const byId = (events: MatchedEvent[]) =>
        new Map(events.map((e) => [e.eventID, (e.record.matched_rules as Ref[]).map((r) => r.id).sort()]));
      expect(byId(athena)).toEqual(byId(scanned));
      expect(new Map(athena.map((e) => [e.eventID, e.ruleIds?.slice().sort()]))).toEqual(
        new Map(scanned.map((e) => [e.eventID, e.ruleIds?.slice().sort()])),
      );

      const selects = h.started.filter((q) => q.sql.startsWith('SELECT'));
      expect(selects).toHaveLength(2);
      for (const q of selects) {
        expect(q.sql).not.toContain('sigma_rules');
        expect(trino.validate(q.sql.replace(/\?/g, "'x'"))).toEqual([]);
        for (const rule of pack.rules) expect(q.sql).not.toContain(rule.title);
      }
    });
  });
}
