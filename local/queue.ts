/**
 * An in-process stand-in for the Service Bus queue, for `npm start` and tests: the one part that
 * cannot run here. It keeps Service Bus's contract where the archiver depends on it: duplicate
 * detection by messageId (Standard's; `duplicateDetection: false` is Basic, which has none),
 * at-least-once delivery, redelivery on abandon, dead-letter with a reason
 * after the maximum deliveries, and scheduled messages held until their time. A drain also waits
 * for scheduled re-sends of failed jobs (the job retry policy's copies), as a run must not end
 * while a window is still being retried; re-read passes scheduled for later are left for later.
 *
 * With `orderPasses` (a local run's queue, not Service Bus's behaviour), two things it does that
 * Service Bus does not, because a local run must end: a re-read pass is held back while an earlier
 * pass of an overlapping window is still to run (the harvest would only answer
 * WaitingForEarlierPass and be retried minutes later), and a later pass that still waits on a pass
 * dead-lettered in this run (its re-send answers WaitingForEarlierPass: no lasting dead-letter
 * record could be written) is dead-lettered as EarlierPassDeadLettered instead of being re-sent
 * until Graph's horizon. Where the record was written, the later passes run after the given-up
 * pass, as in Azure, and only passes that were due and failed are reported.
 */
import { type Job, jobBody, messageIdOf, parseJobMessage } from "../shared/core/job.js";
import type { Settlement } from "../shared/pipeline/harvest/jobProcessor.js";
import type { PlannedJob } from "../shared/pipeline/plan/planning.js";
import type { JobSender } from "../shared/pipeline/plan/scheduler.js";

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: unknown;
  deliveryCount: number;
  readonly notBeforeInMs: number | undefined;
  /** A re-send of a failed job (or by a sweep): a drain waits for it. */
  readonly isRetry: boolean;
}

export interface DeadLetter {
  readonly messageId: string;
  readonly body: unknown;
  readonly reason: string;
  readonly description: string;
}

const parsedJobs = new WeakMap<QueuedMessage, Job | undefined>();

/** The job a message carries, or undefined for a malformed body (it is never held back). */
function jobOf(message: QueuedMessage): Job | undefined {
  if (!parsedJobs.has(message)) {
    let job: Job | undefined;
    try {
      job = parseJobMessage(message.body);
    } catch {
      job = undefined;
    }
    parsedJobs.set(message, job);
  }
  return parsedJobs.get(message);
}

/** True when `later` is a later pass of the same source over some of the same time as `earlier`. */
const isLaterPassOf = (later: Job, earlier: Job): boolean =>
  later.source === earlier.source &&
  later.pass > earlier.pass && later.window.startInMs < earlier.window.endInMs && later.window.endInMs > earlier.window.startInMs;

export class LocalQueue implements JobSender {
  private readonly seen = new Set<string>();
  private readonly inFlight = new Set<QueuedMessage>();
  /** Jobs dead-lettered in this run: their later passes cannot run. */
  private readonly failed: Job[] = [];
  readonly ready: QueuedMessage[] = [];
  readonly scheduled: QueuedMessage[] = [];
  readonly deadLetters: DeadLetter[] = [];
  duplicatesDropped = 0;

  constructor(
    private readonly maxDeliveries = 5,
    private readonly now: () => number = Date.now,
    private readonly options: {
      readonly orderPasses?: boolean;
      /** Drop a message whose messageId was sent before (Service Bus Standard); false is Basic, which has none. */
      readonly duplicateDetection?: boolean;
    } = {},
  ) {}

  /** Messages being handled now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  async send(jobs: readonly PlannedJob[]): Promise<void> {
    for (const planned of jobs) {
      const isRetry = (planned.attempt ?? 0) > 0 || planned.resendTag !== undefined;
      const waiting = planned.retryAfterFailure === "WaitingForEarlierPass";
      this.sendRaw(messageIdOf(planned.job, planned.attempt, planned.resendTag), jobBody(planned.job, planned.attempt, planned.chain), planned.notBeforeInMs, isRetry, waiting);
    }
  }

  /**
   * Any body, as a producer might send it (tests send malformed ones). `waitingForEarlierPass`: a
   * re-send of a pass that found its earlier pass not settled.
   */
  sendRaw(messageId: string, body: unknown, notBeforeInMs?: number, isRetry = false, waitingForEarlierPass = false): void {
    if (this.options.duplicateDetection !== false && this.seen.has(messageId)) {
      this.duplicatesDropped += 1;
      return;
    }
    this.seen.add(messageId);
    const message = { messageId, body, deliveryCount: 0, notBeforeInMs, isRetry };
    const job = this.options.orderPasses && waitingForEarlierPass ? jobOf(message) : undefined;
    const earlier = job && this.failed.find((f) => isLaterPassOf(job, f));
    if (earlier) {
      this.deadLetter(message, "EarlierPassDeadLettered", `pass ${earlier.pass} of an overlapping window was dead-lettered in this run; this pass runs after it`);
      return;
    }
    if (notBeforeInMs !== undefined && notBeforeInMs > this.now()) this.scheduled.push(message);
    else this.ready.push(message);
  }

  /** Moves scheduled messages whose time has come to the ready list. */
  releaseDue(): void {
    const now = this.now();
    for (let i = this.scheduled.length - 1; i >= 0; i -= 1) {
      const message = this.scheduled[i] as QueuedMessage;
      if ((message.notBeforeInMs ?? 0) <= now) {
        this.scheduled.splice(i, 1);
        this.ready.push(message);
      }
    }
  }

  /**
   * Delivers ready messages to `handle` with up to `concurrency` in flight until none is left.
   * A handler that throws without settling counts as an abandon, as a crashed function does.
   */
  async drain(
    handle: (body: unknown, settlement: Settlement, message: QueuedMessage) => Promise<unknown>,
    concurrency: number,
    /** `waitForRetries: false`: return once nothing is ready or in flight (a simulation moves the clock itself). */
    options: { readonly waitForRetries?: boolean } = {},
  ): Promise<void> {
    this.releaseDue();
    const worker = async () => {
      for (;;) {
        this.releaseDue();
        const message = this.takeNext();
        if (!message) {
          // An abandoned message may still come back from another worker, and a failed job's
          // scheduled re-send is still this run's work.
          const retryDue = options.waitForRetries === false ? Number.POSITIVE_INFINITY : Math.min(...this.scheduled.filter((m) => m.isRetry).map((m) => m.notBeforeInMs ?? 0));
          if (this.inFlight.size === 0 && this.ready.length === 0 && !Number.isFinite(retryDue)) return;
          const waitInMs = this.inFlight.size > 0 ? 5 : Math.max(5, Math.min(1000, retryDue - this.now()));
          await new Promise((resolve) => setTimeout(resolve, waitInMs));
          continue;
        }
        this.inFlight.add(message);
        message.deliveryCount += 1;
        let settled = false;
        const settle = (fn: () => void) => async () => {
          if (!settled) fn();
          settled = true;
        };
        const settlement: Settlement = {
          complete: settle(() => undefined),
          abandon: settle(() => this.retry(message as QueuedMessage, "abandoned")),
          deadLetter: (reason, description) => settle(() => this.deadLetter(message as QueuedMessage, reason, description))(),
        };
        try {
          await handle(message.body, settlement, message);
        } catch (error) {
          await settlement.abandon();
          const last = this.deadLetters.at(-1);
          if (last?.messageId === message.messageId) this.deadLetters[this.deadLetters.length - 1] = { ...last, description: String(error) };
        } finally {
          this.inFlight.delete(message);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /**
   * The first ready message that no earlier pass of an overlapping window is still ahead of (ready,
   * in flight, or waiting for a retry). Passes scheduled for later do not hold anything back.
   */
  private takeNext(): QueuedMessage | undefined {
    if (!this.options.orderPasses) return this.ready.shift();
    const ahead = [...this.inFlight, ...this.ready, ...this.scheduled.filter((m) => m.isRetry)].map(jobOf).filter((j) => j !== undefined);
    const index = this.ready.findIndex((m) => {
      const job = jobOf(m);
      return job === undefined || !ahead.some((other) => isLaterPassOf(job, other));
    });
    return index < 0 ? undefined : this.ready.splice(index, 1)[0];
  }

  private deadLetter(message: QueuedMessage, reason: string, description: string): void {
    this.deadLetters.push({ messageId: message.messageId, body: message.body, reason, description });
    const job = this.options.orderPasses ? jobOf(message) : undefined;
    if (job) this.failed.push(job);
  }

  private retry(message: QueuedMessage, why: string): void {
    if (message.deliveryCount >= this.maxDeliveries) this.deadLetter(message, "MaxDeliveryCountExceeded", why);
    else this.ready.push(message);
  }
}
