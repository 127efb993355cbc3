/** Where `npm start`, `npm run status` and `npm run curate` find an archive (a folder, the embedded Azurite, or a container URL), and whose. */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { DefaultAzureCredential } from "@azure/identity";
import { AnonymousCredential, BlobServiceClient, ContainerClient, type StoragePipelineOptions } from "@azure/storage-blob";
import { archiveRoot } from "../shared/archive/archiveLayout.js";
import { type ArchiveStore, blobArchiveStore, folderArchiveStore } from "../shared/archive/archiveStore.js";
import { type PipelineConfig, readSettings } from "../shared/config/config.js";
import { type Azurite, startAzurite } from "./azurite.js";
import { UsageError, containerUrlOf, onCloudBlobEndpoint, redactUrl } from "./startOptions.js";
import { clouds } from "../shared/graph/clouds.js";
import { userPath } from "./command.js";
import { blobTenantRegistryStore } from "../shared/archive/tenantRegistryStore.js";
import { type TenantId, parseTenantId } from "../shared/core/tenants.js";

/** The archive container in the Azurite that keeps its data in .local/azurite (started here). */
export async function localAzuriteArchive(containerName: string): Promise<{ azurite: Azurite; archive: ArchiveStore; container: ContainerClient }> {
  const location = resolve(".local/azurite");
  mkdirSync(location, { recursive: true });
  const azurite = await startAzurite({ location });
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerName);
  await container.createIfNotExists();
  return { azurite, archive: blobArchiveStore(container), container };
}

const containerClientOf = (url: string, options: StoragePipelineOptions = {}): ContainerClient =>
  new ContainerClient(url, /[?&]sig=/.test(url) ? new AnonymousCredential() : new DefaultAzureCredential(), options);

/** A container URL: a SAS carries its own authorization; a bare URL uses your Azure login. */
export const containerArchive = (url: string): ArchiveStore => blobArchiveStore(containerClientOf(url));

/**
 * Proves, before the first Graph request, that the container can be reached, read and written with
 * the credential at hand: a list request of one blob, then a create of `_probes/write-check.json`
 * that never overwrites (If-None-Match: *). The service checks authorization before the
 * condition, so "already exists" proves the right to write as well as "created"; one tiny blob per
 * container outside the archive's prefixes (a write-once archive keeps it). Answers the sentence
 * that says why not, or undefined.
 */
export const writeProbeName = "_probes/write-check.json";

export async function containerProblem(url: string): Promise<string | undefined> {
  try {
    // One try: the question is whether it answers now, not after the SDK's minutes of retries.
    const container = containerClientOf(url, { retryOptions: { maxTries: 1 } });
    await container.listBlobsFlat({ prefix: "callrecords/" }).byPage({ maxPageSize: 1 }).next();
    const probe = (name: string) => blobArchiveStore(container).createText(name, '{"probe":"npm start checks it may create blobs here"}\n', "application/json");
    try {
      await probe(writeProbeName);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 403) throw error;
      // A SAS with create but not write may not touch an existing blob, even to be told it exists:
      // a new name settles whether it may create (one more tiny blob for such a token, each run).
      try {
        await probe(`_probes/write-check-${Date.now()}-${process.pid}.json`);
      } catch (second) {
        const e = second as { statusCode?: number; code?: string };
        if (e.statusCode === 403) {
          return `your login may read it but not create blobs in it (403 ${e.code ?? ""}): it needs the archive writer role (or Storage Blob Data Contributor) on the container, or give a SAS URL with create`;
        }
        throw second;
      }
    }
    return undefined;
  } catch (error) {
    const e = error as { name?: string; statusCode?: number; code?: string; message?: string };
    const first = String(e.message ?? error).split("\n")[0];
    if (e.name === "CredentialUnavailableError" || e.name === "AggregateAuthenticationError") {
      return `no Azure login can reach it (${e.name}): sign in with az login (or azd auth login), or give a SAS URL`;
    }
    if (e.statusCode === 403) return `your login may not read it (403 ${e.code ?? ""}): it needs Storage Blob Data Contributor on the container, or give a SAS URL with read, list and create`;
    if (e.statusCode === 404) return `it does not exist (404 ${e.code ?? ""}): create the container first`;
    return `it cannot be reached: ${first}`;
  }
}

/**
 * Whether the credential at hand may delete blobs in the container, without deleting anything: a
 * DELETE of a name no blob has (the service checks authorization first, so 404 means allowed, 403
 * refused). True, false, or undefined when the answer says neither.
 */
export const deleteProbeName = "_probes/delete-check-never-created";

export async function mayDelete(container: ContainerClient): Promise<boolean | undefined> {
  try {
    await container.getBlobClient(deleteProbeName).delete();
    return true;
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    return status === 404 ? true : status === 403 ? false : undefined;
  }
}

/** The warning `npm run status` prints when the identity reading the archive could delete from it. */
export async function deleteRightWarning(url: string): Promise<string | undefined> {
  const container = containerClientOf(url, { retryOptions: { maxTries: 1 } });
  if ((await mayDelete(container)) !== true) return undefined;
  return `warning: the identity reading ${url.split("?")[0]} may delete its blobs (a DELETE of a blob that does not exist was answered 404, not 403). Reading needs no more than Storage Blob Data Reader: use the time-bound reader grant in the README's "Check that it works", or a SAS with read and list only.`;
}

/**
 * A folder that is an archive: it exists and holds `callrecords/`. Anything else is a usage error
 * (exit 2), never an empty archive reported as an outage.
 */
export function archiveFolder(path: string): string {
  const folder = userPath(path);
  if (!existsSync(folder)) throw new UsageError(`--out ${path} does not exist; give the folder npm start -- --out wrote`);
  if (!statSync(folder).isDirectory()) throw new UsageError(`--out ${path} is a file, not an archive folder`);
  if (!existsSync(join(folder, archiveRoot))) throw new UsageError(`--out ${path} is not an archive: it has no ${archiveRoot}/ folder (npm start -- --out FOLDER writes one)`);
  return folder;
}

/**
 * `--out` and `--archive` as the commands that read an archive take them: one of them at most, and
 * a URL only on the cloud's blob endpoints (your Azure login's token goes nowhere else).
 */
export function checkArchiveSourceArgs(args: { out?: string | undefined; archive?: string | undefined }): void {
  if (args.out !== undefined && args.archive !== undefined) throw new UsageError("give --out or --archive, not both");
  if (args.archive !== undefined) containerUrlOf("--archive", args.archive, readSettings(process.env, ["cloud"]).cloud);
}

export interface ArchiveSource {
  readonly archive: ArchiveStore;
  /** The state container (watermark), when the source is the settings' account. */
  readonly state?: ContainerClient;
  /** The embedded Azurite, when started here: stop it when done. */
  readonly azurite?: Azurite;
  /** The archive's container, when it is one (not a folder): what npm run query mirrors. */
  readonly container?: ContainerClient;
}

/**
 * `--out FOLDER` (an archive npm start wrote), `--archive URL`, else the settings' account
 * (ARCHIVER_STORAGE or ARCHIVER_STORAGE__blobServiceUri), else npm start's Azurite.
 */
export async function openArchiveSource(args: { out?: string; archive?: string }, pipeline: PipelineConfig): Promise<ArchiveSource> {
  if (args.out !== undefined) return { archive: folderArchiveStore(archiveFolder(args.out)) };
  if (args.archive !== undefined) {
    const container = containerClientOf(args.archive);
    return { archive: blobArchiveStore(container), container };
  }
  if (pipeline.storageConnectionString || pipeline.blobServiceUri) {
    const service = pipeline.storageConnectionString
      ? BlobServiceClient.fromConnectionString(pipeline.storageConnectionString)
      : new BlobServiceClient(checkedServiceUri(pipeline.blobServiceUri as string), new DefaultAzureCredential());
    const container = service.getContainerClient(pipeline.archiveContainer);
    return { archive: blobArchiveStore(container), state: service.getContainerClient(pipeline.stateContainer), container };
  }
  const local = await localAzuriteArchive(pipeline.archiveContainer);
  const first = await local.container.listBlobsFlat({ prefix: `${archiveRoot}/` }).byPage({ maxPageSize: 1 }).next();
  if (first.done || first.value.segment.blobItems.length === 0) {
    // Nothing archived yet is not an outage: say what makes an archive (exit 2).
    await local.azurite.stop();
    throw new UsageError("there is no archive yet: npm start writes one (in .local/azurite, read here by default); or give --out FOLDER or --archive URL");
  }
  return { archive: local.archive, azurite: local.azurite, container: local.container };
}

/**
 * ARCHIVER_STORAGE__blobServiceUri, which the local commands read with your Azure login: https on
 * the cloud's blob endpoints only, as `--archive`; an emulator on this machine is reached with its
 * key (ARCHIVER_STORAGE, a connection string), never with your token.
 */
function checkedServiceUri(uri: string): string {
  const cloud = readSettings(process.env, ["cloud"]).cloud;
  if (!(URL.canParse(uri) && onCloudBlobEndpoint(new URL(uri), cloud))) {
    throw new UsageError(
      `ARCHIVER_STORAGE__blobServiceUri ${redactUrl(uri)} is not a blob endpoint of the ${cloud} cloud (https://ACCOUNT${clouds[cloud].blobHostSuffix}): your Azure login's token is sent to no other host. For a local emulator, set ARCHIVER_STORAGE to its connection string instead.`,
    );
  }
  return uri;
}

/** Whose archive a command reads (`--tenant`): `home`, `all`, or a tenant's id; checked before any archive is opened. */
export type TenantOption = "home" | "all" | { readonly tenant: TenantId };

export function tenantOption(raw: string | undefined): TenantOption {
  if (raw === undefined || raw === "home" || raw === "all") return raw ?? "home";
  const parsed = parseTenantId(raw);
  if ("problem" in parsed) throw new UsageError(`--tenant expects home, all or a tenant id: ${parsed.problem}`);
  return parsed;
}

/**
 * The tenants `--tenant` names: `all` is the home tenant, ARCHIVER_TENANTS's and the registry's
 * (when the state container is at hand), offboarded ones aside.
 */
export async function tenantsOf(whose: TenantOption, pipeline: PipelineConfig, state: ContainerClient | undefined): Promise<(TenantId | undefined)[]> {
  if (whose === "home") return [undefined];
  if (whose !== "all") return [whose.tenant];
  const registered = state ? (await blobTenantRegistryStore(state).read()).tenants.filter((t) => t.state !== "offboarded").map((t) => t.id) : [];
  return [undefined, ...new Set([...pipeline.tenants, ...registered])];
}
