/**
 * `npm run build`: stages the Functions deployment package in dist/ (or `--out DIR`): the compiled
 * functions/ and shared/, host.json, a package.json whose `main` is the compiled entry point, and
 * production dependencies only, installed from the project's lock file. Zip the folder's contents
 * for `az functionapp deployment source config-zip`; azd deploys it as is (azure.yaml `dist`).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { npmInvocation } from "./npmInvocation.js";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { out: { type: "string", default: "dist" } } });
const out = resolve(root, values.out ?? "dist");

const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, stdio: "inherit" });

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json"), "--outDir", out], root);

copyFileSync(join(root, "host.json"), join(out, "host.json"));
// The same dependency list and overrides as the lock file, so `npm ci` accepts it; scripts dropped,
// and `main` pointing at the compiled entry point inside the package.
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>;
delete manifest.scripts;
writeFileSync(join(out, "package.json"), `${JSON.stringify({ ...manifest, main: "functions/index.js" }, null, 2)}\n`);
copyFileSync(join(root, "package-lock.json"), join(out, "package-lock.json"));
// npm as Node running npm's CLI (npmInvocation.ts): `npm.cmd` cannot be started by execFile on Windows.
const npm = npmInvocation(["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], process.env, process.platform, process.execPath);
run(npm.command, [...npm.args], out);

// Source maps and type declarations of dependencies are over half the package and never run;
// dropping them shortens the upload and the cold start's unpacking. Our own maps stay.
const unused = /\.(map|d\.ts|d\.mts|d\.cts)$/;
const modules = join(out, "node_modules");
for (const entry of readdirSync(modules, { recursive: true, withFileTypes: true })) {
  if (entry.isFile() && unused.test(entry.name)) rmSync(join(entry.parentPath, entry.name));
}

// azd applies the package folder's .funcignore; without one, its default list for JavaScript drops
// node_modules, and since the project's .funcignore does not list node_modules, azd asks for no
// remote build either: the app would start with no @azure/functions and load zero functions. This
// file keeps node_modules in the upload; it excludes only what must never be deployed.
writeFileSync(
  join(out, ".funcignore"),
  "# Applied by azd to this folder. node_modules stays: the package carries its dependencies (no remote build).\nlocal.settings.json\n",
);

console.log(`deployment package staged in ${out}`);
