/** Runs one of scripts/ as a child process, as `npm run` would, with a bare environment. */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";

const root = resolve(import.meta.dirname, "..", "..");

export interface ScriptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallInMs: number;
}

/** `env` adds to PATH and HOME; a run killed at `timeout` says so at the end of its stdout. */
export async function runScript(script: string, args: string[], timeout = 60_000, env: Record<string, string> = {}): Promise<ScriptRun> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      timeout,
    });
    return { code: 0, stdout, stderr, wallInMs: Date.now() - started };
  } catch (error) {
    const e = error as { code: number | null; signal?: string; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: `${e.stdout}${e.signal ? `\n(killed by ${e.signal}: the run did not end)` : ""}`, stderr: e.stderr, wallInMs: Date.now() - started };
  }
}

/** Every record line under a local archive folder's callrecords/: `id@version`, and the pass that wrote it. */
export async function archivedLines(folder: string): Promise<{ key: string; pass: number }[]> {
  const lines: { key: string; pass: number }[] = [];
  const files = (await readdir(join(folder, "callrecords"), { recursive: true })).filter((f) => f.endsWith(".jsonl.gz"));
  for (const file of files) {
    for (const line of gunzipSync(await readFile(join(folder, "callrecords", file))).toString("utf8").split("\n")) {
      if (line === "") continue;
      const record = JSON.parse(line) as { id: string; version: number; _archive: { pass: number } };
      lines.push({ key: `${record.id}@${record.version}`, pass: record._archive.pass });
    }
  }
  return lines;
}
