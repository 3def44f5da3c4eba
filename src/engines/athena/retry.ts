/**
 * Time and retries for the Athena engine, injectable so tests run the state machine without
 * waiting: `now`, an abortable `sleep` and `random` (full-jitter backoff).
 */
import { onAbort } from '../../abort-fanout.js';

export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

/** Many concurrent backoffs share one listener on the signal (abort-fanout.ts). */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const unsubscribe = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        })
      : () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
  });
}

export const systemClock: Clock = { now: () => Date.now(), sleep: abortableSleep, random: Math.random };

interface SdkError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const RETRYABLE = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'SlowDown',
  'InternalServerException',
  'InternalError',
  'ServiceUnavailable',
]);

/** Throttling (Athena's small concurrent-query quota answers TooManyRequestsException) or a 5xx. */
export function isRetryable(err: unknown): boolean {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  return (
    RETRYABLE.has(e.Code ?? e.name ?? '') ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    Boolean(e.$retryable)
  );
}

export interface RetryOptions {
  clock: Clock;
  signal?: AbortSignal;
  /** Tries in all, the first included. */
  maxAttempts?: number;
  baseMs?: number;
  capMs?: number;
}

/** Runs `fn`, retrying throttling and server errors with full-jitter exponential backoff. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { clock, signal, maxAttempts = 8, baseMs = 500, capMs = 20_000 } = options;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt + 1 >= maxAttempts) throw err;
      await clock.sleep(Math.floor(clock.random() * Math.min(capMs, baseMs * 2 ** attempt)), signal);
    }
  }
}
