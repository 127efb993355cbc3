/**
 * Graph's documented throttling for call records, as sliding windows: per app per tenant
 * (1,500 / 20 s), and per call record (10 / 20 s for first pages, 50 / 5 min for later pages).
 * Uses real time, not the tenant's data clock: clients really wait out a Retry-After.
 */

export interface ThrottleLimits {
  readonly appRequests: number;
  readonly appWindowInMs: number;
  readonly recordFirstPageRequests: number;
  readonly recordFirstPageWindowInMs: number;
  readonly recordLaterPageRequests: number;
  readonly recordLaterPageWindowInMs: number;
}

export const graphThrottleLimits: ThrottleLimits = {
  appRequests: 1500,
  appWindowInMs: 20_000,
  recordFirstPageRequests: 10,
  recordFirstPageWindowInMs: 20_000,
  recordLaterPageRequests: 50,
  recordLaterPageWindowInMs: 300_000,
};

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

export class Throttle {
  private readonly apps = new Map<string, SlidingWindow>();
  private readonly records = new Map<string, SlidingWindow>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
  ) {}

  /**
   * Returns 0 when the request may proceed (and counts it), else the Retry-After in ms. A refused
   * request counts against no window, as with Graph.
   */
  check(appId: string, record?: { id: string; firstPage: boolean }): number {
    const now = this.now();
    const windows = [this.appWindow(appId)];
    if (record) windows.push(this.recordWindow(appId, record.id, record.firstPage));
    const wait = Math.max(...windows.map((w) => w.waitInMs(now)));
    if (wait > 0) return wait;
    for (const w of windows) w.count(now);
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
