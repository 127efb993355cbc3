/**
 * The Graph sandbox in a process of its own, for the benchmark: its CPU is not the archiver's.
 * Options come as JSON in BENCH_SANDBOX (SandboxOptions); it prints one JSON line with what a
 * client needs, then serves until killed.
 */
import { type SandboxOptions, startSandbox } from "../sandbox/server.js";

const options = JSON.parse(process.env.BENCH_SANDBOX ?? "{}") as SandboxOptions;
const sandbox = await startSandbox(options);
process.stdout.write(
  `${JSON.stringify({ graphEndpoint: sandbox.graphEndpoint, authorityHost: sandbox.authorityHost, tenantId: sandbox.tenantId, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, ca: sandbox.ca })}\n`,
);
// Figures on request: the parent asks with SIGUSR2 and reads one JSON line.
process.on("SIGUSR2", () =>
  process.stdout.write(`${JSON.stringify({ ...sandbox.stats, tenants: Object.fromEntries([...sandbox.tenants].map(([id, t]) => [id, t.stats])), acrossTenantsRefused: sandbox.acrossTenantsRefused() })}\n`),
);
process.on("SIGTERM", () => void sandbox.close().then(() => process.exit(0)));
