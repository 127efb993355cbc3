/**
 * `npm run query`'s local copy of a blob archive (DuckDB reads neither Azurite nor a SAS URL
 * without a network extension). It trusts nothing it lists: a blob name that could leave the
 * folder is refused, each file is written whole (a temporary file, then a rename) and readable by
 * the user only, and a blob rewritten since it was copied (another ETag) is copied again.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ContainerClient } from "@azure/storage-blob";

/** Why a blob name cannot be a path under the mirror, or undefined when it can. */
export function unsafeNameProblem(name: string): string | undefined {
  if (name.includes("\\")) return "it holds a backslash";
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "it is an absolute path";
  if (name.includes("\0")) return "it holds a NUL character";
  const segments = name.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) return "it has an empty, '.' or '..' segment";
  return undefined;
}

export interface MirrorResult {
  readonly copied: number;
  readonly refreshed: number;
  readonly refused: readonly { readonly name: string; readonly problem: string }[];
}

const indexName = ".mirror-etags.json";

/** Copies into `folder` every blob under `prefixes` that is new or changed since the last copy. */
export async function mirrorContainer(container: ContainerClient, folder: string, prefixes: readonly string[]): Promise<MirrorResult> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const indexPath = join(folder, indexName);
  const known = await readFile(indexPath, "utf8").then((text) => JSON.parse(text) as Record<string, string>, () => ({}) as Record<string, string>);
  const refused: { name: string; problem: string }[] = [];
  let copied = 0;
  let refreshed = 0;
  for (const prefix of prefixes) {
    for await (const blob of container.listBlobsFlat({ prefix })) {
      const problem = unsafeNameProblem(blob.name);
      if (problem) {
        refused.push({ name: blob.name, problem });
        continue;
      }
      const file = join(folder, ...blob.name.split("/"));
      const etag = blob.properties.etag ?? "";
      const present = await stat(file).then(() => true, () => false);
      if (present && known[blob.name] === etag) continue;
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const partial = `${file}.part-${process.pid}`;
      try {
        const download = await container.getBlobClient(blob.name).download();
        await pipeline(download.readableStreamBody as NodeJS.ReadableStream, createWriteStream(partial, { mode: 0o600 }));
        await rename(partial, file);
      } finally {
        await rm(partial, { force: true });
      }
      known[blob.name] = etag;
      if (present) refreshed += 1;
      else copied += 1;
    }
  }
  await writeFile(indexPath, JSON.stringify(known), { mode: 0o600 });
  return { copied, refreshed, refused };
}
