/** Every installed copy of a package under a folder's node_modules, nested ones included. */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";

export async function installedCopies(root: string, name: string): Promise<{ path: string; version: string }[]> {
  const copies: { path: string; version: string }[] = [];
  const suffix = `node_modules/${name}/package.json`;
  for (const entry of await readdir(join(root, "node_modules"), { recursive: true })) {
    const path = join("node_modules", entry);
    if (!path.endsWith(suffix)) continue;
    const manifest = JSON.parse(await readFile(join(root, path), "utf8")) as { name?: string; version: string };
    if (manifest.name === name) copies.push({ path, version: manifest.version });
  }
  return copies;
}

/** Packages that keep process-wide state in module scope: a second copy splits that state. */
export const singletonPackages = ["@azure/functions", "@azure/functions-extensions-base"] as const;
