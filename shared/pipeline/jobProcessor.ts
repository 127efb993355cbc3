/**
 * What the queue-triggered function does with one message: validate, harvest, settle. A malformed
 * message is dead-lettered at once with its reason (retrying cannot fix it); any other failure
 * abandons the message so Service Bus redelivers it, up to the queue's max delivery count.
 */
import { isInvalidJobError } from "../core/errors.js";
import type { HarvestOutcome } from "./harvest.js";
import { type Job, parseJobMessage } from "../core/job.js";

export interface Settlement {
  complete(): Promise<void>;
  deadLetter(reason: string, description: string): Promise<void>;
  abandon(): Promise<void>;
}

export type ProcessResult =
  | { readonly status: "deadLettered"; readonly reason: string }
  | { readonly status: "done"; readonly job: Job; readonly outcome: HarvestOutcome };

export async function processJobMessage(
  body: unknown,
  settlement: Settlement,
  runHarvest: (job: Job) => Promise<HarvestOutcome>,
): Promise<ProcessResult> {
  let job: Job;
  try {
    job = parseJobMessage(body);
  } catch (error) {
    if (!isInvalidJobError(error)) throw error;
    await settlement.deadLetter("InvalidJob", error.message);
    return { status: "deadLettered", reason: error.message };
  }
  try {
    const outcome = await runHarvest(job);
    await settlement.complete();
    return { status: "done", job, outcome };
  } catch (error) {
    await settlement.abandon();
    throw error;
  }
}
