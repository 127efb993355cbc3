/**
 * A telephony log's health, as status reports it beside call records': days read of those due,
 * re-reads done of those due, rows, whether the tenant has the log at all, and what is overdue and
 * how long before the log's own horizon. Pure: from the log's manifests, the clock and its plan.
 */
import { jobKey } from "../../core/job.js";
import { horizonMarginInMs, horizonOf, passDueAt, retentionStart, windowHorizon } from "../../core/passes.js";
import { type LogSourceName, logSources } from "../../core/sources.js";
import { dayInMs, formatInstant } from "../../core/window.js";
import type { ArchivedLogManifest } from "../plan/manifestListing.js";
import type { PlanSettings } from "../plan/planning.js";
import type { MissingPass } from "./statusReport.js";

export interface LogStatus {
  readonly source: LogSourceName;
  readonly label: string;
  readonly horizonDays: number;
  readonly days: { readonly read: number; readonly due: number };
  readonly rereads: { readonly done: number; readonly due: number };
  readonly rows: number;
  readonly bytes: number;
  /** From the newest day read: does the tenant have this log? */
  readonly availability: "available" | "unsupported" | "unknown";
  /** Days a settled pass found without the log (Graph's 404). */
  readonly unsupportedDays: number;
  readonly missing: readonly MissingPass[];
  readonly atRisk: readonly MissingPass[];
  readonly headline: string;
}

export interface LogStatusInput {
  readonly source: LogSourceName;
  readonly manifests: readonly ArchivedLogManifest[];
  readonly nowInMs: number;
  readonly plan: PlanSettings;
  /** The log's watermark; undefined where none is kept (a local folder: the span its manifests cover). */
  readonly watermarkInMs: number | undefined;
  /** A pass not archived this long after it fell due is overdue (the coverage sweep's grace). */
  readonly graceInMs: number;
  readonly riskMarginInMs: number;
}

export function logStatus(input: LogStatusInput): LogStatus {
  const { source, plan, nowInMs } = input;
  const done = new Map(input.manifests.map((m) => [jobKey(m.job), m] as const));
  const starts = input.manifests.map((m) => m.job.window.startInMs);
  const first = Math.max(retentionStart(nowInMs, dayInMs, horizonOf(plan)), input.watermarkInMs === undefined && starts.length > 0 ? Math.min(...starts) : Number.NEGATIVE_INFINITY);
  const last = input.watermarkInMs ?? (starts.length > 0 ? Math.max(...starts) + dayInMs : first);
  let read = 0;
  let due = 0;
  const rereads = { done: 0, due: 0 };
  const missing: MissingPass[] = [];
  let newest: ArchivedLogManifest | undefined;
  const unsupportedDays = new Set<number>();
  for (let start = first; start + dayInMs <= last; start += dayInMs) {
    const window = { startInMs: start, endInMs: start + dayInMs };
    for (let pass = 0; pass <= plan.rereadOffsetsInMs.length; pass += 1) {
      const at = passDueAt(window, pass, plan);
      if (at > nowInMs || at >= windowHorizon(window, plan) - horizonMarginInMs) continue;
      const manifest = done.get(jobKey({ window, pass, source }));
      if (pass === 0) due += 1;
      else rereads.due += 1;
      if (manifest) {
        if (pass === 0) read += 1;
        else rereads.done += 1;
        if (manifest.status === "unsupported") unsupportedDays.add(start);
        if (!newest || manifest.job.window.startInMs >= newest.job.window.startInMs) newest = manifest;
      } else if (at + input.graceInMs <= nowInMs) {
        missing.push({ job: jobKey({ window, pass }), windowStart: formatInstant(start), pass, daysBeforeHorizon: Math.round(((windowHorizon(window, plan) - nowInMs) / dayInMs) * 10) / 10 });
      }
    }
  }
  const rows = input.manifests.reduce((n, m) => n + (m.records ?? 0), 0);
  const bytes = input.manifests.reduce((n, m) => n + (m.bytes ?? 0), 0);
  const availability = newest === undefined ? "unknown" : newest.status === "unsupported" ? "unsupported" : "available";
  const atRisk = missing.filter((m) => m.daysBeforeHorizon * dayInMs < input.riskMarginInMs);
  const label = logSources[source].label;
  const horizonDays = horizonOf(plan) / dayInMs;
  const headline =
    availability === "unsupported"
      ? `${label}: not available in this tenant (Graph answered 404 for ${logSources[source].graphFunction} on the newest day read); every day asks again`
      : `${label}: ${read}/${due} days read, ${rereads.done}/${rereads.due} re-reads, ${rows} rows; ${missing.length === 0 ? "nothing overdue" : `${missing.length} passes overdue, the oldest ${missing[0]?.daysBeforeHorizon} days before the ${horizonDays}-day horizon`}`;
  return { source, label, horizonDays, days: { read, due }, rereads, rows, bytes, availability, unsupportedDays: unsupportedDays.size, missing, atRisk, headline };
}
