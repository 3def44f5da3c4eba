/**
 * The search's correlation step, the same for both engines: matches of correlations' base rules
 * are held back (Correlator); when the engine's stream ends, the alerts are decided and the held
 * matches that are reported come back, each with `matched_rules` limited to the rules that stand
 * as detections (not `generate: false` base rules) and `matched_correlations` when it is part of
 * an alert.
 */
import { ownedEvent, type MatchedEvent } from './engines/types.js';
import { ruleRefs } from './sigma/pack.js';
import {
  Correlator,
  type CorrelationLimits,
  type CorrelationOutcome,
  type CorrelationRef,
} from './sigma/correlator.js';
import type { RulePack } from './sigma/types.js';

type Held = MatchedEvent & { ruleIds: string[] };

export class CorrelationStage {
  private readonly correlator: Correlator<Held>;
  private readonly correlationOnly: Set<string>;

  constructor(
    private readonly pack: RulePack,
    limits: Partial<CorrelationLimits> = {},
  ) {
    this.correlator = new Correlator<Held>(pack, limits);
    this.correlationOnly = new Set(pack.correlationOnly ?? []);
  }

  /** True when the pack has correlations. */
  get active(): boolean {
    return this.correlator.active;
  }

  /**
   * The event to report now, or undefined: held back for a correlation (see `finish`), or a match
   * of `generate: false` base rules only that belongs to no group (it can be part of no alert).
   */
  admit(event: MatchedEvent): MatchedEvent | undefined {
    if (!this.correlator.wants(event.ruleIds)) return event;
    const owned = ownedEvent(event) as Held;
    if (this.correlator.add(owned) === 'held') return undefined;
    const ruleIds = owned.ruleIds.filter((id) => !this.correlationOnly.has(id));
    if (ruleIds.length === owned.ruleIds.length) return event;
    return ruleIds.length > 0 ? this.reported(owned, ruleIds, []) : undefined;
  }

  /** The alerts, and the held matches to report (in the order they came). */
  finish(): { events: MatchedEvent[]; outcomes: CorrelationOutcome[]; problems: string[] } {
    const { outcomes, held, problems } = this.correlator.finish();
    const events: MatchedEvent[] = [];
    for (const { item, correlations } of held) {
      const ruleIds = item.ruleIds.filter((id) => !this.correlationOnly.has(id));
      if (ruleIds.length === 0 && correlations.length === 0) continue;
      events.push(this.reported(item, ruleIds, correlations));
    }
    return { events, outcomes, problems };
  }

  /** A match as reported: `matched_rules` of the rules that stand, its correlations if any. */
  private reported(item: Held, ruleIds: string[], correlations: CorrelationRef[]): MatchedEvent {
    const record: Record<string, unknown> = {
      ...item.record,
      matched_rules: ruleRefs(this.pack.rules, ruleIds),
    };
    if (correlations.length > 0) record.matched_correlations = correlations;
    const { region, eventID, fields } = item;
    return { record, json: JSON.stringify(record), eventID, region, ...(fields ? { fields } : {}), ruleIds };
  }
}
