/**
 * The one place that decides what to do with a Graph answer. Pure: it returns a decision, and the
 * Graph client acts on it (waits, refreshes the token, or throws). Tested as a table.
 */

export type GraphOutcome =
  | { readonly kind: "response"; readonly status: number; readonly retryAfterHeader?: string | undefined }
  | { readonly kind: "networkError"; readonly code: string }
  | { readonly kind: "timeout" };

export type RetryCause = "throttled" | "unavailable" | "serverError" | "network" | "timeout" | "unauthorized";

export type RetryDecision =
  | { readonly action: "success" }
  | { readonly action: "retry"; readonly delayInMs: number; readonly cause: RetryCause }
  | { readonly action: "refreshTokenAndRetry"; readonly cause: "unauthorized" }
  | {
      readonly action: "fail";
      readonly reason: "badRequest" | "forbidden" | "expired" | "notFound" | "unauthorized" | "exhausted" | "unexpected";
    };

export interface RetryOptions {
  /** Total attempts including the first. */
  readonly maxAttempts: number;
  /** First backoff when Graph gives no Retry-After; doubles each attempt. */
  readonly baseDelayInMs: number;
  /** Cap on any single wait, Retry-After included. */
  readonly maxDelayInMs: number;
}

export interface RetryContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** True when the request reads one call record (404 then means "expired"). */
  readonly isRecordRequest: boolean;
  /**
   * True when the token Graph just answered 401 was fetched after this request's previous 401 and
   * Graph never accepted it: the credential is bad, not the token (a token revoked early was
   * accepted before, or was issued before the 401; either is refreshed and retried).
   */
  readonly freshTokenRejected: boolean;
  /** Uniform in [0, 1): injected so decisions are reproducible in tests. */
  readonly random: () => number;
}

const retriableNetworkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/**
 * `Retry-After` in seconds (Graph sends fractions such as `2.128`) or an HTTP date.
 * Returns undefined when absent or unreadable, so the caller falls back to backoff.
 */
export function parseRetryAfterInMs(header: string | undefined, nowInMs: number): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds)) return seconds < 0 ? undefined : Math.ceil(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowInMs);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
export function backoffDelayInMs(attempt: number, options: RetryOptions, random: () => number): number {
  const exponential = Math.min(options.maxDelayInMs, options.baseDelayInMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

export function decideRetry(
  outcome: GraphOutcome,
  context: RetryContext,
  options: RetryOptions,
  nowInMs = 0,
): RetryDecision {
  if (outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300) {
    return { action: "success" };
  }
  const permanent = classifyPermanent(outcome, context);
  if (permanent) return permanent;
  if (context.attempt >= options.maxAttempts) return { action: "fail", reason: "exhausted" };

  if (outcome.kind === "response" && outcome.status === 401) {
    return { action: "refreshTokenAndRetry", cause: "unauthorized" };
  }
  const cause = transientCause(outcome);
  if (cause === undefined) return { action: "fail", reason: "unexpected" };
  const fromHeader =
    outcome.kind === "response" ? parseRetryAfterInMs(outcome.retryAfterHeader, nowInMs) : undefined;
  const delayInMs =
    fromHeader === undefined
      ? backoffDelayInMs(context.attempt, options, context.random)
      : Math.min(fromHeader, options.maxDelayInMs);
  return { action: "retry", delayInMs, cause };
}

function classifyPermanent(outcome: GraphOutcome, context: RetryContext): RetryDecision | undefined {
  if (outcome.kind !== "response") return undefined;
  switch (outcome.status) {
    case 400:
      return { action: "fail", reason: "badRequest" };
    case 401:
      return context.freshTokenRejected ? { action: "fail", reason: "unauthorized" } : undefined;
    case 403:
      return { action: "fail", reason: "forbidden" };
    case 404:
      return { action: "fail", reason: context.isRecordRequest ? "expired" : "notFound" };
    default:
      return undefined;
  }
}

function transientCause(outcome: GraphOutcome): RetryCause | undefined {
  switch (outcome.kind) {
    case "timeout":
      return "timeout";
    case "networkError":
      return retriableNetworkCodes.has(outcome.code) ? "network" : undefined;
    case "response":
      if (outcome.status === 429) return "throttled";
      if (outcome.status === 503 || outcome.status === 504) return "unavailable";
      if (outcome.status === 500 || outcome.status === 502) return "serverError";
      return undefined;
  }
}
