/**
 * How a run ended, as one word a workflow can test and the exit code that goes with it (pure).
 *
 *   result         exit  when
 *   clean          0     complete, nothing matched (or matches without fail-on-match: `matched`)
 *   matched        1/0   complete, matches found: 1 with fail-on-match (the gate), else 0
 *   no-logs        4/0   complete, but the location looked blind (see noLogsFindings): 4 when
 *                        fail-on-no-logs (default: with fail-on-match), else 0 and a warning
 *   incomplete     3     something asked for could not be read, the run was cancelled, or
 *                        another run advanced the state first: matches may be missing
 *   invalid-input  2     the input was refused before anything was searched
 *   error          5     the search could not run or its results could not be written
 *
 * Precedence: incomplete, then no-logs, then matched: a gate fails closed, and a blind location
 * is never reported as an ordinary match count.
 */
import type { Summary, TrailStatusReport } from './report/types.js';
import { plural } from './report/format.js';
import { levelRank } from './sigma/types.js';

export const RESULTS = ['matched', 'clean', 'incomplete', 'no-logs', 'invalid-input', 'error'] as const;
export type RunResult = (typeof RESULTS)[number];

export const ExitCodes = {
  clean: 0,
  matched: 1,
  'invalid-input': 2,
  incomplete: 3,
  'no-logs': 4,
  error: 5,
} as const satisfies Record<RunResult, number>;

export interface OutcomeSettings {
  failOnMatch: boolean;
  failOnNoLogs: boolean;
}

export interface Outcome {
  result: RunResult;
  exitCode: number;
}

/** The result of a finished search and its exit code. */
export function outcomeOf(
  summary: Pick<Summary, 'complete' | 'matches' | 'gateMatches' | 'noLogs'>,
  settings: OutcomeSettings,
): Outcome {
  if (!summary.complete) return { result: 'incomplete', exitCode: ExitCodes.incomplete };
  const tripping = (summary.gateMatches ?? summary.matches) > 0;
  if ((summary.noLogs ?? []).length > 0) {
    if (settings.failOnNoLogs) return { result: 'no-logs', exitCode: ExitCodes['no-logs'] };
    return { result: 'no-logs', exitCode: settings.failOnMatch && tripping ? ExitCodes.matched : 0 };
  }
  if (summary.matches > 0) {
    return { result: 'matched', exitCode: settings.failOnMatch && tripping ? ExitCodes.matched : 0 };
  }
  return { result: 'clean', exitCode: ExitCodes.clean };
}

/**
 * What tripped the gate, for its failure message: the matching events and the correlation alerts
 * (with --min-level, those of rules at that level or above), e.g. `3 matching CloudTrail events and
 * 1 correlation alert of rules at level high or above found (--fail-on-match).`
 */
export function gateMessage(
  summary: Pick<Summary, 'matches' | 'gateMatches' | 'minLevel' | 'correlations'>,
  flag: string,
): string {
  const minLevel = summary.minLevel ?? undefined;
  const alerts = (summary.correlations ?? [])
    .filter((c) => !minLevel || levelRank(c.level ?? 'informational') >= levelRank(minLevel))
    .reduce((n, c) => n + c.alerts.length, 0);
  // gateMatches (set with --min-level) counts the alerts at that level too; matches does not.
  const events = summary.gateMatches !== undefined ? summary.gateMatches - alerts : summary.matches;
  const parts = [plural(Math.max(0, events), 'matching CloudTrail event')];
  if (alerts > 0) parts.push(plural(alerts, 'correlation alert'));
  const level = minLevel ? ` of rules at level ${minLevel} or above` : '';
  return `${parts.join(' and ')}${level} found (${flag}).`;
}

export const DEFAULT_MAX_DELIVERY_DELAY_MS = 3 * 60 * 60 * 1000;

/** What listing saw, and what the trails said of themselves. */
export interface DeliveryEvidence {
  /** Where the logs were looked for, for messages. */
  where: string;
  /** The searched range of deliveries (the window, or the increment). */
  range: { from: Date; to: Date };
  regions: string[] | 'all';
  accounts: string[] | 'all';
  /**
   * What listing saw (scan engine; undefined for Athena, which lists no objects): log files
   * delivered in the range per account and per region, and the newest delivery stamp (this run's,
   * or an earlier run's, from the state).
   */
  listing:
    | {
        perAccount: ReadonlyMap<string, number>;
        perRegion: ReadonlyMap<string, number>;
        newest: Date | undefined;
      }
    | undefined;
  /** The time delivery is measured against: now, or the window's end when it is in the past. */
  reference: Date;
  maxDelayMs: number;
  /** The range reaches the present (within maxDelayMs of now): staleness and trail status count. */
  live: boolean;
  /** What the trails said of themselves (they speak of now: only counted when `live`). */
  trails: TrailStatusReport[];
}

/**
 * Why the location looks blind, one sentence each; empty when it does not. No log file where the
 * user asked for some, a newest file older than the allowed delay, a trail that is not logging or
 * reports a delivery error: none of these may pass as a clean result.
 */
export function noLogsFindings(e: DeliveryEvidence): string[] {
  const findings: string[] = [];
  if (e.listing) findings.push(...listingFindings(e, e.listing));
  if (e.live) for (const t of e.trails) findings.push(...trailFindings(t, e.reference, e.maxDelayMs));
  return findings;
}

function listingFindings(e: DeliveryEvidence, listing: NonNullable<DeliveryEvidence['listing']>): string[] {
  const findings: string[] = [];
  const span = `between ${e.range.from.toISOString()} and ${e.range.to.toISOString()}`;
  const total = [...listing.perRegion.values()].reduce((a, b) => a + b, 0);
  if (total === 0) {
    findings.push(`No CloudTrail log file was delivered to ${e.where} ${span}.`);
  } else {
    for (const region of e.regions === 'all' ? [] : e.regions) {
      if (!listing.perRegion.get(region))
        findings.push(`No log file of region ${region} was delivered ${span}.`);
    }
    for (const account of e.accounts === 'all' ? [] : e.accounts) {
      if (!listing.perAccount.get(account)) {
        findings.push(`No log file of account ${account} was delivered ${span}.`);
      }
    }
  }
  // Only a range that reaches the present can be stale: a past window ends where its logs end.
  const { newest } = listing;
  if (e.live && newest && e.reference.getTime() - newest.getTime() > e.maxDelayMs) {
    findings.push(
      `The newest log file in ${e.where} was delivered at ${newest.toISOString()}, ` +
        `${hours(e.reference.getTime() - newest.getTime())} before ${e.reference.toISOString()} ` +
        `(max-delivery-delay ${hours(e.maxDelayMs)}): is the trail still logging?`,
    );
  }
  return findings;
}

function trailFindings(t: TrailStatusReport, reference: Date, maxDelayMs: number): string[] {
  if (t.error) return [];
  const out: string[] = [];
  if (t.isLogging === false) {
    out.push(
      `Trail ${t.trail} is not logging${t.stopLoggingTime ? ` (stopped at ${t.stopLoggingTime})` : ''}.`,
    );
  }
  if (t.latestDeliveryError) {
    out.push(`Trail ${t.trail} reports a delivery error: ${t.latestDeliveryError}.`);
  }
  if (t.latestDeliveryTime && reference.getTime() - Date.parse(t.latestDeliveryTime) > maxDelayMs) {
    out.push(`Trail ${t.trail} last delivered a log file at ${t.latestDeliveryTime}.`);
  }
  return out;
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 48
    ? `${Math.round(h / 24)} days`
    : h >= 1
      ? `${Math.round(h * 10) / 10} h`
      : `${Math.round(ms / 60_000)} min`;
}
