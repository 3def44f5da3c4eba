/**
 * Listing ahead of reading: `source` (the plan's objects, listed lazily) is iterated by a pump
 * that stays up to `limit` items ahead of the consumer. Listing is much faster than reading, so
 * for most runs it ends early and the progress line can give a true total and an ETA; the limit
 * bounds the memory of a plan that is still being listed. Order is kept; a listing failure is
 * thrown to the consumer after the items listed before it, as a plain iteration would.
 */

export interface ReadAheadHooks<T> {
  /** An item was listed (before the consumer takes it). */
  onItem?(item: T): void;
  /** The source ended: every item is listed. Not called when it failed or the consumer stopped. */
  onEnd?(): void;
}

export async function* readAhead<T>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  hooks: ReadAheadHooks<T> = {},
): AsyncGenerator<T> {
  const iterator: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  // A queue with a moving head: shifting a long array would cost a copy per item.
  let buffer: T[] = [];
  let head = 0;
  let ended = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: 'consumer' | 'producer') => {
    const resume = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeProducer = undefined;
    resume?.();
  };
  const pump = (async () => {
    try {
      while (!stopped) {
        if (buffer.length - head >= limit) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        const next = await iterator.next();
        if (next.done) {
          if (!stopped) hooks.onEnd?.();
          break;
        }
        buffer.push(next.value);
        hooks.onItem?.(next.value);
        wake('consumer');
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      wake('consumer');
    }
  })();
  try {
    for (;;) {
      if (head < buffer.length) {
        const item = buffer[head]!;
        buffer[head++] = undefined as T;
        if (head > 1024 && head * 2 > buffer.length) {
          buffer = buffer.slice(head);
          head = 0;
        }
        wake('producer');
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    stopped = true;
    wake('producer');
    // The source's own clean-up (open listings, file handles) runs before this returns.
    await pump;
    await iterator.return?.();
  }
}
