/** Test wiring: a sandbox and a Graph runtime configured against it through the real settings. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { type Clock, systemClock } from "../../shared/core/clock.js";
import { type GraphRuntime, createGraphRuntime } from "../../shared/graph/graphSetup.js";
import type { Env } from "../../shared/config/settings.js";
import { type Sandbox, type SandboxOptions, sandboxSettings, startSandbox } from "../../sandbox/server.js";

/** A file in a new temporary folder holding the sandbox's CA, for a child process's NODE_EXTRA_CA_CERTS. */
export async function sandboxCaFile(sandbox: Sandbox, prefix = "archiver-ca-"): Promise<{ readonly caFile: string; readonly folder: string }> {
  const folder = await mkdtemp(join(tmpdir(), prefix));
  const caFile = join(folder, "sandbox-ca.pem");
  await writeFile(caFile, sandbox.ca);
  return { caFile, folder };
}

export function sandboxEnv(sandbox: Sandbox, extra: Env = {}): Env {
  return {
    ...sandboxSettings(sandbox),
    ARCHIVER_GRAPH_RETRY_BASE_MS: "20",
    ...extra,
  };
}

export async function withSandbox(
  options: SandboxOptions,
  env: Env,
  body: (sandbox: Sandbox, runtime: GraphRuntime) => Promise<void>,
): Promise<void> {
  const sandbox = await startSandbox(options);
  try {
    const runtime = createGraphRuntime(loadArchiverConfig(sandboxEnv(sandbox, env)), { ca: sandbox.ca });
    await body(sandbox, runtime);
  } finally {
    await sandbox.close();
  }
}

/**
 * The real clock, moved to read `instant` now and run on from it: a test's fixed days stay within
 * Graph's 30 days whatever the date it runs on (a harvest refuses a window past the horizon).
 */
export function clockAt(instant: number): Clock {
  const offsetInMs = instant - Date.now();
  return { now: () => Date.now() + offsetInMs, sleep: systemClock.sleep };
}
