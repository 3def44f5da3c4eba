/**
 * The incremental-mode and delivery-check options: `--state`, its first-run look-back and margin,
 * `--max-delivery-delay` and `--fail-on-no-logs` (pure validation; ConfigurationError names the
 * field and the fix).
 */
import { ConfigurationError } from '../errors.js';
import type { IncrementalOptions } from '../investigation.js';
import { DEFAULT_MAX_DELIVERY_DELAY_MS } from '../outcome.js';
import type { RawOptions } from './options.js';
import { parseDays, parseDuration, parseInstant } from './window.js';

/** First run without a state: how far back deliveries are read unless --since/--days say. */
export const DEFAULT_LOOK_BACK_MS = 60 * 60 * 1000;
/** Deliveries listed again before the previous run's end, for files that reach the bucket late. */
export const DEFAULT_STATE_MARGIN_MS = 60 * 60 * 1000;

export function parseIncremental(raw: RawOptions, now: Date): IncrementalOptions | undefined {
  const state = raw.state?.trim();
  if (!state) {
    if (raw.stateMargin !== undefined && String(raw.stateMargin).trim() !== '') {
      throw new ConfigurationError('--state-margin needs --state (incremental mode).', '--state-margin');
    }
    return undefined;
  }
  if (raw.until !== undefined && raw.until.trim() !== '') {
    throw new ConfigurationError(
      '--until cannot be used with --state: an incremental run reads every delivery up to now. Leave --until out, or drop --state for a fixed window.',
      '--until',
    );
  }
  let lookBackMs = DEFAULT_LOOK_BACK_MS;
  if (raw.since !== undefined && raw.since.trim() !== '') {
    lookBackMs = now.getTime() - parseInstant(raw.since, now, '--since').getTime();
  } else if (raw.days !== undefined && String(raw.days).trim() !== '') {
    lookBackMs = parseDays(raw.days) * 86_400_000;
  }
  if (!(lookBackMs > 0)) {
    throw new ConfigurationError(
      '--since must be in the past (the first run reads deliveries since then).',
      '--since',
    );
  }
  const marginMs =
    raw.stateMargin !== undefined && String(raw.stateMargin).trim() !== ''
      ? parseDuration(raw.stateMargin, '--state-margin')
      : DEFAULT_STATE_MARGIN_MS;
  return { state, lookBackMs, marginMs };
}

export function parseMaxDeliveryDelay(value: RawOptions['maxDeliveryDelay']): number {
  if (value === undefined || String(value).trim() === '') return DEFAULT_MAX_DELIVERY_DELAY_MS;
  return parseDuration(value, '--max-delivery-delay');
}
