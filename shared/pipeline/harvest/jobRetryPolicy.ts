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
  isForeignNextLinkError,
  isGraphAnswerTooLargeError,
  isGraphPagingError,
  isGraphRequestError,
  isInvalidJobError,
  isWindowTooBigError,
} from "../../core/errors.js";
import type { Job } from "../../core/job.js";
import { horizonMarginInMs, windowHorizon } from "../../core/passes.js";

export interface JobRetryOptions {
  /** Delay before the first re-send; doubles per attempt. Default 1 minute. */
  readonly baseDelayInMs: number;
  /** Cap on any one delay. Default 1 hour. */
  readonly maxDelayInMs: number;
  /** A retry must start at least this long before Graph's horizon for the window. Default 2 hours. */
  readonly horizonMarginInMs: number;
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

/** Names the failure and whether retrying can fix it. */
export function classifyJobFailure(error: unknown): JobFailure {
  const description = describeFailure(error);
  const permanent = (reason: string): JobFailure => ({ permanent: true, reason, description });
  const transient = (reason: string): JobFailure => ({ permanent: false, reason, description });
  if (isInvalidJobError(error)) return permanent("InvalidJob");
  if (isConfigError(error)) return permanent("ConfigurationError");
  if (isForeignNextLinkError(error)) return permanent("ForeignNextLink");
  // Reading the same chain, answer or blob again gives the same result: a person must look.
  if (isGraphPagingError(error)) return permanent("GraphPagingLoop");
  if (isGraphAnswerTooLargeError(error)) return permanent("GraphAnswerTooLarge");
  if (isArchiveDataError(error)) return permanent("ArchiveDataUnreadable");
  if (isWindowTooBigError(error)) return permanent("WindowTooBig");
  if (isGraphRequestError(error)) {
    if (error.status === 400) return permanent("GraphBadRequest");
    if (error.status === 403) return permanent("GraphForbidden");
    if (error.status === 401) return permanent("GraphUnauthorized");
    return transient("GraphUnavailable");
  }
  const name = error instanceof Error ? error.name : "";
  // Entra refusing the app's credential (a wrong secret, an unknown app) is configuration; Entra
  // being unreachable or failing (5xx) is not.
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  const isAuthentication = name === "AuthenticationError" || name === "AuthenticationRequiredError";
  if (isAuthentication && (status === 400 || status === 401 || /\b(invalid_client|unauthorized_client)\b/.test(description))) {
    return permanent("CredentialRejected");
  }
  if (name === "WaitingForEarlierPass") return transient("WaitingForEarlierPass");
  if (name === "GraphResponseError") return transient("GraphBadAnswer");
  if (name === "RestError" || name === "StorageError" || (error as { code?: unknown })?.code === "ENOSPC") return transient("StorageFailed");
  return transient("HarvestFailed");
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

/** The instant after which Graph no longer holds the window's earliest records. */
export const horizonOf = (job: Job): number => windowHorizon(job.window);

export function decideJobRetry(failure: JobFailure, at: JobAttempt, options: JobRetryOptions = defaultJobRetryOptions): JobRetryDecision {
  if (failure.permanent) return { action: "deadLetter", reason: failure.reason, description: failure.description };
  const step = Math.min(options.maxDelayInMs, options.baseDelayInMs * 2 ** Math.min(at.attempt, 30));
  // Equal jitter: half the step fixed, half random, so windows failed by one outage spread out.
  const delayInMs = Math.round(step / 2 + (step / 2) * at.random());
  const notBeforeInMs = at.nowInMs + delayInMs;
  if (notBeforeInMs > horizonOf(at.job) - options.horizonMarginInMs) {
    return {
      action: "deadLetter",
      reason: `${failure.reason}AtHorizon`,
      description: `Gave up after ${at.attempt + 1} attempts: a retry would come too close to Graph's 30-day horizon for this window. Last error: ${failure.description}`,
    };
  }
  return { action: "retry", attempt: at.attempt + 1, notBeforeInMs, delayInMs, failure };
}
