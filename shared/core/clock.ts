/** Time as a dependency, so waits and deadlines are tested without real sleeps. */
export interface Clock {
  now(): number;
  /**
   * Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts (a shutdown
   * ends a wait at once, not when it would have ended).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
