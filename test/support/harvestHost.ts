/**
 * Everything a deployed harvest function talks to, started locally: Azurite for the archive, the
 * Graph sandbox (its CA in a file for NODE_EXTRA_CA_CERTS, as a worker process needs it) and the
 * host's settlement endpoint; plus app settings that point a worker at them.
 */
import { randomBytes } from "node:crypto";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { type TimeWindow, hourInMs } from "../../shared/core/window.js";
import { type Sandbox, startSandbox } from "../../sandbox/server.js";
import { sandboxCaFile, sandboxEnv } from "./graph.js";
import { type SettlementEndpoint, startSettlementEndpoint } from "./serviceBusHost.js";

export interface HarvestHost {
  readonly azurite: Azurite;
  readonly sandbox: Sandbox;
  readonly settlement: SettlementEndpoint;
  /** App settings for a worker, with a fresh archive container of its own. */
  readonly settings: Record<string, string>;
  readonly archive: ContainerClient;
  /** A settled hour that the sandbox holds records for. */
  readonly window: TimeWindow;
  withSettings(extra: Record<string, string>): Promise<{ settings: Record<string, string>; archive: ContainerClient }>;
  stop(): Promise<void>;
}

export async function startHarvestHost(): Promise<HarvestHost> {
  const [azurite, sandbox, settlement] = await Promise.all([startAzurite(), startSandbox({ callsPerDay: 200, throttle: false }), startSettlementEndpoint()]);
  const { caFile } = await sandboxCaFile(sandbox);
  const hour = Math.floor(Date.now() / hourInMs) * hourInMs;
  const withSettings = async (extra: Record<string, string>) => {
    const name = `archive-${randomBytes(4).toString("hex")}`;
    const archive = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);
    await archive.create();
    const settings = {
      ...(sandboxEnv(sandbox) as Record<string, string>),
      NODE_EXTRA_CA_CERTS: caFile,
      ARCHIVER_STORAGE: azurite.connectionString,
      ARCHIVER_ARCHIVE_CONTAINER: name,
      ARCHIVER_SERVICEBUS__fullyQualifiedNamespace: "sb-archiver-test.servicebus.windows.net",
      ARCHIVER_GRAPH_MAX_ATTEMPTS: "2",
      ...extra,
    };
    return { settings, archive };
  };
  const first = await withSettings({});
  return {
    azurite,
    sandbox,
    settlement,
    ...first,
    window: { startInMs: hour - 3 * hourInMs, endInMs: hour - 2 * hourInMs },
    withSettings,
    stop: async () => {
      await Promise.all([azurite.stop(), sandbox.close(), settlement.close()]);
    },
  };
}

export async function withHarvestHost(body: (host: HarvestHost) => Promise<void>): Promise<void> {
  const host = await startHarvestHost();
  try {
    await body(host);
  } finally {
    await host.stop();
  }
}
