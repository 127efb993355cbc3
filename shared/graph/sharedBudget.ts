/**
 * Graph's budget shared by every instance of the app: each busy instance announces itself (its
 * use, and whether it is hungry: its requests waited on its pace; usageOf below) in a
 * registry every instance reads, and paces itself at its allowance:
 *
 *   allowance = the level L where Σ min(use, L) over the busy others that are not hungry
 *               + L × (the hungry others and itself) = ceiling
 *
 * max-min fairness: instances that need less leave the rest to those that need more, divided
 * evenly between them; one busy instance gets the whole ceiling, and a newcomer gets its share at
 * the next heartbeat instead of after the others' usage has decayed. Graph's own 429 stays the
 * ground truth: the governor still pauses and slows on it (requestGovernor.ts).
 *
 * With other tenants (core/tenants.ts) the budget has two levels, as Graph's limits do: each
 * tenant's instances share that tenant's ceiling (1,500 / 20 s per app per tenant) in the tenant's
 * registry, and every (tenant, instance) also announces in the app's registry, where all share the
 * app's ceiling across tenants (15,000 / 20 s) by the same rule. A governor paces at the lower of
 * its two allowances: max-min fair between tenants, and between a tenant's instances.
 */
import type { Clock } from "../core/clock.js";
import type { RequestGovernor } from "./requestGovernor.js";

/** One instance's announcement. */
export interface PeerUsage {
  readonly instance: string;
  /** Requests it sent in the last rate window. */
  readonly requests: number;
  /** Its requests waited on its pace within the last window: it would use more. */
  readonly hungry: boolean;
}

/**
 * What an instance announces: its use, and whether any request waited on its pace within the last
 * two heartbeats. Its use is its rate over those two heartbeats, counted per window: a window's
 * count trails a use that is falling (a tenant near the end of its work) by up to a window, and the
 * room it no longer uses would be nobody's until then. Not the last window for hunger either: an
 * instance that waited once early in it and needs less now would be counted at the level.
 */
export function usageOf(governor: RequestGovernor, instance: string, now: number, heartbeatInMs: number): PeerUsage {
  const recentInMs = Math.min(2 * heartbeatInMs, governor.windowInMs);
  return {
    instance,
    requests: Math.round((governor.requestsInLastWindow(now, recentInMs) * governor.windowInMs) / recentInMs),
    hungry: governor.isHungry(now, 2 * heartbeatInMs),
  };
}

/** The others that are busy: they sent requests in the last window, or want to. */
const busyOthers = (self: string, peers: readonly PeerUsage[]) => peers.filter((p) => p.instance !== self && (p.requests > 0 || p.hungry));

/** This instance's fair share, requests per window: the ceiling over the busy instances, itself included. */
export function fairShare(ceiling: number, self: string, peers: readonly PeerUsage[]): number {
  return ceiling / (busyOthers(self, peers).length + 1);
}

/**
 * This instance's allowance, requests per window, from the fresh announcements of all (itself
 * included): the water level of a max-min division of the ceiling. Every busy other that is not
 * hungry keeps what it uses (up to the level); the rest is divided evenly between the hungry
 * others and this instance. Dividing the rest, rather than letting each hungry instance take all
 * that the others leave, keeps the allowances of the hungry and the use of the rest within the
 * ceiling when several are hungry at once.
 */
export function allowance(ceiling: number, self: string, peers: readonly PeerUsage[]): number {
  const others = busyOthers(self, peers);
  const needs = others.filter((p) => !p.hungry).map((p) => p.requests).sort((a, b) => a - b);
  let rest = ceiling;
  let sharing = others.length + 1;
  for (const need of needs) {
    if (need >= rest / sharing) break;
    rest -= need;
    sharing -= 1;
  }
  return Math.min(ceiling, rest / sharing);
}

/** Where instances announce themselves: the state container in Azure, a folder locally. */
export interface InstanceRegistry {
  /** Writes this instance's announcement (replacing its last one). */
  announce(usage: PeerUsage): Promise<void>;
  /** The announcements written within `freshInMs` of the newest one (the store's clock, not ours). */
  fresh(freshInMs: number): Promise<PeerUsage[]>;
  /** Removes this instance's announcement (it stops). */
  withdraw(instance: string): Promise<void>;
}

export interface BudgetSharing {
  /** The last allowance computed, requests per window (the governor climbs to it); undefined before the first heartbeat. */
  readonly allowance: number | undefined;
  /** Its allowance has been read from the others' announcements since it last woke. */
  readonly settled: boolean;
  /** Announces and re-reads once now (tests and benches; the timer does it every heartbeat). */
  beat(): Promise<void>;
  stop(): Promise<void>;
}

export interface BudgetSharingOptions {
  readonly instance: string;
  readonly ceiling: number;
  /** How often to announce and re-read: an eighth of the rate window (2.5 s for Graph's 20 s). */
  readonly heartbeatInMs: number;
  readonly clock: Clock;
  /** A registry that cannot be reached leaves the governor on its own pacing; told here. */
  readonly onError?: (error: unknown) => void;
  /**
   * The pace an idle instance falls back to, requests per window (its static share: the ceiling
   * over the most instances). Idle, it no longer reads what the others use, so it must not wake at
   * an allowance that was fair when it was alone. Default: the ceiling over 4. A function is asked
   * each time the instance falls idle (the app's level: the app's ceiling over the tenants known then).
   */
  readonly idleAllowance?: number | (() => number);
  /** The second level: the app's ceiling across tenants, shared in its own registry. */
  readonly app?: { readonly registry: InstanceRegistry; readonly ceiling: number; readonly member: string };
}

/**
 * Starts announcing this instance and pacing the governor at its allowance. An announcement older
 * than three heartbeats is an instance gone (it stopped without withdrawing, or lost its host).
 *
 * Announcing costs storage operations (a write and a listing a heartbeat), so only a busy instance
 * announces: one with requests in the last window or waiting on its pace. An instance that falls
 * idle withdraws once (the others take its room at their next heartbeat), paces at its idle share,
 * and then touches no storage until it is busy again, when the next heartbeat announces it. The
 * heartbeat itself, and so the budget's reaction time while busy, is unchanged.
 */
export function shareBudget(governor: RequestGovernor, registry: InstanceRegistry, options: BudgetSharingOptions): BudgetSharing {
  let current: number | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let idle = false;
  let settled = false;
  const idleAllowance = () => (typeof options.idleAllowance === "function" ? options.idleAllowance() : (options.idleAllowance ?? options.ceiling / 4));
  const once = async () => {
    const now = options.clock.now();
    const own = usageOf(governor, options.instance, now, options.heartbeatInMs);
    // Idle: nothing sent in the whole window (a lull of two heartbeats is not idleness).
    if (governor.requestsInLastWindow(now) === 0 && !own.hungry) {
      if (idle) return;
      await registry.withdraw(options.instance);
      await options.app?.registry.withdraw(options.app.member);
      idle = true;
      settled = false;
      current = idleAllowance();
      governor.setAllowance(current);
      return;
    }
    idle = false;
    await registry.announce(own);
    // Its own announcement, read back or not, never counts against an instance.
    const peers = await registry.fresh(3 * options.heartbeatInMs);
    let next = allowance(options.ceiling, options.instance, peers);
    let fair = fairShare(options.ceiling, options.instance, peers);
    if (options.app) {
      const { app } = options;
      await app.registry.announce({ ...own, instance: app.member });
      const members = await app.registry.fresh(3 * options.heartbeatInMs);
      next = Math.min(next, allowance(app.ceiling, app.member, members));
      fair = Math.min(fair, fairShare(app.ceiling, app.member, members));
    }
    current = next;
    settled = true;
    governor.setAllowance(current, fair);
  };
  // One heartbeat at a time, so an older announcement never lands after a newer one.
  const beat = async (): Promise<void> => {
    while (running) await running;
    running = once().finally(() => {
      running = undefined;
    });
    await running;
  };
  const guarded = () => {
    if (stopped || running) return;
    beat().catch((error: unknown) => options.onError?.(error));
  };
  const timer = setInterval(guarded, options.heartbeatInMs);
  timer.unref();
  // Until its first heartbeat has read the others, an instance paces at its idle share, not at
  // the pace it was made with.
  governor.setAllowance(idleAllowance());
  guarded();
  return {
    get allowance() {
      return current;
    },
    get settled() {
      return settled;
    },
    beat,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
      await registry.withdraw(options.instance).catch((error: unknown) => options.onError?.(error));
      await options.app?.registry.withdraw(options.app.member).catch((error: unknown) => options.onError?.(error));
    },
  };
}
