/**
 * What `azd deploy` uploads for a function app service whose `dist` is a folder: that folder's
 * files, minus what its ignore rules exclude. The rules are the folder's own `.funcignore`; without
 * one, azd's default list for JavaScript and TypeScript applies, which drops `node_modules` (azd
 * then expects a remote build, which it only chooses when the project's `.funcignore` lists
 * `node_modules`). The result is copied to `out`, so it can be loaded with nothing else installed.
 */
import { cp, readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import ignore from "ignore";

const azdDefaultIgnores = ["node_modules"];

export async function azdPackage(dist: string, out: string): Promise<string[]> {
  const rules = ignore();
  try {
    rules.add(await readFile(join(dist, ".funcignore"), "utf8"));
  } catch {
    rules.add(azdDefaultIgnores);
  }
  const kept: string[] = [];
  for (const entry of await readdir(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(dist, join(entry.parentPath, entry.name));
    if (rules.ignores(path)) continue;
    kept.push(path);
    await cp(join(dist, path), join(out, path));
  }
  return kept;
}
