/**
 * Workflow annotations (failed regions and objects as errors, the matches of the highest level as
 * warnings, earliest first within a level) and
 * the neutralising every log line goes through: CloudTrail text must never be read by the runner
 * as a workflow command (`::add-mask::`, `::stop-commands::`, legacy `##[...]`). The escaping
 * itself is the CLI's (`sanitizeForTerminal`), so both front ends show a value the same way.
 */
import type { MatchedEvent } from '../engines/types.js';
import type { Summary } from './types.js';
import { byLevelThenTime, eventFacts, eventLevel, ruleLevels } from './job-summary.js';
import { truncateText } from './markdown.js';
import { sanitizeForTerminal } from './sanitize.js';
import { correlationAlerts, groupText } from './correlation-alerts.js';

/** GitHub shows at most 10 annotations of each kind per step. */
export const MAX_MATCH_ANNOTATIONS = 10;
export const MAX_ERROR_ANNOTATIONS = 10;
/** The search's own warnings (e.g. us-east-1 missing from the regions) shown as annotations. */
export const MAX_NOTE_ANNOTATIONS = 3;

/**
 * Text safe to print in the workflow log: controls shown as visible escapes (ANSI escapes,
 * carriage returns that overwrite a line), workflow-command prefixes disarmed on every line.
 */
export function neutraliseLogText(text: string): string {
  return sanitizeForTerminal(text, { multiline: true });
}

/** One value inside an annotation or log line: a single line (breaks shown as \\n), bounded. */
export function plainValue(value: string, maxChars = 120): string {
  return sanitizeForTerminal(truncateText(value, maxChars)) || '—';
}

export interface Annotation {
  level: 'error' | 'warning';
  title: string;
  message: string;
}

/**
 * A one-line description of a match, for a warning annotation or a log line: who by the short
 * name the terminal and the job summary use, with the full principal (the form filters take)
 * when it differs; a failed call or sign-in says so.
 */
export function describeMatch(event: MatchedEvent): string {
  const f = eventFacts(event.record);
  const who =
    f.who === f.principal ? plainValue(f.who) : `${plainValue(f.who, 80)} (${plainValue(f.principal, 200)})`;
  const parts = [
    `${plainValue(f.event, 80)} (${plainValue(f.service, 40)})`,
    `by ${who}`,
    `from ${plainValue(f.sourceIP, 60)}`,
    `at ${plainValue(f.time, 40)}`,
    `in ${plainValue(f.region || (event.region ?? ''), 30)}`,
  ];
  if (!f.status.ok)
    parts.push(
      f.status.text.startsWith('sign-in failed')
        ? plainValue(f.status.text, 120)
        : `failed: ${plainValue(f.status.text, 120)}`,
    );
  parts.push(`event id ${plainValue(f.eventID, 60)}`);
  return parts.join(' ');
}

/** What to annotate for a finished search (pure). */
export function annotationsFor(summary: Summary, firstMatches: MatchedEvent[]): Annotation[] {
  const errors: Annotation[] = [];
  for (const region of summary.regionBreakdown) {
    if (region.status === 'complete') continue;
    errors.push({
      level: 'error',
      title: `CloudTrail search ${region.status} in ${plainValue(region.region, 30)}`,
      message:
        region.errors.length > 0
          ? plainValue(region.errors.join('; '), 500)
          : `The region's logs were not all read.`,
    });
  }
  for (const failure of summary.failures) {
    errors.push({
      level: 'error',
      title: 'CloudTrail log not read',
      message: `${plainValue(failure.key, 300)}: ${plainValue(failure.reason, 300)}`,
    });
  }
  if (errors.length > MAX_ERROR_ANNOTATIONS) {
    const rest = errors.length - (MAX_ERROR_ANNOTATIONS - 1);
    errors.splice(MAX_ERROR_ANNOTATIONS - 1, errors.length, {
      level: 'error',
      title: 'CloudTrail search incomplete',
      message: `${rest} more regions or objects could not be read: see summary.json in the artifact.`,
    });
  }
  const notes: Annotation[] = summary.warnings.slice(0, MAX_NOTE_ANNOTATIONS).map((w) => ({
    level: 'warning',
    title: 'CloudTrail search',
    message: plainValue(w, 500),
  }));
  // Correlation alerts first (highest level first), then single matches, 10 in all.
  const alerts: Annotation[] = correlationAlerts(summary).map(({ correlation: c, alert: a }) => ({
    level: 'warning',
    title: `CloudTrail correlation (${plainValue(c.level ?? 'no level', 20)}): ${plainValue(c.title, 80)}`,
    message: `${a.count} events of ${plainValue(groupText(a.group), 200)} from ${plainValue(a.firstSeen, 40)} to ${plainValue(a.lastSeen, 40)}; first event ids ${plainValue(a.eventIDs.slice(0, 5).join(', '), 300)}`,
  }));
  // Matches: highest level first, then the earliest.
  const levels = ruleLevels(summary);
  const titles = new Map((summary.rules ?? []).map((r) => [r.id, r.title]));
  const warnings: Annotation[] = byLevelThenTime(firstMatches, summary)
    .slice(0, MAX_MATCH_ANNOTATIONS)
    .map((event) => {
      const level = eventLevel(event, levels);
      const rule = (event.ruleIds ?? []).map((id) => titles.get(id)).find((t) => t !== undefined);
      const what = plainValue(eventFacts(event.record).event, 80);
      return {
        level: 'warning',
        title:
          level || rule
            ? `CloudTrail ${plainValue(level ?? 'match', 20)}: ${rule ? `${plainValue(rule, 80)} (${what})` : what}`
            : `CloudTrail match: ${what}`,
        message: describeMatch(event),
      };
    });
  return [...errors, ...notes, ...[...alerts, ...warnings].slice(0, MAX_MATCH_ANNOTATIONS)];
}
