/**
 * Tenants: whose records a job reads. Pure, and the one place these rules live.
 *
 * The deployment's own tenant, the *home* tenant, is the one its credential names; its jobs,
 * blobs and state carry no tenant at all, exactly as before tenants existed, so a single-tenant
 * deployment, its queued messages and its WORM archive are unchanged by them. Every other tenant
 * is named by its Entra tenant id (a GUID, lower case) in its jobs, below its own `tenant=<id>`
 * folder of each archive root, and below `tenants/<id>/` in the state container.
 */
import type { LogSourceName } from "./sources.js";

export type TenantId = string;

/** An Entra tenant id as this archiver writes it: a GUID in lower case. */
const tenantIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isTenantId = (value: unknown): value is TenantId => typeof value === "string" && tenantIdPattern.test(value);

/**
 * A tenant id as a person types it (any case, surrounding spaces), or what is wrong with it. A
 * domain name (contoso.onmicrosoft.com) is refused: it can be renamed, and a WORM folder cannot.
 */
export function parseTenantId(raw: string): { readonly tenant: TenantId } | { readonly problem: string } {
  const value = raw.trim().toLowerCase();
  if (tenantIdPattern.test(value)) return { tenant: value };
  if (value.includes(".")) return { problem: `${JSON.stringify(raw)} is a domain name; give the tenant's id (a GUID, as the Entra admin center's Overview shows it)` };
  return { problem: `${JSON.stringify(raw)} is not a tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47)` };
}

/** What the origin of some records is: which tenant (absent: home) and which source (absent: call records). */
export interface Origin {
  readonly tenant?: TenantId;
  readonly source?: LogSourceName;
}

/** The tenant folder below a telephony log's root: `tenant=home` for the home tenant (they were born with it). */
export const tenantFolder = (tenant: TenantId | undefined): string => `tenant=${tenant ?? "home"}`;

/** `home`, or the tenant's id: how messages, events and the views name a tenant. */
export const tenantLabel = (tenant: TenantId | undefined): string => tenant ?? "home";

/** Where a tenant's planning state sits in the state container: the home tenant's where it always was. */
export const tenantStatePrefix = (tenant: TenantId | undefined): string => (tenant === undefined ? "" : `tenants/${tenant}/`);

/** The tenant a blob name's `tenant=<id>/` folder names, if any (`tenant=home` is the home tenant). */
export function tenantOfBlobName(name: string): TenantId | undefined {
  const match = /(?:^|\/)tenant=([^/]+)\//.exec(name);
  return match && isTenantId(match[1]) ? match[1] : undefined;
}
