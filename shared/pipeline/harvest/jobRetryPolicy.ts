/**
 * What to do with a job that failed: the one place that decides, pure and tested as a table (the
 * job-level twin of the Graph request retry policy). The processor acts on the decision.
 *
 * - Permanent failures (a malformed job, a configuration error, Graph answering 400 or 403, a
 *   nextLink to a foreign origin, a paging loop, an answer past the size cap, an unreadable blob of
 *   the archive) are dead-lettered at once, with the real error as description:
 *   retrying cannot fix them, and a dead letter alerts a person.
 * - Anything else is transient: the job is sent again as a scheduled copy with a fresh messageId
 *   (its attempt in the id and the body) after an exponential delay, and the original completed,
 *   so an outage of hours costs no human action and no delivery count.
 * - Retrying stops only when the next attempt would come too close to the 30 days after the
 *   window's start, when Graph forgets its first records; the final dead letter carries the error.
 */
import {
  isArchiveDataError,
  isConfigError,
  isCredentialRejected,
  isTenantConsentMissing,
  isForeignNextLinkError,
  isGraphAnswerTooLargeError,
  isGraphPagingError,
  isGraphRequestError,
  isGraphResponseError,
  isInvalidJobError,
  isStorageFailure,
  isWaitingForEarlierPass,
  isWindowTooBigError,
} from "../../core/errors.js";
import type { Job } from "../../core/job.js";
import { horizonMarginInMs, windowHorizon } from "../../core/passes.js";
import { type LogSourceName, logSources } from "../../core/sources.js";
import { dayInMs } from "../../core/window.js";

export interface JobRetryOptions {
  /** Delay before the first re-send; doubles per attempt. Default 1 minute. */
  readonly baseDelayInMs: number;
  /** Cap on any one delay. Default 1 hour. */
  readonly maxDelayInMs: number;
  /** A retry must start at least this long before Graph's horizon for the window. Default 2 hours. */
  readonly horizonMarginInMs: number;
  /** Each telephony log's horizon as configured; absent: its documented default (core/sources.ts). */
  readonly logHorizonsInMs?: Partial<Readonly<Record<LogSourceName, number>>>;
}

export const defaultJobRetryOptions: JobRetryOptions = {
  baseDelayInMs: 60_000,
  maxDelayInMs: 3_600_000,
  horizonMarginInMs,
};

export interface JobFailure {
  readonly permanent: boolean;
  /** Dead-letter reason: a short code a person can filter on. */
  readonly reason: string;
  /** The real error text. */
  readonly description: string;
}

/** A description is kept to this many characters: it goes into dead letters, logs and alerts. */
export const descriptionLimit = 1_000;

/**
 * The text a failure is described by. A SyntaxError's message quotes the text around the fault,
 * which may be call content (a name, an address): only its kind is kept. Anything else is capped.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof SyntaxError) return "a JSON document could not be parsed (its text is not quoted: it may be call content)";
  const text = error instanceof Error ? error.message : String(error);
  return text.length <= descriptionLimit ? text : `${text.slice(0, descriptionLimit)}… (${text.length - descriptionLimit} more characters)`;
}

type Guard = (error: unknown) => boolean;
const graphStatus = (status: number): Guard => (error) => isGraphRequestError(error) && error.status === status;

/**
 * Every kind of failure the archiver knows, first match wins: its type guard, whether retrying can
 * fix it, and the reason dead letters and events name it by. Anything else is "HarvestFailed",
 * transient.
 */
export const failureKinds: readonly (readonly [guard: Guard, permanent: boolean, reason: string])[] = [
  [isInvalidJobError, true, "InvalidJob"],
  [isConfigError, true, "ConfigurationError"],
  [isForeignNextLinkError, true, "ForeignNextLink"],
  // Reading the same chain, answer or blob again gives the same result: a person must look.
  [isGraphPagingError, true, "GraphPagingLoop"],
  [isGraphAnswerTooLargeError, true, "GraphAnswerTooLarge"],
  [isArchiveDataError, true, "ArchiveDataUnreadable"],
  [isWindowTooBigError, true, "WindowTooBig"],
  [graphStatus(400), true, "GraphBadRequest"],
  [graphStatus(403), true, "GraphForbidden"],
  [graphStatus(401), true, "GraphUnauthorized"],
  [isGraphRequestError, false, "GraphUnavailable"],
  [isTenantConsentMissing, true, "TenantConsentMissing"],
  [isCredentialRejected, true, "CredentialRejected"],
  [isWaitingForEarlierPass, false, "WaitingForEarlierPass"],
  [isGraphResponseError, false, "GraphBadAnswer"],
  [isStorageFailure, false, "StorageFailed"],
];

/** Names the failure and whether retrying can fix it. */
export function classifyJobFailure(error: unknown): JobFailure {
  const description = describeFailure(error);
  const [, permanent, reason] = failureKinds.find(([guard]) => guard(error)) ?? [undefined, false, "HarvestFailed"];
  return { permanent, reason, description };
}

export type JobRetryDecision =
  | { readonly action: "retry"; readonly attempt: number; readonly notBeforeInMs: number; readonly delayInMs: number; readonly failure: JobFailure }
  | { readonly action: "deadLetter"; readonly reason: string; readonly description: string };

export interface JobAttempt {
  readonly job: Job;
  /** 0 for the first delivery of a job, k for its k-th re-send. */
  readonly attempt: number;
  readonly nowInMs: number;
  /** Uniform in [0, 1): jitter, injected for reproducible tests. */
  readonly random: () => number;
}

/** The instant after which Graph no longer holds the window's earliest records (its source's horizon). */
export const horizonOf = (job: Job, options?: JobRetryOptions): number =>
  job.source === undefined
    ? windowHorizon(job.window)
    : windowHorizon(job.window, { horizonInMs: options?.logHorizonsInMs?.[job.source] ?? logSources[job.source].defaultHorizonDays * dayInMs });

export function decideJobRetry(failure: JobFailure, at: JobAttempt, options: JobRetryOptions = defaultJobRetryOptions): JobRetryDecision {
  if (failure.permanent) return { action: "deadLetter", reason: failure.reason, description: failure.description };
  const step = Math.min(options.maxDelayInMs, options.baseDelayInMs * 2 ** Math.min(at.attempt, 30));
  // Equal jitter: half the step fixed, half random, so windows failed by one outage spread out.
  const delayInMs = Math.round(step / 2 + (step / 2) * at.random());
  const notBeforeInMs = at.nowInMs + delayInMs;
  const horizon = horizonOf(at.job, options);
  if (notBeforeInMs > horizon - options.horizonMarginInMs) {
    return {
      action: "deadLetter",
      reason: `${failure.reason}AtHorizon`,
      description: `Gave up after ${at.attempt + 1} attempts: a retry would come too close to Graph's ${Math.round((horizon - at.job.window.startInMs) / dayInMs)}-day horizon for this window. Last error: ${failure.description}`,
    };
  }
  return { action: "retry", attempt: at.attempt + 1, notBeforeInMs, delayInMs, failure };
}
