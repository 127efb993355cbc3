/**
 * Faults the sandbox injects into Graph requests, drawn from its seeded generator: dropped
 * connections, 503s (half of them with a short Retry-After) and slow answers.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "./httpError.js";

export interface FaultOptions {
  /** Share of Graph requests answered 503 (with a short Retry-After half of the time). */
  readonly unavailableRate?: number;
  /** Share of Graph requests whose connection is dropped without an answer. */
  readonly dropRate?: number;
  /** Share of Graph requests answered only after `slowInMs`. */
  readonly slowRate?: number;
  readonly slowInMs?: number;
  /**
   * After this many Graph requests, every Graph request is answered with `status` (a lasting
   * outage, a revoked grant, or throttling with a Retry-After of `retryAfterSeconds`).
   */
  readonly failAfterRequests?: { readonly after: number; readonly status: 403 | 429 | 500 | 503; readonly retryAfterSeconds?: number };
  /**
   * Share of Graph requests answered 429 whatever the rate, as a throttled neighbour app, a
   * tenant-wide limit or a service incident gives: half of them with a Retry-After of
   * `throttledRetryAfterSeconds` (default 2), half with none.
   */
  readonly throttledRate?: number;
  readonly throttledRetryAfterSeconds?: number;
  /** List nextLinks point at another origin, as a misbehaving proxy might: a client must refuse to follow them. */
  readonly foreignNextLink?: boolean;
  /** A span of real time (epoch ms) in which every Graph request is answered 503: an outage. */
  readonly outage?: { readonly fromInMs: number; readonly toInMs: number };
  /**
   * An outage that starts at the `after`-th Graph request and lasts `lengthInMs` of real time: met
   * by a run however fast it starts or how few calls its span holds.
   */
  readonly outageAfterRequests?: { readonly after: number; readonly lengthInMs: number };
  /**
   * 429 storms: every `everyInMs` from the sandbox's start, for `lengthInMs`, every Graph request is
   * answered 429; storms alternate between sending a Retry-After (the rest of the storm) and not.
   */
  readonly storms?: { readonly everyInMs: number; readonly lengthInMs: number };
  /** Every Graph answer takes this long, as Graph's do over a real network (about 300 ms). */
  readonly latencyMs?: number;
  /**
   * Share of call records whose sessions never end: their first page points to a sessions page
   * whose nextLink names itself. Drawn per record (by its id), so every read of the record loops.
   */
  readonly loopingRecordRate?: number;
  /**
   * Share of call records whose every answer is larger than `oversizedBytes` (default 2 MiB): past
   * a client's body cap. Drawn per record, as loops are.
   */
  readonly oversizedRecordRate?: number;
  readonly oversizedBytes?: number;
  /** Share of call records whose every request is answered 500, whatever the retries. Drawn per record. */
  readonly failingRecordRate?: number;
  /**
   * A listing's first page names itself as its nextLink, a listing that never ends: every listing,
   * or those whose window holds the instant `atInMs`.
   */
  readonly loopingList?: boolean | { readonly atInMs: number };
  /**
   * Share of Graph answers sent one byte at a time, `dripIntervalInMs` apart (default 200 ms): a
   * connection that is never silent for long, and never done.
   */
  readonly dripRate?: number;
  readonly dripIntervalInMs?: number;
}

/** The sessions page a looping record's first page points to; its nextLink is itself. */
export const loopingSessionsToken = "loop";

/** True when this record's sessions are to loop (a fixed draw per record id). */
export const recordLoops = (faults: FaultOptions, id: string, hash: (text: string) => number): boolean =>
  (faults.loopingRecordRate ?? 0) > 0 && hash(`loop:${id}`) / 2 ** 32 < (faults.loopingRecordRate ?? 0);

/** What is wrong with one call record, a fixed draw per record id (a record meets at most one fault). */
export type RecordFault = "loop" | "oversized" | "failing";

export function recordFaultOf(faults: FaultOptions, id: string, hash: (text: string) => number): RecordFault | undefined {
  if (recordLoops(faults, id, hash)) return "loop";
  if ((faults.oversizedRecordRate ?? 0) > 0 && hash(`oversized:${id}`) / 2 ** 32 < (faults.oversizedRecordRate ?? 0)) return "oversized";
  if ((faults.failingRecordRate ?? 0) > 0 && hash(`failing:${id}`) / 2 ** 32 < (faults.failingRecordRate ?? 0)) return "failing";
  return undefined;
}

export interface FaultCounts {
  graphRequests: number;
  /** When `outageAfterRequests` began, once it has. */
  outageStartedAtInMs?: number;
  unavailable: number;
  dropped: number;
  slow: number;
  /** 429s of the `throttledRate` fault. */
  throttledAnyway: number;
}

/** Applies this request's fault, if any: returns "dropped" when the connection is gone, throws a 503, or waits. */
export async function injectFault(
  req: IncomingMessage,
  faults: FaultOptions,
  random: () => number,
  counts: FaultCounts,
  startedAtInMs = 0,
): Promise<"dropped" | undefined> {
  const now = Date.now();
  const triggered = faults.outageAfterRequests;
  if (triggered && counts.outageStartedAtInMs === undefined && counts.graphRequests >= triggered.after) counts.outageStartedAtInMs = now;
  const inTriggered = triggered !== undefined && counts.outageStartedAtInMs !== undefined && now < counts.outageStartedAtInMs + triggered.lengthInMs;
  if (inTriggered || (faults.outage && now >= faults.outage.fromInMs && now < faults.outage.toInMs)) {
    counts.unavailable += 1;
    throw new HttpError(503, "ServiceUnavailable", "The service is unavailable (outage).");
  }
  if (faults.storms) {
    const since = now - startedAtInMs;
    const storm = Math.floor(since / faults.storms.everyInMs);
    const into = since - storm * faults.storms.everyInMs;
    if (storm > 0 && into < faults.storms.lengthInMs) {
      const headers: Record<string, string> = storm % 2 === 0 ? { "Retry-After": ((faults.storms.lengthInMs - into) / 1000).toFixed(3) } : {};
      throw new HttpError(429, "TooManyRequests", "Too many requests (storm).", headers);
    }
  }
  const lasting = faults.failAfterRequests;
  if (lasting && counts.graphRequests > lasting.after) {
    if (lasting.status === 429) throw new HttpError(429, "TooManyRequests", "Too many requests.", { "Retry-After": String(lasting.retryAfterSeconds ?? 1) });
    if (lasting.status === 403) throw new HttpError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    throw new HttpError(lasting.status, lasting.status === 503 ? "ServiceUnavailable" : "InternalServerError", "The service is failing.");
  }
  // Drawn only when asked for, so other seeded faults fall as they always did.
  if (faults.throttledRate && random() < faults.throttledRate) {
    counts.throttledAnyway += 1;
    const retryAfter: Record<string, string> = random() < 0.5 ? { "Retry-After": String(faults.throttledRetryAfterSeconds ?? 2) } : {};
    throw new HttpError(429, "TooManyRequests", "Too many requests (not of this app's making).", retryAfter);
  }
  const roll = random();
  if (roll < (faults.dropRate ?? 0)) {
    counts.dropped += 1;
    req.socket.destroy();
    return "dropped";
  }
  if (roll < (faults.dropRate ?? 0) + (faults.unavailableRate ?? 0)) {
    counts.unavailable += 1;
    const retryAfter: Record<string, string> = random() < 0.5 ? { "Retry-After": "0.2" } : {};
    throw new HttpError(503, "ServiceUnavailable", "The service is temporarily unavailable.", retryAfter);
  }
  if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
  if (random() < (faults.slowRate ?? 0)) {
    counts.slow += 1;
    await new Promise((resolve) => setTimeout(resolve, faults.slowInMs ?? 2000));
  }
  return undefined;
}
