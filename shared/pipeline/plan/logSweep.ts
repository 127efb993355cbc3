/**
 * The coverage sweep of a telephony log: the same decision as call records' (coverage.ts), over
 * the log's manifests, its plan and its horizon. A log has a day's window and a few passes, so
 * its whole root is listed on every tick (one listing); the memory keeps only what was re-sent in
 * the current resend period (a day), so no queue tier is relied on to drop repeats.
 */
import { jobKey } from "../../core/job.js";
import type { LogSourceName } from "../../core/sources.js";
import { type CoverageReport, coverageGaps, resendTagAt } from "./coverage.js";
import { listLogManifests } from "./manifestListing.js";
import { type SweepDeps, ofTenant } from "./sweep.js";

/** Call records' sweep's dependencies, the plan and memory being the log's own, and which log. */
export interface LogSweepDeps extends SweepDeps {
  readonly source: LogSourceName;
}

export async function runLogSweep(deps: LogSweepDeps, plannedUntilInMs: number): Promise<CoverageReport> {
  const nowInMs = deps.clock.now();
  // Keys without the source: coverage.ts names (window, pass); every manifest listed is this log's.
  // A day Graph answered 404 for is settled, as an archived one is.
  const manifests = (await listLogManifests(deps.archive, deps.source, deps.tenant)).map((m) => ({ job: { window: m.job.window, pass: m.job.pass }, status: m.status === undefined ? undefined : ("complete" as const) }));
  const memory = await deps.memory?.read();
  const tag = resendTagAt(nowInMs, deps.plan, deps.sweep);
  const resentBefore = memory?.resent?.tag === tag ? memory.resent.jobs : new Set<string>();
  const report = coverageGaps({ manifests, nowInMs, plannedUntilInMs, plan: deps.plan, sweep: deps.sweep, resentThisPeriod: resentBefore });
  if (report.resend.length > 0) await deps.sender.send(ofTenant(deps.tenant, report.resend.map((r) => ({ ...r, job: { ...r.job, source: deps.source } }))));
  if (report.resend.length > 0 || !memory) {
    await deps.memory?.write({ listedAllAtInMs: nowInMs, coveredThroughInMs: new Map(), resent: { tag, jobs: new Set([...resentBefore, ...report.resend.map((r) => jobKey(r.job))]) } });
  }
  return report;
}
