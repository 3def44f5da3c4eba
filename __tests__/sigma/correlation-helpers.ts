/**
 * Small builders for correlation tests: events with a time and a few fields, and a run of a pack
 * over them the way the search runs it (rule matcher, then the correlation stage).
 */
import { CorrelationStage } from '../../src/correlation-stage.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import { compileRulePack, createRuleMatcher, ruleRefs } from '../../src/sigma/pack.js';
import { parseRuleSource } from '../../src/sigma/parse.js';
import type { CorrelationLimits } from '../../src/sigma/correlator.js';
import type { RulePack } from '../../src/sigma/types.js';

export type Rec = Record<string, unknown>;

/** An event on 2024-03-01 at `hms`. */
export function ev(eventID: string, hms: string, eventName: string, fields: Rec = {}): Rec {
  return {
    eventVersion: '1.08',
    eventTime: `2024-03-01T${hms}Z`,
    eventSource: eventName === 'ConsoleLogin' ? 'signin.amazonaws.com' : 'sts.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    eventID,
    ...fields,
  };
}

export function packOf(...files: Array<[string, string]>): RulePack {
  return compileRulePack(files.flatMap(([file, text]) => parseRuleSource({ file, text })));
}

/** Runs `pack` over `events` in the order given: what is reported, the alerts, the problems. */
export function correlate(pack: RulePack, events: Rec[], limits: Partial<CorrelationLimits> = {}) {
  const match = createRuleMatcher(pack);
  const stage = new CorrelationStage(pack, limits);
  const reported: MatchedEvent[] = [];
  for (const record of events) {
    const ruleIds = match(record);
    if (ruleIds.length === 0) continue;
    // As the engines hand matches over: each names the rules it matched.
    const tagged = { ...record, matched_rules: ruleRefs(pack.rules, ruleIds) };
    const event: MatchedEvent = {
      record: tagged,
      json: JSON.stringify(tagged),
      eventID: record.eventID as string,
      region: record.awsRegion as string,
      ruleIds,
    };
    const now = stage.admit(event);
    if (now) reported.push(now);
  }
  const done = stage.finish();
  reported.push(...done.events);
  return { reported, outcomes: done.outcomes, problems: done.problems };
}

/** Alerts of the one correlation, as (group, first, last, count, ids). */
export function alertsOf(result: ReturnType<typeof correlate>, index = 0) {
  return result.outcomes[index]!.alerts;
}

/** Deterministic shuffle (events arrive out of time order across files and regions). */
export function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
