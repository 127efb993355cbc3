/**
 * A harvest job: one (window, pass). Its identity is deterministic, so writing it twice writes once
 * (blob names: a second run finds the manifest and stops), and on Service Bus Standard sending it
 * twice sends it once (duplicate detection on messageId).
 */
import { InvalidJobError } from "./errors.js";
import { type LogSourceName, isLogSourceName, logSourceNames, logSources } from "./sources.js";
import { type TenantId, isTenantId } from "./tenants.js";
import { type TimeWindow, compactInstant, dayInMs, formatInstant } from "./window.js";

export const jobSchemaVersion = 1;

export interface Job {
  readonly window: TimeWindow;
  /** 0 for the first read after the settle delay; k for the k-th re-read offset. */
  readonly pass: number;
  /** A telephony log's job names its log; a call records job names none (sources.ts). */
  readonly source?: LogSourceName;
  /** Another tenant's job names its tenant; the home tenant's names none (tenants.ts). */
  readonly tenant?: TenantId;
}

export interface JobMessageBody {
  readonly schemaVersion: 1;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly pass: number;
  /** Present on a telephony log's job only. */
  readonly source?: LogSourceName;
  /** Present on another tenant's job only: messages queued before tenants existed are the home tenant's. */
  readonly tenant?: TenantId;
  /** Present on re-sends after a transient failure: 1 for the first re-send. */
  readonly attempt?: number;
  /** Present on re-sends after a transient failure: the retry chain they belong to (jobRecords.ts). */
  readonly chain?: string;
}

/** One delivery's job and how many times it has been re-sent after failing. */
export interface JobDelivery {
  readonly job: Job;
  readonly attempt: number;
  /** The retry chain this delivery continues; absent on a first send, a sweep's or a replay's. */
  readonly chain?: string;
}

/** `20261127T0900Z_20261127T1000Z_p0`: sortable, filename-safe, and a valid messageId. */
export const jobKey = (job: Job): string =>
  `${compactInstant(job.window.startInMs)}_${compactInstant(job.window.endInMs)}_p${job.pass}`;

export const jobBody = (job: Job, attempt = 0, chain?: string): JobMessageBody => ({
  schemaVersion: jobSchemaVersion,
  windowStart: formatInstant(job.window.startInMs),
  windowEnd: formatInstant(job.window.endInMs),
  pass: job.pass,
  ...(job.source !== undefined ? { source: job.source } : {}),
  ...(job.tenant !== undefined ? { tenant: job.tenant } : {}),
  ...(attempt > 0 ? { attempt } : {}),
  ...(chain !== undefined ? { chain } : {}),
});

/** A retry chain's id: letters, digits and dashes, as newChainId makes them. */
export const chainIdPattern = /^[A-Za-z0-9-]{1,40}$/;

/**
 * The messageId of a job's message. The first send is the job key, so planning it twice sends it
 * once; a re-send after a failure carries its attempt (`_a2`), and a re-send by the coverage sweep
 * or a replay its own tag (`_s20261127T1015Z`), so duplicate detection (where the tier has it)
 * never drops a retry. Another tenant's job starts with its tenant id (about 100 characters at most,
 * within Service Bus's 128), so two tenants' same window are two messages.
 */
export const messageIdOf = (job: Job, attempt = 0, resendTag?: string): string =>
  `${job.tenant !== undefined ? `${job.tenant}_` : ""}${job.source !== undefined ? `${logSources[job.source].messagePrefix}_` : ""}${jobKey(job)}${attempt > 0 ? `_a${attempt}` : ""}${resendTag ? `_${resendTag}` : ""}`;

/** Whole seconds only: an instant with a fraction would share its blob names with the whole-second window. */
const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * What is wrong with a window's shape, if anything. Every window the planner makes has a length
 * that divides a day and starts on a multiple of it, and a split halves that exactly (planning.ts),
 * so a job's window must too: anything else is not this archiver's (a hand-made or corrupted
 * message), and could name blobs that overlap real windows, or span years of day partitions.
 */
export function windowShapeProblem(window: TimeWindow): string | undefined {
  const length = window.endInMs - window.startInMs;
  if (dayInMs % length !== 0) return `the window from windowStart to windowEnd lasts ${length / 1000} s, which does not divide a day (a window length such as 60 minutes, or a split half of one)`;
  if (window.startInMs % length !== 0) return `windowStart ${formatInstant(window.startInMs)} is not aligned to the window's length (${length / 1000} s)`;
  return undefined;
}

/** Validates a message body; throws InvalidJobError naming what is wrong. */
export const parseJobMessage = (body: unknown): Job => parseJobDelivery(body).job;

/** Validates a message body, attempt included; throws InvalidJobError naming what is wrong. */
export function parseJobDelivery(body: unknown): JobDelivery {
  let value = body;
  if (typeof value === "string" || value instanceof Uint8Array) {
    const text = typeof value === "string" ? value : Buffer.from(value).toString("utf8");
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidJobError("message body is not JSON");
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidJobError("message body is not a JSON object");
  }
  const { schemaVersion, windowStart, windowEnd, pass, attempt, chain, source, tenant } = value as Record<string, unknown>;
  if (schemaVersion !== jobSchemaVersion) {
    throw new InvalidJobError(`schemaVersion must be ${jobSchemaVersion}, got ${JSON.stringify(schemaVersion)}`);
  }
  for (const [name, v] of [["windowStart", windowStart], ["windowEnd", windowEnd]] as const) {
    if (typeof v !== "string" || !isoInstant.test(v) || Number.isNaN(Date.parse(v))) {
      throw new InvalidJobError(`${name} must be an ISO 8601 UTC instant in whole seconds like 2026-11-27T09:00:00Z, got ${JSON.stringify(v)}`);
    }
  }
  if (typeof pass !== "number" || !Number.isInteger(pass) || pass < 0 || pass > 99) {
    throw new InvalidJobError(`pass must be a whole number from 0 to 99, got ${JSON.stringify(pass)}`);
  }
  if (attempt !== undefined && (typeof attempt !== "number" || !Number.isInteger(attempt) || attempt < 0 || attempt > 10_000)) {
    throw new InvalidJobError(`attempt must be a whole number from 0 to 10000 when present, got ${JSON.stringify(attempt)}`);
  }
  if (chain !== undefined && (typeof chain !== "string" || !chainIdPattern.test(chain))) {
    throw new InvalidJobError(`chain must be 1 to 40 letters, digits or dashes when present, got ${JSON.stringify(chain).slice(0, 60)}`);
  }
  if (source !== undefined && !isLogSourceName(source)) {
    throw new InvalidJobError(`source must be ${logSourceNames.map((n) => JSON.stringify(n)).join(" or ")} when present (absent: call records), got ${JSON.stringify(source).slice(0, 60)}`);
  }
  if (tenant !== undefined && !isTenantId(tenant)) {
    throw new InvalidJobError(`tenant must be a tenant id in lower case (a GUID) when present (absent: the home tenant), got ${JSON.stringify(tenant).slice(0, 60)}`);
  }
  const window = { startInMs: Date.parse(windowStart as string), endInMs: Date.parse(windowEnd as string) };
  if (window.endInMs <= window.startInMs) throw new InvalidJobError("windowEnd must be after windowStart");
  const problem = windowShapeProblem(window);
  if (problem) throw new InvalidJobError(problem);
  return { job: { window, pass, ...(source !== undefined ? { source } : {}), ...(tenant !== undefined ? { tenant } : {}) }, attempt: attempt ?? 0, ...(chain !== undefined ? { chain } : {}) };
}
