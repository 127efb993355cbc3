/**
 * One error class per failure kind, each with `name` set and a type guard, so callers branch on
 * kind rather than on message text.
 */

/** A setting is missing or invalid. Start-up stops with every bad setting named. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly { setting: string; problem: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p.setting}: ${p.problem}`).join("\n")}`,
    );
  }
}

/** Graph answered with an error that retrying will not fix (or retries ran out). */
export class GraphRequestError extends Error {
  override readonly name = "GraphRequestError";
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly graphCode: string | undefined,
    readonly url: string,
  ) {
    super(message);
  }
}

/** The record is older than Graph's 30-day retention (404 on GET). Reported, never retried. */
export class RecordExpiredError extends Error {
  override readonly name = "RecordExpiredError";
  constructor(readonly recordId: string) {
    super(`Call record ${recordId} is no longer held by Graph (404: older than 30 days)`);
  }
}

/** Graph answered 2xx with a body that is not what its contract promises. Fails the job. */
export class GraphResponseError extends Error {
  override readonly name = "GraphResponseError";
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(`${message} (from ${url})`);
  }
}

/** A nextLink pointed away from the configured Graph endpoint: the bearer token stays home. */
export class ForeignNextLinkError extends Error {
  override readonly name = "ForeignNextLinkError";
  constructor(
    readonly nextLink: string,
    readonly expectedOrigin: string,
  ) {
    super(
      `Refusing to follow nextLink ${nextLink}: its origin is not the configured Graph endpoint ${expectedOrigin}`,
    );
  }
}

/** A queue message that can never be processed. Dead-lettered at once with this message. */
export class InvalidJobError extends Error {
  override readonly name = "InvalidJobError";
}

/**
 * A re-read pass found the pass before it not yet complete over its window: running now would
 * archive the same new versions twice. Transient: the job is sent again later.
 */
export class WaitingForEarlierPass extends Error {
  override readonly name = "WaitingForEarlierPass";
}

/** The scheduler's watermark blob is unreadable or holds an instant the planner cannot use. */
export class WatermarkError extends Error {
  override readonly name = "WatermarkError";
}

export const isConfigError = (e: unknown): e is ConfigError => e instanceof ConfigError;
export const isGraphRequestError = (e: unknown): e is GraphRequestError =>
  e instanceof GraphRequestError;
export const isRecordExpiredError = (e: unknown): e is RecordExpiredError =>
  e instanceof RecordExpiredError;
export const isGraphResponseError = (e: unknown): e is GraphResponseError =>
  e instanceof GraphResponseError;
export const isForeignNextLinkError = (e: unknown): e is ForeignNextLinkError =>
  e instanceof ForeignNextLinkError;
export const isInvalidJobError = (e: unknown): e is InvalidJobError => e instanceof InvalidJobError;
