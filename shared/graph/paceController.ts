/**
 * Decides the pace of each scope Graph counts requests in, from Graph's answers. Pure: it is told
 * the time and the answers, and answers with paces and pauses; the request governor waits on them.
 *
 * Graph answers 429 for more reasons than our pace: another app of the tenant, a tenant-wide or
 * service-wide limit, or limits below the documented ones. So a 429 is honoured for its scope
 * (the scope pauses for its Retry-After) but is taken as evidence against our pace only when it
 * could have been caused by it:
 *
 *   a sliding-window limit answers 429 only once the window holds as many accepted requests as
 *   the limit; so a 429 that arrives while the scope has had clearly fewer requests accepted in
 *   the last window than at its recent peak was not caused by the pace (the limit let more through
 *   just before), and leaves the pace alone.
 *
 * A 429 at the peak slows the scope to `decreaseFactor` of its pace (unpaced: of the most that got
 * through in a window lately, which is what the limit lets through, if it was the limit), once per window
 * at most. The second window after a slowdown is a probe (in the first, Graph's window still holds
 * what the faster pace sent): if the share of 429s among requests sent in it did not fall (a
 * quarter of it or more remains), the pace did not cause them, and the slowdown is undone;
 * the next probe then waits twice as long as the last (up to `peakMemoryInWindows` windows), so
 * 429s that never depend on the pace cost a probe window now and then, not every other window.
 * The pace recovers per accepted request, `growthPerAccepted` of a request per window each time,
 * while requests wait on it: the real limit is found again within a few windows.
 *
 * Scopes are keyed by string ("app", "list"), so a source or a tenant adds its own scopes
 * ("tenant:…/list") without a new controller.
 */

export type ScopeKey = string;

export interface ScopeLimits {
  /** The window Graph counts this scope's requests in. */
  readonly windowInMs: number;
  /** The starting pace, requests per window; undefined: unpaced until the first 429 at the peak. */
  readonly initial: number | undefined;
  /** The slowest pace evidence may bring it to, requests per window. */
  readonly floor: number;
  /** The fastest it may recover to, requests per window (Infinity: no ceiling). */
  readonly ceiling: number;
}

/** What slowed a scope, or did not: counted for the progress line. */
export type ThrottleVerdict = "caused" | "suffered";

/** Below this, a 429 at the peak is still no evidence: too few requests to tell a limit from chance. */
export const minAcceptedForEvidence = 3;
/** The pace after a 429 caused by it: this share of the pace (unpaced: of the most that got through lately). */
export const decreaseFactor = 0.8;
/** Requests per window the pace recovers by for each accepted request that waited on it. */
export const growthPerAccepted = 0.05;
/** How long a peak is remembered, in windows: a limit that fell since is found again after it. */
export const peakMemoryInWindows = 10;
/**
 * A 429 may be the pace's doing when at least this share of the recent peak got through in the
 * last window: Graph counts arrivals, we count answers, and the two windows differ by a latency.
 */
export const peakShare = 0.9;
/**
 * The lowest listing limit Graph has documented: 55 later pages per 5 minutes, about 3.7 per 20 s.
 * A floor below it, so the real limit can always be found.
 */
export const listFloorPer20s = 3;

interface ScopeState {
  readonly limits: ScopeLimits;
  /** Requests per window; undefined: unpaced. */
  rate: number | undefined;
  pausedUntil: number;
  /** When each request of the last window was accepted, and refused (429), oldest first. */
  readonly accepted: number[];
  readonly refused: number[];
  /** The second window after a slowdown, which tells whether 429s fell with the pace. */
  probe: { readonly from: number; readonly until: number; readonly rateBefore: number | undefined; readonly shareBefore: number; accepted: number; refused: number } | undefined;
  /** Probes undone in a row, and no new slowdown before `noProbeBefore`. */
  undone: number;
  noProbeBefore: number;
  /** The most accepted in one window, per window-long bucket of the recent past. */
  readonly peaks: { bucket: number; accepted: number }[];
  firstSeenAt: number;
  lastDecreaseAt: number;
  /** Whether a request waited on this scope's pace within the last window (demand above it). */
  lastWaitAt: number;
  readonly verdicts: Record<ThrottleVerdict, number>;
}

export class PaceController {
  private readonly scopes = new Map<ScopeKey, ScopeState>();

  /** Declares a scope (again: its limits change, its pace and history are kept within them). */
  define(key: ScopeKey, limits: ScopeLimits): void {
    const existing = this.scopes.get(key);
    if (existing) {
      this.scopes.set(key, { ...existing, limits, rate: existing.rate === undefined ? limits.initial : clamp(existing.rate, limits) });
      return;
    }
    this.scopes.set(key, {
      limits,
      rate: limits.initial,
      pausedUntil: Number.NEGATIVE_INFINITY,
      accepted: [],
      refused: [],
      probe: undefined,
      undone: 0,
      noProbeBefore: Number.NEGATIVE_INFINITY,
      peaks: [],
      firstSeenAt: Number.POSITIVE_INFINITY,
      lastDecreaseAt: Number.NEGATIVE_INFINITY,
      lastWaitAt: Number.NEGATIVE_INFINITY,
      verdicts: { caused: 0, suffered: 0 },
    });
  }

  /** The pace in force, requests per window; undefined: unpaced. */
  rate(key: ScopeKey): number | undefined {
    return this.scope(key).rate;
  }

  /** Sets the pace from outside (the shared budget's allowance), within the scope's floor and ceiling. */
  setRate(key: ScopeKey, requests: number): void {
    const scope = this.scope(key);
    scope.rate = clamp(requests, scope.limits);
  }

  pausedUntil(key: ScopeKey): number {
    return this.scope(key).pausedUntil;
  }

  /** 429s on this scope, by whether our pace caused them. */
  verdicts(key: ScopeKey): Readonly<Record<ThrottleVerdict, number>> {
    return this.scope(key).verdicts;
  }

  /** A request of this scope waited on its pace: demand is above it, so it may recover. */
  waited(key: ScopeKey, now: number): void {
    this.scope(key).lastWaitAt = now;
  }

  /** A request of this scope was sent (counted from its first, so evidence needs a window of history). */
  sent(key: ScopeKey, now: number): void {
    const scope = this.scope(key);
    scope.firstSeenAt = Math.min(scope.firstSeenAt, now);
  }

  /**
   * Graph accepted a request of this scope, sent at `sentAt` (default: now); `grow: false` holds
   * the pace (set from outside).
   */
  accepted(key: ScopeKey, now: number, grow = true, sentAt = now): void {
    const scope = this.scope(key);
    if (scope.probe && sentAt >= scope.probe.from) scope.probe.accepted += 1;
    this.endProbe(scope, now);
    const accepted = this.acceptedInWindow(scope, now) + 1;
    scope.accepted.push(now);
    const bucket = Math.floor(now / scope.limits.windowInMs);
    const last = scope.peaks.at(-1);
    if (last?.bucket === bucket) last.accepted = Math.max(last.accepted, accepted);
    else scope.peaks.push({ bucket, accepted });
    const limited = now - scope.lastWaitAt < scope.limits.windowInMs;
    if (grow && limited && scope.rate !== undefined) scope.rate = clamp(scope.rate + growthPerAccepted, scope.limits);
  }

  /**
   * Graph answered a request of this scope 429. The scope pauses for the Retry-After; the pace
   * slows only if the pace could have caused it (see the module's comment). Answers the verdict.
   */
  throttled(key: ScopeKey, now: number, retryAfterInMs: number, sentAt = now): ThrottleVerdict {
    const scope = this.scope(key);
    // A request sent before the last slowdown met the limit that slowdown answered: ours, counted
    // once (no second slowdown).
    const sameEvent = sentAt <= scope.lastDecreaseAt && now - scope.lastDecreaseAt < scope.limits.windowInMs;
    const verdict = sameEvent || this.causedByPace(scope, now) ? "caused" : "suffered";
    scope.refused.push(now);
    if (scope.probe && sentAt >= scope.probe.from) scope.probe.refused += 1;
    this.endProbe(scope, now);
    scope.pausedUntil = Math.max(scope.pausedUntil, now + retryAfterInMs);
    scope.verdicts[verdict] += 1;
    if (verdict === "caused" && !sameEvent) {
      // The probe starts a window on: until then Graph's own window still holds what the faster
      // pace sent, and refuses the slower pace for it.
      const { windowInMs } = scope.limits;
      scope.probe = { from: now + windowInMs, until: now + 2 * windowInMs, rateBefore: scope.rate, shareBefore: this.refusedShare(scope, now), accepted: 0, refused: 0 };
      // Paced: a share of the pace (what got through may be less: pauses for 429s we did not cause).
      // Unpaced: a share of the most that got through in a window lately, the limit's best measure.
      scope.rate = clamp((scope.rate ?? Math.max(this.acceptedInWindow(scope, now), this.recentPeak(scope, now))) * decreaseFactor, scope.limits);
      scope.lastDecreaseAt = now;
    }
    return verdict;
  }

  /**
   * Whether a 429 now is evidence against the pace: a window of history, at least a few requests
   * through in the last window, nearly as many as at the recent peak, no slowdown in the last window
   * (429s to requests sent before the slower pace took hold are the same event), and no probe
   * undone lately.
   */
  causedByPace(key: ScopeKey | ScopeState, now: number): boolean {
    const scope = typeof key === "string" ? this.scope(key) : key;
    const { windowInMs } = scope.limits;
    if (now - scope.firstSeenAt < windowInMs || now - scope.lastDecreaseAt < windowInMs || now < scope.noProbeBefore) return false;
    const through = this.acceptedInWindow(scope, now);
    return through >= minAcceptedForEvidence && through >= peakShare * this.recentPeak(scope, now);
  }

  /** The most accepted in one window within the last `peakMemoryInWindows` windows. */
  private recentPeak(scope: ScopeState, now: number): number {
    const bucket = Math.floor(now / scope.limits.windowInMs);
    while (scope.peaks.length > 0 && (scope.peaks[0] as { bucket: number }).bucket <= bucket - peakMemoryInWindows) scope.peaks.shift();
    return Math.max(0, ...scope.peaks.map((p) => p.accepted));
  }

  /**
   * Once the probe window after a slowdown is over: undone if the share of 429s among requests
   * sent in it did not fall to under a quarter of what it was (they do not depend on our pace),
   * its verdict then counted as suffered.
   */
  private endProbe(scope: ScopeState, now: number): void {
    const probe = scope.probe;
    if (!probe || now < probe.until) return;
    scope.probe = undefined;
    const answered = probe.accepted + probe.refused;
    const shareAfter = answered === 0 ? 0 : probe.refused / answered;
    if (shareAfter === 0 || shareAfter < probe.shareBefore / 4) {
      scope.undone = 0;
      return;
    }
    scope.undone += 1;
    scope.noProbeBefore = now + scope.limits.windowInMs * Math.min(peakMemoryInWindows, 2 ** scope.undone);
    scope.rate = probe.rateBefore === undefined || scope.rate === undefined ? probe.rateBefore : Math.max(scope.rate, probe.rateBefore);
    scope.verdicts.caused -= 1;
    scope.verdicts.suffered += 1;
  }

  /** Share of the last window's answers that were 429s. */
  private refusedShare(scope: ScopeState, now: number): number {
    const refused = this.refusedInWindow(scope, now);
    return refused === 0 ? 0 : refused / (refused + this.acceptedInWindow(scope, now));
  }

  private refusedInWindow(scope: ScopeState, now: number): number {
    while (scope.refused.length > 0 && (scope.refused[0] as number) <= now - scope.limits.windowInMs) scope.refused.shift();
    return scope.refused.length;
  }

  private acceptedInWindow(scope: ScopeState, now: number): number {
    while (scope.accepted.length > 0 && (scope.accepted[0] as number) <= now - scope.limits.windowInMs) scope.accepted.shift();
    return scope.accepted.length;
  }

  private scope(key: ScopeKey): ScopeState {
    const scope = this.scopes.get(key);
    if (!scope) throw new Error(`No pace is defined for the scope "${key}"`);
    return scope;
  }
}

const clamp = (rate: number, limits: ScopeLimits) => Math.min(limits.ceiling, Math.max(limits.floor, rate));
