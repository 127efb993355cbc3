/**
 * Where the archive lives: write-once names only. Nothing is ever overwritten or deleted, so the
 * archive works under a time-based immutability (WORM) policy. Two implementations: Blob Storage
 * (ADLS Gen2 or Azurite) and a local folder with the same layout.
 */
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { link, mkdir, open, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ContainerClient } from "@azure/storage-blob";

export type CreateResult = "created" | "exists";

export interface ArchiveStore {
  /** Human-readable location, for summaries. */
  readonly location: string;
  read(name: string): Promise<Buffer | undefined>;
  /** The blob as a stream, for blobs of any size (data blobs); undefined if there is none. */
  readStream(name: string): Promise<Readable | undefined>;
  /** Names under a prefix (one level of partition is enough for the harvester). */
  list(prefix: string): Promise<string[]>;
  /**
   * Writes a new blob from a stream, visible atomically only when complete. Answers "exists"
   * (writing nothing) if the name is taken. A stream error leaves nothing visible.
   */
  createFromStream(name: string, content: Readable, contentType: string): Promise<CreateResult>;
  /** `metadata`: small facts listed with the name (blob metadata), so a listing needs no reads. */
  createText(name: string, text: string, contentType: string, metadata?: Record<string, string>): Promise<CreateResult>;
  /** Names under a prefix with the metadata they were created with. */
  listWithMetadata(prefix: string): Promise<{ name: string; metadata: Record<string, string> }[]>;
}

/**
 * "The name is taken": what `If-None-Match: *` answers on Put Blob and Put Block List when the blob
 * exists (409 BlobAlreadyExists, from Azure and Azurite alike). Any other 409 (a lease, a container
 * being deleted, an immutability policy) is a failure, never "written by another delivery".
 */
export const isBlobAlreadyExists = (error: unknown): boolean => {
  const e = error as { statusCode?: number; code?: string } | undefined;
  return e?.statusCode === 409 && e.code === "BlobAlreadyExists";
};

/** `If-None-Match: *`: a second writer of the same name gets 409 instead of overwriting. */
const writeOnce = (contentType: string, metadata?: Record<string, string>) => ({
  blobHTTPHeaders: { blobContentType: contentType },
  conditions: { ifNoneMatch: "*" },
  ...(metadata ? { metadata } : {}),
});

async function createOnce(upload: () => Promise<unknown>): Promise<CreateResult> {
  try {
    await upload();
    return "created";
  } catch (error) {
    if (isBlobAlreadyExists(error)) return "exists";
    throw error;
  }
}

export interface BlobArchiveOptions {
  /** Size of each staged block. Default 4 MiB; tests use small blocks to fail mid-upload. */
  readonly blockSizeInBytes?: number;
}

export function blobArchiveStore(container: ContainerClient, options: BlobArchiveOptions = {}): ArchiveStore {
  const blockSize = options.blockSizeInBytes ?? 4 * 1024 * 1024;
  return {
    location: container.url,
    async read(name) {
      try {
        return await container.getBlockBlobClient(name).downloadToBuffer();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }
    },
    async readStream(name) {
      try {
        const download = await container.getBlockBlobClient(name).download();
        return download.readableStreamBody as Readable | undefined;
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }
    },
    async list(prefix) {
      const names: string[] = [];
      for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name);
      return names;
    },
    // Stages blocks, then commits the block list: the blob appears whole or not at all.
    createFromStream: (name, content, contentType) =>
      createOnce(() =>
        container.getBlockBlobClient(name).uploadStream(content, blockSize, 4, writeOnce(contentType)),
      ),
    createText: (name, text, contentType, metadata) =>
      createOnce(() => container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), writeOnce(contentType, metadata))),
    async listWithMetadata(prefix) {
      const entries: { name: string; metadata: Record<string, string> }[] = [];
      for await (const blob of container.listBlobsFlat({ prefix, includeMetadata: true })) entries.push({ name: blob.name, metadata: blob.metadata ?? {} });
      return entries;
    },
  };
}

/** The same layout on local disk: temp file, then link(2), which fails if the name exists. */
export function folderArchiveStore(root: string): ArchiveStore {
  const path = (name: string) => join(root, ...name.split("/"));
  const commit = async (tmp: string, name: string): Promise<CreateResult> => {
    await mkdir(dirname(path(name)), { recursive: true });
    try {
      await link(tmp, path(name));
      return "created";
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return "exists";
      throw error;
    } finally {
      await rm(tmp, { force: true });
    }
  };
  // Metadata lives beside the archive, under .meta/ (skipped by Spark and Synapse, like .tmp/).
  const metaPath = (name: string) => join(root, ".meta", ...name.split("/"));
  const tmpName = async () => {
    await mkdir(join(root, ".tmp"), { recursive: true });
    return join(root, ".tmp", randomUUID());
  };
  return {
    location: root,
    async read(name) {
      try {
        return await readFile(path(name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async readStream(name) {
      try {
        const handle = await open(path(name), "r");
        return handle.createReadStream();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async listWithMetadata(prefix) {
      return Promise.all(
        (await this.list(prefix)).map(async (name) => {
          try {
            return { name, metadata: JSON.parse(await readFile(metaPath(name), "utf8")) as Record<string, string> };
          } catch {
            return { name, metadata: {} };
          }
        }),
      );
    },
    async list(prefix) {
      const dir = path(prefix.endsWith("/") ? prefix : dirname(prefix));
      try {
        await stat(dir);
      } catch {
        return [];
      }
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join("/"))
        .filter((name) => name.startsWith(prefix));
    },
    async createFromStream(name, content) {
      const tmp = await tmpName();
      try {
        await pipeline(content, createWriteStream(tmp));
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
      return commit(tmp, name);
    },
    async createText(name, text, _contentType, metadata) {
      const tmp = await tmpName();
      await pipeline(async function* () {
        yield Buffer.from(text);
      }, createWriteStream(tmp));
      const result = await commit(tmp, name);
      if (result === "created" && metadata) {
        await mkdir(dirname(metaPath(name)), { recursive: true });
        await writeFile(metaPath(name), JSON.stringify(metadata));
      }
      return result;
    },
  };
}

