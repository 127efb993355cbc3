/**
 * Dependencies of the deployed functions, from app settings. Configuration is read once per
 * process; when it is wrong, each invocation fails with the ConfigError that names the setting (a
 * harvest message is dead-lettered with it at once), rather than the app failing to load and
 * leaving messages locked. Clients are created on first use and shared by every invocation: one
 * Service Bus client and sender per process, closed when the host stops the worker.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { app } from "@azure/functions";
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { ServiceBusClient, type ServiceBusSender } from "@azure/service-bus";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { blobArchiveStore } from "../shared/archive/archiveStore.js";
import { type PipelineConfig, loadArchiverConfig, loadPipelineConfig, parseFunctionTimeoutInMs } from "../shared/config/config.js";
import { systemClock } from "../shared/core/clock.js";
import { ConfigError } from "../shared/core/errors.js";
import type { ArchiverConfig } from "../shared/graph/graphConfig.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { tenantBudgets } from "../shared/graph/tenantBudgets.js";
import { blobInstanceRegistry, instancesPrefix } from "../shared/pipeline/harvest/instanceRegistry.js";
import type { JobSender } from "../shared/pipeline/plan/scheduler.js";
import { serviceBusJobSender } from "../shared/pipeline/plan/serviceBusSender.js";
import { blobWatermarkStore, logWatermarkBlobName } from "../shared/pipeline/plan/watermarkStore.js";
import { logSourceNames } from "../shared/core/sources.js";
import { blobSweepMemoryStore, logSweepMemoryBlobName } from "../shared/pipeline/plan/sweepMemoryStore.js";
import type { CurateDeps } from "./curateHandler.js";
import { blobTenantRegistryStore } from "../shared/archive/tenantRegistryStore.js";
import { findTenant } from "../shared/core/tenantRegistry.js";
import { checkTenant } from "../shared/pipeline/operate/tenantCheck.js";
import type { LogSourceName } from "../shared/core/sources.js";
import type { HarvestHandlerDeps } from "./harvestHandler.js";
import type { LogPlanDeps, PlanDeps, TenantPlanDeps } from "./planHandler.js";
import { schedulerBlobName } from "../shared/archive/stateLayout.js";
import type { TenantId } from "../shared/core/tenants.js";
import { TenantSlots } from "../shared/pipeline/harvest/tenantSlots.js";

type Loaded = { readonly archiver: ArchiverConfig; readonly pipeline: PipelineConfig } | { readonly error: unknown };
let loaded: Loaded | undefined;

/** The process's configuration; throws the same ConfigError on every call when it is wrong. */
export function configuration(): { archiver: ArchiverConfig; pipeline: PipelineConfig } {
  if (!loaded) {
    try {
      loaded = { archiver: loadArchiverConfig(process.env), pipeline: loadPipelineConfig(process.env, { functionTimeoutInMs: hostFunctionTimeoutInMs() }) };
    } catch (error) {
      loaded = { error };
    }
  }
  if ("error" in loaded) throw loaded.error;
  return loaded;
}

/** host.json's `functionTimeout`, from the package root beside functions/. */
function hostFunctionTimeoutInMs(): number | undefined {
  try {
    const host = JSON.parse(readFileSync(new URL("../host.json", import.meta.url), "utf8")) as { functionTimeout?: string };
    return parseFunctionTimeoutInMs(host.functionTimeout);
  } catch {
    return undefined;
  }
}

let azureCredential: TokenCredential | undefined;
function credential(pipeline: PipelineConfig): TokenCredential {
  azureCredential ??= pipeline.managedIdentityClientId
    ? new ManagedIdentityCredential({ clientId: pipeline.managedIdentityClientId })
    : new DefaultAzureCredential();
  return azureCredential;
}

let blobService: BlobServiceClient | undefined;
function blobs(pipeline: PipelineConfig): BlobServiceClient {
  if (blobService) return blobService;
  if (pipeline.blobServiceUri) blobService = new BlobServiceClient(pipeline.blobServiceUri, credential(pipeline));
  else if (pipeline.storageConnectionString) blobService = BlobServiceClient.fromConnectionString(pipeline.storageConnectionString);
  else throw new ConfigError([{ setting: "ARCHIVER_STORAGE__blobServiceUri", problem: "is required (the archive account's blob endpoint)" }]);
  return blobService;
}

/** The state container of the archive account: watermarks, sweep memories, the tenant registry. */
const stateContainer = (pipeline: PipelineConfig): ContainerClient => blobs(pipeline).getContainerClient(pipeline.stateContainer);

let serviceBus: { client: ServiceBusClient; sender: ServiceBusSender; jobs: JobSender } | undefined;
function jobSender(pipeline: PipelineConfig): JobSender {
  if (serviceBus) return serviceBus.jobs;
  if (!pipeline.serviceBusNamespace) {
    throw new ConfigError([{ setting: "ARCHIVER_SERVICEBUS__fullyQualifiedNamespace", problem: "is required (the Service Bus namespace host)" }]);
  }
  const client = new ServiceBusClient(pipeline.serviceBusNamespace, credential(pipeline));
  const sender = client.createSender(pipeline.queueName);
  serviceBus = { client, sender, jobs: serviceBusJobSender(sender) };
  return serviceBus.jobs;
}

let budget: { stop(): Promise<void> } | undefined;

/**
 * Aborted when the host stops this worker (scale-in, a deployment, a restart): every harvest in
 * flight stops its Graph requests at once and commits nothing partial; its message is re-sent or
 * redelivered, instead of running on until the host kills the process mid-upload.
 */
const shutdown = new AbortController();

app.hook.appTerminate(async () => {
  shutdown.abort(new Error("the Functions host is stopping this worker"));
  const open = serviceBus;
  serviceBus = undefined;
  await budget?.stop();
  await open?.sender.close();
  await open?.client.close();
});

let graph: ReturnType<typeof createGraphRuntime> | undefined;

/**
 * Where instances announce their Graph use: the runtime account's budget container in Azure (the
 * archive account's audit log records every request, and a busy instance writes and lists every
 * 2.5 s), else the state container of the archive account.
 */
function budgetContainer(pipeline: PipelineConfig): { client: ContainerClient; name: string } {
  const registry = pipeline.budgetRegistry;
  if (registry) return { client: new BlobServiceClient(registry.blobServiceUri, credential(pipeline)).getContainerClient(registry.container), name: registry.container };
  return { client: stateContainer(pipeline), name: pipeline.stateContainer };
}

/**
 * The process's Graph runtime. Its governor shares the app's budget with the other instances: each
 * busy one announces its use (instances/) and paces at its allowance (shared/graph/sharedBudget.ts).
 * Each other tenant's governor shares that tenant's budget (instances/tenants/<id>/), and then every
 * tenant's, the home one's included, the app's ceiling across tenants (instances/app/). If the
 * registry cannot be reached, the governors pace alone.
 */
function graphRuntime(archiver: ArchiverConfig, pipeline: PipelineConfig): ReturnType<typeof createGraphRuntime> {
  if (graph) return graph;
  let warned = false;
  const registry = budgetContainer(pipeline);
  const wiring = (app: boolean) =>
    tenantBudgets({
      registryOf: (tenant) => blobInstanceRegistry(registry.client, tenant === undefined ? instancesPrefix : `${instancesPrefix}tenants/${tenant}/`),
      app: app ? { registry: blobInstanceRegistry(registry.client, `${instancesPrefix}app/`), ceiling: pipeline.appCeilingRequests } : undefined,
      instance: `${hostname()}-${process.pid}`,
      ceiling: archiver.graph.ceilingRequests,
      // The template's static share (1,500 ÷ the most instances): what an idle instance wakes at.
      idleAllowance: archiver.graph.rateLimitRequests,
      heartbeatInMs: archiver.graph.rateLimitWindowInMs / 8,
      clock: systemClock,
      onError: (error) => {
        if (warned) return;
        warned = true;
        console.warn(`budget sharing: the instance registry in ${registry.name}/${instancesPrefix} failed (${String(error)}); pacing alone until it answers`);
      },
    });
  // One level while the deployment reads its home tenant only, as before tenants; two from the
  // first other tenant on (the home tenant's sharing restarts with the app's level).
  let app = pipeline.tenants.length > 0;
  let budgets = wiring(app);
  const runtime = createGraphRuntime(archiver, {
    onTenant: (_tenant, tenantRuntime) => {
      if (!app) {
        app = true;
        const single = budgets;
        budgets = wiring(true);
        void single.stop();
        budgets.share(runtime);
      }
      budgets.share(tenantRuntime);
    },
  });
  budgets.share(runtime);
  budget = { stop: () => budgets.stop() };
  graph = runtime;
  return runtime;
}

export function planDeps(): PlanDeps {
  const { pipeline } = configuration();
  return {
    watermarks: blobWatermarkStore(stateContainer(pipeline)),
    sender: jobSender(pipeline),
    clock: systemClock,
    plan: pipeline.plan,
    sweep: {
      archive: blobArchiveStore(blobs(pipeline).getContainerClient(pipeline.archiveContainer)),
      settings: pipeline.sweep,
      memory: blobSweepMemoryStore(stateContainer(pipeline)),
    },
    logs: logPlans(pipeline, undefined),
    tenants: pipeline.tenants.map((tenant) => tenantPlan(pipeline, tenant)),
    registry: {
      store: blobTenantRegistryStore(stateContainer(pipeline)),
      check: (tenant) => {
        const { archiver } = configuration();
        return checkTenant(graphRuntime(archiver, pipeline), tenant, undefined, systemClock.now());
      },
      planOf: (entry) => tenantPlan(pipeline, entry.id, entry.logsOff),
      ...(pipeline.tenantRetention ? { deployedRetention: pipeline.tenantRetention } : {}),
    },
  };
}

/** Another tenant's planning state (stateLayout.ts), with the logs its settings keep. */
function tenantPlan(pipeline: PipelineConfig, tenant: TenantId, logsOff: readonly LogSourceName[] = []): TenantPlanDeps {
  const state = stateContainer(pipeline);
  return {
    tenant,
    watermarks: blobWatermarkStore(state, schedulerBlobName("watermark", { tenant })),
    sweepMemory: blobSweepMemoryStore(state, schedulerBlobName("sweep", { tenant })),
    logs: logPlans(pipeline, tenant).filter((l) => !logsOff.includes(l.source)),
  };
}

/** A tenant's telephony logs that are on, each with its own watermark and sweep memory. */
function logPlans(pipeline: PipelineConfig, tenant: TenantId | undefined): LogPlanDeps[] {
  const state = stateContainer(pipeline);
  return logSourceNames.flatMap((source) => {
    const plan = pipeline.logs[source];
    return plan ? [{ source, plan, watermarks: blobWatermarkStore(state, logWatermarkBlobName(source, tenant)), sweepMemory: blobSweepMemoryStore(state, logSweepMemoryBlobName(source, tenant)) }] : [];
  });
}

/** Pauses a registered tenant that refused the app (once: a paused one is left as it is). */
async function pauseRefusingTenant(pipeline: PipelineConfig, tenant: TenantId, reason: string): Promise<boolean> {
  const store = blobTenantRegistryStore(stateContainer(pipeline));
  const entry = findTenant(await store.read(), tenant);
  if (entry?.state !== "active") return false;
  await store.change({ action: "pause", tenant, because: `the tenant refused the app (${reason}): consent revoked or permission removed; npm run tenants -- check ${tenant} once its admin has consented again, then resume` }, "harvest function", systemClock.now());
  return true;
}

/** The process's one count of harvests per tenant (tenantSlots.ts). */
let slots: TenantSlots | undefined;

export function harvestDeps(): HarvestHandlerDeps {
  const { archiver, pipeline } = configuration();
  return {
    graph: graphRuntime(archiver, pipeline),
    archive: blobArchiveStore(blobs(pipeline).getContainerClient(pipeline.archiveContainer)),
    sender: jobSender(pipeline),
    clock: systemClock,
    cloud: archiver.graph.cloud,
    timeBudgetInMs: pipeline.timeBudgetInMs,
    concurrency: pipeline.harvestConcurrency,
    jobRetry: pipeline.jobRetry,
    plan: pipeline.plan,
    logs: pipeline.logs,
    signal: shutdown.signal,
    tenantSlots: (slots ??= new TenantSlots(pipeline.tenantSlots)),
    onTenantRefused: (tenant, reason) => pauseRefusingTenant(pipeline, tenant, reason),
  };
}

export function curateDeps(): CurateDeps {
  const { pipeline } = configuration();
  const registry = blobTenantRegistryStore(stateContainer(pipeline));
  return {
    archive: blobArchiveStore(blobs(pipeline).getContainerClient(pipeline.archiveContainer)),
    clock: systemClock,
    curate: pipeline.curate,
    logs: pipeline.logs,
    // Every tenant that has an archive: a paused or offboarded one's final days are curated too.
    tenants: { configured: pipeline.tenants, registered: async () => (await registry.read()).tenants.map((t) => t.id) },
  };
}
