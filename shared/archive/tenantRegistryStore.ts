/**
 * The tenant registry's blob in the state container (stateLayout.ts), changed with ETag conditions
 * (conditionalBlob.ts) so two operators (or an operator and the plan function pausing a revoked
 * tenant) never overwrite each other: the loser reads again and applies its change to what the
 * winner wrote. Each change landed is then written as its own write-once audit blob.
 */
import type { ContainerClient } from "@azure/storage-blob";
import { type AuditEntry, type RegistryChange, type TenantEntry, type TenantRegistry, applyChange, auditEntry, emptyRegistry, parseRegistry, serializeRegistry } from "../core/tenantRegistry.js";
import type { TenantId } from "../core/tenants.js";
import { tenantAuditBlobName, tenantAuditPrefix, tenantRegistryBlobName, tenantStateFolder } from "./stateLayout.js";
import { readBlobText, writeBlobTextIf } from "./conditionalBlob.js";

export interface TenantRegistryStore {
  /** `state/tenants/registry.json`, for messages. */
  readonly location: string;
  read(): Promise<TenantRegistry>;
  /** Applies one change (RegistryError when the tenant's state refuses it) and audits it. */
  change(change: RegistryChange, by: string, nowInMs: number): Promise<{ before: TenantEntry | undefined; after: TenantEntry }>;
  /** Every audit entry, oldest first. */
  audit(): Promise<AuditEntry[]>;
  /** Deletes the tenant's planning state (`tenants/<id>/`); answers how many blobs went. */
  deleteTenantState(tenant: TenantId): Promise<number>;
}

export function blobTenantRegistryStore(container: ContainerClient): TenantRegistryStore {
  const blob = container.getBlockBlobClient(tenantRegistryBlobName);
  const location = `${container.containerName}/${tenantRegistryBlobName}`;
  const readWithEtag = async (): Promise<{ registry: TenantRegistry; etag: string | undefined }> => {
    const stored = await readBlobText(blob);
    return stored ? { registry: parseRegistry(stored.text, location), etag: stored.etag } : { registry: emptyRegistry, etag: undefined };
  };
  return {
    location,
    read: async () => (await readWithEtag()).registry,
    async change(change, by, nowInMs) {
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const { registry, etag } = await readWithEtag();
        const next = applyChange(registry, change, nowInMs);
        if (!(await writeBlobTextIf(blob, serializeRegistry(next.registry), etag))) continue;
        const entry = auditEntry(change, next.before, next.after, by, nowInMs);
        const body = `${JSON.stringify(entry, null, 2)}\n`;
        await container
          .getBlockBlobClient(tenantAuditBlobName(nowInMs, change.action, change.tenant, attempt))
          .upload(body, Buffer.byteLength(body), { conditions: { ifNoneMatch: "*" }, blobHTTPHeaders: { blobContentType: "application/json" } });
        return { before: next.before, after: next.after };
      }
      throw new Error(`the tenant registry ${location} kept changing under this change; try again`);
    },
    async audit() {
      const entries: AuditEntry[] = [];
      for await (const item of container.listBlobsFlat({ prefix: tenantAuditPrefix })) {
        entries.push(JSON.parse((await container.getBlockBlobClient(item.name).downloadToBuffer()).toString("utf8")) as AuditEntry);
      }
      // By each entry's instant, listing order within one: blobs written before the names sorted
      // as the changes happened keep their place.
      return entries.map((entry, i) => ({ entry, i, at: Date.parse(entry.at) })).sort((a, b) => a.at - b.at || a.i - b.i).map((e) => e.entry);
    },
    async deleteTenantState(tenant) {
      let deleted = 0;
      for await (const item of container.listBlobsFlat({ prefix: tenantStateFolder(tenant) })) {
        await container.getBlockBlobClient(item.name).deleteIfExists();
        deleted += 1;
      }
      return deleted;
    },
  };
}
