/**
 * What the queue-triggered function does with one message: validate, harvest, settle. Every
 * failure ends as the job retry policy decides (jobRetryPolicy.ts): dead-lettered at once with its
 * reason when retrying cannot help, otherwise re-sent as a scheduled copy with a fresh messageId
 * and the original completed. Only when even the re-send fails, or the harvest was stopped from
 * outside (the worker is stopping), is the message abandoned, so that Service Bus redelivers it.
 *
 * A (window, pass) has one retry chain at a time (jobRecords.ts): a delivery that fails while
 * another chain holds the pass ends there ("yielded"), so re-sends by the coverage sweep or
 * duplicates on a queue without duplicate detection never multiply the retries.
 */
import type { Job } from "../../core/job.js";
import { parseJobDelivery } from "../../core/job.js";
import { isHarvestStoppedError } from "../../core/errors.js";
import type { HarvestOutcome } from "./harvest.js";
import { type JobRetryOptions, classifyJobFailure, decideJobRetry, defaultJobRetryOptions } from "./jobRetryPolicy.js";
import type { PlannedJob } from "../plan/planning.js";
import { type JobRecords, newChainId } from "./jobRecords.js";

export interface Settlement {
  complete(): Promise<void>;
  deadLetter(reason: string, description: string): Promise<void>;
  abandon(): Promise<void>;
}

/** How a failed job is sent again. */
export interface JobRetrier {
  send(jobs: readonly PlannedJob[]): Promise<void>;
  now(): number;
  readonly random?: () => number;
  readonly options?: JobRetryOptions;
}

export type ProcessResult =
  | { readonly status: "deadLettered"; readonly job: Job | undefined; readonly reason: string; readonly description: string }
  | { readonly status: "done"; readonly job: Job; readonly attempt: number; readonly outcome: HarvestOutcome }
  | { readonly status: "abandoned"; readonly job: Job; readonly reason: "HarvestStopped"; readonly description: string }
  /** A job whose tenant's slots or log lane were taken: sent again for later, completed (harvestHandler.ts). */
  | { readonly status: "deferred"; readonly job: Job; readonly notBeforeInMs: number }
  /** Failed transiently while another retry chain holds the pass: completed, not re-sent. */
  | { readonly status: "yielded"; readonly job: Job; readonly holder: string; readonly reason: string; readonly description: string }
  | {
      readonly status: "retrying";
      readonly job: Job;
      /** The attempt number of the scheduled copy. */
      readonly attempt: number;
      /** The retry chain the copy continues. */
      readonly chain: string;
      readonly notBeforeInMs: number;
      readonly reason: string;
      readonly description: string;
    };

export async function processJobMessage(
  body: unknown,
  settlement: Settlement,
  runHarvest: (job: Job, attempt: number) => Promise<HarvestOutcome>,
  /** Asked for only when a transient failure is to be re-sent. */
  retrier: () => JobRetrier,
  /**
   * The pass's lasting records. The dead-letter record is written before the message is
   * dead-lettered, so the later passes of its window run after it instead of waiting for good;
   * best effort: if it fails, they wait for a replay. Without records (tests of other things),
   * every failing delivery starts or continues its own chain.
   */
  records?: () => JobRecords,
): Promise<ProcessResult> {
  const giveUp = async (job: Job, reason: string, description: string, chain: string | undefined) => {
    await Promise.resolve()
      .then(() => records?.().recordDeadLetter(job, reason, description, chain))
      .catch(() => undefined);
    await settlement.deadLetter(reason, description);
  };
  let delivery: ReturnType<typeof parseJobDelivery>;
  try {
    delivery = parseJobDelivery(body);
  } catch (error) {
    const failure = classifyJobFailure(error);
    await settlement.deadLetter(failure.reason, failure.description);
    return { status: "deadLettered", job: undefined, reason: failure.reason, description: failure.description };
  }
  const { job, attempt } = delivery;
  try {
    const outcome = await runHarvest(job, attempt);
    await settlement.complete();
    return { status: "done", job, attempt, outcome };
  } catch (error) {
    if (isHarvestStoppedError(error)) {
      // Nothing is re-sent while the worker stops (its sender is closing): the message goes back
      // to the queue, or comes back when its lock expires if the host no longer settles.
      await settlement.abandon().catch(() => undefined);
      return { status: "abandoned", job, reason: "HarvestStopped", description: error.message };
    }
    const failure = classifyJobFailure(error);
    if (failure.permanent) {
      await giveUp(job, failure.reason, failure.description, delivery.chain);
      return { status: "deadLettered", job, reason: failure.reason, description: failure.description };
    }
    let decision: ReturnType<typeof decideJobRetry>;
    let chain: string;
    try {
      const r = retrier();
      const random = r.random ?? Math.random;
      chain = delivery.chain ?? newChainId(r.now(), random);
      // Storage failing here must not stop the retry: without an answer this chain goes on.
      const holder = records ? await Promise.resolve().then(() => records().holdChain(job, chain, failure.reason)).catch(() => chain) : chain;
      if (holder !== chain) {
        await settlement.complete();
        return { status: "yielded", job, holder, reason: failure.reason, description: failure.description };
      }
      decision = decideJobRetry(failure, { job, attempt, nowInMs: r.now(), random }, r.options ?? defaultJobRetryOptions);
      if (decision.action === "retry") {
        await r.send([{ job, notBeforeInMs: decision.notBeforeInMs, attempt: decision.attempt, retryAfterFailure: failure.reason, chain }]);
      }
    } catch (sendError) {
      await settlement.abandon();
      throw sendError;
    }
    if (decision.action === "deadLetter") {
      await giveUp(job, decision.reason, decision.description, chain);
      return { status: "deadLettered", job, reason: decision.reason, description: decision.description };
    }
    await settlement.complete();
    return {
      status: "retrying",
      job,
      attempt: decision.attempt,
      chain,
      notBeforeInMs: decision.notBeforeInMs,
      reason: decision.failure.reason,
      description: decision.failure.description,
    };
  }
}
