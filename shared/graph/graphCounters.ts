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
