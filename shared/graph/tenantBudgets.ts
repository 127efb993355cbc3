/**
 * The shared budget's wiring for every tenant a process reads (sharedBudget.ts): each tenant's
 * governor shares that tenant's ceiling with the same tenant's governors in other instances, and,
 * once the deployment reads other tenants, the app's ceiling across tenants with every tenant's.
 * A single-tenant deployment shares as it always did, at one level.
 */
import type { Clock } from "../core/clock.js";
import { type TenantId, tenantLabel } from "../core/tenants.js";
import type { GraphRuntime } from "./graphSetup.js";
import type { RequestGovernor } from "./requestGovernor.js";
import { type BudgetSharing, type InstanceRegistry, type PeerUsage, shareBudget, usageOf } from "./sharedBudget.js";

export interface TenantBudgetOptions {
  /** Where a tenant's instances announce (the home tenant: where instances always announced). */
  readonly registryOf: (tenant: TenantId | undefined) => InstanceRegistry;
  /** Where every (tenant, instance) announces against the app's ceiling; absent: one tenant only. */
  readonly app: { readonly registry: InstanceRegistry; readonly ceiling: number } | undefined;
  readonly instance: string;
  /** A tenant's ceiling and the pace an idle instance wakes at, requests per window. */
  readonly ceiling: number;
  readonly idleAllowance: number;
  readonly heartbeatInMs: number;
  readonly clock: Clock;
  readonly onError?: (error: unknown) => void;
}

export interface TenantBudgets {
  /** Starts sharing this runtime's governor (the home tenant's, or another's). */
  share(runtime: Pick<GraphRuntime, "tenant" | "governor">): BudgetSharing;
  stop(): Promise<void>;
}

/**
 * The app's registry as this process sees it: what it reads, and this process's own busy tenants
 * that are not in it yet. Tenants that wake together announce one after another, and the first to
 * read the registry would otherwise find itself nearly alone and take a tenant's whole pace.
 */
function withLocalMembers(registry: InstanceRegistry, local: () => readonly PeerUsage[]): InstanceRegistry {
  return {
    announce: (usage) => registry.announce(usage),
    withdraw: (instance) => registry.withdraw(instance),
    fresh: async (freshInMs) => {
      const read = await registry.fresh(freshInMs);
      const named = new Set(read.map((p) => p.instance));
      return [...read, ...local().filter((p) => !named.has(p.instance))];
    },
  };
}

export function tenantBudgets(options: TenantBudgetOptions): TenantBudgets {
  // Each tenant's governor met so far, and its sharing once made.
  const members: { readonly member: string; readonly governor: RequestGovernor; sharing?: BudgetSharing }[] = [];
  const busyHere = (): PeerUsage[] => {
    const now = options.clock.now();
    return members
      .map(({ member, governor }) => usageOf(governor, member, now, options.heartbeatInMs))
      .filter((p) => p.requests > 0 || p.hungry);
  };
  const appRegistry = options.app ? withLocalMembers(options.app.registry, busyHere) : undefined;
  // The tenants known are the members met so far.
  const idleShare = () => Math.min(options.idleAllowance, (options.app?.ceiling ?? Number.POSITIVE_INFINITY) / Math.max(1, members.length));
  return {
    share(runtime) {
      const app = options.app && appRegistry ? { registry: appRegistry, ceiling: options.app.ceiling } : undefined;
      const member = `${options.instance}_${tenantLabel(runtime.tenant)}`;
      const entry: (typeof members)[number] = { member, governor: runtime.governor };
      members.push(entry);
      const sharing = shareBudget(runtime.governor, options.registryOf(runtime.tenant), {
        instance: options.instance,
        ceiling: options.ceiling,
        // Tenants that wake together must not each wake at a tenant's whole pace: past ten busy
        // tenants that would be more than the app's ceiling until their first heartbeat.
        idleAllowance: app ? idleShare : options.idleAllowance,
        heartbeatInMs: options.heartbeatInMs,
        clock: options.clock,
        ...(options.onError ? { onError: options.onError } : {}),
        ...(app ? { app: { registry: app.registry, ceiling: app.ceiling, member } } : {}),
      });
      entry.sharing = sharing;
      // Tenants met together (a tick's jobs) wake together: the ones met first, still on their idle
      // share, come down to the share of all met so far.
      if (app) for (const other of members) if (other.sharing && !other.sharing.settled) other.governor.setAllowance(idleShare());
      return sharing;
    },
    stop: async () => {
      await Promise.all(members.map((m) => m.sharing?.stop()));
    },
  };
}
