/**
 * One per process: paces every Graph request under the app's ceiling, and keeps a 429 to the scope
 * it came from:
 * - a 429 on one call record delays that record's retry only (the client waits its Retry-After);
 * - a 429 on listing pauses listing for the Retry-After, then paces it at three quarters of the
 *   rate that met the limit, easing back over the following windows. Graph's listing limit has
 *   changed between doc revisions (40 / 20 s now; 15 first pages / 20 s before), so it is learned
 *   from Graph's answers rather than assumed, unless `listRequests` fixes it;
 * - 429s from several scopes at once mean the app's own ceiling: every request pauses for the
 *   Retry-After, then the pace is slowed for one window.
 *
 * Pacing is GCRA (a virtual-clock token bucket): requests are spaced `interval` apart with a small
 * burst allowance, so any sliding window of `windowInMs` sees at most pace + burst, kept a little
 * under the ceiling, which is how Graph counts.
 *
 * Graph's budget is per app and tenant, shared by every instance. Where instances announce
 * themselves (sharedBudget.ts), each is paced at the allowance that sharing gives it
 * (`setAllowance`). Where they cannot, the pace is found the way TCP finds bandwidth: each
 * instance starts at its share (`requests`), adds a fortieth of the app's ceiling
 * (`ceilingRequests`) for every window in which requests waited on the pace and none was answered
 * 429, and takes a quarter off (never going below its share) when the app is throttled. Either
 * way, Graph's own 429 is the ground truth.
 */
import type { Clock } from "../core/clock.js";

export interface GovernorOptions {
  /** This instance's starting pace, requests per window (its share of the app's budget). */
  readonly requests: number;
  /** The most this instance may climb to: the app's ceiling. Default: `requests` (no climbing). */
  readonly ceilingRequests?: number;
  readonly windowInMs: number;
  /** List requests allowed per window; unset: listing is paced only after a 429 on it. */
  readonly listRequests?: number | undefined;
  /** The window listing is counted in. Default 20 s, as Graph's. */
  readonly listWindowInMs?: number;
  /** Share of the ceiling used for steady pacing. Default 0.95. */
  readonly targetShare?: number;
  /** Share of the ceiling allowed as a burst. Default 0.02: with the pace, 1% below the ceiling. */
  readonly burstShare?: number;
  /** Distinct scopes answering 429 within `appWideWithinInMs` that mean the app's ceiling. Default 3. */
  readonly appWideScopes?: number;
  readonly appWideWithinInMs?: number;
}

/** What a request reads: the list of a window, or one call record (its sessions and participants). */
export type RequestScope = { readonly kind: "list" } | { readonly kind: "record"; readonly id: string };

const scopeKey = (scope: RequestScope) => (scope.kind === "list" ? "list" : `record:${scope.id}`);

/** GCRA pacing with a pause and a temporary slowdown after a 429. */
class Pacer {
  private baseIntervalInMs: number;
  private burstToleranceInMs: number;
  /** Theoretical arrival time of the next request (GCRA's TAT). */
  private nextAt = Number.NEGATIVE_INFINITY;
  pausedUntil = Number.NEGATIVE_INFINITY;
  private lastThrottledAt = Number.NEGATIVE_INFINITY;
  /** Rate factor right after the last 429; recovers linearly to 1 over one window. */
  private slowdownFloor = 1;

  constructor(
    requests: number,
    private readonly windowInMs: number,
    private readonly targetShare: number,
    private readonly burstShare: number,
  ) {
    this.baseIntervalInMs = 0;
    this.burstToleranceInMs = 0;
    this.setRequests(requests);
  }

  /** Changes the pace to `requests` per window. */
  setRequests(requests: number): void {
    // A margin below the ceiling: Graph counts arrivals, and network jitter bunches them.
    this.baseIntervalInMs = this.windowInMs / (requests * this.targetShare);
    const burst = Math.max(1, Math.floor(requests * this.burstShare));
    this.burstToleranceInMs = (burst - 1) * this.baseIntervalInMs;
  }

  /** When the next request may go, at the pace in force now. */
  nextSendAt(now: number): number {
    const tat = Math.max(this.nextAt, now, this.pausedUntil);
    return Math.max(now, this.pausedUntil, tat - this.burstToleranceInMs);
  }

  /** Takes the slot for a request sent now (at or after `nextSendAt`). */
  take(now: number): void {
    const interval = this.baseIntervalInMs / this.currentFactor(now);
    this.nextAt = Math.max(this.nextAt, now, this.pausedUntil) + interval;
  }

  /** Reserves the next slot ahead of time; answers when it may be used. */
  reserve(now: number): number {
    const sendAt = this.nextSendAt(now);
    this.take(now);
    return sendAt;
  }

  throttled(now: number, retryAfterInMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterInMs);
    this.slowdownFloor = Math.max(0.125, this.currentFactor(now) * 0.75);
    // Recovery starts when the pause ends, so the slower pace is actually used.
    this.lastThrottledAt = this.pausedUntil;
  }

  private currentFactor(now: number): number {
    const recovered = (now - this.lastThrottledAt) / this.windowInMs;
    if (recovered < 0) return this.slowdownFloor;
    if (recovered >= 1) return 1;
    return this.slowdownFloor + (1 - this.slowdownFloor) * Math.max(0, recovered);
  }
}

/**
 * Listing's pace, learned: unpaced until Graph answers a list request 429, then spaced at three
 * quarters of the rate seen in the window before it, halving that spacing for every quiet window.
 */
class LearnedPacer {
  private readonly sent: number[] = [];
  private intervalInMs = 0;
  private throttledAt = Number.NEGATIVE_INFINITY;
  private nextAt = Number.NEGATIVE_INFINITY;
  pausedUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly windowInMs: number) {}

  reserve(now: number): number {
    const quietWindows = Math.max(0, (now - this.throttledAt) / this.windowInMs - 1);
    const interval = quietWindows > 8 ? 0 : this.intervalInMs / 2 ** Math.floor(quietWindows);
    const sendAt = Math.max(now, this.pausedUntil, this.nextAt);
    this.nextAt = sendAt + interval;
    this.sent.push(sendAt);
    while (this.sent.length > 0 && (this.sent[0] as number) <= sendAt - this.windowInMs) this.sent.shift();
    return sendAt;
  }

  throttled(now: number, retryAfterInMs: number): void {
    // 429s to list requests that were in flight together are one event: slowed once, not once
    // each (compounded, five of them after a burst of job starts spaced listing five times wider).
    const sameEvent = now < this.pausedUntil;
    this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterInMs);
    if (!sameEvent) {
      const recent = this.sent.filter((t) => t > now - this.windowInMs).length;
      // Never slower than one list request a window: Graph's listing limit has been 15 or more.
      this.intervalInMs = Math.min(this.windowInMs, Math.max(this.intervalInMs * 1.5, this.windowInMs / Math.max(1, Math.floor(recent * 0.75))));
    }
    this.throttledAt = this.pausedUntil;
    this.nextAt = this.pausedUntil;
  }
}

export class RequestGovernor {
  private readonly app: Pacer;
  private readonly list: Pacer | LearnedPacer;
  private readonly recent: { at: number; scope: string }[] = [];
  private readonly appWideScopes: number;
  private readonly appWideWithinInMs: number;
  /** The pace found so far, requests per window, between a floor and the ceiling. */
  private rate: number;
  private readonly ceiling: number;
  private windowStartedAt = Number.NEGATIVE_INFINITY;
  private waitedThisWindow = false;
  private throttledThisWindow = false;
  /** Wall time during which at least one request waited on Graph's Retry-After (intervals merged). */
  private retryAfterWaitedInMs = 0;
  private retryAfterWaitingUntil = Number.NEGATIVE_INFINITY;
  /** Paced by the shared budget's allowance rather than by climbing on its own. */
  private coordinated = false;
  /** When a request last waited on the pace. */
  private lastWaitAt = Number.NEGATIVE_INFINITY;
  /** When each request of the last window was let through, oldest first. */
  private readonly sentAt: number[] = [];
  /** Requests waiting for a slot, first come first served. */
  private readonly waiting: (() => void)[] = [];
  private releasing = false;

  constructor(
    private readonly options: GovernorOptions,
    private readonly clock: Clock,
  ) {
    const share = options.targetShare ?? 0.95;
    const burst = options.burstShare ?? 0.02;
    this.app = new Pacer(options.requests, options.windowInMs, share, burst);
    this.rate = options.requests;
    this.ceiling = Math.max(options.requests, options.ceilingRequests ?? options.requests);
    const listWindowInMs = options.listWindowInMs ?? 20_000;
    this.list = options.listRequests === undefined ? new LearnedPacer(listWindowInMs) : new Pacer(options.listRequests, listWindowInMs, share, burst);
    this.appWideScopes = options.appWideScopes ?? 3;
    this.appWideWithinInMs = options.appWideWithinInMs ?? 1_000;
  }

  /**
   * Resolves when a request of this scope may be sent. Callers are served in call order, and each
   * slot is reckoned when it comes up, at the pace in force then: a pace lowered by the shared
   * budget or a 429 holds back requests already waiting, and a pace raised frees them, instead of
   * each keeping the send time it was given when it arrived.
   */
  async acquire(scope: RequestScope = { kind: "record", id: "" }): Promise<void> {
    const now = this.clock.now();
    // A list request needs a list slot first, then an app slot at or after it.
    const listAt = scope.kind === "list" ? this.list.reserve(now) : now;
    if (listAt > now) await this.clock.sleep(listAt - now);
    const later = this.clock.now();
    this.adjust(later);
    if (this.waiting.length === 0 && this.app.nextSendAt(later) <= later) {
      this.send(later);
      return;
    }
    this.waitedThisWindow = true;
    this.lastWaitAt = later;
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.release();
    });
  }

  /** Lets waiting requests through one slot at a time; one loop runs while any wait. */
  private release(): void {
    if (this.releasing) return;
    this.releasing = true;
    void (async () => {
      while (this.waiting.length > 0) {
        const now = this.clock.now();
        const at = this.app.nextSendAt(now);
        if (at > now) {
          // Woken at most one slot late when the pace rises meanwhile: a slot is short.
          await this.clock.sleep(at - now);
          continue;
        }
        this.send(now);
        this.waiting.shift()?.();
      }
      this.releasing = false;
    })();
  }

  private send(now: number): void {
    this.app.take(now);
    this.sentAt.push(now);
    this.forgetSentBefore(now - this.options.windowInMs);
  }

  /** Requests let through in the window before `now`: this instance's use of the app's budget. */
  requestsInLastWindow(now: number): number {
    this.forgetSentBefore(now - this.options.windowInMs);
    return this.sentAt.filter((t) => t <= now).length;
  }

  /** Kept on every request, so the record stays one window long whether or not anyone reads it. */
  private forgetSentBefore(instant: number): void {
    while (this.sentAt.length > 0 && (this.sentAt[0] as number) <= instant) this.sentAt.shift();
  }

  /**
   * Whether requests waited on the pace within the last window: this instance would use more. A
   * window, not an instant, so a pause between two jobs does not make it give its share away.
   */
  isHungry(now: number): boolean {
    return now - this.lastWaitAt < this.options.windowInMs;
  }

  /**
   * Paces this instance at its allowance from the shared budget, requests per window; climbing
   * stops. Down at once; up at once as far as `atOnce` (its fair share, which every other instance
   * makes room for within a heartbeat of seeing it, an overrun the pacing margin absorbs), beyond
   * that by at most a sixteenth of the ceiling per call: room another instance left may be taken
   * again, and its announcement may be a heartbeat old.
   */
  setAllowance(requests: number, atOnce = 0): void {
    this.coordinated = true;
    const target = Math.max(1, Math.min(this.ceiling, requests));
    const step = Math.max(this.rate + this.ceiling / 16, atOnce);
    this.rate = target < this.rate ? target : Math.min(target, step);
    this.app.setRequests(this.rate);
  }

  /** Requests per second this instance paces itself at now. */
  ratePerSecond(): number {
    return this.rate / (this.options.windowInMs / 1000);
  }

  /** Once a window: climb a step if demand waited on the pace and Graph did not throttle. */
  private adjust(now: number): void {
    if (now - this.windowStartedAt < this.options.windowInMs) return;
    if (!this.coordinated && this.waitedThisWindow && !this.throttledThisWindow && this.rate < this.ceiling) {
      this.rate = Math.min(this.ceiling, this.rate + this.ceiling / 40);
      this.app.setRequests(this.rate);
    }
    this.windowStartedAt = now;
    this.waitedThisWindow = false;
    this.throttledThisWindow = false;
  }

  /**
   * Graph answered 429 for a request of this scope. Listing pauses and slows; a record's own retry
   * waits by itself; several scopes at once pause and slow everything.
   */
  throttled(retryAfterInMs: number, scope: RequestScope = { kind: "record", id: "" }): void {
    const now = this.clock.now();
    // Merged with any wait already running: two requests waiting side by side count once.
    const end = now + retryAfterInMs;
    if (end > this.retryAfterWaitingUntil) this.retryAfterWaitedInMs += end - Math.max(now, this.retryAfterWaitingUntil);
    this.retryAfterWaitingUntil = Math.max(this.retryAfterWaitingUntil, end);
    const key = scopeKey(scope);
    this.recent.push({ at: now, scope: key });
    while (this.recent.length > 0 && (this.recent[0] as { at: number }).at < now - this.appWideWithinInMs) this.recent.shift();
    if (new Set(this.recent.map((r) => r.scope)).size >= this.appWideScopes) {
      // The app's budget is spent: this instance takes a quarter off its pace, once per pause (with
      // a shared budget, until the next heartbeat sets its allowance again).
      if (!this.throttledThisWindow) {
        // Never below this instance's share: all instances at their shares fit the ceiling.
        this.rate = Math.max(this.options.requests, this.rate * 0.75);
        this.app.setRequests(this.rate);
      }
      this.throttledThisWindow = true;
      this.app.throttled(now, retryAfterInMs);
    }
    else if (scope.kind === "list") this.list.throttled(now, retryAfterInMs);
  }

  /**
   * Wall time, so far, during which at least one request of this process waited on Graph's
   * Retry-After: a share of the run's time that adds up (a sum over requests would not).
   */
  waitedOnGraphInMs(): number {
    return this.retryAfterWaitedInMs - Math.max(0, this.retryAfterWaitingUntil - this.clock.now());
  }

  /** Milliseconds from now until requests flow again (0 when not paused). */
  pausedForInMs(): number {
    return Math.max(0, this.app.pausedUntil - this.clock.now());
  }
}
