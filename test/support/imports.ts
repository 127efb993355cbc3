/**
 * The project's import graph and the directions it may take, as data: which folder may import
 * which. Pure, so the rule check is tested on a made-up wrong import as well as on the real tree.
 */
import { readFile, readdir } from "node:fs/promises";
import { dirname, join, normalize, relative } from "node:path";

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

const layers = ["shared/core", "shared/graph", "shared/archive", "shared/lake", "shared/pipeline", "shared/config"];
/** The layers under `folder`'s. */
function below(folder: string): string[] {
  return layers.slice(0, layers.indexOf(folder));
}

/** Folder → folders (prefixes) its files may import. A folder not listed here is not checked. */
export const allowedImports: Record<string, readonly string[]> = {
  "shared/core": ["shared/core"],
  "shared/graph": ["shared/core", "shared/graph"],
  "shared/archive": ["shared/core", "shared/graph", "shared/archive"],
  "shared/lake": ["shared/core", "shared/graph", "shared/archive", "shared/lake"],
  // The pipeline by move, each using only the moves before it: plan ← harvest ← curate ← operate.
  "shared/pipeline/plan": [...below("shared/pipeline"), "shared/pipeline/plan"],
  "shared/pipeline/harvest": [...below("shared/pipeline"), "shared/pipeline/plan", "shared/pipeline/harvest"],
  "shared/pipeline/curate": [...below("shared/pipeline"), "shared/pipeline/plan", "shared/pipeline/harvest", "shared/pipeline/curate"],
  "shared/pipeline/operate": [...below("shared/pipeline"), "shared/pipeline"],
  "shared/config": ["shared"],
};

// The longest folder that holds the file: a move's own rule, not its layer's.
const ruleFor = (file: string) =>
  Object.keys(allowedImports)
    .filter((folder) => file.startsWith(`${folder}/`))
    .sort((a, b) => b.length - a.length)[0];

export function importViolations(edges: readonly ImportEdge[]): string[] {
  const violations: string[] = [];
  for (const { from, to } of edges) {
    const folder = ruleFor(from);
    if (!folder) continue;
    const allowed = allowedImports[folder] ?? [];
    if (!allowed.some((prefix) => to.startsWith(`${prefix}/`))) violations.push(`${from} imports ${to} (${folder} may import ${allowed.join(", ")})`);
  }
  return violations;
}

const specifier = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/** Every relative import of every TypeScript file under the given folders, as project paths. */
export async function importEdges(root: string, folders: readonly string[]): Promise<ImportEdge[]> {
  const edges: ImportEdge[] = [];
  for (const folder of folders) {
    for (const entry of await readdir(join(root, folder), { recursive: true })) {
      if (!entry.endsWith(".ts")) continue;
      const from = join(folder, entry);
      const text = await readFile(join(root, from), "utf8");
      for (const match of text.matchAll(specifier)) {
        const to = normalize(join(dirname(from), match[1] as string)).replace(/\.js$/, ".ts");
        edges.push({ from, to: relative(".", to) });
      }
    }
  }
  return edges;
}
