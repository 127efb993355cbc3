/**
 * The archiver on one machine: the real plan and harvest handlers, an in-process queue, and an
 * archive in Azurite, a local folder or a real storage account. Used by `npm start` and the
 * end-to-end tests.
 */
import type { Timer } from "@azure/functions";
// In plain Node ESM the package's named exports are reached through its default export.
import functions from "@azure/functions";
import { type ArchiveStore } from "../shared/archive/archiveStore.js";
import type { Clock } from "../shared/core/clock.js";
import { formatInstant } from "../shared/core/window.js";
import type { PipelineConfig } from "../shared/config/config.js";
import type { ArchiverConfig } from "../shared/graph/graphConfig.js";
import type { GraphRuntime } from "../shared/graph/graphSetup.js";
import { type PacesInForce, type ThrottleTally, throttleTotals } from "../shared/graph/requestGovernor.js";
import { type GraphCounters, addGraphCounters, newGraphCounters } from "../shared/graph/graphCounters.js";
import type { WatermarkStore } from "../shared/pipeline/plan/watermarkStore.js";
import type { JobSender } from "../shared/pipeline/plan/scheduler.js";
import type { HarvestOutcome } from "../shared/pipeline/harvest/harvest.js";
import { makeHarvestHandler } from "../functions/harvestHandler.js";
import { makePlanHandler } from "../functions/planHandler.js";
import { LocalQueue } from "./queue.js";
import { passDueAt } from "../shared/core/passes.js";
import type { LogSourceName } from "../shared/core/sources.js";
import type { TimeWindow } from "../shared/core/window.js";
import { type TenantId, tenantLabel } from "../shared/core/tenants.js";
import { TenantSlots } from "../shared/pipeline/harvest/tenantSlots.js";
import { parseJobMessage } from "../shared/core/job.js";
import { type PlanSettings, jobsForWindow } from "../shared/pipeline/plan/planning.js";

/** A dead letter's tenant, from its job; a body that is no job counts as the home tenant's. */
function tenantOfBody(body: unknown): TenantId | undefined {
  try {
    return parseJobMessage(body).tenant;
  } catch {
    return undefined;
  }
}

export interface LocalRunOptions {
  readonly archiverConfig: ArchiverConfig;
  readonly pipeline: PipelineConfig;
  readonly graph: GraphRuntime;
  readonly archive: ArchiveStore;
  readonly watermarks: WatermarkStore;
  /**
   * The run's clock: harvests (timestamps, time budget), the job retry policy's re-send times and
   * the queue that releases them all read it, so a re-send always falls due.
   */
  readonly clock: Clock;
  /**
   * The planner's clock: windows end at most at its now − settle delay. Only the planner reads it
   * (a span frozen at `--to` reads as "now" to it); never the queue, whose due times come from `clock`.
   */
  readonly planClock: Clock;
  readonly queue?: LocalQueue;
  readonly concurrency?: number;
  readonly onProgress?: (line: string) => void;
  /** Every line the functions log (in Azure, a trace each); by default none is kept. */
  readonly onLogLine?: (line: string) => void;
  /** How long the run may go without a progress line before it says what it waits on. Default 5 s. */
  readonly quietInMs?: number;
  /** The telephony logs' days to read (startOptions.ts logDaysOf), each log with its plan. */
  readonly logDays?: readonly { readonly source: LogSourceName; readonly days: readonly TimeWindow[]; readonly plan: PlanSettings }[];
  /** Other tenants to archive beside the home one, each from its own watermark (ARCHIVER_TENANTS). */
  readonly tenants?: readonly { readonly tenant: TenantId; readonly watermarks: WatermarkStore }[];
}

/** What a run did for one tenant. */
export interface TenantRunFigures {
  records: number;
  passes: number;
  deadLetters: number;
}

/** What a run did for one telephony log. */
export interface LogRunFigures {
  /** Days read, and passes of them harvested. */
  days: number;
  passes: number;
  rows: number;
  bytes: number;
  /** Passes where Graph answered that the tenant has no such log (404). */
  unsupported: number;
}

export interface LocalRunSummary {
  windows: number;
  jobs: number;
  harvested: number;
  alreadyDone: number;
  repaired: number;
  splits: number;
  records: number;
  expired: number;
  bytes: number;
  graph: GraphCounters;
  deadLetters: { messageId: string; reason: string; description: string }[];
  /** Jobs that failed and were sent again after a delay. */
  retries: number;
  /** Re-read passes not yet due when the run ended, and when the first of them falls due. */
  scheduledLater: number;
  nextPassDueInMs: number | undefined;
  /** Wall time of the harvests, from the first delivery to the last. */
  harvestSeconds: number;
  /** Of those, the wall time during which some request waited on Graph's Retry-After. */
  waitedOnGraphSeconds: number;
  /** Graph's 429s by scope, and whether our pace caused them (else something else did: another app, a tenant or service limit). */
  throttles: ThrottleTally;
  /** Per telephony log read in this run. */
  logs: Partial<Record<LogSourceName, LogRunFigures>>;
  /** Per tenant, by label (`home`, or the tenant's id), when the run read other tenants. */
  tenants: Record<string, TenantRunFigures>;
}

/**
 * The paces in force per scope, and the 429s so far by cause, as the progress line says them:
 * `app 75.0 requests/s, listing learned at 0.70/s, each record after its own Retry-After; 429s: 2 from our pace, 57 not`.
 */
export function describePaces(paces: PacesInForce, throttles: ThrottleTally, nowInMs: number): string {
  const until = (ms: number) => formatInstant(Math.ceil((nowInMs + ms) / 1000) * 1000);
  const app = paces.appPausedForInMs > 0 ? `app paused until ${until(paces.appPausedForInMs)}` : `app ${paces.app.toFixed(1)} requests/s`;
  const list =
    paces.listPausedForInMs > 0 ? `listing paused until ${until(paces.listPausedForInMs)}` : paces.list === undefined ? "listing unpaced" : `listing learned at ${paces.list.toFixed(2)}/s`;
  const { caused, suffered } = throttleTotals(throttles);
  return `Graph pace: ${app}, ${list}, each record after its own Retry-After; 429s: ${caused} from our pace, ${suffered} not`;
}

export const quietContext = (name: string, onLogLine?: (line: string) => void) =>
  new functions.InvocationContext({ invocationId: name, functionName: name, logHandler: (_level, ...args) => onLogLine?.(args.join(" ")) });

/** A harvest's outcome as a progress line says it. */
const outcomeWords: Readonly<Record<HarvestOutcome["status"], string>> = {
  harvested: "harvested",
  alreadyDone: "already archived",
  repaired: "repaired (its manifest was missing)",
  split: "split in halves (over the time budget)",
  unsupported: "not available in this tenant (Graph answered 404): recorded, asked again with the next day",
};

export async function runLocal(options: LocalRunOptions): Promise<LocalRunSummary> {
  const queue = options.queue ?? new LocalQueue(5, () => options.clock.now(), { orderPasses: true });
  const graph = newGraphCounters();
  const summary: LocalRunSummary = {
    windows: 0, jobs: 0, harvested: 0, alreadyDone: 0, repaired: 0, splits: 0, records: 0, expired: 0, bytes: 0,
    graph, deadLetters: [], retries: 0, scheduledLater: 0, nextPassDueInMs: undefined, harvestSeconds: 0, waitedOnGraphSeconds: 0,
    throttles: options.graph.governor.throttles(),
    logs: {},
    tenants: {},
  };
  const tenantFigures = (tenant: TenantId | undefined): TenantRunFigures => (summary.tenants[tenantLabel(tenant)] ??= { records: 0, passes: 0, deadLetters: 0 });
  if ((options.tenants ?? []).length > 0) for (const t of [undefined, ...(options.tenants ?? []).map((x) => x.tenant)]) tenantFigures(t);
  // The planner staggers re-reads already due one settle delay per pass after pass 0 (in Azure, a
  // catch-up's re-reads would otherwise only meet WaitingForEarlierPass). The local queue runs
  // passes in order itself, so here each pass is due when Graph's offsets say: a span that ended
  // hours or days ago gets every re-read already due now, and `npm run status` agrees after it.
  // (Only on its own queue, which orders passes; a queue handed in keeps Service Bus's order.)
  const toQueue: JobSender = options.queue
    ? queue
    : { send: (jobs) => queue.send(jobs.map((j) => (j.job.pass > 0 ? { ...j, notBeforeInMs: passDueAt(j.job.window, j.job.pass, options.pipeline.plan) } : j))) };
  // Every tenant's jobs and windows, counted as sent: the plan handler returns the home tenant's
  // tick only, and a run ends once no tenant has a window left, not once the home tenant has none.
  let sentInTick = { jobs: 0, windows: 0 };
  const planned: JobSender = {
    send: (jobs) => {
      sentInTick = { jobs: sentInTick.jobs + jobs.length, windows: sentInTick.windows + jobs.filter((j) => j.job.pass === 0).length };
      return toQueue.send(jobs);
    },
  };
  const plan = makePlanHandler(() => ({
    watermarks: options.watermarks,
    sender: planned,
    clock: options.planClock,
    plan: options.pipeline.plan,
    ...(options.tenants ? { tenants: options.tenants } : {}),
  }));
  // One count of the run's harvests per tenant: the handler asks for its dependencies every job.
  const slots = (options.tenants ?? []).length > 0 ? new TenantSlots(options.pipeline.tenantSlots) : undefined;
  const harvest = makeHarvestHandler(() => ({
    graph: options.graph,
    archive: options.archive,
    sender: queue,
    clock: options.clock,
    cloud: options.archiverConfig.graph.cloud,
    timeBudgetInMs: options.pipeline.timeBudgetInMs,
    concurrency: options.pipeline.harvestConcurrency,
    jobRetry: options.pipeline.jobRetry,
    // A day whose every window has its final pass archived gets its marker, as in Azure, so a
    // local archive of an old enough span can be curated.
    plan: options.pipeline.plan,
    // One process holds every retry of this run; a chain record an earlier, stopped run left
    // would only hold its passes back (and no sweep runs here to send them again).
    retryChains: false,
    onCounters: (c) => addGraphCounters(graph, c),
    logs: Object.fromEntries((options.logDays ?? []).map((l) => [l.source, l.plan])),
    logLane: false,
    // A tenant over its share of the run's slots yields for a second or two, not minutes: the run must end.
    ...(slots ? { tenantSlots: slots, yieldDelayInMs: (random: number) => 1000 + Math.round(random * 2000) } : {}),
  }));

  // Timer ticks until the planner has caught up with the clock.
  for (;;) {
    sentInTick = { jobs: 0, windows: 0 };
    await plan({ isPastDue: false, scheduleStatus: { last: "", next: "", lastUpdated: "" } } as Timer, quietContext("plan", options.onLogLine));
    summary.windows += sentInTick.windows;
    summary.jobs += sentInTick.jobs;
    if (sentInTick.windows === 0) break;
  }
  // The logs' days, every pass planned; re-reads due later stay scheduled, as call records' do.
  for (const log of options.logDays ?? []) {
    summary.logs[log.source] = { days: log.days.length, passes: 0, rows: 0, bytes: 0, unsupported: 0 };
    const now = options.clock.now();
    const tenants = [undefined, ...(options.tenants ?? []).map((t) => t.tenant)];
    const jobs = tenants.flatMap((tenant) =>
      log.days.flatMap((day) => jobsForWindow(day, now, log.plan)).map((j) => ({ ...j, job: { ...j.job, source: log.source, ...(tenant === undefined ? {} : { tenant }) } })),
    );
    await queue.send(jobs.map((j) => (j.job.pass > 0 ? { ...j, notBeforeInMs: passDueAt(j.job.window, j.job.pass, log.plan) } : j)));
  }
  const total = queue.ready.length;
  let done = 0;
  // A run never goes quiet without saying what it waits on: after `quietInMs` without a line, one
  // line with the harvests running, Graph's pause (if any) and pace, and the next retry due.
  let lastLineAt = options.clock.now();
  const say = (line: string) => {
    lastLineAt = options.clock.now();
    options.onProgress?.(line);
  };
  const quietInMs = options.quietInMs ?? 5000;
  const waiting = setInterval(() => {
    const now = options.clock.now();
    if (now - lastLineAt < quietInMs) return;
    const retries = queue.scheduled.filter((m) => m.isRetry).map((m) => m.notBeforeInMs ?? now);
    const { governor } = options.graph;
    const parts = [
      `${queue.inFlightCount} harvest${queue.inFlightCount === 1 ? "" : "s"} running`,
      describePaces(governor.pacesInForce(), governor.throttles(), now),
      ...(retries.length > 0 ? [`${retries.length} failed job${retries.length === 1 ? "" : "s"} re-sent, the next due at ${formatInstant(Math.ceil(Math.min(...retries) / 1000) * 1000)}`] : []),
    ];
    say(`… waiting: ${parts.join("; ")}`);
  }, Math.min(quietInMs, 1000));
  waiting.unref();
  const started = options.clock.now();
  const waitedBefore = options.graph.retryAfter.waitedSoFarInMs();
  await queue.drain(async (body, settlement, message) => {
    const result = await harvest(body, settlement, quietContext("harvest", options.onLogLine));
    if (result.status === "retrying") {
      summary.retries += 1;
      const inSeconds = Math.max(0, Math.round((result.notBeforeInMs - options.clock.now()) / 1000));
      say(`${message.messageId}  failed (${result.reason}: ${result.description}); attempt ${result.attempt} in ${inSeconds} s`);
      return;
    }
    if (result.status !== "done") return;
    const outcome = result.outcome;
    done += 1;
    if ("manifest" in outcome && (options.tenants ?? []).length > 0) {
      const figures = tenantFigures(result.job.tenant);
      figures.passes += 1;
      if (result.job.source === undefined) figures.records += outcome.manifest.recordCount;
    }
    const log = result.job.source === undefined ? undefined : summary.logs[result.job.source];
    if (log && "manifest" in outcome) {
      log.passes += 1;
      log.rows += outcome.manifest.recordCount;
      log.bytes += outcome.manifest.bytes;
      if (outcome.status === "unsupported") log.unsupported += 1;
      say(`[${done}/${Math.max(total, done)}] ${message.messageId}  ${outcomeWords[outcome.status]}${outcome.status === "unsupported" ? "" : `, ${outcome.manifest.recordCount} row${outcome.manifest.recordCount === 1 ? "" : "s"}`}`);
      return;
    }
    if (outcome.status === "alreadyDone") summary.alreadyDone += 1;
    else {
      if (outcome.status === "split") summary.splits += 1;
      if (outcome.status === "harvested") summary.harvested += 1;
      if (outcome.status === "repaired") summary.repaired += 1;
      summary.records += outcome.manifest.recordCount;
      summary.expired += outcome.manifest.expired.length;
      summary.bytes += outcome.manifest.bytes;
    }
    const count = "manifest" in outcome ? outcome.manifest.recordCount : 0;
    const figures = "manifest" in outcome ? `${count} record${count === 1 ? "" : "s"}` : "";
    say(`[${done}/${Math.max(total, done)}] ${message.messageId}  ${outcomeWords[outcome.status]}${figures ? `, ${figures}` : ""}`);
  }, options.concurrency ?? 4);
  clearInterval(waiting);
  summary.harvestSeconds = (options.clock.now() - started) / 1000;
  summary.waitedOnGraphSeconds = Math.min(summary.harvestSeconds, (options.graph.retryAfter.waitedSoFarInMs() - waitedBefore) / 1000);
  summary.throttles = options.graph.governor.throttles();
  summary.deadLetters = queue.deadLetters.map(({ messageId, reason, description }) => ({ messageId, reason, description }));
  if ((options.tenants ?? []).length > 0) for (const d of queue.deadLetters) tenantFigures(tenantOfBody(d.body)).deadLetters += 1;
  summary.scheduledLater = queue.scheduled.length;
  const dues = queue.scheduled.map((m) => m.notBeforeInMs).filter((t): t is number => t !== undefined);
  summary.nextPassDueInMs = dues.length > 0 ? Math.min(...dues) : undefined;
  return summary;
}
