/**
 * One per process: paces every Graph request under a ceiling, and slows everyone when Graph
 * answers 429, not just the request that was throttled.
 *
 * Pacing is GCRA (a virtual-clock token bucket): requests are spaced `interval` apart with a small
 * burst allowance, so any sliding window of `windowInMs` sees at most pace + burst, kept a little
 * under the ceiling, which is how Graph counts.
 */
import type { Clock } from "../core/clock.js";

export interface GovernorOptions {
  /** Requests allowed per window. Graph: 1,500 per 20 s per app per tenant. */
  readonly requests: number;
  readonly windowInMs: number;
  /** Share of the ceiling used for steady pacing. Default 0.95. */
  readonly targetShare?: number;
  /** Share of the ceiling allowed as a burst. Default 0.02: with the pace, 1% below the ceiling. */
  readonly burstShare?: number;
}

export class RequestGovernor {
  private readonly baseIntervalInMs: number;
  private readonly burstToleranceInMs: number;
  /** Theoretical arrival time of the next request (GCRA's TAT). */
  private nextAt = Number.NEGATIVE_INFINITY;
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private lastThrottledAt = Number.NEGATIVE_INFINITY;
  /** Rate factor right after the last 429; recovers linearly to 1 over one window. */
  private slowdownFloor = 1;

  constructor(
    private readonly options: GovernorOptions,
    private readonly clock: Clock,
  ) {
    // A margin below the ceiling: Graph counts arrivals, and network jitter bunches them.
    const share = options.targetShare ?? 0.95;
    this.baseIntervalInMs = options.windowInMs / (options.requests * share);
    const burst = Math.max(1, Math.floor(options.requests * (options.burstShare ?? 0.02)));
    this.burstToleranceInMs = (burst - 1) * this.baseIntervalInMs;
  }

  /** Resolves when this request may be sent. Callers are served in call order. */
  async acquire(): Promise<void> {
    const now = this.clock.now();
    const waitInMs = this.reserve(now) - now;
    if (waitInMs > 0) await this.clock.sleep(waitInMs);
  }

  /** Graph said 429: hold every request for `retryAfterInMs`, then a quarter slower for a while. */
  throttled(retryAfterInMs: number): void {
    const now = this.clock.now();
    this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterInMs);
    this.slowdownFloor = Math.max(0.125, this.currentFactor(now) * 0.75);
    // Recovery starts when the pause ends, so the slower pace is actually used.
    this.lastThrottledAt = this.pausedUntil;
  }

  /** Milliseconds from now until requests flow again (0 when not paused). */
  pausedForInMs(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  private reserve(now: number): number {
    const interval = this.baseIntervalInMs / this.currentFactor(now);
    const tat = Math.max(this.nextAt, now, this.pausedUntil);
    const sendAt = Math.max(now, this.pausedUntil, tat - this.burstToleranceInMs);
    this.nextAt = tat + interval;
    return sendAt;
  }

  private currentFactor(now: number): number {
    const recovered = (now - this.lastThrottledAt) / this.options.windowInMs;
    if (recovered < 0) return this.slowdownFloor;
    if (recovered >= 1) return 1;
    return this.slowdownFloor + (1 - this.slowdownFloor) * Math.max(0, recovered);
  }
}
