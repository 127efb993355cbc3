/**
 * The archive's health, as an administrator asks about it: per day, how many windows pass 0 has
 * archived of those due, how many re-read passes are done of those due, records and bytes, splits
 * and what is missing; the watermark's lag; and how long the oldest incomplete window has before
 * Graph forgets it. Pure: from the manifests' listing (with their metadata), the clock and the
 * settings, through the same decision as the coverage sweep.
 */
import { type Job, jobKey } from "../../core/job.js";
import { type TimeWindow, dayInMs, floorTo, formatInstant } from "../../core/window.js";
import { type ArchivedManifest, type SweepSettings, coverageGaps, stillIncomplete } from "../plan/coverage.js";
import type { PlanSettings } from "../plan/planning.js";
import { horizonMarginInMs, passDueAt, retentionStart, windowHorizon } from "../../core/passes.js";

export interface StatusInput {
  readonly manifests: readonly ArchivedManifest[];
  readonly nowInMs: number;
  /** The scheduler's watermark; undefined where none is kept (a local folder). */
  readonly watermarkInMs: number | undefined;
  readonly plan: PlanSettings;
  readonly sweep: SweepSettings;
  /** A missing window closer than this to Graph's horizon puts the archive at risk. */
  readonly riskMarginInMs: number;
  readonly deadLetters?: { readonly count: number; readonly oldestInMs: number | undefined } | undefined;
}

export interface DayStatus {
  readonly day: string;
  readonly pass0: { readonly archived: number; readonly due: number };
  readonly rereads: { readonly done: number; readonly due: number };
  readonly records: number;
  /** Records still incomplete after their window's latest pass (paging loops, oversized answers, failing records). */
  readonly incomplete: number;
  readonly bytes: number;
  readonly splits: number;
  readonly missing: number;
}

/**
 * One state per window, as a person reads it: every due pass archived; something due not archived
 * yet but within the coverage sweep's grace; overdue (past its grace); at risk (overdue, and within
 * the risk margin of Graph's horizon).
 */
export type WindowState = "archived" | "inGrace" | "overdue" | "atRisk";

export interface MissingPass {
  readonly job: string;
  readonly windowStart: string;
  readonly pass: number;
  readonly daysBeforeHorizon: number;
}

export interface WindowCell {
  readonly windowStart: string;
  readonly day: string;
  /** Index of the window within its day. */
  readonly slot: number;
  readonly passesDone: number;
  readonly passesDue: number;
  readonly records: number;
  readonly missing: boolean;
  readonly state: WindowState;
}

export interface StatusReport {
  readonly generatedAt: string;
  readonly windowMinutes: number;
  readonly days: readonly DayStatus[];
  readonly windows: readonly WindowCell[];
  readonly watermark: { readonly at: string; readonly lagHours: number } | undefined;
  /** Every overdue (window, pass), oldest first. */
  readonly missing: readonly MissingPass[];
  /** The overdue ones within the risk margin of Graph's horizon: the ones to act on now. */
  readonly atRisk: readonly MissingPass[];
  readonly riskDays: number;
  readonly oldestIncomplete: { readonly windowStart: string; readonly daysBeforeHorizon: number } | undefined;
  readonly deadLetters: { readonly count: number; readonly oldest: string | undefined } | undefined;
  readonly totals: { readonly records: number; readonly bytes: number; readonly manifests: number };
  /** 0: nothing at risk; 1: a window is overdue; 3: a window is within the risk margin of Graph's horizon. */
  readonly exitStatus: 0 | 1 | 3;
  /**
   * Without a watermark (an archive a local run wrote): the spans of windows with a pass overdue,
   * each as the `npm start` flags that would fill it. Empty with a watermark (the deployment's
   * sweep fills those itself).
   */
  readonly fill: readonly { readonly from: string; readonly to: string; readonly windows: number }[];
  /** The report in sentences, for a terminal. */
  readonly headline: string;
}

const dayOf = (ms: number) => formatInstant(floorTo(ms, dayInMs)).slice(0, 10);
const round1 = (n: number) => Math.round(n * 10) / 10;

export function statusReport(input: StatusInput): StatusReport {
  const { plan, nowInMs } = input;
  const byKey = new Map(input.manifests.map((m) => [jobKey(m.job), m] as const));
  // With a watermark, every window Graph still holds up to it is expected; without one (a folder a
  // local run wrote over a span), the span its manifests cover.
  const starts = input.manifests.map((m) => m.job.window.startInMs);
  const spanStart = input.watermarkInMs === undefined && starts.length > 0 ? floorTo(Math.min(...starts), plan.windowInMs) : Number.NEGATIVE_INFINITY;
  const firstWindow = Math.max(retentionStart(nowInMs, plan.windowInMs), spanStart);
  const plannedUntil =
    input.watermarkInMs ?? (starts.length > 0 ? Math.max(...input.manifests.map((m) => m.job.window.endInMs)) : floorTo(nowInMs - plan.settleInMs, plan.windowInMs));
  const gaps = coverageGaps({
    manifests: input.manifests,
    fromInMs: firstWindow,
    nowInMs,
    plannedUntilInMs: plannedUntil,
    plan,
    sweep: { ...input.sweep, maxResendsPerTick: 0 },
  });
  const missingByWindow = new Set(gaps.missing.map((j) => floorTo(j.window.startInMs, plan.windowInMs)));
  const isAtRisk = (window: TimeWindow) => windowHorizon(window) - nowInMs < input.riskMarginInMs;

  const days = new Map<string, { pass0: [number, number]; rereads: [number, number]; records: number; incomplete: number; bytes: number; splits: number; missing: number }>();
  const day = (key: string) => {
    let d = days.get(key);
    if (!d) days.set(key, (d = { pass0: [0, 0], rereads: [0, 0], records: 0, incomplete: 0, bytes: 0, splits: 0, missing: 0 }));
    return d;
  };
  const manifestsOfDay = new Map<string, ArchivedManifest[]>();
  for (const m of input.manifests) {
    const key = dayOf(m.job.window.startInMs);
    manifestsOfDay.set(key, [...(manifestsOfDay.get(key) ?? []), m]);
  }
  for (const [key, manifests] of manifestsOfDay) day(key).incomplete = stillIncomplete(manifests);
  // What was archived, every day the listing holds (older than Graph's 30 days included).
  for (const m of input.manifests) {
    const d = day(dayOf(m.job.window.startInMs));
    d.records += m.records ?? 0;
    d.bytes += m.bytes ?? 0;
    if (m.status === "split") d.splits += 1;
  }
  // What is due, and done, for every window Graph still holds.
  const windows: WindowCell[] = [];
  for (let start = firstWindow; start + plan.windowInMs <= plannedUntil; start += plan.windowInMs) {
    const window = { startInMs: start, endInMs: start + plan.windowInMs };
    const d = day(dayOf(start));
    let done = 0;
    let due = 0;
    let records = 0;
    for (let pass = 0; pass <= plan.rereadOffsetsInMs.length; pass += 1) {
      const at = passDueAt(window, pass, plan);
      if (at > nowInMs || at >= windowHorizon(window) - horizonMarginInMs) continue;
      const manifest = byKey.get(jobKey({ window, pass }));
      due += 1;
      if (manifest) done += 1;
      records += manifest?.records ?? 0;
      if (pass === 0) {
        d.pass0[1] += 1;
        if (manifest) d.pass0[0] += 1;
      } else {
        d.rereads[1] += 1;
        if (manifest) d.rereads[0] += 1;
      }
    }
    const missing = missingByWindow.has(start);
    if (missing) d.missing += 1;
    const state: WindowState = missing ? (isAtRisk(window) ? "atRisk" : "overdue") : done === due && due > 0 ? "archived" : "inGrace";
    windows.push({ windowStart: formatInstant(start), day: dayOf(start), slot: Math.floor((start - floorTo(start, dayInMs)) / plan.windowInMs), passesDone: done, passesDue: due, records, missing, state });
  }

  const missingPass = (job: Job): MissingPass => ({
    job: jobKey(job),
    windowStart: formatInstant(job.window.startInMs),
    pass: job.pass,
    daysBeforeHorizon: round1((windowHorizon(job.window) - nowInMs) / dayInMs),
  });
  const missing = gaps.missing.map(missingPass);
  const atRiskPasses = gaps.missing.filter((job) => isAtRisk(job.window)).map(missingPass);
  const riskDays = round1(input.riskMarginInMs / dayInMs);
  const oldest = gaps.missing[0];
  const oldestIncomplete = oldest ? { windowStart: formatInstant(oldest.window.startInMs), daysBeforeHorizon: round1((windowHorizon(oldest.window) - nowInMs) / dayInMs) } : undefined;
  const exitStatus = atRiskPasses.length > 0 ? 3 : gaps.missing.length > 0 ? 1 : 0;
  const watermark = input.watermarkInMs === undefined ? undefined : { at: formatInstant(input.watermarkInMs), lagHours: round1((nowInMs - input.watermarkInMs) / 3_600_000) };
  const deadLetters = input.deadLetters && {
    count: input.deadLetters.count,
    oldest: input.deadLetters.oldestInMs === undefined ? undefined : formatInstant(input.deadLetters.oldestInMs),
  };
  const sortedDays = [...days.entries()].sort(([a], [b]) => a.localeCompare(b));
  const totals = {
    records: sortedDays.reduce((n, [, d]) => n + d.records, 0),
    bytes: sortedDays.reduce((n, [, d]) => n + d.bytes, 0),
    manifests: input.manifests.length,
  };
  const fill = input.watermarkInMs === undefined ? spansOf([...missingByWindow], plan.windowInMs) : [];
  const windowsMissing = missingByWindow.size;
  const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const headline = [
    oldestIncomplete
      ? `oldest incomplete window ${oldestIncomplete.windowStart.replace("T", " ").slice(0, 16)}, ${oldestIncomplete.daysBeforeHorizon} days before Graph forgets it; ${counted(windowsMissing, "window", "windows")} with ${counted(missing.length, "pass", "passes")} overdue, ${atRiskPasses.length} of them at risk (within ${riskDays} days)`
      : "every due (window, pass) is archived",
    ...fill.slice(0, 3).map((f) => `to fill ${counted(f.windows, "window", "windows")}: npm start -- --from ${f.from} --to ${f.to}`),
    ...(fill.length > 3 ? [`(and ${fill.length - 3} more spans: see --json's fill)`] : []),
    watermark ? `watermark ${watermark.at}, ${watermark.lagHours} hours behind now` : "no watermark here (a local run keeps none)",
    deadLetters ? `${deadLetters.count} dead letters${deadLetters.oldest ? `, oldest ${deadLetters.oldest}` : ""}` : undefined,
  ]
    .filter((line) => line !== undefined)
    .join("\n");
  return {
    generatedAt: formatInstant(nowInMs),
    windowMinutes: plan.windowInMs / 60_000,
    days: sortedDays.map(([key, d]) => ({
      day: key,
      pass0: { archived: d.pass0[0], due: d.pass0[1] },
      rereads: { done: d.rereads[0], due: d.rereads[1] },
      records: d.records,
      incomplete: d.incomplete,
      bytes: d.bytes,
      splits: d.splits,
      missing: d.missing,
    })),
    windows,
    watermark,
    missing,
    atRisk: atRiskPasses,
    riskDays,
    oldestIncomplete,
    deadLetters,
    totals,
    exitStatus,
    fill,
    headline,
  };
}

/** Window starts as contiguous spans, oldest first. */
function spansOf(starts: readonly number[], windowInMs: number): { from: string; to: string; windows: number }[] {
  const spans: { fromInMs: number; toInMs: number; windows: number }[] = [];
  for (const start of [...starts].sort((a, b) => a - b)) {
    const last = spans.at(-1);
    if (last && last.toInMs === start) {
      last.toInMs += windowInMs;
      last.windows += 1;
    } else spans.push({ fromInMs: start, toInMs: start + windowInMs, windows: 1 });
  }
  return spans.map((s) => ({ from: formatInstant(s.fromInMs), to: formatInstant(s.toInMs), windows: s.windows }));
}
