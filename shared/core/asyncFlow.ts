/**
 * Two ways of keeping requests overlapping without holding more than a few of their answers:
 * reading one item ahead of the consumer, and working through a stream with a bounded number of
 * tasks in flight (the bound read again before every start, so it can follow a pace that changes).
 */

/**
 * Yields `source`'s items, asking it for the next one as soon as the current one is handed over:
 * the next page of a listing is on its way while the current page's records are fetched.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      // The consumer may stop before it asks for this one: its failure is then nobody's to report.
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    // Stops the source after the read already on its way (an async generator queues the return).
    // Not awaited: that read may be waiting out a retry, and the caller aborts it instead.
    iterator.return?.().catch(() => undefined);
  }
}

/**
 * Runs `task` for every item of `source`, at most `limit()` at a time, starting each as soon as
 * there is room, across the boundaries of whatever the source is read in. Resolves when all have
 * finished; rejects with the first failure once nothing more can start: a task's before the
 * source's (a task's failure is what makes the caller abort the source). Tasks still running then
 * are left to finish on their own: the caller aborts them.
 */
export async function forEachLimited<T>(source: AsyncIterable<T>, limit: () => number, task: (item: T) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  const start = (item: T) => {
    const run: Promise<void> = task(item)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => running.delete(run));
    running.add(run);
  };
  try {
    for await (const item of source) {
      while (running.size >= Math.max(1, limit()) && !failure) await Promise.race(running);
      if (failure) break;
      start(item);
    }
  } catch (error) {
    failure ??= { error };
  }
  while (running.size > 0 && !failure) await Promise.race(running);
  if (failure) throw failure.error;
}
