/**
 * Service Bus trigger: one harvest job per message. Settled by hand through the SDK binding, so a
 * malformed message is dead-lettered at once with its reason, not retried to exhaustion.
 */
import { app } from "@azure/functions";
import { harvestDeps } from "./azure.js";
import { makeHarvestHandler } from "./harvestHandler.js";
import { type MessageContext, settlementOf } from "./serviceBusSettlement.js";

// The extension registers the SDK binding's message factory in @azure/functions-extensions-base's
// resolver, which @azure/functions must share (one copy: package.json `overrides`, checked by a
// test). Imported by name at run time because its published typings ship TypeScript sources that
// do not compile under ESM.
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
    const message = Array.isArray(messages) ? messages[0] : messages;
    if (!message) throw new Error("harvest: the trigger carried no message");
    await handler(message.body, settlementOf(message, actions), context);
  },
});
