/**
 * One per process: holds every Graph request until its scope's pace and pauses let it go. What the
 * paces are is the pace controller's decision (paceController.ts); this class only waits on them,
 * and tells the controller what Graph answered.
 *
 * Scopes, as Graph counts them:
 * - "app": every request, paced under the app's ceiling. It starts at this instance's share
 *   (`requests`) and climbs towards the ceiling while requests wait on it (unless the shared budget
 *   sets its allowance); it pauses and slows only when 429s on several scopes at once arrive while
 *   the app is at its recent peak (the app's own limit), never for a 429 on one record or on listing;
 * - "list": list requests, unpaced until a 429 at listing's peak, then learned (Graph's listing
 *   limit has changed between doc revisions: 40 / 20 s now, 15 first pages / 20 s before), or
 *   capped at `listRequests` when set;
 * - one call record: a 429 on it is waited out by that record's own retry (the Graph client);
 *   records are never paced one by one.
 *
 * Spacing is GCRA (a virtual-clock token bucket): requests are spaced `interval` apart with a small
 * burst allowance, so any sliding window sees at most pace + burst, kept a little under the pace.
 */
import type { Clock } from "../core/clock.js";
import { PaceController, type ScopeKey, type ThrottleVerdict, listFloorPer20s } from "./paceController.js";

export interface GovernorOptions {
  /** This instance's starting pace, requests per window (its share of the app's budget). */
  readonly requests: number;
  /** The most this instance may climb to: the app's ceiling. Default: `requests` (no climbing). */
  readonly ceilingRequests?: number;
  readonly windowInMs: number;
  /** The most list requests per window; unset: listing is unpaced until Graph's 429s teach its pace. */
  readonly listRequests?: number | undefined;
  /** The window listing is counted in. Default 20 s, as Graph's. */
  readonly listWindowInMs?: number;
  /** Share of the pace used for steady spacing. Default 0.95: a margin for network jitter. */
  readonly targetShare?: number;
  /** Share of the pace allowed as a burst. Default 0.02: with the pace, 1% below it. */
  readonly burstShare?: number;
  /** Distinct scopes answering 429 within `appWideWithinInMs` that may mean the app's ceiling. Default 3. */
  readonly appWideScopes?: number;
  readonly appWideWithinInMs?: number;
}

/** What a request reads: the list of a window, or one call record (its sessions and participants). */
export type RequestScope = { readonly kind: "list" } | { readonly kind: "record"; readonly id: string };

/** Graph's answer to a request, as pacing sees it. */
export type PacedAnswer = { readonly kind: "accepted" } | { readonly kind: "throttled"; readonly retryAfterInMs: number };

const appScope: ScopeKey = "app";
const listScope: ScopeKey = "list";
const scopeKey = (scope: RequestScope) => (scope.kind === "list" ? listScope : `record:${scope.id}`);

/** 429s by who caused them: our pace (caused) or something else (suffered), per scope kind. */
export interface ThrottleTally {
  readonly list: Record<ThrottleVerdict, number>;
  readonly records: Record<ThrottleVerdict, number>;
}

/** 429s of every scope, by cause. */
export const throttleTotals = (t: ThrottleTally): Record<ThrottleVerdict, number> => ({
  caused: t.list.caused + t.records.caused,
  suffered: t.list.suffered + t.records.suffered,
});

/** The pace in force, requests per second; undefined: unpaced. */
export interface PacesInForce {
  readonly app: number;
  readonly list: number | undefined;
  readonly listPausedForInMs: number;
  readonly appPausedForInMs: number;
}

/** GCRA spacing at a pace it is given each time: the pace may change between two requests. */
class Spacing {
  /** Theoretical arrival time of the next request (GCRA's TAT). */
  private nextAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly windowInMs: number,
    private readonly targetShare: number,
    private readonly burstShare: number,
  ) {}

  /** When the next request may go at `rate` per window (undefined: unpaced), after `pausedUntil`. */
  nextSendAt(now: number, rate: number | undefined, pausedUntil: number): number {
    const start = Math.max(now, pausedUntil);
    if (rate === undefined) return start;
    return Math.max(start, Math.max(this.nextAt, start) - this.spacing(rate).toleranceInMs);
  }

  /** Takes the slot for a request sent now (at or after `nextSendAt`). */
  take(now: number, rate: number | undefined): void {
    if (rate === undefined) return;
    this.nextAt = Math.max(this.nextAt, now) + this.spacing(rate).intervalInMs;
  }

  private spacing(rate: number) {
    const intervalInMs = this.windowInMs / (rate * this.targetShare);
    const burst = Math.max(1, Math.floor(rate * this.burstShare));
    return { intervalInMs, toleranceInMs: (burst - 1) * intervalInMs };
  }
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class RequestGovernor {
  private readonly paces = new PaceController();
  private readonly appSpacing: Spacing;
  private readonly listSpacing: Spacing;
  private readonly recent: { at: number; scope: string }[] = [];
  private readonly appWideScopes: number;
  private readonly appWideWithinInMs: number;
  private readonly ceiling: number;
  /** Paced by the shared budget's allowance rather than by climbing on its own. */
  private coordinated = false;
  /** When a request last waited on the app's pace. */
  private lastWaitAt = Number.NEGATIVE_INFINITY;
  /** When each request of the last window was let through, oldest first. */
  private readonly sentAt: number[] = [];
  /** Requests waiting for an app slot, first come first served. */
  private readonly waiting: Waiter[] = [];
  private releasing = false;
  /** 429s on records, by verdict, and list 429s taken for the app's limit (listing's own are the controller's). */
  private readonly records: Record<ThrottleVerdict, number> = { caused: 0, suffered: 0 };
  private listAppCaused = 0;

  constructor(
    private readonly options: GovernorOptions,
    private readonly clock: Clock,
  ) {
    const share = options.targetShare ?? 0.95;
    const burst = options.burstShare ?? 0.02;
    const listWindowInMs = options.listWindowInMs ?? 20_000;
    this.ceiling = Math.max(options.requests, options.ceilingRequests ?? options.requests);
    // Never below this instance's share: all instances at their shares fit the ceiling.
    this.paces.define(appScope, { windowInMs: options.windowInMs, initial: options.requests, floor: Math.min(options.requests, this.ceiling), ceiling: this.ceiling });
    const listFloor = Math.min(listFloorPer20s * (listWindowInMs / 20_000), options.listRequests ?? Number.POSITIVE_INFINITY);
    this.paces.define(listScope, { windowInMs: listWindowInMs, initial: options.listRequests, floor: listFloor, ceiling: options.listRequests ?? Number.POSITIVE_INFINITY });
    this.appSpacing = new Spacing(options.windowInMs, share, burst);
    // A learned pace (0.8 of what the limit let through) leaves room for a tenth of it as a burst: a
    // lister held up by a Retry-After catches up a little after it. A fixed ceiling leaves none.
    this.listSpacing = new Spacing(listWindowInMs, share, options.listRequests === undefined ? 0.1 : 0);
    this.appWideScopes = options.appWideScopes ?? 3;
    this.appWideWithinInMs = options.appWideWithinInMs ?? 1_000;
  }

  /**
   * Resolves when a request of this scope may be sent. Callers are served in call order, and each
   * slot is reckoned when it comes up, at the pace in force then: a pace lowered by the shared
   * budget or a 429 holds back requests already waiting, and a pace raised frees them. `signal`
   * drops the request from the queue at once, rejecting with the signal's reason.
   */
  async acquire(scope: RequestScope = { kind: "record", id: "" }, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    // A list request needs a list slot first, then an app slot at or after it.
    if (scope.kind === "list") await this.listSlot(signal);
    const now = this.clock.now();
    if (this.waiting.length === 0 && this.appSendAt(now) <= now) {
      this.send(now);
      return;
    }
    this.lastWaitAt = now;
    this.paces.waited(appScope, now);
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", waiter.onAbort);
          resolve();
        },
        reject,
        signal,
        onAbort: () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiting.push(waiter);
      this.release();
    });
  }

  /** Waits for listing's pace and pause, reckoned again after every wait (either may change meanwhile). */
  private async listSlot(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const at = this.listSpacing.nextSendAt(now, this.paces.rate(listScope), this.paces.pausedUntil(listScope));
      if (at <= now) {
        this.listSpacing.take(now, this.paces.rate(listScope));
        this.paces.sent(listScope, now);
        return;
      }
      if (this.paces.rate(listScope) !== undefined) this.paces.waited(listScope, now);
      await this.clock.sleep(at - now, signal);
    }
  }

  private appSendAt(now: number): number {
    return this.appSpacing.nextSendAt(now, this.paces.rate(appScope), this.paces.pausedUntil(appScope));
  }

  /** Lets waiting requests through one slot at a time; one loop runs while any wait. */
  private release(): void {
    if (this.releasing) return;
    this.releasing = true;
    void (async () => {
      while (this.waiting.length > 0) {
        const now = this.clock.now();
        const at = this.appSendAt(now);
        if (at > now) {
          // Woken at most one slot late when the pace rises meanwhile: a slot is short.
          await this.clock.sleep(at - now);
          continue;
        }
        const waiter = this.waiting.shift();
        if (!waiter) break;
        this.send(now);
        waiter.resolve();
      }
      this.releasing = false;
    })();
  }

  private send(now: number): void {
    this.appSpacing.take(now, this.paces.rate(appScope));
    this.paces.sent(appScope, now);
    this.sentAt.push(now);
    this.forgetSentBefore(now - this.options.windowInMs);
  }

  /** Requests let through in the window (or the shorter `spanInMs`) before `now`: this instance's use of the app's budget. */
  requestsInLastWindow(now: number, spanInMs: number = this.options.windowInMs): number {
    this.forgetSentBefore(now - this.options.windowInMs);
    const since = now - Math.min(spanInMs, this.options.windowInMs);
    return this.sentAt.filter((t) => t > since && t <= now).length;
  }

  /** The pace's window, ms. */
  get windowInMs(): number {
    return this.options.windowInMs;
  }

  /** Kept on every request, so the record stays one window long whether or not anyone reads it. */
  private forgetSentBefore(instant: number): void {
    while (this.sentAt.length > 0 && (this.sentAt[0] as number) <= instant) this.sentAt.shift();
  }

  /**
   * Whether requests waited on the pace within the last window (or `withinInMs`, if shorter): this instance
   * would use more. A span, not an instant, so a pause between two requests does not count as
   * having enough.
   */
  isHungry(now: number, withinInMs: number = this.options.windowInMs): boolean {
    return now - this.lastWaitAt < Math.min(withinInMs, this.options.windowInMs);
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
    const rate = this.paces.rate(appScope) ?? this.options.requests;
    const target = Math.max(1, Math.min(this.ceiling, requests));
    const step = Math.max(rate + this.ceiling / 16, atOnce);
    this.paces.define(appScope, { windowInMs: this.options.windowInMs, initial: this.options.requests, floor: 1, ceiling: this.ceiling });
    this.paces.setRate(appScope, target < rate ? target : Math.min(target, step));
  }

  /** Requests per second this instance paces itself at now. */
  ratePerSecond(): number {
    return (this.paces.rate(appScope) ?? this.options.requests) / (this.options.windowInMs / 1000);
  }

  /** Graph answered a request of this scope, sent at `sentAt` (default: now): the paces learn from it. */
  answered(scope: RequestScope, answer: PacedAnswer, sentAt?: number): void {
    const now = this.clock.now();
    if (answer.kind === "accepted") {
      this.paces.accepted(appScope, now, !this.coordinated, sentAt);
      if (scope.kind === "list") this.paces.accepted(listScope, now, true, sentAt);
      return;
    }
    this.throttled(answer.retryAfterInMs, scope, sentAt);
  }

  /**
   * Graph answered 429 for a request of this scope. Listing pauses (and slows if its pace caused
   * it); a record's own retry waits by itself; several scopes at once, with the app at its peak,
   * pause and slow everything.
   */
  throttled(retryAfterInMs: number, scope: RequestScope = { kind: "record", id: "" }, sentAt?: number): ThrottleVerdict {
    const now = this.clock.now();
    this.recent.push({ at: now, scope: scopeKey(scope) });
    while (this.recent.length > 0 && (this.recent[0] as { at: number }).at < now - this.appWideWithinInMs) this.recent.shift();
    const severalScopes = new Set(this.recent.map((r) => r.scope)).size >= this.appWideScopes;
    if (severalScopes && this.paces.causedByPace(appScope, now)) {
      this.paces.throttled(appScope, now, retryAfterInMs, sentAt);
      if (scope.kind === "list") this.listAppCaused += 1;
      else this.records.caused += 1;
      return "caused";
    }
    if (scope.kind === "list") return this.paces.throttled(listScope, now, retryAfterInMs, sentAt);
    this.records.suffered += 1;
    return "suffered";
  }

  /**
   * 429s so far, by scope kind and by whether our pace caused them. Listing's verdicts are the
   * controller's, so a slowdown its probe undid counts as suffered here too.
   */
  throttles(): ThrottleTally {
    const list = this.paces.verdicts(listScope);
    return { list: { caused: list.caused + this.listAppCaused, suffered: list.suffered }, records: { ...this.records } };
  }

  /** The paces in force now, per second, and how long each scope stays paused. */
  pacesInForce(): PacesInForce {
    const now = this.clock.now();
    const list = this.paces.rate(listScope);
    const listWindowInMs = this.options.listWindowInMs ?? 20_000;
    return {
      app: this.ratePerSecond(),
      list: list === undefined ? undefined : list / (listWindowInMs / 1000),
      appPausedForInMs: Math.max(0, this.paces.pausedUntil(appScope) - now),
      listPausedForInMs: Math.max(0, this.paces.pausedUntil(listScope) - now),
    };
  }

  /** Milliseconds from now until requests flow again (0 when not paused). */
  pausedForInMs(): number {
    return this.pacesInForce().appPausedForInMs;
  }
}
