/**
 * Service Bus trigger: one harvest job per message. Settled by hand (SDK binding) so a malformed
 * message is dead-lettered at once with its reason, not retried to exhaustion.
 */
import { app } from "@azure/functions";
import type { ServiceBusReceivedMessage } from "@azure/service-bus";
import { harvestDeps } from "./azure.js";
import { makeHarvestHandler } from "./handlers.js";

/** The parts of the SDK binding's trigger value that the harvester uses. */
interface MessageContext {
  readonly messages: ServiceBusReceivedMessage | ServiceBusReceivedMessage[];
  readonly actions: {
    complete(message: ServiceBusReceivedMessage): Promise<void>;
    abandon(message: ServiceBusReceivedMessage): Promise<void>;
    deadletter(message: ServiceBusReceivedMessage, properties?: Uint8Array, reason?: string, description?: string): Promise<void>;
  };
}

// The extension registers the SDK binding's message factory with the worker. Imported by name at
// run time because its published typings ship TypeScript sources that do not compile under ESM.
const sdkBindingExtension: string = "@azure/functions-extensions-servicebus";
await import(sdkBindingExtension);

const handler = makeHarvestHandler(harvestDeps);

app.serviceBusQueue("harvest", {
  queueName: "%ARCHIVER_QUEUE_NAME%",
  connection: "ARCHIVER_SERVICEBUS",
  sdkBinding: true,
  autoCompleteMessages: false,
  cardinality: "one",
  handler: async (trigger, context) => {
    const { messages, actions } = trigger as MessageContext;
    const message = (Array.isArray(messages) ? messages[0] : messages) as ServiceBusReceivedMessage;
    await handler(
      message.body,
      {
        complete: () => actions.complete(message),
        abandon: () => actions.abandon(message),
        deadLetter: (reason, description) => actions.deadletter(message, undefined, reason, description),
      },
      context,
    );
  },
});
