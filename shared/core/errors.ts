/**
 * One error class per failure kind, each with `name` set and a type guard, so callers branch on
 * kind rather than on message text.
 */
import { type TimeWindow, formatWindow } from "./window.js";

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

/** What a chain of nextLinks pages through: a window's listing, or one record's sessions or participants. */
export type PagedList = "list" | "sessions" | "participants";

/**
 * A chain of nextLinks that would never end: a link already followed came back, or the chain went
 * past the pages any real answer needs. Permanent: reading the same chain again loops again, and a
 * loop is never mistaken for a window too big to read in time (no split).
 */
export class GraphPagingError extends Error {
  override readonly name = "GraphPagingError";
  constructor(
    readonly list: PagedList,
    /** The window (`2026-11-27T09:00:00Z–…`) or the call record id whose list it is. */
    readonly subject: string,
    readonly problem: "repeatedLink" | "tooManyPages",
    readonly pages: number,
  ) {
    const what = list === "list" ? `The listing of window ${subject}` : `The ${list} of call record ${subject}`;
    super(
      problem === "repeatedLink"
        ? `${what} is a paging loop: after ${pages} pages Graph's nextLink named a page already read`
        : `${what} went past ${pages} pages, more than any real answer needs (the bound is documented in the README): taken for a paging loop`,
    );
  }
}

/** Graph answered with a body larger than any legitimate page (ARCHIVER_GRAPH_MAX_BODY_MB). Permanent. */
export class GraphAnswerTooLargeError extends Error {
  override readonly name = "GraphAnswerTooLargeError";
  constructor(
    readonly limitInBytes: number,
    readonly url: string,
  ) {
    super(`Graph's answer went past ${Math.round(limitInBytes / 1048576)} MiB (ARCHIVER_GRAPH_MAX_BODY_MB), far more than any page of call records holds`);
  }
}

/**
 * A committed blob of the archive cannot be read as what it should be. Names the blob and the line,
 * never the content (call records are personal data). Permanent: the blob is write-once.
 */
export class ArchiveDataError extends Error {
  override readonly name = "ArchiveDataError";
  constructor(
    readonly blob: string,
    problem: string,
  ) {
    super(`${blob}: ${problem}`);
  }
}

/**
 * A window that could not be harvested within the time budget even after halving it to its
 * smallest half. Permanent: a person chooses (a longer budget, then a replay of the dead letter).
 */
export class WindowTooBigError extends Error {
  override readonly name = "WindowTooBigError";
  constructor(
    readonly window: TimeWindow,
    timeBudgetInMs: number,
  ) {
    super(
      `Window ${formatWindow(window)} (${(window.endInMs - window.startInMs) / 1000} s, the smallest half a split makes) could not be harvested within ARCHIVER_TIME_BUDGET_SECONDS (${timeBudgetInMs / 1000} s); raise it, then replay this job`,
    );
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

/**
 * Storage said a blob exists (a create refused) but then could not return it: a race with another
 * writer, or storage answering inconsistently. Transient: the next delivery reads it again.
 */
export class ArchiveBlobVanishedError extends Error {
  override readonly name = "ArchiveBlobVanishedError";
  constructor(readonly blob: string) {
    super(`${blob} was reported as existing but cannot be read`);
  }
}

/**
 * The harvest was stopped from outside (the host is stopping this worker) before it finished: no
 * failure of the job, whose message is left for Service Bus to deliver again.
 */
export class HarvestStoppedError extends Error {
  override readonly name = "HarvestStoppedError";
  constructor(reason: unknown) {
    super(`The harvest was stopped before it finished: ${reason instanceof Error ? reason.message : String(reason)}`, { cause: reason });
  }
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
export const isGraphPagingError = (e: unknown): e is GraphPagingError => e instanceof GraphPagingError;
export const isGraphAnswerTooLargeError = (e: unknown): e is GraphAnswerTooLargeError => e instanceof GraphAnswerTooLargeError;
export const isArchiveDataError = (e: unknown): e is ArchiveDataError => e instanceof ArchiveDataError;
export const isWindowTooBigError = (e: unknown): e is WindowTooBigError => e instanceof WindowTooBigError;
export const isInvalidJobError = (e: unknown): e is InvalidJobError => e instanceof InvalidJobError;
export const isHarvestStoppedError = (e: unknown): e is HarvestStoppedError => e instanceof HarvestStoppedError;
export const isWaitingForEarlierPass = (e: unknown): e is WaitingForEarlierPass => e instanceof WaitingForEarlierPass;
export const isArchiveBlobVanishedError = (e: unknown): e is ArchiveBlobVanishedError => e instanceof ArchiveBlobVanishedError;

/** A failure of storage as its SDK or the file system reports it (no class of ours). */
export const isStorageFailure = (e: unknown): boolean => {
  const { name, code } = (e ?? {}) as { name?: unknown; code?: unknown };
  return name === "RestError" || name === "StorageError" || code === "ENOSPC" || isArchiveBlobVanishedError(e);
};

/**
 * Entra refusing the app a token in a tenant because the tenant has not consented to it, or its
 * consent was revoked (the app's service principal is missing there: AADSTS7000229; consent not
 * granted: AADSTS65001). Someone in that tenant must act; the app's credential is fine.
 */
export const isTenantConsentMissing = (e: unknown): boolean => {
  const { name, message } = (e ?? {}) as { name?: unknown; message?: unknown };
  return (name === "AuthenticationError" || name === "AuthenticationRequiredError") && /\bAADSTS(7000229|65001)\b/.test(String(message ?? ""));
};

/**
 * Entra refusing the app's credential (a wrong secret, an unknown app), as @azure/identity reports
 * it: configuration. Entra unreachable or failing (5xx) is not.
 */
export const isCredentialRejected = (e: unknown): boolean => {
  const { name, statusCode, message } = (e ?? {}) as { name?: unknown; statusCode?: unknown; message?: unknown };
  if (name !== "AuthenticationError" && name !== "AuthenticationRequiredError") return false;
  return statusCode === 400 || statusCode === 401 || /\b(invalid_client|unauthorized_client)\b/.test(String(message ?? ""));
};
