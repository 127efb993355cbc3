/**
 * `npm run replay`: sends every dead-lettered harvest job again, with a fresh messageId, and removes
 * its dead letter; a dead letter that is not a valid job is left in place and listed. Run it once
 * the cause in the dead letters' reason is fixed (a missing Graph grant, a bad setting). The
 * coverage sweep re-sends missing windows on its own; replay is for not waiting for it.
 *
 *   npm run replay -- [--dry-run] [--max N]
 *
 * Uses ARCHIVER_SERVICEBUS__fullyQualifiedNamespace and ARCHIVER_QUEUE_NAME, with your Azure login
 * (DefaultAzureCredential): the template grants the deploying user Data Receiver and Data Sender
 * on the jobs queue.
 */
import { parseArgs } from "node:util";
import { DefaultAzureCredential } from "@azure/identity";
import { type ServiceBusReceivedMessage, ServiceBusClient } from "@azure/service-bus";
import { readSettings } from "../shared/config/config.js";
import { ConfigError, isConfigError } from "../shared/core/errors.js";
import { type DeadLetter, replayDeadLetters } from "../shared/pipeline/operate/replay.js";
import { serviceBusJobSender } from "../shared/pipeline/plan/serviceBusSender.js";

const usage = "usage: npm run replay -- [--dry-run] [--max N]";

const help = `${usage}

Sends every dead-lettered harvest job again, with a fresh messageId, and removes its dead letter; a
dead letter that is not a valid job is left in place and listed. Run it once the cause in the
dead letters' reason is fixed. Exit 0 when all were sent, 1 if any could not be, 2 a usage or
configuration error.

  --dry-run    list what would be sent, send nothing
  --max N      at most N dead letters (default 1000)
  -h, --help   this text

Reads ARCHIVER_SERVICEBUS__fullyQualifiedNamespace and ARCHIVER_QUEUE_NAME (default harvest-jobs),
with your Azure login (Azure Service Bus Data Receiver and Sender on the queue).

Example:
  ARCHIVER_SERVICEBUS__fullyQualifiedNamespace=sb-xyz.servicebus.windows.net npm run replay -- --dry-run`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { "dry-run": { type: "boolean", default: false }, max: { type: "string", default: "1000" }, help: { type: "boolean", short: "h" } } }).values;
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (args.help) {
    console.log(help);
    return 0;
  }
  const max = Number(args.max);
  if (!Number.isInteger(max) || max < 1) {
    console.error(`error: --max expects a whole number of at least 1, got "${args.max}"\n${usage}`);
    return 2;
  }
  const { serviceBusNamespace, queueName } = readSettings(process.env, ["serviceBusNamespace", "queueName"]);
  if (!serviceBusNamespace) {
    throw new ConfigError([{ setting: "ARCHIVER_SERVICEBUS__fullyQualifiedNamespace", problem: "is required: the Service Bus namespace host, e.g. sb-archiver.servicebus.windows.net" }]);
  }
  const client = new ServiceBusClient(serviceBusNamespace, new DefaultAzureCredential());
  try {
    const receiver = client.createReceiver(queueName, { subQueueType: "deadLetter", receiveMode: "peekLock" });
    const sender = client.createSender(queueName);
    const received = new Map<string, ServiceBusReceivedMessage>();
    const lines = await replayDeadLetters(
      {
        async receive(n) {
          const messages = await receiver.receiveMessages(n, { maxWaitTimeInMs: 5_000 });
          return messages.map((m): DeadLetter => {
            const messageId = String(m.messageId);
            received.set(messageId, m);
            return { messageId, body: m.body, reason: m.deadLetterReason, description: m.deadLetterErrorDescription };
          });
        },
        complete: (letter) => receiver.completeMessage(received.get(letter.messageId) as ServiceBusReceivedMessage),
        release: (letter) => receiver.abandonMessage(received.get(letter.messageId) as ServiceBusReceivedMessage),
      },
      serviceBusJobSender(sender),
      { nowInMs: Date.now(), max, dryRun: args["dry-run"] ?? false },
    );
    for (const line of lines) console.log(`${line.messageId}  (${line.reason})  ${line.outcome}${line.newMessageId ? ` as ${line.newMessageId}` : ""}`);
    console.log(`${lines.filter((l) => l.outcome === "resent").length} resent, ${lines.filter((l) => l.outcome.startsWith("kept")).length} kept, of ${lines.length} dead letters`);
    await receiver.close();
    await sender.close();
    return lines.some((l) => l.outcome.startsWith("kept")) ? 1 : 0;
  } finally {
    await client.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  if (isConfigError(error)) {
    console.error(error.message);
    process.exitCode = 2;
  } else {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
