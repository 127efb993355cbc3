/**
 * The Bicep CLI for the infra tests: found in .local/tools (scripts/install-bicep.sh) or on PATH,
 * and an offline copy of infra/ whose bicepconfig points the Microsoft Graph extension at a package
 * built from the type files in test/fixtures/bicep-types, since the registry it names cannot be reached here.
 */
import { execFile } from "node:child_process";
import { access, cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { promisify } from "node:util";
import { graphBicepTypesIndex } from "./fixtures.js";

const run = promisify(execFile);

export const projectRoot = resolve(import.meta.dirname, "..", "..");
export const graphTypesIndex = graphBicepTypesIndex;
export const registryGraphExtension = "br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0";

const isExecutable = async (path: string) => access(path).then(() => true, () => false);

/** The Bicep CLI's path, or a sentence saying why there is none. */
export async function findBicep(): Promise<{ path: string } | { missing: string }> {
  const candidates = [join(projectRoot, ".local", "tools", "bicep"), ...(process.env.PATH ?? "").split(delimiter).map((d) => join(d, "bicep"))];
  if (!(await isExecutable(graphTypesIndex))) return { missing: `the Graph extension's type files are not at ${graphTypesIndex}` };
  for (const path of candidates) if (await isExecutable(path)) return { path };
  return { missing: "no Bicep CLI in .local/tools or on PATH (scripts/install-bicep.sh installs it)" };
}

export interface BicepRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function bicep(cli: string, args: readonly string[]): Promise<BicepRun> {
  try {
    const { stdout, stderr } = await run(cli, [...args], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, BICEP_TRACING_ENABLED: "false" } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? String(error) };
  }
}

/**
 * Copies infra/ to a temporary folder and swaps the Graph extension's registry reference for a
 * local package. Returns the copy's path. Throws if the committed reference is not the registry's,
 * since that is what real deployments restore.
 */
export async function offlineInfra(cli: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "archiver-infra-"));
  const infra = join(dir, "infra");
  await cp(join(projectRoot, "infra"), infra, { recursive: true });
  const extension = join(dir, "microsoftgraph-v1.0.tgz");
  const packed = await bicep(cli, ["publish-extension", graphTypesIndex, "--target", extension]);
  if (packed.code !== 0) throw new Error(`bicep publish-extension failed: ${packed.stderr}`);
  const configPath = join(infra, "bicepconfig.json");
  const config = JSON.parse(await readFile(configPath, "utf8")) as { extensions: Record<string, string> };
  if (config.extensions.microsoftGraphV1 !== registryGraphExtension) {
    throw new Error(`infra/bicepconfig.json must keep ${registryGraphExtension}; found ${config.extensions.microsoftGraphV1}`);
  }
  config.extensions.microsoftGraphV1 = extension;
  await writeFile(configPath, JSON.stringify(config, null, 2));
  return infra;
}

/** A resource as `bicep snapshot` predicts it; values it cannot know before deploying stay ARM expressions. */
export interface PredictedResource {
  readonly id?: string;
  readonly type: string;
  readonly name: string;
  readonly sku?: { readonly name?: string; readonly tier?: string; readonly capacity?: number };
  readonly properties?: Record<string, unknown>;
}

export type Snapshot = { readonly resources: readonly PredictedResource[] } | { readonly refused: string };

const subscriptionId = "00000000-0000-0000-0000-00000000000a";
const tenantId = "00000000-0000-0000-0000-00000000000b";
let snapshots = 0;

const bicepValue = (value: string | number | boolean): string => (typeof value === "string" ? `'${value.replace(/'/g, "\\'")}'` : String(value));

/**
 * Evaluates main.bicep with these parameters the way Azure Resource Manager would before deploying
 * (`bicep snapshot`, the deployment engine's own expression evaluation), and returns the resources
 * it would create, or the sentence it refuses with (a fail() or an invalid value).
 */
export async function snapshot(cli: string, infra: string, parameters: Record<string, string | number | boolean>, resourceGroup = "rg-snapshot"): Promise<Snapshot> {
  const file = join(infra, `snapshot-${++snapshots}.bicepparam`);
  const lines = ["using 'main.bicep'", ...Object.entries({ environmentName: "snap", ...parameters }).map(([name, value]) => `param ${name} = ${bicepValue(value)}`)];
  await writeFile(file, `${lines.join("\n")}\n`);
  const location = String(parameters.location ?? "swedencentral");
  const run = await bicep(cli, ["snapshot", file, "--subscription-id", subscriptionId, "--tenant-id", tenantId, "--resource-group", resourceGroup, "--location", location]);
  const refusal = /could not be completed for the following reason: '([\s\S]*?)'\.?\s*$/m.exec(run.stdout + run.stderr);
  if (run.code !== 0) return { refused: refusal?.[1] ?? (run.stderr || run.stdout) };
  const written = JSON.parse(await readFile(file.replace(/\.bicepparam$/, ".snapshot.json"), "utf8")) as { predictedResources: PredictedResource[] };
  return { resources: written.predictedResources };
}
