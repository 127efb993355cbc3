/**
 * Where instances announce their use of Graph's budget (shared/graph/sharedBudget.ts): blobs in
 * the state container in Azure, files in a folder for the bench and local runs. Freshness is judged
 * by the store's own timestamps against the newest announcement, so instances' clocks need not agree.
 */
import { mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerClient } from "@azure/storage-blob";
import type { InstanceRegistry, PeerUsage } from "../../graph/sharedBudget.js";
import type { GraphConfig } from "../../graph/graphConfig.js";
import { type TenantBudgets, tenantBudgets } from "../../graph/tenantBudgets.js";
import { systemClock } from "../../core/clock.js";

export const instancesPrefix = "instances/";
const safe = (instance: string) => instance.replace(/[^\w.-]/g, "_");

/** The announcements within `freshInMs` of the newest (none when there are none). */
const freshOnes = (entries: { usage: PeerUsage; at: number }[], freshInMs: number): PeerUsage[] => {
  const newest = Math.max(...entries.map((e) => e.at));
  return entries.filter((e) => e.at >= newest - freshInMs).map((e) => e.usage);
};

/**
 * Announcements as blobs `instances/<instance>.json`, their figures in metadata so one listing
 * reads all; another folder (`instances/tenants/<id>/`, `instances/app/`) for a budget's other levels.
 */
export function blobInstanceRegistry(container: ContainerClient, prefix: string = instancesPrefix): InstanceRegistry {
  return {
    async announce(usage) {
      const body = JSON.stringify(usage);
      await container.getBlockBlobClient(`${prefix}${safe(usage.instance)}.json`).upload(body, Buffer.byteLength(body), {
        metadata: { instance: safe(usage.instance), requests: String(usage.requests), hungry: String(usage.hungry) },
        blobHTTPHeaders: { blobContentType: "application/json" },
      });
    },
    async fresh(freshInMs) {
      const entries: { usage: PeerUsage; at: number }[] = [];
      for await (const blob of container.listBlobsFlat({ prefix, includeMetadata: true })) {
        // The other levels' folders below this one are theirs.
        if (blob.name.slice(prefix.length).includes("/")) continue;
        const m = blob.metadata ?? {};
        entries.push({ usage: { instance: m.instance ?? blob.name, requests: Number(m.requests ?? 0), hungry: m.hungry === "true" }, at: blob.properties.lastModified.getTime() });
      }
      return freshOnes(entries, freshInMs);
    },
    async withdraw(instance) {
      await container.getBlockBlobClient(`${prefix}${safe(instance)}.json`).deleteIfExists();
    },
  };
}

/** Announcements as files `<folder>/<instance>.json`, judged by their modification times. */
export function folderInstanceRegistry(folder: string): InstanceRegistry {
  return {
    async announce(usage) {
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, `${safe(usage.instance)}.json`), JSON.stringify(usage));
    },
    async fresh(freshInMs) {
      const names = await readdir(folder).catch(() => [] as string[]);
      const entries: { usage: PeerUsage; at: number }[] = [];
      for (const name of names.filter((n) => n.endsWith(".json"))) {
        try {
          const file = join(folder, name);
          const [text, info] = await Promise.all([readFile(file, "utf8"), stat(file)]);
          entries.push({ usage: JSON.parse(text) as PeerUsage, at: info.mtimeMs });
        } catch {
          // Being rewritten or withdrawn this instant: it is read at the next heartbeat.
        }
      }
      return freshOnes(entries, freshInMs);
    },
    async withdraw(instance) {
      await rm(join(folder, `${safe(instance)}.json`), { force: true });
    },
  };
}

/**
 * Announcements kept in this process, stamped by its clock: the app-wide level of a local run's
 * budget, whose every tenant runs here.
 */
export function memoryInstanceRegistry(now: () => number): InstanceRegistry {
  const entries = new Map<string, { usage: PeerUsage; at: number }>();
  return {
    announce: async (usage) => void entries.set(usage.instance, { usage, at: now() }),
    fresh: async (freshInMs) => (entries.size === 0 ? [] : freshOnes([...entries.values()], freshInMs)),
    withdraw: async (instance) => void entries.delete(instance),
  };
}

/**
 * Every tenant's budget shared within this process (a local run, a bench): each tenant's ceiling in
 * its own registry, and the app's across tenants in one more, all in memory (tenantBudgets.ts).
 */
export function inProcessTenantBudgets(graph: GraphConfig, appCeilingRequests: number): TenantBudgets {
  const perTenant = new Map<string, InstanceRegistry>();
  const registryOf = (tenant: string | undefined): InstanceRegistry => {
    const key = tenant ?? "";
    const known = perTenant.get(key);
    if (known) return known;
    const registry = memoryInstanceRegistry(Date.now);
    perTenant.set(key, registry);
    return registry;
  };
  return tenantBudgets({
    registryOf,
    app: { registry: memoryInstanceRegistry(Date.now), ceiling: appCeilingRequests },
    instance: "local",
    ceiling: graph.ceilingRequests,
    idleAllowance: graph.rateLimitRequests,
    heartbeatInMs: graph.rateLimitWindowInMs / 8,
    clock: systemClock,
  });
}
