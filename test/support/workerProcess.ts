/**
 * A worker process: what the Functions host starts for a Node.js app, reduced to what the tests
 * need. Started with the host's arguments (`--host`, `--port`, `--functions-grpc-max-message-length`)
 * and the app's settings as environment, it loads the app's entry point (argument `--entry`), then
 * runs the invocations in the JSON file named by `--invocations` through the library's programming
 * model, and prints one JSON line: the registrations and each invocation's outcome.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { type InvocationOutcome, type RpcTypedData, installFunctionsWorker } from "./functionsCore.js";

export interface WorkerInvocation {
  readonly functionName: string;
  /** Model-binding content travels base64-encoded. */
  readonly trigger: { readonly modelBindingData?: { version: string; source: string; contentType: string; content: string }; readonly string?: string; readonly json?: string };
}

export interface WorkerReport {
  readonly registered: { name: string; bindings: Record<string, Record<string, unknown>> }[];
  readonly outcomes: InvocationOutcome[];
}

const { values } = parseArgs({ options: { entry: { type: "string" }, invocations: { type: "string" } }, strict: false });
const worker = installFunctionsWorker();
await import(pathToFileURL(String(values.entry)).href);
const invocations = values.invocations ? (JSON.parse(readFileSync(String(values.invocations), "utf8")) as WorkerInvocation[]) : [];
const outcomes: InvocationOutcome[] = [];
for (const invocation of invocations) {
  const { modelBindingData, ...rest } = invocation.trigger;
  const data: RpcTypedData = modelBindingData ? { modelBindingData: { ...modelBindingData, content: Buffer.from(modelBindingData.content, "base64") } } : rest;
  outcomes.push(await worker.invoke(invocation.functionName, data));
}
const report: WorkerReport = { registered: worker.registrations, outcomes };
process.stdout.write(`\n${JSON.stringify(report)}\n`);
// The worker would stay up; the test's worker ends once its invocations are done, even though the
// app holds open clients (Service Bus, gRPC).
process.exit(0);
