/**
 * Graph's documented throttling for call records, as sliding windows: per app per tenant
 * (1,500 / 20 s); per call record (10 / 20 s for first pages, 50 / 5 min for later pages); and
 * listing call records, per app: 40 / 20 s in the current docs, or as the earlier docs had it,
 * 15 / 20 s for first pages and 55 / 5 min for later pages (`earlierListLimits`), so both
 * generations can be played. Uses real time, not the tenant's data clock: clients really wait out
 * a Retry-After.
 */

export interface ThrottleLimits {
  readonly appRequests: number;
  readonly appWindowInMs: number;
  readonly recordFirstPageRequests: number;
  readonly recordFirstPageWindowInMs: number;
  readonly recordLaterPageRequests: number;
  readonly recordLaterPageWindowInMs: number;
  /** Every list request (current docs). */
  readonly listRequests: number;
  readonly listWindowInMs: number;
  /** First list pages and later list pages, separately (earlier docs). */
  readonly listFirstPageRequests: number;
  readonly listFirstPageWindowInMs: number;
  readonly listLaterPageRequests: number;
  readonly listLaterPageWindowInMs: number;
}

export const graphThrottleLimits: ThrottleLimits = {
  appRequests: 1500,
  appWindowInMs: 20_000,
  recordFirstPageRequests: 10,
  recordFirstPageWindowInMs: 20_000,
  recordLaterPageRequests: 50,
  recordLaterPageWindowInMs: 300_000,
  listRequests: 40,
  listWindowInMs: 20_000,
  listFirstPageRequests: Number.POSITIVE_INFINITY,
  listFirstPageWindowInMs: 20_000,
  listLaterPageRequests: Number.POSITIVE_INFINITY,
  listLaterPageWindowInMs: 300_000,
};

/** The listing limits of the earlier docs, to play instead of the current 40 / 20 s. */
export const earlierListLimits: Partial<ThrottleLimits> = {
  listRequests: Number.POSITIVE_INFINITY,
  listFirstPageRequests: 15,
  listFirstPageWindowInMs: 20_000,
  listLaterPageRequests: 55,
  listLaterPageWindowInMs: 300_000,
};

/** What a request reads, as Graph scopes its limits. */
export type ThrottleScope = { readonly kind: "record"; readonly id: string; readonly firstPage: boolean } | { readonly kind: "list"; readonly firstPage: boolean };

class SlidingWindow {
  private readonly times: number[] = [];
  private head = 0;
  constructor(
    private readonly limit: number,
    private readonly windowInMs: number,
  ) {}

  /** Milliseconds until one more request would be admitted (0: now). Counts nothing. */
  waitInMs(now: number): number {
    while (this.head < this.times.length && (this.times[this.head] as number) <= now - this.windowInMs) this.head += 1;
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    if (this.times.length - this.head < this.limit) return 0;
    return (this.times[this.head] as number) + this.windowInMs - now;
  }

  count(now: number): void {
    this.times.push(now);
  }

  get idle(): boolean {
    return this.times.length === this.head;
  }
}

/** Graph's limit per app across all tenants (15,000 / 20 s): one window every tenant's throttle counts against. */
export class AcrossTenants {
  readonly window: SlidingWindow;
  refused = 0;
  constructor(requests: number, windowInMs: number) {
    this.window = new SlidingWindow(requests, windowInMs);
  }
}

export class Throttle {
  private readonly apps = new Map<string, SlidingWindow>();
  private readonly records = new Map<string, SlidingWindow>();
  /** Refusals by the limit that refused: the app's ceiling, listing's, or one record's. */
  readonly refusals = { app: 0, list: 0, record: 0 };
  /** List requests let through: with `refusals.list`, the share of listing's limit used. */
  readonly admitted = { list: 0 };

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
    /** The app's limit across tenants, when several tenants are served. */
    private readonly acrossTenants?: AcrossTenants,
  ) {}

  /**
   * Returns 0 when the request may proceed (and counts it), else the Retry-After in ms. A refused
   * request counts against no window, as with Graph.
   */
  check(appId: string, scope?: ThrottleScope): number {
    const now = this.now();
    const windows = [this.appWindow(appId)];
    if (scope?.kind === "record") windows.push(this.recordWindow(appId, scope.id, scope.firstPage));
    if (scope?.kind === "list") windows.push(...this.listWindows(appId, scope.firstPage));
    const waits = windows.map((w) => w.waitInMs(now));
    const acrossWait = this.acrossTenants?.window.waitInMs(now) ?? 0;
    const wait = Math.max(acrossWait, ...waits);
    if (wait > 0) {
      if (acrossWait > 0 && this.acrossTenants) this.acrossTenants.refused += 1;
      this.refusals[(waits[0] as number) > 0 || acrossWait > 0 ? "app" : (scope?.kind ?? "app")] += 1;
      return wait;
    }
    for (const w of windows) w.count(now);
    this.acrossTenants?.window.count(now);
    if (scope?.kind === "list") this.admitted.list += 1;
    if (this.records.size > 50_000) this.prune();
    return 0;
  }

  private appWindow(appId: string): SlidingWindow {
    let window = this.apps.get(appId);
    if (!window) {
      window = new SlidingWindow(this.limits.appRequests, this.limits.appWindowInMs);
      this.apps.set(appId, window);
    }
    return window;
  }

  private listWindows(appId: string, firstPage: boolean): SlidingWindow[] {
    const { limits } = this;
    const window = (key: string, requests: number, windowInMs: number) => {
      let w = this.records.get(key);
      if (!w) {
        w = new SlidingWindow(requests, windowInMs);
        this.records.set(key, w);
      }
      return w;
    };
    return [
      window(`${appId}|list`, limits.listRequests, limits.listWindowInMs),
      firstPage
        ? window(`${appId}|list|first`, limits.listFirstPageRequests, limits.listFirstPageWindowInMs)
        : window(`${appId}|list|later`, limits.listLaterPageRequests, limits.listLaterPageWindowInMs),
    ];
  }

  private recordWindow(appId: string, id: string, firstPage: boolean): SlidingWindow {
    const key = `${appId}|${id}|${firstPage ? "first" : "later"}`;
    let window = this.records.get(key);
    if (!window) {
      window = firstPage
        ? new SlidingWindow(this.limits.recordFirstPageRequests, this.limits.recordFirstPageWindowInMs)
        : new SlidingWindow(this.limits.recordLaterPageRequests, this.limits.recordLaterPageWindowInMs);
      this.records.set(key, window);
    }
    return window;
  }

  private prune(): void {
    for (const [key, window] of this.records) if (window.idle) this.records.delete(key);
  }
}
