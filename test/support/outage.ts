/**
 * A multi-day Graph outage on a simulated clock, on a queue without duplicate detection (Service
 * Bus Basic, the default tier): the real plan handler with its coverage sweep, the real harvest
 * handler and job retry policy, the archive in a folder (as `npm start -- --out` writes it), and two sandboxes of one seed and one
 * clock (one answering 503 to everything, one well) so that Graph is down exactly for the
 * simulated outage. Time jumps from event to event (plan ticks every 15 minutes, scheduled
 * re-sends), so days pass in seconds. Counts every delivery per (window, pass) and every dead
 * letter. Used by test/pipeline/chaos.test.ts and `npm run test:chaos -- --outage`.
 */
import { gunzipSync } from "node:zlib";
import type { Timer } from "@azure/functions";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalQueue } from "../../local/queue.js";
import { quietContext } from "../../local/run.js";
import { makeHarvestHandler } from "../../functions/harvestHandler.js";
import { makePlanHandler } from "../../functions/planHandler.js";
import { archiveBlobOf, archiveRoot } from "../../shared/archive/archiveLayout.js";
import { type ArchiveStore, folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { loadArchiverConfig, loadPipelineConfig } from "../../shared/config/config.js";
import { jobKey, parseJobMessage } from "../../shared/core/job.js";
import { dayInMs, minuteInMs } from "../../shared/core/window.js";
import { type GraphRuntime, createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { listArchivedManifests } from "../../shared/pipeline/plan/manifestListing.js";
import { coverageGaps } from "../../shared/pipeline/plan/coverage.js";
import { memoryWatermarkStore } from "../../shared/pipeline/plan/watermarkStore.js";
import { memorySweepMemoryStore } from "../../shared/pipeline/plan/sweepMemoryStore.js";
import { startSandbox } from "../../sandbox/server.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { sandboxEnv } from "./graph.js";
import { retentionStart } from "../../shared/core/passes.js";

export interface OutageOptions {
  readonly seed: number;
  readonly outageDays: number;
  /** Simulated time after the outage, for the archive to catch up. */
  readonly afterDays: number;
  /** Window length: a day keeps the run short; the bound is per (window, pass) whatever the length. */
  readonly windowMinutes: number;
  /** False replays the archiver before chain records: every failing delivery retries on. */
  readonly chainRecords: boolean;
  /** ARCHIVER_REREAD_OFFSETS, if not the default. */
  readonly rereadOffsets?: string;
}

export interface OutageResult {
  /** The simulation's start (a UTC midnight), when the outage began. */
  readonly startInMs: number;
  readonly passes: number;
  readonly deliveries: number;
  /** Most deliveries of one (window, pass), and which. */
  readonly maxDeliveries: number;
  readonly maxDeliveriesJob: string;
  readonly yielded: number;
  readonly deadLetters: number;
  /** Each dead letter's job key and reason. */
  readonly deadLettered: readonly string[];
  /** (window, pass)s overdue at the end with no manifest. */
  readonly missing: number;
  /** Call records Graph held for the windows that are in no archived line. */
  readonly truthIds: number;
  readonly lostIds: number;
  readonly wallInMs: number;
}

export async function runOutage(options: OutageOptions): Promise<OutageResult> {
  const started = Date.now();
  const window = options.windowMinutes * minuteInMs;
  const start = Math.floor(Date.now() / dayInMs) * dayInMs;
  const outageEnd = start + options.outageDays * dayInMs;
  const end = outageEnd + options.afterDays * dayInMs;
  const clock = new ManualClock(start);
  const simulated = { now: () => clock.now(), sleep: async () => undefined };
  // Graph's rate limits count real time, which here runs thousands of times slower than the
  // simulated clock: they are lifted, as pacing is not what this measures.
  const sandboxOptions = {
    seed: `outage-${options.seed}`,
    clock,
    callsPerDay: 40,
    largeMeetingShare: 0,
    throttle: false as const,
  };
  const [down, up] = await Promise.all([startSandbox({ ...sandboxOptions, faults: { outage: { fromInMs: 0, toInMs: Number.MAX_SAFE_INTEGER } } }), startSandbox(sandboxOptions)]);
  const folder = await mkdtemp(join(tmpdir(), "outage-"));
  try {
    // One attempt per Graph request: the job retry policy (real delays) is what is measured.
    const settings = { ARCHIVER_GRAPH_MAX_ATTEMPTS: "1", ARCHIVER_GRAPH_RATE_REQUESTS: "100000", ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: "1", ARCHIVER_WINDOW_MINUTES: String(options.windowMinutes), ...(options.rereadOffsets ? { ARCHIVER_REREAD_OFFSETS: options.rereadOffsets } : {}) };
    const [downGraph, upGraph] = [down, up].map((sandbox) => createGraphRuntime(loadArchiverConfig(sandboxEnv(sandbox, settings)), { ca: sandbox.ca }));
    const pipeline = loadPipelineConfig(sandboxEnv(up, settings));
    const archive = folderArchiveStore(folder);
    const queue = new LocalQueue(10, () => clock.now(), { duplicateDetection: false });
    const { plan } = pipeline;
    const watermarks = memoryWatermarkStore({ nextWindowStartInMs: start });
    const plannerDeps = { watermarks, sender: queue, clock: simulated, plan, sweep: { archive, settings: pipeline.sweep, memory: memorySweepMemoryStore() } };
    const tick = makePlanHandler(() => plannerDeps);
    const harvester = makeHarvestHandler(() => ({
      graph: (clock.now() < outageEnd ? downGraph : upGraph) as GraphRuntime,
      archive,
      sender: queue,
      clock: simulated,
      cloud: "Global",
      timeBudgetInMs: pipeline.timeBudgetInMs,
      concurrency: pipeline.harvestConcurrency,
      jobRetry: pipeline.jobRetry,
      plan,
      // Without: every failing delivery retries on, as before chain records.
      retryChains: options.chainRecords,
    }));
    const deliveries = new Map<string, number>();
    let yielded = 0;
    const tickEveryInMs = 15 * minuteInMs;
    for (let nextTick = start; clock.now() < end; ) {
      const nextDue = Math.min(...queue.scheduled.map((m) => m.notBeforeInMs ?? 0));
      const next = Math.min(nextTick, nextDue);
      clock.set(Math.max(clock.now(), next));
      if (next === nextTick) {
        await tick({} as Timer, quietContext("plan"));
        nextTick += tickEveryInMs;
      }
      queue.releaseDue();
      await queue.drain(
        async (body, settlement) => {
          const key = jobKey(parseJobMessage(body));
          deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
          const result = await harvester(body, settlement, quietContext("harvest"));
          if (result.status === "yielded") yielded += 1;
        },
        4,
        { waitForRetries: false },
      );
    }

    // Every window Graph still held when the outage ended: those that reached Graph's horizon
    // during the outage are lost to it, each dead-lettered once.
    const heldFrom = retentionStart(outageEnd, window);
    const manifests = await listArchivedManifests(archive, heldFrom, end);
    const gaps = coverageGaps({ manifests, nowInMs: end, plannedUntilInMs: (await watermarks.read())?.watermark.nextWindowStartInMs ?? start, fromInMs: heldFrom, plan, sweep: pipeline.sweep });
    const lastArchivedEnd = Math.max(start, ...manifests.filter((m) => m.job.pass === 0).map((m) => m.job.window.endInMs));
    const truth = new Set(up.tenant.groundTruth(heldFrom, lastArchivedEnd, end).map((t) => t.id));
    const archived = await archivedIds(archive);
    const [maxJob, max] = [...deliveries].reduce((a, b) => (b[1] > a[1] ? b : a), ["", 0] as [string, number]);
    return {
      startInMs: start,
      passes: deliveries.size,
      deliveries: [...deliveries.values()].reduce((a, b) => a + b, 0),
      maxDeliveries: max,
      maxDeliveriesJob: maxJob,
      yielded,
      deadLetters: queue.deadLetters.length,
      deadLettered: queue.deadLetters.map((d) => `${jobKey(parseJobMessage(d.body))} ${d.reason}`).sort(),
      missing: gaps.missing.length,
      truthIds: truth.size,
      lostIds: [...truth].filter((id) => !archived.has(id)).length,
      wallInMs: Date.now() - started,
    };
  } finally {
    await Promise.all([down.close(), up.close(), rm(folder, { recursive: true, force: true })]);
  }
}

/** The ids of every record in the archive's data blobs. */
async function archivedIds(archive: ArchiveStore): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const name of await archive.list(`${archiveRoot}/`)) {
    if (archiveBlobOf(name)?.kind !== "data") continue;
    const text = gunzipSync((await archive.read(name)) ?? Buffer.alloc(0)).toString("utf8");
    for (const line of text.split("\n")) if (line !== "") ids.add((JSON.parse(line) as { id: string }).id);
  }
  return ids;
}
