/**
 * npm run lake: writes lake/ from the one schema (shared/lake/callRecordSchema.ts): the DuckDB and
 * Synapse views, and each engine's schema on its own. `npm run lake -- --check` changes nothing and
 * exits 1 if a committed file differs from what the schema gives.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { lakeFiles } from "../shared/lake/lakeFiles.js";

const root = resolve(import.meta.dirname, "..");
const check = process.argv.includes("--check");
let stale = 0;
for (const [path, content] of Object.entries(lakeFiles())) {
  const file = join(root, path);
  const current = await readFile(file, "utf8").catch(() => undefined);
  if (current === content) continue;
  if (check) {
    process.stderr.write(`${path} differs from the schema: run npm run lake\n`);
    stale += 1;
    continue;
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content);
  process.stdout.write(`wrote ${path}\n`);
}
process.exitCode = stale > 0 ? 1 : 0;
