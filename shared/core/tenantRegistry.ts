/**
 * The tenant registry: which other tenants a deployment archives, in what state, with their own
 * settings; and every change to it as an audit entry. Pure: reading, writing and the rules of each
 * change (the store is tenantRegistryStore.ts, the command `npm run tenants`).
 *
 *   invited ──check──► active ──pause──► paused ──resume──► active
 *      │                  │  ◄──consent revoked (automatic)──┘ │
 *      └──────────────────┴───────────remove (paused)──────────┴──► offboarded
 *
 * Only an active tenant is planned. A paused one is not, but its queued jobs run (the queue
 * drains). Remove needs a paused tenant, so nothing of it is in flight when its state is deleted.
 */
import { type LogSourceName, logSourceNames } from "./sources.js";
import { type TenantId, isTenantId } from "./tenants.js";
import { formatInstant, parseStateInstant } from "./window.js";

export type TenantState = "invited" | "active" | "paused" | "offboarded";
const tenantStates: readonly TenantState[] = ["invited", "active", "paused", "offboarded"];

export interface TenantEntry {
  readonly id: TenantId;
  readonly name: string;
  readonly state: TenantState;
  readonly addedAtInMs: number;
  /** When the last check found the app consented (a token and one list request answered). */
  readonly consentedAtInMs?: number;
  /** Why it is paused: by whom, or the failure that paused it. */
  readonly pausedBecause?: string;
  /** Logs this tenant does not archive (its settings: it has no Calling Plans, say). */
  readonly logsOff?: readonly LogSourceName[];
  /**
   * Days its archive is kept, when it differs from the deployment's: a lifecycle rule on its folders,
   * deployed from `tenantRetention` (infra/main.bicep), which retentionParameter writes.
   */
  readonly retentionDays?: number;
}

export interface TenantRegistry {
  readonly tenants: readonly TenantEntry[];
}

export type RegistryChange =
  | { readonly action: "add"; readonly tenant: TenantId; readonly name: string; readonly logsOff?: readonly LogSourceName[]; readonly retentionDays?: number }
  | { readonly action: "consented"; readonly tenant: TenantId }
  | { readonly action: "pause"; readonly tenant: TenantId; readonly because: string }
  | { readonly action: "resume"; readonly tenant: TenantId }
  | { readonly action: "remove"; readonly tenant: TenantId }
  /** Its own retention, or (absent) the deployment's again. */
  | { readonly action: "retain"; readonly tenant: TenantId; readonly retentionDays?: number };

/** One registry change, as its write-once audit blob holds it. */
export interface AuditEntry {
  readonly at: string;
  readonly action: RegistryChange["action"];
  readonly tenant: TenantId;
  readonly by: string;
  readonly before: TenantEntry | null;
  readonly after: TenantEntry | null;
}

export class RegistryError extends Error {
  override readonly name = "RegistryError";
}

export const emptyRegistry: TenantRegistry = { tenants: [] };

/**
 * A tenant's own retention is over Graph's 30 days: the coverage sweep harvests again any window of
 * those 30 days whose manifest is gone. infra/main.bicep refuses the same in tenantRetention.
 */
export const minRetentionDays = 31;

/** Why `days` cannot be a tenant's retention; undefined when it can. */
export const retentionProblem = (days: number): string | undefined =>
  Number.isInteger(days) && days >= minRetentionDays
    ? undefined
    : `keeps ${days} days; a retention is a whole number of days over 30, or the coverage sweep would harvest again every window of Graph's 30 days whose blobs it deleted`;

/**
 * The value of infra/main.bicep's `tenantRetention`: `<tenant>=<days>` for each tenant with its own
 * retention, in the registry's order, removed tenants included (their archive stays, and so does
 * its end).
 */
export const retentionParameter = (registry: TenantRegistry): string =>
  [...recordedRetention(registry)].map(([tenant, days]) => `${tenant}=${days}`).join(",");

/** Each tenant's own retention the registry records, in its order: what tenantRetention deploys. */
export const recordedRetention = (registry: TenantRegistry): Map<TenantId, number> =>
  new Map(registry.tenants.flatMap((t) => (t.retentionDays === undefined ? [] : [[t.id, t.retentionDays] as const])));

/**
 * The tenants whose retention in the registry is not the one deployed (`home` aside: the registry
 * does not hold it), each with both; empty when the deployment holds the registry's days.
 */
export function retentionDrift(registry: TenantRegistry, deployed: ReadonlyMap<string, number>): { tenant: TenantId; registry?: number; deployed?: number }[] {
  const recorded = recordedRetention(registry);
  const tenants = new Set([...recorded.keys(), ...[...deployed.keys()].filter((t) => t !== "home")]);
  return [...tenants]
    .filter((t) => recorded.get(t) !== deployed.get(t))
    .map((tenant) => ({ tenant, ...(recorded.has(tenant) ? { registry: recorded.get(tenant) } : {}), ...(deployed.has(tenant) ? { deployed: deployed.get(tenant) } : {}) }));
}

/**
 * `tenantRetention`'s value read back: days by `home` or tenant id. RegistryError naming the first
 * pair that is not `<tenant>=<days>` over 30, or a tenant named twice (as infra/main.bicep refuses).
 */
export function parseRetentionParameter(value: string): Map<string, number> {
  const days = new Map<string, number>();
  for (const pair of value.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [rawTenant = "", rawDays, ...rest] = pair.split("=").map((p) => p.trim());
    const tenant = rawTenant.toLowerCase();
    if (tenant !== "home" && !isTenantId(tenant)) throw new RegistryError(`tenantRetention: "${rawTenant}" is not a tenant id (a GUID) or home`);
    if (rawDays === undefined || rest.length > 0 || !/^\d+$/.test(rawDays)) throw new RegistryError(`tenantRetention: "${pair}" is not <tenant>=<days>`);
    const problem = retentionProblem(Number(rawDays));
    if (problem) throw new RegistryError(`tenantRetention: ${rawTenant} ${problem}`);
    if (days.has(tenant)) throw new RegistryError(`tenantRetention names tenant ${rawTenant} twice`);
    days.set(tenant, Number(rawDays));
  }
  return days;
}

export const findTenant = (registry: TenantRegistry, tenant: TenantId): TenantEntry | undefined => registry.tenants.find((t) => t.id === tenant);

/** The tenants planned now: the active ones. */
export const activeTenants = (registry: TenantRegistry): TenantId[] => registry.tenants.filter((t) => t.state === "active").map((t) => t.id);

/**
 * The registry after one change, and the entry before and after it; a change the tenant's state
 * does not allow is refused by name (RegistryError). Changing nothing (pausing a paused tenant) is
 * allowed and changes nothing.
 */
export function applyChange(registry: TenantRegistry, change: RegistryChange, nowInMs: number): { registry: TenantRegistry; before: TenantEntry | undefined; after: TenantEntry } {
  const before = findTenant(registry, change.tenant);
  const refuse = (why: string): never => {
    throw new RegistryError(`tenant ${change.tenant} ${why}`);
  };
  const refuseRetention = (days: number) => {
    const problem = retentionProblem(days);
    if (problem) refuse(problem);
  };
  let after: TenantEntry;
  switch (change.action) {
    case "add":
      if (before && before.state !== "offboarded") refuse(`is already in the registry (${before.state})`);
      if (change.retentionDays !== undefined) refuseRetention(change.retentionDays);
      after = {
        id: change.tenant,
        name: change.name,
        state: "invited",
        addedAtInMs: nowInMs,
        ...(change.logsOff && change.logsOff.length > 0 ? { logsOff: change.logsOff } : {}),
        ...(change.retentionDays !== undefined ? { retentionDays: change.retentionDays } : {}),
      };
      break;
    case "consented": {
      const entry = before ?? refuse("is not in the registry (npm run tenants -- add it first)");
      if (entry.state === "offboarded") refuse("was removed; add it again to archive it");
      // A check proves consent; it makes an invited tenant active, and leaves a paused one paused.
      after = { ...entry, consentedAtInMs: nowInMs, state: entry.state === "invited" ? "active" : entry.state };
      break;
    }
    case "pause": {
      const entry = before ?? refuse("is not in the registry");
      if (entry.state === "offboarded") refuse("was removed");
      after = { ...entry, state: "paused", pausedBecause: change.because };
      break;
    }
    case "resume": {
      const entry = before ?? refuse("is not in the registry");
      if (entry.state !== "paused") refuse(`is ${entry.state}, not paused`);
      const rest: TenantEntry = { ...entry };
      delete (rest as { pausedBecause?: string }).pausedBecause;
      after = { ...rest, state: entry.consentedAtInMs === undefined ? "invited" : "active" };
      break;
    }
    case "remove": {
      const entry = before ?? refuse("is not in the registry");
      if (entry.state !== "paused" && entry.state !== "invited" && entry.state !== "offboarded") {
        refuse(`is ${entry.state}: pause it first (npm run tenants -- pause ${change.tenant}), and remove it once its queued jobs have run`);
      }
      after = { ...entry, state: "offboarded" };
      break;
    }
    case "retain": {
      // Any state: a removed tenant's archive stays, and its end with it.
      const entry = before ?? refuse("is not in the registry");
      const rest: TenantEntry = { ...entry };
      delete (rest as { retentionDays?: number }).retentionDays;
      if (change.retentionDays !== undefined) refuseRetention(change.retentionDays);
      after = change.retentionDays === undefined ? rest : { ...rest, retentionDays: change.retentionDays };
      break;
    }
  }
  const tenants = before ? registry.tenants.map((t) => (t.id === change.tenant ? after : t)) : [...registry.tenants, after];
  return { registry: { tenants }, before, after };
}

export function auditEntry(change: RegistryChange, before: TenantEntry | undefined, after: TenantEntry, by: string, nowInMs: number): AuditEntry {
  return { at: formatInstant(nowInMs), action: change.action, tenant: change.tenant, by, before: before ?? null, after };
}

interface EntryFile {
  id: string;
  name: string;
  state: string;
  addedAt: string;
  consentedAt?: string;
  pausedBecause?: string;
  logsOff?: string[];
  retentionDays?: number;
}

export function serializeRegistry(registry: TenantRegistry): string {
  const tenants: EntryFile[] = registry.tenants.map((t) => ({
    id: t.id,
    name: t.name,
    state: t.state,
    addedAt: formatInstant(t.addedAtInMs),
    ...(t.consentedAtInMs !== undefined ? { consentedAt: formatInstant(t.consentedAtInMs) } : {}),
    ...(t.pausedBecause !== undefined ? { pausedBecause: t.pausedBecause } : {}),
    ...(t.logsOff ? { logsOff: [...t.logsOff] } : {}),
    ...(t.retentionDays !== undefined ? { retentionDays: t.retentionDays } : {}),
  }));
  return `${JSON.stringify({ schemaVersion: 1, tenants }, null, 2)}\n`;
}

/** The registry a blob holds; RegistryError naming the first thing wrong (the blob is repaired by hand, never guessed at). */
export function parseRegistry(text: string, location: string): TenantRegistry {
  const wrong = (why: string): never => {
    throw new RegistryError(`The tenant registry ${location} is unreadable: ${why}`);
  };
  let file: { schemaVersion?: unknown; tenants?: unknown };
  try {
    file = JSON.parse(text) as typeof file;
  } catch {
    return wrong("it is not JSON");
  }
  if (file?.schemaVersion !== 1) wrong(`schemaVersion must be 1, got ${JSON.stringify(file?.schemaVersion)}`);
  if (!Array.isArray(file.tenants)) wrong("tenants must be a list");
  const tenants = (file.tenants as Partial<EntryFile>[]).map((t, i): TenantEntry => {
    const at = `tenants[${i}]`;
    if (!isTenantId(t.id)) wrong(`${at}.id must be a tenant id in lower case, got ${JSON.stringify(t.id)}`);
    if (typeof t.name !== "string") wrong(`${at}.name must be text`);
    if (!tenantStates.includes(t.state as TenantState)) wrong(`${at}.state must be one of ${tenantStates.join(", ")}, got ${JSON.stringify(t.state)}`);
    const added = parseStateInstant(t.addedAt) ?? wrong(`${at}.addedAt must be an instant`);
    const consented = t.consentedAt === undefined ? undefined : (parseStateInstant(t.consentedAt) ?? wrong(`${at}.consentedAt must be an instant`));
    if (t.logsOff !== undefined && !(Array.isArray(t.logsOff) && t.logsOff.every((l) => logSourceNames.includes(l as LogSourceName)))) wrong(`${at}.logsOff must list ${logSourceNames.join(" or ")}`);
    if (t.retentionDays !== undefined && !(Number.isInteger(t.retentionDays) && t.retentionDays > 0)) wrong(`${at}.retentionDays must be a whole number of days`);
    return {
      id: t.id as TenantId,
      name: t.name as string,
      state: t.state as TenantState,
      addedAtInMs: added,
      ...(consented !== undefined ? { consentedAtInMs: consented } : {}),
      ...(t.pausedBecause !== undefined ? { pausedBecause: String(t.pausedBecause) } : {}),
      ...(t.logsOff !== undefined ? { logsOff: t.logsOff as LogSourceName[] } : {}),
      ...(t.retentionDays !== undefined ? { retentionDays: t.retentionDays } : {}),
    };
  });
  return { tenants };
}
