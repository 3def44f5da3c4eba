/**
 * One `abort` listener per signal, however many waits hang on it. A search shares one signal
 * among every read, listing and retry backoff in flight; a listener each (hundreds in a retry
 * storm) makes Node warn of a leak (MaxListenersExceededWarning) and costs a listener per call.
 */

const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts (not if it already has); returns the unsubscribe. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = subscribers.get(signal);
  if (!set) {
    const callbacks = (set = new Set());
    subscribers.set(signal, callbacks);
    signal.addEventListener(
      'abort',
      () => {
        for (const f of [...callbacks]) f();
        callbacks.clear();
      },
      { once: true },
    );
  }
  const callbacks = set;
  callbacks.add(fn);
  return () => void callbacks.delete(fn);
}

/**
 * A signal of its own for one call (an SDK request adds its listeners to it, not to the shared
 * one), aborted with the parent's reason; `dispose` once the call is over.
 */
export function childSignal(parent: AbortSignal | undefined): {
  controller: AbortController;
  dispose: () => void;
} {
  const controller = new AbortController();
  if (!parent) return { controller, dispose: () => {} };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, dispose: () => {} };
  }
  const dispose = onAbort(parent, () => controller.abort(parent.reason));
  return { controller, dispose };
}
