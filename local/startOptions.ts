/**
 * `npm start`'s command line, decided without effects: which span to archive and where, or the
 * sentence that says why not. A span must be readable: it ends no later than the last settled
 * instant (now minus the settle delay: newer calls may not be listed yet, and a local run never
 * re-reads them) and starts no earlier than the oldest instant Graph still holds (30 days, plus
 * the safety margin). A span that straddles Graph's horizon is clipped, with a warning that says
 * what was left out; a span entirely outside is refused.
 */
import { type TimeWindow, ceilTo, dayInMs, floorTo, formatInstant } from "../shared/core/window.js";
import { type CloudName, clouds } from "../shared/graph/clouds.js";
import { graphRetentionInMs } from "../shared/core/passes.js";

export interface StartArguments {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly window?: string | undefined;
  readonly out?: string | undefined;
}

export type ArchiveTarget = { readonly kind: "azurite" } | { readonly kind: "folder"; readonly path: string } | { readonly kind: "container"; readonly url: string };

export interface StartPlan {
  readonly span: TimeWindow;
  readonly windowMinutes: number | undefined;
  readonly target: ArchiveTarget;
  readonly warnings: readonly string[];
}

/** A refusal: the message to print, and exit status 2 (usage or configuration). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface StartContext {
  readonly nowInMs: number;
  /** ARCHIVER_CLOUD: whose blob endpoints `--out` may name. */
  readonly cloud?: CloudName;
  readonly windowInMs: number;
  readonly settleInMs: number;
  readonly safetyMarginInMs: number;
}

const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;
const isoDay = /^\d{4}-\d{2}-\d{2}$/;

/**
 * What `--from`/`--to` accept, in every command: an ISO 8601 instant (2026-11-25T00:00:00Z) or a
 * UTC day (2026-11-25, its midnight). `day` says which was given.
 */
export function spanEdge(flag: string, raw: string): { readonly ms: number; readonly day: boolean } {
  const day = isoDay.test(raw);
  const ms = Date.parse(day ? `${raw}T00:00:00Z` : raw);
  // Date.parse rolls 2020-02-30 over to March: a day must read back as written.
  if (!(day || iso.test(raw)) || Number.isNaN(ms) || (day && new Date(ms).toISOString().slice(0, 10) !== raw)) {
    throw new UsageError(`--${flag} expects an ISO 8601 instant such as 2026-11-25T00:00:00Z or a UTC day such as 2026-11-25, got "${raw}"`);
  }
  return { ms, day };
}

const instant = (flag: string, raw: string | undefined): number | undefined => (raw === undefined ? undefined : spanEdge(flag, raw).ms);

/** --window, checked under its own name rather than the setting it stands for. */
export function windowMinutesOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const minutes = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440 || 1440 % minutes !== 0) {
    throw new UsageError(`--window expects minutes that divide a day (1440), such as 15, 30, 60 or 120; got "${raw}"`);
  }
  return minutes;
}

export function archiveTargetOf(raw: string | undefined, cloud: CloudName = "Global"): ArchiveTarget {
  if (raw === undefined) return { kind: "azurite" };
  if (/^https:\/\//i.test(raw)) return { kind: "container", url: containerUrlOf("--out", raw, cloud) };
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw) && !/^[a-z]:[\\/]/i.test(raw)) {
    throw new UsageError(`--out ${redactUrl(raw)} is neither a folder nor an https:// blob container URL (https://ACCOUNT${clouds[cloud].blobHostSuffix}/CONTAINER)`);
  }
  return { kind: "folder", path: raw };
}

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * A blob container URL that may be given your Azure login: https, a host of the configured cloud's
 * blob endpoints (or loopback, for an emulator), one container. `DefaultAzureCredential`'s storage
 * token is good for every account you can reach, so it is never sent to any other host.
 */
/** True for an https URL on the cloud's blob endpoints: the only hosts that get your Azure login's storage token. */
export const onCloudBlobEndpoint = (url: URL, cloud: CloudName): boolean =>
  url.protocol === "https:" && url.hostname.toLowerCase().endsWith(clouds[cloud].blobHostSuffix);

export function containerUrlOf(flag: string, raw: string, cloud: CloudName): string {
  const suffix = clouds[cloud].blobHostSuffix;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} ${redactUrl(raw)} is not a URL; give https://ACCOUNT${suffix}/CONTAINER`);
  }
  const host = url.hostname.toLowerCase();
  if (!(onCloudBlobEndpoint(url, cloud) || (url.protocol === "https:" && loopbackHosts.has(host)))) {
    throw new UsageError(
      `${flag} ${redactUrl(raw)} is not a blob endpoint of the ${cloud} cloud (https://ACCOUNT${suffix}/CONTAINER, set by ARCHIVER_CLOUD): your Azure Storage token is sent to no other host`,
    );
  }
  if (loopbackHosts.has(host) && !url.searchParams.has("sig")) {
    throw new UsageError(`${flag} ${redactUrl(raw)} is on this machine: give it as a SAS URL (your Azure login's token goes only to the ${cloud} cloud's blob endpoints)`);
  }
  if (url.pathname.split("/").filter(Boolean).length !== 1) {
    throw new UsageError(`${flag} ${redactUrl(raw)} must name one blob container: https://ACCOUNT${suffix}/CONTAINER`);
  }
  return raw;
}

/**
 * Text with every URL's query and fragment (a SAS signature, say) replaced: safe to print. Past a
 * URL's path, everything from the first `?` or `#` to the end of the line is dropped, whatever it
 * holds (blanks and quotes included: `rscd=attachment; filename="a b"&sig=…`); a text that is one
 * whole URL keeps what follows it nowhere, so pass a URL through here before putting it in a sentence.
 */
export const redactUrl = (text: string): string =>
  text.replace(/(https?:\/\/[^\s?#"<>]+)[?#](?!\[query redacted\])[^\n]*/gi, (_, base: string) => `${base}?[query redacted]`);

export function planStart(args: StartArguments, context: StartContext): StartPlan {
  const windowMinutes = windowMinutesOf(args.window);
  const windowInMs = windowMinutes === undefined ? context.windowInMs : windowMinutes * 60_000;
  const target = archiveTargetOf(args.out, context.cloud);
  const warnings: string[] = [];
  const lastSettled = floorTo(context.nowInMs - context.settleInMs, windowInMs);
  const firstReadable = ceilTo(context.nowInMs - graphRetentionInMs + context.safetyMarginInMs, windowInMs);
  const aligned = (flag: string, ms: number | undefined) => {
    if (ms === undefined) return undefined;
    const floored = floorTo(ms, windowInMs);
    if (floored !== ms) warnings.push(`--${flag} ${formatInstant(ms)} is not on a ${windowInMs / 60_000}-minute window boundary; using ${formatInstant(floored)}`);
    return floored;
  };
  const requestedTo = aligned("to", instant("to", args.to));
  const requestedFrom = aligned("from", instant("from", args.from));
  const to = requestedTo ?? lastSettled;
  if (to > lastSettled) {
    throw new UsageError(
      `--to ${formatInstant(to)} is later than the last settled instant, ${formatInstant(lastSettled)} (now minus ARCHIVER_SETTLE_MINUTES): Graph may not list those calls yet, and a local run never reads them again. Use --to ${formatInstant(lastSettled)} or earlier.`,
    );
  }
  if (to <= firstReadable) {
    throw new UsageError(
      `the span ends at ${formatInstant(to)}, before the oldest instant Graph can still be read from, ${formatInstant(firstReadable)} (now minus 30 days, plus ARCHIVER_SAFETY_MARGIN_MINUTES): Graph has forgotten those calls.`,
    );
  }
  let from = requestedFrom ?? Math.max(to - 2 * dayInMs, firstReadable);
  if (from < firstReadable) {
    warnings.push(
      `--from ${formatInstant(from)} is before the oldest instant Graph can still be read from; archiving from ${formatInstant(firstReadable)} instead. Left out: ${formatInstant(from)} to ${formatInstant(firstReadable)}, which Graph has forgotten.`,
    );
    from = firstReadable;
  }
  if (to <= from) throw new UsageError(`--to (${formatInstant(to)}) must be after --from (${formatInstant(from)}) by at least one window`);
  return { span: { startInMs: from, endInMs: to }, windowMinutes, target, warnings };
}

/**
 * The days of a telephony log a local run reads: each day whose first read is due (its end plus
 * ARCHIVER_LOG_SETTLE_HOURS is past) and that Graph still holds (the log's horizon, less a day).
 * With `--from` or `--to`, the days the span touches; without either, the two newest such days,
 * as call records' default span is two days. Pure.
 */
export function logDaysOf(span: TimeWindow, spanGiven: boolean, nowInMs: number, plan: { readonly settleInMs: number; readonly horizonInMs?: number; readonly safetyMarginInMs: number }): TimeWindow[] {
  const lastEnd = floorTo(nowInMs - plan.settleInMs, dayInMs);
  const firstStart = ceilTo(nowInMs - (plan.horizonInMs ?? graphRetentionInMs) + plan.safetyMarginInMs, dayInMs);
  const from = Math.max(firstStart, spanGiven ? floorTo(span.startInMs, dayInMs) : lastEnd - 2 * dayInMs);
  const to = Math.min(lastEnd, spanGiven ? ceilTo(span.endInMs, dayInMs) : lastEnd);
  const days: TimeWindow[] = [];
  for (let start = from; start + dayInMs <= to; start += dayInMs) days.push({ startInMs: start, endInMs: start + dayInMs });
  return days;
}
