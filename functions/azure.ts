/**
 * Dependencies of the deployed functions, from app settings. Configuration is validated when this
 * module loads, so a bad setting stops the app at start-up with the setting's name; clients are
 * created on first use and reused across invocations.
 */
import { ManagedIdentityCredential, DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { ServiceBusClient } from "@azure/service-bus";
import { BlobServiceClient } from "@azure/storage-blob";
import { blobArchiveStore } from "../shared/archive/archiveStore.js";
import { systemClock } from "../shared/core/clock.js";
import { loadArchiverConfig, loadPipelineConfig } from "../shared/config/config.js";
import { ConfigError } from "../shared/core/errors.js";
import { createGraphRuntime } from "../shared/graph/graphSetup.js";
import { serviceBusJobSender } from "../shared/pipeline/serviceBusSender.js";
import { blobWatermarkStore } from "../shared/pipeline/watermarkStore.js";
import type { HarvestHandlerDeps, PlanDeps } from "./handlers.js";

const archiverConfig = loadArchiverConfig(process.env);
const pipeline = loadPipelineConfig(process.env);

let azureCredential: TokenCredential | undefined;
const credential = () =>
  (azureCredential ??= pipeline.managedIdentityClientId
    ? new ManagedIdentityCredential({ clientId: pipeline.managedIdentityClientId })
    : new DefaultAzureCredential());

let blobService: BlobServiceClient | undefined;
function blobs(): BlobServiceClient {
  if (blobService) return blobService;
  if (pipeline.blobServiceUri) blobService = new BlobServiceClient(pipeline.blobServiceUri, credential());
  else if (pipeline.storageConnectionString) blobService = BlobServiceClient.fromConnectionString(pipeline.storageConnectionString);
  else throw new ConfigError([{ setting: "ARCHIVER_STORAGE__blobServiceUri", problem: "is required (the archive account's blob endpoint)" }]);
  return blobService;
}

let serviceBus: ServiceBusClient | undefined;
function jobSender() {
  if (!pipeline.serviceBusNamespace) {
    throw new ConfigError([{ setting: "ARCHIVER_SERVICEBUS__fullyQualifiedNamespace", problem: "is required (the Service Bus namespace host)" }]);
  }
  serviceBus ??= new ServiceBusClient(pipeline.serviceBusNamespace, credential());
  return serviceBusJobSender(serviceBus.createSender(pipeline.queueName));
}

let graph: ReturnType<typeof createGraphRuntime> | undefined;

export const planDeps = (): PlanDeps => ({
  watermarks: blobWatermarkStore(blobs().getContainerClient(pipeline.stateContainer)),
  sender: jobSender(),
  clock: systemClock,
  plan: pipeline.plan,
});

export const harvestDeps = (): HarvestHandlerDeps => ({
  graph: (graph ??= createGraphRuntime(archiverConfig)),
  archive: blobArchiveStore(blobs().getContainerClient(pipeline.archiveContainer)),
  sender: jobSender(),
  clock: systemClock,
  cloud: archiverConfig.graph.cloud,
  timeBudgetInMs: pipeline.timeBudgetInMs,
  concurrency: pipeline.harvestConcurrency,
});

export { pipeline as pipelineConfig };
