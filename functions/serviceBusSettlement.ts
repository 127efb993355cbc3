/**
 * Settles one message through the Service Bus SDK binding's actions: the gRPC settlement service
 * of the Functions host. The extension's typings take the dead-letter reason and description as
 * strings, but its `settlement.proto` declares them `google.protobuf.StringValue`, and 0.2.0-preview
 * passes them through unwrapped, which fails to serialize ("deadletterReason: object expected").
 * So they are handed over in the wire shape, `{ value }`; the trigger test checks what arrives at a
 * settlement endpoint built from the extension's own proto, so an upgrade that wraps them itself
 * (0.4.0 does) shows up there.
 */
import type { ServiceBusReceivedMessage } from "@azure/service-bus";

/**
 * The extension version this wrapper speaks to, pinned exactly in package.json: later versions wrap
 * the dead-letter reason themselves, return Buffer bodies and ship an ESM build with a second
 * registry. A test fails when the installed version differs, so an upgrade comes with this file.
 */
export const settlementWrittenFor = "0.2.0-preview";
import type { Settlement } from "../shared/pipeline/harvest/jobProcessor.js";

/** The trigger value of an SDK-binding Service Bus trigger (`sdkBinding: true`). */
export interface MessageContext {
  readonly messages: ServiceBusReceivedMessage | ServiceBusReceivedMessage[];
  readonly actions: SettlementActions;
}

type StringValue = { readonly value: string };

export interface SettlementActions {
  complete(message: ServiceBusReceivedMessage): Promise<void>;
  abandon(message: ServiceBusReceivedMessage, propertiesToModify?: Uint8Array): Promise<void>;
  deadletter(message: ServiceBusReceivedMessage, propertiesToModify?: Uint8Array, reason?: StringValue, description?: StringValue): Promise<void>;
}

export function settlementOf(message: ServiceBusReceivedMessage, actions: SettlementActions): Settlement {
  return {
    complete: () => actions.complete(message),
    abandon: () => actions.abandon(message),
    deadLetter: (reason, description) => actions.deadletter(message, undefined, { value: reason }, { value: description }),
  };
}
