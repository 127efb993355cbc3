/**
 * The shared budget's wiring for every tenant a process reads (sharedBudget.ts): each tenant's
 * governor shares that tenant's ceiling with the same tenant's governors in other instances, and,
 * once the deployment reads other tenants, the app's ceiling across tenants with every tenant's.
 * A single-tenant deployment shares as it always did, at one level.
 */
import type { Clock } from "../core/clock.js";
import { type TenantId, tenantLabel } from "../core/tenants.js";
import type { GraphRuntime } from "./graphSetup.js";
import { type BudgetSharing, type InstanceRegistry, shareBudget } from "./sharedBudget.js";

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
  share(runtime: GraphRuntime): BudgetSharing;
  stop(): Promise<void>;
}

export function tenantBudgets(options: TenantBudgetOptions): TenantBudgets {
  const sharings: BudgetSharing[] = [];
  return {
    share(runtime) {
      const { app } = options;
      const sharing = shareBudget(runtime.governor, options.registryOf(runtime.tenant), {
        instance: options.instance,
        ceiling: options.ceiling,
        idleAllowance: options.idleAllowance,
        heartbeatInMs: options.heartbeatInMs,
        clock: options.clock,
        ...(options.onError ? { onError: options.onError } : {}),
        ...(app ? { app: { registry: app.registry, ceiling: app.ceiling, member: `${options.instance}_${tenantLabel(runtime.tenant)}` } } : {}),
      });
      sharings.push(sharing);
      return sharing;
    },
    stop: async () => {
      await Promise.all(sharings.map((s) => s.stop()));
    },
  };
}
