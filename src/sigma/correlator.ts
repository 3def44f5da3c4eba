/**
 * Correlation rules over a stream of matches, in the same pass as the single-event rules: every
 * match of a correlation's base rule is put in its group (per correlation, by the group-by values),
 * and once the stream ends each group's windows are decided exactly (correlation-windows.ts), so
 * events may arrive in any order (files, regions, engines).
 *
 * Matches of base rules are held back until then: whether one is reported (a detection of its own,
 * part of an alert, or neither for `generate: false` base rules) and its `matched_correlations`
 * are only known at the end. Memory is bounded: groups per correlation, events per group and the
 * bytes of held matches are capped; past a cap the correlation is marked incomplete (its alerts
 * may be missing) and the run with it.
 */
import { getKey } from '../query/record-walk.js';
import { groupAlerts, type GroupEvent } from './correlation-windows.js';
import type { CompiledCorrelation, RulePack, SigmaLevel } from './types.js';

export interface CorrelationLimits {
  /** Groups kept per correlation. */
  maxGroups: number;
  /** Events kept per group. */
  maxEventsPerGroup: number;
  /** Bytes of held-back matches (their JSON text), all correlations together. */
  maxHeldBytes: number;
  /** eventIDs listed per alert. */
  maxAlertEventIds: number;
}

export const DEFAULT_CORRELATION_LIMITS: CorrelationLimits = {
  maxGroups: 10_000,
  maxEventsPerGroup: 10_000,
  maxHeldBytes: 128 * 1024 * 1024,
  maxAlertEventIds: 100,
};

/** What the correlator needs of a match. */
export interface CorrelatedInput {
  record: Record<string, unknown>;
  json: string;
  eventID: string | undefined;
  ruleIds: readonly string[];
}

export interface CorrelationAlert {
  group: Record<string, string>;
  firstSeen: string;
  lastSeen: string;
  count: number;
  /** The first `maxAlertEventIds` eventIDs, in time order. */
  eventIDs: string[];
}

export interface CorrelationOutcome {
  id: string;
  title: string;
  level: SigmaLevel | null;
  type: CompiledCorrelation['type'];
  alerts: CorrelationAlert[];
  /** Set when a cap was reached: alerts may be missing. */
  incomplete?: string;
}

/** A held-back match, and the correlations whose alerts it is part of. */
export interface HeldMatch<T> {
  item: T;
  correlations: CorrelationRef[];
}

export interface CorrelationRef {
  id: string;
  title: string;
  level: string | null;
}

interface Group {
  values: Record<string, string>;
  events: GroupEvent[];
}

interface State {
  c: CompiledCorrelation;
  /** Base rule id -> its index in `c.rules`. */
  ruleIndex: Map<string, number>;
  groups: Map<string, Group>;
  incomplete?: string;
}

export class Correlator<T extends CorrelatedInput> {
  private readonly states: State[];
  /** Base rule id -> the correlations it feeds. */
  private readonly feeds = new Map<string, State[]>();
  private readonly held: T[] = [];
  private heldBytes = 0;
  private readonly limits: CorrelationLimits;

  constructor(pack: Pick<RulePack, 'correlations'>, limits: Partial<CorrelationLimits> = {}) {
    this.limits = { ...DEFAULT_CORRELATION_LIMITS, ...limits };
    this.states = (pack.correlations ?? []).map((c) => ({
      c,
      ruleIndex: new Map(c.rules.map((id, i) => [id, i])),
      groups: new Map(),
    }));
    for (const state of this.states) {
      for (const id of state.c.rules) this.feeds.set(id, [...(this.feeds.get(id) ?? []), state]);
    }
  }

  get active(): boolean {
    return this.states.length > 0;
  }

  /** True when a match of these rules is a correlation's input (hold it back: `add`). */
  wants(ruleIds: readonly string[] | undefined): boolean {
    return ruleIds !== undefined && ruleIds.some((id) => this.feeds.has(id));
  }

  /**
   * Adds a match of base rules: `held` when it went into a group; `unplaced` when it belongs to
   * none (no eventTime, a group-by field missing, a cap reached: it can be part of no alert, so
   * it is not kept); `full` when the bytes cap is reached (the correlations are incomplete).
   */
  add(item: T): 'held' | 'unplaced' | 'full' {
    const bytes = item.json.length;
    if (this.heldBytes + bytes > this.limits.maxHeldBytes) {
      for (const id of item.ruleIds) {
        for (const s of this.feeds.get(id) ?? []) {
          s.incomplete ??= `more than ${this.limits.maxHeldBytes} bytes of matches to hold back`;
        }
      }
      return 'full';
    }
    const time = Date.parse(String(item.record.eventTime));
    if (!Number.isFinite(time)) return 'unplaced';
    const seq = this.held.length;
    let placed = false;
    for (const id of item.ruleIds) {
      for (const state of this.feeds.get(id) ?? []) {
        if (this.place(state, id, item, time, seq)) placed = true;
      }
    }
    if (!placed) return 'unplaced';
    this.held.push(item);
    this.heldBytes += bytes;
    return 'held';
  }

  /** Puts the event into its group of `state`; false when it belongs to none. */
  private place(state: State, ruleId: string, item: T, time: number, seq: number): boolean {
    const { record } = item;
    const { c } = state;
    const rule = state.ruleIndex.get(ruleId) as number;
    const values: Record<string, string> = {};
    const paths = c.groupFields[ruleId] ?? [];
    for (let i = 0; i < c.groupBy.length; i++) {
      const value = valueText(readPath(record, paths[i] as string[]));
      // An event without a group-by field belongs to no group.
      if (value === undefined) return false;
      values[c.groupBy[i] as string] = value;
    }
    const key = JSON.stringify(c.groupBy.map((name) => values[name]));
    let group = state.groups.get(key);
    if (!group) {
      if (state.groups.size >= this.limits.maxGroups) {
        state.incomplete ??= `more than ${this.limits.maxGroups} groups`;
        return false;
      }
      state.groups.set(key, (group = { values, events: [] }));
    }
    const last = group.events[group.events.length - 1];
    if (last?.seq === seq) {
      if (!last.rules.includes(rule)) last.rules.push(rule);
      return true;
    }
    if (group.events.length >= this.limits.maxEventsPerGroup) {
      state.incomplete ??= `more than ${this.limits.maxEventsPerGroup} events in one group`;
      return false;
    }
    const event: GroupEvent = { time, seq, tie: item.eventID ?? '', rules: [rule] };
    if (c.type === 'value_count') {
      const value = valueText(readPath(record, c.field as string[]));
      if (value !== undefined) event.value = value;
    }
    group.events.push(event);
    return true;
  }

  /** Decides every window: the alerts per correlation, and each held match with its correlations. */
  finish(): { outcomes: CorrelationOutcome[]; held: Array<HeldMatch<T>>; problems: string[] } {
    const perMatch = new Map<number, CorrelationRef[]>();
    const outcomes = this.states.map((state): CorrelationOutcome => {
      const { c } = state;
      const ref: CorrelationRef = { id: c.id, title: c.title, level: c.level ?? null };
      const alerts: CorrelationAlert[] = [];
      for (const group of state.groups.values()) {
        for (const run of groupAlerts(c, group.events)) {
          for (const e of run) {
            const refs = perMatch.get(e.seq) ?? [];
            if (!refs.includes(ref)) refs.push(ref);
            perMatch.set(e.seq, refs);
          }
          alerts.push({
            group: group.values,
            firstSeen: isoSecond((run[0] as GroupEvent).time),
            lastSeen: isoSecond((run[run.length - 1] as GroupEvent).time),
            count: run.length,
            eventIDs: run
              .slice(0, this.limits.maxAlertEventIds)
              .map((e) => (this.held[e.seq] as T).eventID ?? '(no eventID)'),
          });
        }
      }
      alerts.sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0));
      return {
        id: c.id,
        title: c.title,
        level: c.level ?? null,
        type: c.type,
        alerts,
        ...(state.incomplete ? { incomplete: state.incomplete } : {}),
      };
    });
    const problems = outcomes
      .filter((o) => o.incomplete !== undefined)
      .map((o) => `correlation "${o.title}" (${o.id}) is incomplete: ${o.incomplete}; alerts may be missing`);
    const held = this.held.map((item, seq) => ({ item, correlations: perMatch.get(seq) ?? [] }));
    return { outcomes, held, problems };
  }
}

/** The value at a path (arrays along it: the list of values, as JSON). */
function readPath(record: unknown, path: readonly string[]): unknown {
  let values: unknown[] = [record];
  let many = false;
  for (const name of path) {
    const lower = name.toLowerCase();
    const next: unknown[] = [];
    for (const v of values) {
      if (v === null || typeof v !== 'object') continue;
      const items = Array.isArray(v) ? ((many = true), v) : [v];
      for (const item of items) {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
          const got = getKey(item, name, lower, name in Object.prototype);
          if (got !== undefined && got !== null) next.push(got);
        }
      }
    }
    values = next;
  }
  if (values.length === 0) return undefined;
  return many ? values : values[0];
}

/** A group or field value as text: scalars as written, objects and arrays as JSON. */
function valueText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function isoSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}
