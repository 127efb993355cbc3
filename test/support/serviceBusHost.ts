/**
 * The Functions host's side of a Service Bus SDK-binding trigger, where no real host can run:
 * - the trigger data it sends the worker: model-binding data from source
 *   `AzureServiceBusReceivedMessage` whose content is the message's lock token, the
 *   `x-opt-lock-token` marker and the AMQP-encoded message (the layout the installed extension's
 *   decoder reads);
 * - its settlement endpoint: a gRPC server for the `Settlement` service, built from the
 *   extension's own `settlement.proto`, recording each request as it arrives on the wire.
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import rhea from "rhea";
import type { RpcTypedData } from "./functionsCore.js";

const require = createRequire(import.meta.url);
const extensionDir = dirname(require.resolve("@azure/functions-extensions-servicebus/package.json"));
/** The proto the extension's settlement client is built from. */
export const settlementProtoPath = join(extensionDir, "dist", "proto", "settlement.proto");

export interface SdkBindingMessage {
  readonly body: unknown;
  readonly messageId?: string;
  readonly lockToken?: string;
  readonly deliveryCount?: number;
  readonly contentType?: string;
}

/** A GUID's bytes in .NET order (first three groups little-endian), as the host writes lock tokens. */
function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, "");
  const bytes = Buffer.from(hex, "hex");
  return Buffer.concat([bytes.subarray(0, 4).reverse(), bytes.subarray(4, 6).reverse(), bytes.subarray(6, 8).reverse(), bytes.subarray(8)]);
}

export function sdkBindingTrigger(message: SdkBindingMessage): { data: RpcTypedData; lockToken: string } {
  const lockToken = message.lockToken ?? randomUUID();
  const contentType = message.contentType ?? "application/json";
  const payload = typeof message.body === "string" ? message.body : JSON.stringify(message.body);
  const amqp = rhea.message.encode({
    message_id: message.messageId ?? randomUUID(),
    content_type: contentType,
    delivery_count: message.deliveryCount ?? 0,
    message_annotations: { "x-opt-sequence-number": 7, "x-opt-enqueued-time": Date.now() },
    body: rhea.message.data_section(Buffer.from(payload, "utf8")),
  });
  const content = Buffer.concat([guidBytes(lockToken), Buffer.from("x-opt-lock-token"), amqp]);
  return {
    lockToken,
    data: { modelBindingData: { version: "1.0", source: "AzureServiceBusReceivedMessage", contentType: "application/octet-stream", content } },
  };
}

export interface SettlementCall {
  readonly method: "complete" | "abandon" | "deadletter" | "defer" | "renewMessageLock";
  readonly request: Record<string, unknown>;
}

export interface SettlementEndpoint {
  readonly port: number;
  readonly calls: SettlementCall[];
  /** The worker's command-line arguments that point the extension at this endpoint. */
  readonly workerArgs: string[];
  close(): Promise<void>;
}

export async function startSettlementEndpoint(): Promise<SettlementEndpoint> {
  // The extension's client options, so requests decode as its client encoded them.
  const definition = protoLoader.loadSync(settlementProtoPath, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  const service = (grpc.loadPackageDefinition(definition).Settlement as grpc.ServiceClientConstructor).service;
  const calls: SettlementCall[] = [];
  const record =
    (method: SettlementCall["method"]) =>
    (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      calls.push({ method, request: call.request });
      callback(null, {});
    };
  const server = new grpc.Server();
  server.addService(service, {
    complete: record("complete"),
    abandon: record("abandon"),
    deadletter: record("deadletter"),
    defer: record("defer"),
    renewMessageLock: record("renewMessageLock"),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    port,
    calls,
    workerArgs: ["--host", "127.0.0.1", "--port", String(port), "--functions-grpc-max-message-length", String(64 * 1024 * 1024)],
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
