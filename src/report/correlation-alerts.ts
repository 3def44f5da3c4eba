/** Correlation alerts as the front ends list them (terminal, job summary, annotations). */
import type { Summary } from './types.js';

/** Every correlation alert with its correlation, highest level first (summary order). */
export function correlationAlerts(summary: Pick<Summary, 'correlations'>) {
  return (summary.correlations ?? []).flatMap((c) => c.alerts.map((alert) => ({ correlation: c, alert })));
}

/** A correlation alert's group as `field=value, …` (values from CloudTrail: sanitise for display). */
export function groupText(group: Record<string, string>): string {
  const parts = Object.entries(group).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(', ') : '(all events)';
}
