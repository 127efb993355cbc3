/**
 * The telephony logs Graph serves beside call records, as sources of the same pipeline: what each
 * is called, where it is archived, and how its time range is asked for. Pure, and the one place
 * these rules live (the Graph client, the harvest, planning, the layout, the lake and the sandbox
 * read them).
 *
 * A call records job names no source (messages and blobs written before these logs existed stay
 * what they were); a log job names its source.
 */
import { type TimeWindow, dayInMs, formatInstant } from "./window.js";

export type LogSourceName = "pstnCalls" | "directRoutingCalls";

/** Every source: call records, and the logs. */
export type SourceName = "callRecords" | LogSourceName;

export interface LogSource {
  readonly name: LogSourceName;
  /** As people say it, in messages and reports. */
  readonly label: string;
  /** Graph's function under /communications/callRecords. */
  readonly graphFunction: "getPstnCalls" | "getDirectRoutingCalls";
  /**
   * Whether Graph's `toDateTime` includes its instant: yes for PSTN calls, no for Direct Routing
   * (each function's page says so). A window is half-open either way (rangeOf, rowInWindow).
   */
  readonly toInclusive: boolean;
  /** The archive's root for this source's blobs. */
  readonly archiveRoot: string;
  /** Prefix of its jobs' Service Bus messageIds, so a log's job never shares one with a call records job. */
  readonly messagePrefix: string;
  /** How long Graph keeps the log by default (Teams docs: Calling Plans 365 days, Direct Routing 150; countries differ). */
  readonly defaultHorizonDays: number;
  /** The setting that turns the source on or off, and the one that sets its horizon. */
  readonly enabledSetting: string;
  readonly horizonSetting: string;
}

export const logSources: Readonly<Record<LogSourceName, LogSource>> = {
  pstnCalls: {
    name: "pstnCalls",
    label: "PSTN calls",
    graphFunction: "getPstnCalls",
    toInclusive: true,
    archiveRoot: "pstncalls/v1",
    messagePrefix: "pstn",
    defaultHorizonDays: 365,
    enabledSetting: "ARCHIVER_PSTN_CALLS",
    horizonSetting: "ARCHIVER_PSTN_HORIZON_DAYS",
  },
  directRoutingCalls: {
    name: "directRoutingCalls",
    label: "Direct Routing calls",
    graphFunction: "getDirectRoutingCalls",
    toInclusive: false,
    archiveRoot: "directroutingcalls/v1",
    messagePrefix: "dr",
    defaultHorizonDays: 150,
    enabledSetting: "ARCHIVER_DIRECT_ROUTING_CALLS",
    horizonSetting: "ARCHIVER_DIRECT_ROUTING_HORIZON_DAYS",
  },
};

export const logSourceNames = Object.keys(logSources) as LogSourceName[];

export const isLogSourceName = (value: unknown): value is LogSourceName => typeof value === "string" && Object.hasOwn(logSources, value);

/**
 * Requests a minute the logs may make, together. Graph's throttling page (cloud communications,
 * PSTN calls): 1,000 / 60 s per tenant, 200 / 60 s per app per tenant, 50 / 60 s per collection.
 * The lowest, shared by both logs, keeps every one of the three.
 */
export const logRequestsPerMinute = 50;

/**
 * Days of each log one planning tick sends at most. A log's job mostly waits on that pace, and a
 * job that waits holds one of the harvest's slots: a first deploy's backfill (365 and 150 days)
 * sent at once would hold them all for minutes, and call records would wait behind it. Trickled,
 * a tick's log jobs hold about a slot-second each (16 a tick, every 15 minutes), and the backfill
 * takes about a day, well inside the logs' horizons.
 */
export const logDaysPerTick = 8;

/** Graph answers one request for at most 90 days of a log. */
export const maxLogRangeInMs = 90 * dayInMs;


/**
 * The `fromDateTime` and `toDateTime` that ask Graph for a half-open window [start, end): the same
 * instants for both logs. Where Graph's end is inclusive (PSTN calls), a call starting exactly at
 * the end is in its answer too, and rowInWindow leaves it to the next window.
 */
export function rangeOf(window: TimeWindow): { readonly fromDateTime: string; readonly toDateTime: string } {
  if (window.endInMs - window.startInMs > maxLogRangeInMs) throw new RangeError(`a log window lasts at most 90 days, got ${formatWindow(window)}`);
  return { fromDateTime: formatInstant(window.startInMs), toDateTime: formatInstant(window.endInMs) };
}

const formatWindow = (window: TimeWindow) => `${formatInstant(window.startInMs)}–${formatInstant(window.endInMs)}`;

/**
 * The instant of a row's `startDateTime` as whole milliseconds, rounded down (Graph writes up to
 * seven decimals: 2019-11-01T00:00:08.2589935Z). Rounding down keeps order with every window
 * boundary (boundaries are whole seconds), so a row is in exactly one window. Undefined for
 * anything that is not an ISO 8601 UTC instant.
 */
export function rowStartInMs(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?Z$/.exec(value);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}.${(match[2] ?? "").padEnd(3, "0").slice(0, 3)}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** True when a row Graph answered for `window` belongs to it: started in [start, end). */
export const rowInWindow = (startInMs: number, window: TimeWindow): boolean => startInMs >= window.startInMs && startInMs < window.endInMs;
