/**
 * Retention under WORM: which archive blobs are past their tenant's retention. Pure. Lifecycle
 * management's delete action does not work on any blob of a container with an immutability policy,
 * not even past its period (FACTS: lifecycle management, known issues), so under WORM the end of a
 * retention is an explicit delete by someone who may delete: `npm run purge` (scripts/purge.ts).
 *
 * The folders that hold each tenant's call data are the ones the lifecycle rules use
 * (infra/archiveFolders.json), and the rule is theirs: a blob goes once it was last modified more
 * than its retention's days ago, and where both every tenant's retention and a tenant's own apply,
 * the shorter wins. Markers and other blobs outside those folders are never purged.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tenantOfBlobName } from "../shared/core/tenants.js";
import { dayInMs } from "../shared/core/window.js";

interface ArchiveFolders {
  readonly home: readonly string[];
  readonly otherTenant: readonly string[];
}

const folders = JSON.parse(readFileSync(join(import.meta.dirname, "..", "infra", "archiveFolders.json"), "utf8")) as ArchiveFolders;

/** `home`, or the tenant id whose folders hold `name`; undefined outside every tenant's call data. */
export function ownerOf(name: string): string | undefined {
  if (folders.home.some((prefix) => name.startsWith(prefix))) return "home";
  const tenant = tenantOfBlobName(name);
  return tenant !== undefined && folders.otherTenant.some((pattern) => name.startsWith(pattern.replace("{tenant}", tenant))) ? tenant : undefined;
}

export interface RetentionRules {
  /** Every tenant's retention in days (the deployment's archiveRetentionDays); absent: none. */
  readonly everyTenantDays?: number;
  /** Tenants' own retention in days, by `home` or tenant id (tenantRetention). */
  readonly own: ReadonlyMap<string, number>;
  /** Removed tenants whose whole archive goes, whatever its age (an offboarded customer's erasure). */
  readonly erase?: ReadonlySet<string>;
}

/** The days `owner`'s blobs are kept: the shorter of every tenant's and its own; undefined: kept. */
function retentionDaysOf(rules: RetentionRules, owner: string): number | undefined {
  const days = [rules.everyTenantDays, rules.own.get(owner)].filter((d): d is number => d !== undefined);
  return days.length === 0 ? undefined : Math.min(...days);
}

/** The owner of a blob past its retention at `nowInMs`; undefined when it stays. */
export function purgeOwner(name: string, lastModifiedInMs: number, rules: RetentionRules, nowInMs: number): string | undefined {
  const owner = ownerOf(name);
  if (owner === undefined) return undefined;
  if (rules.erase?.has(owner)) return owner;
  const days = retentionDaysOf(rules, owner);
  return days !== undefined && nowInMs - lastModifiedInMs > days * dayInMs ? owner : undefined;
}
