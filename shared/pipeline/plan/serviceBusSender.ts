/** Sends planned jobs to the Service Bus queue: deterministic messageIds, scheduled re-reads. */
import type { ServiceBusMessage, ServiceBusSender } from "@azure/service-bus";
import { jobBody, messageIdOf } from "../../core/job.js";
import type { PlannedJob } from "./planning.js";
import type { JobSender } from "./scheduler.js";

export function toServiceBusMessage(planned: PlannedJob): ServiceBusMessage {
  return {
    body: jobBody(planned.job, planned.attempt, planned.chain),
    contentType: "application/json",
    // On Standard, duplicate detection drops a job sent twice (a re-sent tick); on Basic it runs
    // and finds its manifest. Re-sends after a failure or by the sweep carry a fresh id.
    messageId: messageIdOf(planned.job, planned.attempt, planned.resendTag),
    subject: "harvest",
    ...(planned.notBeforeInMs === undefined ? {} : { scheduledEnqueueTimeUtc: new Date(planned.notBeforeInMs) }),
  };
}

export function serviceBusJobSender(sender: ServiceBusSender): JobSender {
  return {
    async send(jobs) {
      const messages = jobs.map(toServiceBusMessage);
      // Scheduled messages are durable in Service Bus; sendMessages honours scheduledEnqueueTimeUtc.
      for (let i = 0; i < messages.length; i += 100) await sender.sendMessages(messages.slice(i, i + 100));
    },
  };
}
