/** Where `npm start` and `npm run status` find an archive: the embedded Azurite, or a container URL. */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { DefaultAzureCredential } from "@azure/identity";
import { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { type ArchiveStore, blobArchiveStore } from "../shared/archive/archiveStore.js";
import { type Azurite, startAzurite } from "./azurite.js";

/** The archive container in the Azurite that keeps its data in .local/azurite (started here). */
export async function localAzuriteArchive(containerName: string): Promise<{ azurite: Azurite; archive: ArchiveStore }> {
  const location = resolve(".local/azurite");
  mkdirSync(location, { recursive: true });
  const azurite = await startAzurite({ location });
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerName);
  await container.createIfNotExists();
  return { azurite, archive: blobArchiveStore(container) };
}

/** A container URL: a SAS carries its own authorization; a bare URL uses your Azure login. */
export const containerArchive = (url: string): ArchiveStore =>
  blobArchiveStore(/[?&]sig=/.test(url) ? new ContainerClient(url) : new ContainerClient(url, new DefaultAzureCredential()));
