/**
 * The sandbox playing Graph's telephony log functions, `getPstnCalls(fromDateTime=…,toDateTime=…)`
 * and `getDirectRoutingCalls(…)`: the range on the call's start, `toDateTime` inclusive for PSTN
 * calls and exclusive for Direct Routing (as their pages say), at most 90 days a request, 1,000
 * rows a page with `$skip` nextLinks computed afresh on each request (so a log that grows while it
 * is paged skips or repeats rows, as Graph's can), each log's own throttling (50 requests / 60 s),
 * its retention, and 404 for a log the tenant does not have.
 */
import type { JsonObject } from "../shared/graph/callRecord.js";
import { type LogSourceName, logSources } from "../shared/core/sources.js";
import { dayInMs } from "../shared/core/window.js";
import type { CallGenerator } from "./generator.js";
import { HttpError, throttled } from "./httpError.js";
import { type LogRow, logRowsOfDay, rowAt, ticksPerMs } from "./logRows.js";

export const logPageSize = 1000;

export interface LogRouteOptions {
  readonly origin: () => string;
  readonly seed: string;
  readonly calls: CallGenerator;
  readonly now: () => number;
  /** Rows a day, per log. */
  readonly rowsPerDay: number;
  /** Logs this tenant does not have: Graph answers 404. */
  readonly unsupported: readonly LogSourceName[];
  /** Logs the app may not read (no permission for them): Graph answers 403. */
  readonly forbidden: readonly LogSourceName[];
  /** Requests per 60 s per log; `undefined`: unthrottled. */
  readonly requestsPerMinute: number | undefined;
  /** How long Graph keeps each log, in days. */
  readonly horizonDays: Readonly<Record<LogSourceName, number>>;
}

const functionPattern = /^\/v1\.0\/communications\/callRecords\/(getPstnCalls|getDirectRoutingCalls)\(fromDateTime=([^,()]+),toDateTime=([^,()]+)\)$/;
const instantPattern = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** True for a path naming one of the log functions. */
export const isLogPath = (pathname: string): boolean => /^\/v1\.0\/communications\/callRecords\/(getPstnCalls|getDirectRoutingCalls)\(/.test(decodeURIComponent(pathname));

export function createLogRoutes(options: LogRouteOptions) {
  const days = new Map<string, LogRow[]>();
  const requestTimes: Record<LogSourceName, number[]> = { pstnCalls: [], directRoutingCalls: [] };
  const stats = { requests: 0, throttled: 0 };

  const rowsOf = (source: LogSourceName, day: number): LogRow[] => {
    const key = `${source}:${day}`;
    let rows = days.get(key);
    if (!rows) {
      rows = logRowsOfDay(source, day, { seed: options.seed, rowsPerDay: options.rowsPerDay, calls: options.calls, people: options.calls.people });
      days.set(key, rows);
      if (days.size > 2000) days.delete(days.keys().next().value as string);
    }
    return rows;
  };

  const pace = (source: LogSourceName, now: number) => {
    if (options.requestsPerMinute === undefined) return;
    const times = requestTimes[source];
    while (times.length > 0 && (times[0] as number) <= now - 60_000) times.shift();
    if (times.length >= options.requestsPerMinute) {
      stats.throttled += 1;
      throw throttled((times[0] as number) + 60_000 - now);
    }
    times.push(now);
  };

  const answer = (url: URL): JsonObject => {
    const match = functionPattern.exec(decodeURIComponent(url.pathname));
    if (!match) throw new HttpError(400, "BadRequest", "The function needs fromDateTime and toDateTime, as getPstnCalls(fromDateTime=2019-11-01,toDateTime=2019-12-01).");
    const source: LogSourceName = match[1] === "getPstnCalls" ? "pstnCalls" : "directRoutingCalls";
    stats.requests += 1;
    if (options.forbidden.includes(source)) throw new HttpError(403, "Forbidden", "Missing role permissions on the request. API requires one of 'CallRecords.Read.All, CallRecord-PstnCalls.Read.All'.");
    if (options.unsupported.includes(source)) throw new HttpError(404, "NotFound", `${logSources[source].label} are not available for this tenant.`);
    const now = options.now();
    pace(source, now);
    const [from, to] = [match[2] as string, match[3] as string].map((raw) => {
      if (!instantPattern.test(raw)) throw new HttpError(400, "BadRequest", `'${raw}' is not a valid DateTimeOffset.`);
      return Date.parse(raw.length === 10 ? `${raw}T00:00:00Z` : raw);
    }) as [number, number];
    if (!(to > from)) throw new HttpError(400, "BadRequest", "toDateTime must be after fromDateTime.");
    if (to - from > 90 * dayInMs) throw new HttpError(400, "BadRequest", "The date range cannot be more than 90 days.");
    const skipText = url.searchParams.get("$skip") ?? "0";
    if (!/^\d+$/.test(skipText)) throw new HttpError(400, "BadRequest", `$skip must be a whole number, got '${skipText}'.`);
    const skip = Number(skipText);
    const oldest = now - options.horizonDays[source] * dayInMs;
    const [fromTicks, toTicks] = [from * ticksPerMs, to * ticksPerMs];
    const inclusive = logSources[source].toInclusive;
    const rows: JsonObject[] = [];
    for (let day = Math.floor(Math.max(from, oldest) / dayInMs); day * dayInMs <= to; day += 1) {
      for (const row of rowsOf(source, day)) {
        if (row.startTicks < fromTicks || row.startTicks > toTicks || (!inclusive && row.startTicks === toTicks)) continue;
        if (row.startTicks < oldest * ticksPerMs) continue;
        const shown = rowAt(row, now);
        if (shown) rows.push(shown);
      }
    }
    const page = rows.slice(skip, skip + logPageSize);
    const base = `${options.origin()}${url.pathname}`;
    return {
      "@odata.context": `${options.origin()}/v1.0/$metadata#Collection(microsoft.graph.callRecords.${source === "pstnCalls" ? "pstnCallLogRow" : "directRoutingLogRow"})`,
      "@odata.count": page.length,
      value: page,
      ...(skip + logPageSize < rows.length ? { "@odata.nextLink": `${base}?$skip=${skip + logPageSize}` } : {}),
    };
  };

  /** Ground truth for tests: every row Graph would answer now, by start in [fromInMs, toInMs). */
  const groundTruth = (source: LogSourceName, fromInMs: number, toInMs: number, nowInMs = options.now()): JsonObject[] => {
    const out: JsonObject[] = [];
    for (let day = Math.floor(fromInMs / dayInMs); day * dayInMs < toInMs; day += 1) {
      for (const row of rowsOf(source, day)) {
        if (row.startTicks < fromInMs * ticksPerMs || row.startTicks >= toInMs * ticksPerMs) continue;
        const shown = rowAt(row, nowInMs);
        if (shown) out.push(shown);
      }
    }
    return out;
  };

  return { answer, groundTruth, stats };
}
