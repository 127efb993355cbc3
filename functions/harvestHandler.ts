/** The harvest function's handler: one job per message, its tenant's slot and log lane first, and the event the workbook and alerts read. */
import type { InvocationContext } from "@azure/functions";
import type { ArchiveStore } from "../shared/archive/archiveStore.js";
import type { Clock } from "../shared/core/clock.js";
import type { CloudName } from "../shared/graph/clouds.js";
import type { GraphRuntime } from "../shared/graph/graphSetup.js";
import { type GraphCounters, newGraphCounters } from "../shared/graph/graphCounters.js";
import { harvest } from "../shared/pipeline/harvest/harvest.js";
import { type ProcessResult, type Settlement, processJobMessage } from "../shared/pipeline/harvest/jobProcessor.js";
import type { JobRetryOptions } from "../shared/pipeline/harvest/jobRetryPolicy.js";
import { type EventLevel, logEvent } from "./logEvents.js";
import { type Job, type JobDelivery, jobKey, parseJobDelivery } from "../shared/core/job.js";
import type { TenantSlots } from "../shared/pipeline/harvest/tenantSlots.js";
import { archiveJobRecords } from "../shared/pipeline/harvest/jobRecords.js";
import type { PlanSettings } from "../shared/pipeline/plan/planning.js";
import { type TenantId, tenantLabel } from "../shared/core/tenants.js";
import type { JobSender } from "../shared/pipeline/plan/scheduler.js";
import { compactInstant, formatInstant } from "../shared/core/window.js";
import { finalPass } from "../shared/core/passes.js";
import { harvestLog } from "../shared/pipeline/harvest/harvestLog.js";
import { defaultLogPlan } from "../shared/config/config.js";
import type { PipelineConfig } from "../shared/config/config.js";

export interface HarvestHandlerDeps {
  readonly graph: GraphRuntime;
  readonly archive: ArchiveStore;
  readonly sender: JobSender;
  readonly clock: Clock;
  readonly cloud: CloudName;
  readonly timeBudgetInMs: number;
  readonly concurrency: number;
  readonly jobRetry: JobRetryOptions;
  /** Stops a harvest from outside; nothing partial is committed. */
  readonly signal?: AbortSignal;
  /** The plan, so the final pass of a day's last window marks the day complete. */
  readonly plan?: PlanSettings;
  /** Called with each harvest's counters, for run totals. */
  readonly onCounters?: (counters: GraphCounters) => void;
  /** False in a local run: no retry chain records (jobRecords.ts says why). */
  readonly retryChains?: boolean;
  /** The telephony logs' plans (config.ts); a log's job whose log is off is read by its defaults. */
  readonly logs?: PipelineConfig["logs"];
  /**
   * False in a local run: log jobs run side by side, paced, instead of one at a time with the rest
   * sent again for minutes later (a local run must end; its queue is its own).
   */
  readonly logLane?: boolean;
  /**
   * Present when the deployment reads other tenants: each tenant holds at most its share of this
   * process's slots, and a job over it yields (tenantSlots.ts).
   */
  readonly tenantSlots?: TenantSlots;
  /**
   * Another tenant's job was dead-lettered because the tenant refused the app (consent revoked,
   * permission removed): pause the tenant (tenantRegistry.ts). Answers true when it paused it.
   */
  readonly onTenantRefused?: (tenant: TenantId, reason: string, description: string) => Promise<boolean>;
  /** How long a job that yields its slot waits, from a uniform random draw; default half a minute to five. */
  readonly yieldDelayInMs?: (random: number) => number;
}

export function makeHarvestHandler(deps: () => HarvestHandlerDeps) {
  return async (body: unknown, settlement: Settlement, context: InvocationContext): Promise<ProcessResult> => {
    // Dependencies are resolved inside the job, so a configuration error is the job's failure
    // (dead-lettered with the setting's name), not an unsettled message.
    let plan: PlanSettings | undefined;
    const freed: (() => void)[] = [];
    const delivery = deliveryOf(body);
    // Wrong configuration here is left for the job itself to meet, and dead-letter by name.
    const early = delivery ? dependenciesOrNone(deps) : undefined;
    if (delivery && early) {
      // A job whose tenant's slots are taken, or (a log's job) whose tenant's log lane is, is sent
      // again for a moment later, so no tenant and no log fills the slots the others need.
      const graph = graphOf(early.graph, delivery.job);
      if (graph && early.tenantSlots) {
        const free = early.tenantSlots.tryTake(delivery.job.tenant, graph.governor.pausedForInMs());
        if (!free) return yieldJob(context, delivery, settlement, early);
        freed.push(free);
      }
      if (graph && delivery.job.source !== undefined && early.logLane !== false) {
        const free = graph.tryBeginLogHarvest();
        if (!free) {
          freed.forEach((f) => f());
          return yieldJob(context, delivery, settlement, early);
        }
        freed.push(free);
      }
    }
    const result = await processJobMessage(
      body,
      settlement,
      async (job, attempt) => {
        const d = deps();
        plan = d.plan;
        const counters = newGraphCounters();
        const graph = job.tenant === undefined ? d.graph : d.graph.forTenant(job.tenant);
        const endHarvest = graph.beginHarvest();
        try {
          if (job.source !== undefined) {
            const logJob = { ...job, source: job.source };
            return await harvestLog(logJob, {
              graph: graph.newClient(counters),
              counters,
              archive: d.archive,
              clock: d.clock,
              cloud: d.cloud,
              plan: d.logs?.[job.source] ?? defaultLogPlan(job.source),
              ...(d.signal ? { signal: d.signal } : {}),
            });
          }
          return await harvest(job, {
            graph: graph.newClient(counters),
            counters,
            archive: d.archive,
            clock: d.clock,
            cloud: d.cloud,
            timeBudgetInMs: d.timeBudgetInMs,
            // Enough records in flight to fill the pace at Graph's latency, shared with the other
            // harvests of this process; the setting is the floor.
            concurrency: () => graph.suggestedConcurrency(d.concurrency, 64),
            enqueue: (jobs) => d.sender.send(jobs),
            ...(d.signal ? { signal: d.signal } : {}),
            ...(d.plan ? { plan: d.plan } : {}),
            attempt,
          });
        } finally {
          endHarvest();
          d.onCounters?.(counters);
        }
      },
      () => {
        const d = deps();
        return { send: (jobs) => d.sender.send(jobs), now: () => d.clock.now(), options: d.jobRetry };
      },
      () => {
        const d = deps();
        return archiveJobRecords(d.archive, d.clock, { chains: d.retryChains !== false });
      },
    ).finally(() => freed.forEach((f) => f()));
    if (delivery) early?.tenantSlots?.ended(delivery.job.tenant, result.status === "retrying");
    logHarvest(context, result, plan);
    const tenant = result.job?.tenant;
    if (result.status === "deadLettered" && tenant !== undefined && tenantRefusals.includes(result.reason) && early?.onTenantRefused) {
      // Its other jobs would fail alike until someone in the tenant acts: stop planning them.
      const paused = await early.onTenantRefused(tenant, result.reason, result.description).catch(() => false);
      if (paused) logEvent(context, "error", "tenantPaused", { tenant, reason: result.reason, description: result.description });
    }
    return result;
  };
}

function dependenciesOrNone(deps: () => HarvestHandlerDeps): HarvestHandlerDeps | undefined {
  try {
    return deps();
  } catch {
    return undefined;
  }
}

/**
 * Failures that mean the tenant refused the app, not that a job went wrong: no token any more, a
 * token it issued answered 401 (revoked with the consent), or the grant removed.
 */
const tenantRefusals: readonly string[] = ["TenantConsentMissing", "GraphUnauthorized", "GraphForbidden"];

/** A message's delivery; undefined for a malformed body (the processor's to refuse, by name). */
function deliveryOf(body: unknown): JobDelivery | undefined {
  try {
    return parseJobDelivery(body);
  } catch {
    return undefined;
  }
}

/** The job's tenant's runtime; undefined when it cannot be made (the harvest fails by name then). */
function graphOf(graph: GraphRuntime, job: Job): GraphRuntime | undefined {
  try {
    return job.tenant === undefined ? graph : graph.forTenant(job.tenant);
  } catch {
    return undefined;
  }
}

async function yieldJob(context: InvocationContext, delivery: JobDelivery, settlement: Settlement, d: HarvestHandlerDeps): Promise<ProcessResult> {
  const deferred = await deferJob(delivery, settlement, d);
  logHarvest(context, deferred, undefined);
  return deferred;
}

/** How long a job that yields its slot waits: half a minute to five, spread, so a tick's jobs come back apart. */
const yieldDelayInMs = (random: number) => 30_000 + Math.round(random * 270_000);

/** Sends a job again for later, its attempt and chain kept, and completes this delivery; abandons it if the send fails. */
async function deferJob(delivery: JobDelivery, settlement: Settlement, d: HarvestHandlerDeps): Promise<ProcessResult> {
  const now = d.clock.now();
  const notBeforeInMs = now + (d.yieldDelayInMs ?? yieldDelayInMs)(Math.random());
  try {
    await d.sender.send([{ job: delivery.job, notBeforeInMs, attempt: delivery.attempt, resendTag: `d${compactInstant(now)}`, ...(delivery.chain ? { chain: delivery.chain } : {}) }]);
  } catch (error) {
    await settlement.abandon();
    throw error;
  }
  await settlement.complete();
  return { status: "deferred", job: delivery.job, notBeforeInMs };
}

/**
 * The harvest function's event per message: `harvest`, `harvestRetry`, `harvestYielded` (failed
 * while another retry chain holds the pass: not re-sent), `harvestDeadLettered` or
 * `harvestStopped` (the worker stopped mid-harvest; the message goes back to the queue),
 * with JSON fields the workbook and alerts read (a test holds them together).
 */
export function harvestEvent(result: ProcessResult, plan?: PlanSettings): { level: EventLevel; name: string; fields: Record<string, unknown> } {
  const job = result.job
    ? { job: jobKey(result.job), source: result.job.source ?? "callRecords", tenant: tenantLabel(result.job.tenant), windowStart: formatInstant(result.job.window.startInMs), pass: result.job.pass }
    : {};
  if (result.status === "deadLettered") {
    return { level: "error", name: "harvestDeadLettered", fields: { ...job, reason: result.reason, description: result.description } };
  }
  if (result.status === "abandoned") {
    return { level: "warn", name: "harvestStopped", fields: { ...job, reason: result.reason, description: result.description } };
  }
  if (result.status === "deferred") {
    return { level: "info", name: "harvestDeferred", fields: { ...job, notBefore: formatInstant(result.notBeforeInMs) } };
  }
  if (result.status === "yielded") {
    return { level: "warn", name: "harvestYielded", fields: { ...job, holder: result.holder, reason: result.reason, description: result.description } };
  }
  if (result.status === "retrying") {
    return { level: "warn", name: "harvestRetry", fields: { ...job, attempt: result.attempt, chain: result.chain, notBefore: formatInstant(result.notBeforeInMs), reason: result.reason, description: result.description } };
  }
  const { outcome } = result;
  const manifest = "manifest" in outcome ? outcome.manifest : undefined;
  const retries = manifest?.graph.retries;
  return {
    level: "info",
    name: "harvest",
    fields: {
      ...job,
      attempt: result.attempt,
      outcome: outcome.status,
      records: manifest?.recordCount ?? 0,
      // Records archived incomplete, and whether this was the window's last re-read: incomplete
      // records after it stay so (an alert reads both).
      incomplete: (manifest && "incomplete" in manifest ? manifest.incomplete?.length : 0) ?? 0,
      lastPass: plan !== undefined && result.job.pass === finalPass(result.job.window, plan),
      bytes: manifest?.bytes ?? 0,
      graphRequests: manifest?.graph.requests ?? 0,
      throttledSeconds: manifest?.graph.throttledSeconds ?? 0,
      retriesThrottled: retries?.throttled ?? 0,
      retriesUnavailable: retries?.unavailable ?? 0,
      retriesServerError: retries?.serverError ?? 0,
      retriesNetwork: retries?.network ?? 0,
      retriesTimeout: retries?.timeout ?? 0,
    },
  };
}

function logHarvest(context: InvocationContext, result: ProcessResult, plan: PlanSettings | undefined): void {
  const event = harvestEvent(result, plan);
  logEvent(context, event.level, event.name, event.fields);
}

