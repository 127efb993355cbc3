/**
 * Blob names of the state container: pure, and the one place they are made. The home tenant's
 * planning state keeps the names it always had; another tenant's sits below `tenants/<id>/`, so
 * removing a tenant deletes one folder.
 *
 *   scheduler/watermark.json                     call records' watermark (home)
 *   scheduler/pstncalls-sweep.json               a log's coverage sweep memory (home)
 *   tenants/<id>/scheduler/watermark.json        another tenant's
 *   tenants/registry.json                        the tenant registry (tenantRegistry.ts)
 *   tenants/audit/<instant>_<action>_<id>_<n>.json   one write-once blob per registry change
 */
import { logSources } from "../core/sources.js";
import { type Origin, type TenantId, tenantStatePrefix } from "../core/tenants.js";

/** What a planning state blob holds: the watermark, or the coverage sweep's memory. */
export type SchedulerState = "watermark" | "sweep";

/** `scheduler/watermark.json`, `scheduler/pstncalls-sweep.json`, `tenants/<id>/scheduler/sweep.json`. */
export function schedulerBlobName(kind: SchedulerState, origin: Origin = {}): string {
  const log = origin.source === undefined ? "" : `${logSources[origin.source].archiveRoot.split("/")[0]}-`;
  return `${tenantStatePrefix(origin.tenant)}scheduler/${log}${kind}.json`;
}

/** A tenant's own state folder, deleted with the tenant: `tenants/<id>/`. */
export const tenantStateFolder = (tenant: TenantId): string => tenantStatePrefix(tenant);

export const tenantRegistryBlobName = "tenants/registry.json";
export const tenantAuditPrefix = "tenants/audit/";

/**
 * `tenants/audit/20261120T100005.250Z_pause_<id>_0.json`: the instant to the millisecond, always
 * the same width, so names sort as the changes happened (a minute-wide name with seconds only when
 * not zero put a change at 10:00:00 after one at 10:00:05).
 */
export const tenantAuditBlobName = (nowInMs: number, action: string, tenant: TenantId, attempt: number): string =>
  `${tenantAuditPrefix}${new Date(nowInMs).toISOString().replace(/[-:]/g, "")}_${action}_${tenant}_${attempt}.json`;
