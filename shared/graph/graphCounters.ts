import type { RetryCause } from "./retryPolicy.js";

/** What one run cost Graph and us: kept per harvest and summed for the run's summary. */
export interface GraphCounters {
  requests: number;
  pages: number;
  records: number;
  retries: Record<RetryCause, number>;
  throttledInMs: number;
  expired: number;
}

export const newGraphCounters = (): GraphCounters => ({
  requests: 0,
  pages: 0,
  records: 0,
  retries: { throttled: 0, unavailable: 0, serverError: 0, network: 0, timeout: 0, unauthorized: 0 },
  throttledInMs: 0,
  expired: 0,
});

export function addGraphCounters(into: GraphCounters, from: GraphCounters): GraphCounters {
  into.requests += from.requests;
  into.pages += from.pages;
  into.records += from.records;
  into.throttledInMs += from.throttledInMs;
  into.expired += from.expired;
  for (const cause of Object.keys(from.retries) as RetryCause[]) into.retries[cause] += from.retries[cause];
  return into;
}

export const totalRetries = (c: GraphCounters): number =>
  Object.values(c.retries).reduce((sum, n) => sum + n, 0);

/**
 * Wall time during which at least one request of this process waited on Graph's Retry-After: a
 * share of a run's time that adds up (a sum over requests would not). One per process; waits side
 * by side count once.
 */
export class RetryAfterLedger {
  private waitedInMs = 0;
  private waitingUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number) {}

  /** A request waits `retryAfterInMs` from now. */
  note(retryAfterInMs: number): void {
    const now = this.now();
    const end = now + retryAfterInMs;
    if (end > this.waitingUntil) this.waitedInMs += end - Math.max(now, this.waitingUntil);
    this.waitingUntil = Math.max(this.waitingUntil, end);
  }

  /** Waited so far; a wait still running counts only as far as it has run. */
  waitedSoFarInMs(): number {
    return this.waitedInMs - Math.max(0, this.waitingUntil - this.now());
  }
}
