/**
 * The Graph sandbox in a process of its own (sandboxProcess.ts), for the benchmarks: its CPU and
 * memory are not the archiver's. Answers the settings that point the archiver at it (and its CA),
 * and its figures on request.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { SandboxStats } from "../sandbox/server.js";

export interface SandboxLink {
  readonly child: ChildProcess;
  readonly env: Record<string, string>;
  stats(): Promise<SandboxStats>;
}

export async function startSandboxProcess(options: object): Promise<SandboxLink> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "sandboxProcess.ts")], { env: { ...process.env, BENCH_SANDBOX: JSON.stringify(options) }, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const queue: ((line: string) => void)[] = [];
  lines.on("line", (line) => queue.shift()?.(line));
  const next = () => new Promise<string>((resolve) => queue.push(resolve));
  const link = JSON.parse(await next()) as { graphEndpoint: string; authorityHost: string; tenantId: string; clientId: string; clientSecret: string; ca: string };
  const caFile = join(await mkdtemp(join(tmpdir(), "bench-ca-")), "ca.pem");
  await writeFile(caFile, link.ca);
  return {
    child,
    env: {
      ARCHIVER_GRAPH_ENDPOINT: link.graphEndpoint,
      ARCHIVER_AUTHORITY_HOST: link.authorityHost,
      AZURE_TENANT_ID: link.tenantId,
      AZURE_CLIENT_ID: link.clientId,
      AZURE_CLIENT_SECRET: link.clientSecret,
      CA: link.ca,
    },
    stats: async () => {
      const line = next();
      child.kill("SIGUSR2");
      return JSON.parse(await line) as SandboxStats;
    },
  };
}

