/**
 * The harvest's slots shared between tenants in one process (host.json's maxConcurrentCalls). A
 * job waits on its tenant's Graph pace while it holds a slot, so a tenant that is throttled or down
 * would otherwise fill every slot with jobs that wait, and the healthy tenants' jobs would queue
 * behind them. Each tenant may hold at most `cap` slots; a tenant that Graph is pausing, or whose
 * last harvests failed transiently, holds one (its probe). A job over its tenant's cap yields: it
 * is sent again for a moment later and its slot goes to the next message.
 *
 * While a process has seen one tenant's jobs only (a single-tenant deployment), nothing is capped.
 *
 * The decision is pure (slotCap); the tracker only counts.
 */
import type { TenantId } from "../../core/tenants.js";

export interface TenantHealth {
  /** Harvests of the tenant running in this process now. */
  readonly running: number;
  /** How long Graph's Retry-After still pauses the tenant's requests. */
  readonly pausedForInMs: number;
  /** Transient failures in a row of the tenant's latest harvests (reset by a success). */
  readonly failuresInARow: number;
}

/** A pause longer than this, or this many failures in a row, and the tenant keeps one slot. */
export const pausedSlotThresholdInMs = 30_000;
export const failingSlotThreshold = 2;

/** The most slots the tenant may hold now. */
export const slotCap = (health: TenantHealth, cap: number): number =>
  health.pausedForInMs > pausedSlotThresholdInMs || health.failuresInARow >= failingSlotThreshold ? 1 : Math.max(1, cap);

export const mayTakeSlot = (health: TenantHealth, cap: number): boolean => health.running < slotCap(health, cap);

/** Counts, per tenant of this process, the harvests running and the failures in a row. */
export class TenantSlots {
  private readonly running = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly seen = new Set<string>();

  constructor(private readonly cap: number) {}

  /** A slot for the tenant's job, or undefined when it must yield; the function frees the slot. */
  tryTake(tenant: TenantId | undefined, pausedForInMs: number): (() => void) | undefined {
    const key = tenant ?? "";
    this.seen.add(key);
    const health = { running: this.running.get(key) ?? 0, pausedForInMs, failuresInARow: this.failures.get(key) ?? 0 };
    if (this.seen.size > 1 && !mayTakeSlot(health, this.cap)) return undefined;
    this.running.set(key, health.running + 1);
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      this.running.set(key, (this.running.get(key) ?? 1) - 1);
    };
  }

  /** A harvest of the tenant ended: it failed transiently, or it did not. */
  ended(tenant: TenantId | undefined, failedTransiently: boolean): void {
    const key = tenant ?? "";
    this.failures.set(key, failedTransiently ? (this.failures.get(key) ?? 0) + 1 : 0);
  }
}
