/** Runs a worker process (workerProcess.ts) over an app entry point and returns its report. */
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { WorkerInvocation, WorkerReport } from "./workerProcess.js";
import type { RpcTypedData } from "./functionsCore.js";

const script = resolve(import.meta.dirname, "workerProcess.ts");

export interface WorkerRun {
  readonly entry: string;
  readonly env: Record<string, string>;
  /** The host's arguments, e.g. the settlement endpoint's `workerArgs`. */
  readonly args: readonly string[];
  readonly invocations: readonly { functionName: string; trigger: RpcTypedData }[];
  readonly cwd?: string;
}

export async function runWorker(run: WorkerRun): Promise<WorkerReport> {
  const file = join(await mkdtemp(join(tmpdir(), "archiver-worker-")), "invocations.json");
  const invocations: WorkerInvocation[] = run.invocations.map(({ functionName, trigger }) => ({
    functionName,
    trigger: trigger.modelBindingData
      ? { modelBindingData: { ...trigger.modelBindingData, content: Buffer.from(trigger.modelBindingData.content).toString("base64") } }
      : { ...(trigger.string === undefined ? {} : { string: trigger.string }) },
  }));
  await writeFile(file, JSON.stringify(invocations));
  // Only the app's settings and the basics a process needs: nothing leaks in from the test's own env.
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...run.env };
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script, "--entry", run.entry, "--invocations", file, ...run.args], {
    cwd: run.cwd ?? resolve(import.meta.dirname, "..", ".."),
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = stdout.trimEnd().split("\n").at(-1) ?? "";
  return JSON.parse(last) as WorkerReport;
}
