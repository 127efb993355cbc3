/**
 * The archiver under chaos, seeded: the real plan and harvest handlers over an in-process queue,
 * the Graph sandbox with 429 storms (with and without Retry-After), 503s, dropped connections, an
 * outage, answers that stall (a byte at a time), bad records (sessions that loop, answers over the
 * body cap, records Graph always fails), Azurite behind a proxy that refuses some block uploads, harvesters killed mid-window,
 * duplicate and concurrent deliveries, and a planner that crashes between sending and saving. Then
 * the archive is checked against the sandbox's ground truth. Used by test/pipeline/chaos.test.ts
 * (short) and `npm run test:chaos` (10 seeds, a table).
 */
import { gunzipSync } from "node:zlib";
import type { Timer } from "@azure/functions";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import type { Azurite } from "../../local/azurite.js";
import { LocalQueue } from "../../local/queue.js";
import { quietContext } from "../../local/run.js";
import { makeHarvestHandler } from "../../functions/harvestHandler.js";
import { makePlanHandler } from "../../functions/planHandler.js";
import { archiveBlobOf, logRoot, rootOf } from "../../shared/archive/archiveLayout.js";
import { rowDigest, rowOfLine } from "../../shared/archive/logManifest.js";
import { type LogSourceName, logSourceNames, rowStartInMs } from "../../shared/core/sources.js";
import { blobArchiveStore } from "../../shared/archive/archiveStore.js";
import { parseManifest } from "../../shared/archive/manifest.js";
import { loadArchiverConfig, loadPipelineConfig } from "../../shared/config/config.js";
import { systemClock } from "../../shared/core/clock.js";
import { jobBody } from "../../shared/core/job.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import type { JobSender } from "../../shared/pipeline/plan/scheduler.js";
import { type WatermarkStore, memoryWatermarkStore } from "../../shared/pipeline/plan/watermarkStore.js";
import { startSandbox } from "../../sandbox/server.js";
import { recordFaultOf } from "../../sandbox/faults.js";
import { seededRandom, hash32 } from "../../sandbox/random.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { sandboxEnv } from "./graph.js";
import { startStorageProxy } from "./storageFaults.js";

export interface ChaosOptions {
  readonly seed: number;
  readonly days: number;
  readonly callsPerDay: number;
  /** When the Graph outage starts, from the run's start, and how long it lasts. */
  readonly outageAfterMs: number;
  readonly outageMs: number;
  readonly killRate: number;
  readonly duplicateRate: number;
  readonly storageRefusalRate: number;
  readonly plannerCrashRate: number;
  /**
   * Shares of call records that are bad for good: sessions that loop, answers over the body cap,
   * every request failing. Each must cost that record only (archived incomplete), never its window.
   */
  readonly loopingRecordRate: number;
  readonly oversizedRecordRate: number;
  readonly failingRecordRate: number;
  /** Share of Graph answers that drip in a byte at a time, past the request deadline. */
  readonly stallRate: number;
}

export interface ChaosResult {
  readonly seed: number;
  readonly windows: number;
  readonly truth: number;
  readonly archived: number;
  readonly missing: number;
  readonly duplicated: number;
  /** Data blobs without a manifest, or whose lines do not match their manifest. */
  readonly partial: number;
  readonly deadLetters: number;
  /** Truth (id, version)s of the records the sandbox made bad (a fixed draw per record). */
  readonly injectedBad: number;
  /** Truth (id, version)s with no complete line: missing, or archived only incomplete. Must be the injected bad ones, no more. */
  readonly lostOrIncomplete: number;
  /** Of those, ones that were not injected bad: each a record that paid for another's fault. */
  readonly innocentLost: number;
  /** Injected bad records archived incomplete (as far as they could be read): none may be missing. */
  readonly incompleteArchived: number;
  readonly stalled: number;
  readonly retries: number;
  readonly kills: number;
  readonly duplicateDeliveries: number;
  readonly storageRefusals: number;
  readonly plannerCrashes: number;
  readonly throttled: number;
  readonly unavailable: number;
  readonly dropped: number;
  /** Errors that escaped a job to the process. */
  readonly escaped: number;
  /** The telephony logs (both, every day of the span, passes 0 and 1): rows Graph holds at the end. */
  readonly logRows: number;
  /** Of those, rows whose last archived line is not Graph's row now (missing or stale). */
  readonly logMissing: number;
  /** Lines archived twice with the same content, lines in a day the row did not start in, and rows Graph does not hold. */
  readonly logDuplicated: number;
  readonly logMisplaced: number;
  readonly logExtra: number;
  /**
   * Two customer tenants beside the home one, under the same chaos (pass 0): one keeps its consent,
   * one revokes it mid-run. The first must be archived exactly as its ground truth; the second's
   * jobs after the revocation fail by name (TenantConsentMissing), and what it archived before is
   * its own records, once each.
   */
  readonly tenantTruth: number;
  readonly tenantMissing: number;
  readonly tenantDuplicated: number;
  readonly revokedArchived: number;
  /** Data blobs of either tenant without a manifest, or not matching it: the revocation must leave nothing partial. */
  readonly tenantPartial: number;
  readonly revokedForeignOrDuplicated: number;
  readonly revokedDeadLetters: number;
  /** Dead letters of the revoked tenant for any other reason than its refusal (TenantConsentMissing, GraphUnauthorized). */
  readonly revokedOtherDeadLetters: number;
  /** Its dead letters' reasons, each once, with the start of a description. */
  readonly revokedReasons: readonly string[];
  /** The other dead letters, by message and reason: what a failing run names. */
  readonly deadLetterReasons: readonly string[];
  /** From the outage's end until every job was done. */
  readonly healedAfterOutageInMs: number;
  readonly wallInMs: number;
}

export async function runChaos(azurite: Azurite, options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const random = seededRandom(hash32(`chaos:${options.seed}`));
  const escaped: unknown[] = [];
  const onEscape = (error: unknown) => escaped.push(error);
  process.on("uncaughtException", onEscape);
  process.on("unhandledRejection", onEscape);

  // Relative to the real clock: the harvests read it, and refuse windows Graph no longer holds.
  const now = Math.floor(Date.now() / hourInMs) * hourInMs;
  const to = now - 2 * hourInMs;
  const from = to - options.days * dayInMs;
  const dataClock = new ManualClock(now);
  const outage = { fromInMs: started + options.outageAfterMs, toInMs: started + options.outageAfterMs + options.outageMs };
  const keeps = `${(options.seed % 1_0000_0000).toString(16).padStart(8, "0")}-c4a0-4a05-8e11-000000000001`;
  const revokes = `${(options.seed % 1_0000_0000).toString(16).padStart(8, "0")}-c4a0-4a05-8e11-000000000002`;
  const sandbox = await startSandbox({
    tenants: [{ id: keeps, callsPerDay: Math.max(20, Math.round(options.callsPerDay / 3)) }, { id: revokes, callsPerDay: Math.max(20, Math.round(options.callsPerDay / 3)) }],
    seed: `chaos-${options.seed}`,
    clock: dataClock,
    callsPerDay: options.callsPerDay,
    largeMeetingShare: 0.02,
    // Graph's limits, scaled from 20 s to 1 s windows, as the archiver's settings below are.
    throttle: { appRequests: 150, appWindowInMs: 1000, listRequests: 40, listWindowInMs: 1000 },
    faults: { ...badRecords(options), unavailableRate: 0.03, dropRate: 0.01, storms: { everyInMs: 5000, lengthInMs: 400 }, outage, dripRate: options.stallRate, dripIntervalInMs: 100 },
  });
  const refuse = (method: string, url: URL) => method === "PUT" && url.searchParams.get("comp") === "block" && random() < options.storageRefusalRate;
  const proxy = await startStorageProxy(azurite.blobEndpoint, refuse);
  const name = `chaos-${options.seed}-${Date.now().toString(36)}`;
  const container = BlobServiceClient.fromConnectionString(proxy.connectionString(azurite.connectionString)).getContainerClient(name);
  await container.create();
  try {
    const env = sandboxEnv(sandbox, {
      ARCHIVER_GRAPH_RATE_REQUESTS: "150",
      ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: "1",
      ARCHIVER_GRAPH_MAX_ATTEMPTS: "6",
      ARCHIVER_GRAPH_RETRY_MAX_MS: "2000",
      // A dripped answer never completes: the deadline cuts it off and the request is retried.
      ARCHIVER_GRAPH_TIMEOUT_MS: "2000",
      // Oversized records answer 2 MiB: past this cap.
      ARCHIVER_GRAPH_MAX_BODY_MB: "1",
      // The job retry policy at 1/300 of its time scale: 1 minute → 200 ms, 1 hour → 12 s.
      ARCHIVER_JOB_RETRY_BASE_MS: "200",
      ARCHIVER_JOB_RETRY_MAX_MS: "12000",
    });
    const archiverConfig = loadArchiverConfig(env);
    const pipeline = loadPipelineConfig(env);
    const graph = createGraphRuntime(archiverConfig, { ca: sandbox.ca });
    const archive = blobArchiveStore(container, { blockSizeInBytes: 16 * 1024 });
    // Passes in order, as npm start runs them. No duplicate detection, as on the default
    // deployment's Service Bus Basic: every repeat is delivered.
    const queue = new LocalQueue(10, () => Date.now(), { orderPasses: true, duplicateDetection: false });
    let retries = 0;
    let kills = 0;
    let duplicateDeliveries = 0;
    let plannerCrashes = 0;

    // Pass 0 of every window: re-reads are checked separately below, with the data moved on.
    // Six windows a tick, so the planner ticks (and may crash) several times.
    const plan = { ...pipeline.plan, rereadOffsetsInMs: [], maxWindowsPerTick: 6 };
    const memory = memoryWatermarkStore({ nextWindowStartInMs: from });
    const crashing: WatermarkStore = {
      location: memory.location,
      read: () => memory.read(),
      async write(watermark, etag) {
        if (random() < options.plannerCrashRate) {
          plannerCrashes += 1;
          throw new Error("planner crashed between sending its jobs and saving the watermark");
        }
        return memory.write(watermark, etag);
      },
    };
    const tenants = [keeps, revokes].map((tenant) => ({ tenant, watermarks: memoryWatermarkStore({ nextWindowStartInMs: from }) }));
    const planner = makePlanHandler(() => ({ watermarks: crashing, sender: queue, clock: { now: () => to + plan.settleInMs, sleep: systemClock.sleep }, plan, tenants }));
    // The second tenant's admin removes the app a moment into the run (after the outage starts).
    const revocation = setTimeout(() => sandbox.revokeConsent(revokes), options.outageAfterMs + 500);
    let windows = 0;
    for (;;) {
      try {
        const tick = await planner({} as Timer, quietContext("plan"));
        windows += tick.windows;
        if (tick.windows === 0) break;
      } catch {
        // The next timer tick plans the same windows again; their jobs run twice, the second finding the manifest.
      }
    }

    const zombies: Promise<unknown>[] = [];
    const active = new Map<string, number>();
    const watchdog = process.env.CHAOS_DEBUG
      ? setInterval(() => {
          const ready = queue.ready.map((m) => m.messageId);
          const scheduled = queue.scheduled.filter((m) => m.isRetry).map((m) => `${m.messageId}@${Math.round(((m.notBeforeInMs ?? 0) - Date.now()) / 1000)}s`);
          console.error(`[chaos ${options.seed}] active ${JSON.stringify([...active].map(([id, t]) => `${id} ${Math.round((Date.now() - t) / 1000)}s`))} ready ${ready.length} retries ${JSON.stringify(scheduled)} zombies ${zombies.length}`);
        }, 10_000)
      : undefined;
    const deliver = () =>
      queue.drain(async (body, settlement, message) => {
        if (message.deliveryCount === 1 && !message.messageId.includes("#dup") && random() < options.duplicateRate) {
          duplicateDeliveries += 1;
          queue.sendRaw(`${message.messageId}#dup`, body);
        }
        active.set(message.messageId, Date.now());
        const kill = random() < options.killRate ? 5 + random() * 300 : undefined;
        const controller = new AbortController();
        let dead = false;
        const muted = <T extends unknown[]>(fn: (...args: T) => Promise<void>) => async (...args: T) => {
          if (!dead) await fn(...args);
        };
        const sender: JobSender = { send: muted((jobs) => queue.send(jobs)) };
        const handler = makeHarvestHandler(() => ({
          graph,
          archive,
          sender,
          clock: systemClock,
          cloud: "Global",
          timeBudgetInMs: pipeline.timeBudgetInMs,
          concurrency: pipeline.harvestConcurrency,
          jobRetry: pipeline.jobRetry,
          signal: controller.signal,
          logs: pipeline.logs,
          // The lane's re-sends come minutes later: on this run's scale, every log job runs side by
          // side (the lane has its own test, test/functions/logLane.test.ts).
          logLane: false,
        }));
        const run = handler(body, { complete: muted(settlement.complete), abandon: muted(settlement.abandon), deadLetter: muted(settlement.deadLetter) }, quietContext("harvest"))
          .then(
            (result) => {
              if (!dead && result.status === "retrying") retries += 1;
            },
            () => undefined,
          )
          .finally(() => active.delete(message.messageId));
        if (kill === undefined) return run;
        const killed = await Promise.race([run.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), kill))]);
        if (!killed) return;
        // The worker died: nothing it does from now on counts, and its message comes back when the
        // lock expires, as an abandon.
        kills += 1;
        dead = true;
        controller.abort(new Error("harvester killed"));
        zombies.push(run);
        await settlement.abandon();
      }, 4);
    // Both telephony logs, each whole day of the span: pass 0 now, pass 1 three days on, under the same chaos.
    const logDays: number[] = [];
    for (let day = Math.floor(from / dayInMs) * dayInMs; day + dayInMs <= to; day += dayInMs) logDays.push(day);
    const sendLogPass = (pass: number) => {
      for (const day of logDays) for (const source of logSourceNames) queue.sendRaw(`log-${source}-${day}-p${pass}`, jobBody({ window: { startInMs: day, endInMs: day + dayInMs }, pass, source }));
    };
    sendLogPass(0);
    await deliver();
    const allDone = Date.now();
    await Promise.all(zombies);

    // Three days on, some records have new versions (and log rows arrived late or changed): pass 1
    // of every window and log day, under the same chaos.
    dataClock.advance(3 * dayInMs);
    for (let start = from; start < to; start += hourInMs) queue.sendRaw(`reread-${start}`, jobBody({ window: { startInMs: start, endInMs: start + hourInMs }, pass: 1 }));
    sendLogPass(1);
    await deliver();
    await Promise.all(zombies);

    if (watchdog) clearInterval(watchdog);
    clearTimeout(revocation);
    const truthRecords = [...sandbox.tenant.groundTruth(from, to, now), ...sandbox.tenant.groundTruth(from, to)];
    const truth = new Set(truthRecords.map((t) => `${t.id}@${t.version}`));
    const { lines, incomplete, partial } = await readArchive(BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name));
    const counts = new Map<string, number>();
    for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
    // A bad record costs that record: it is archived incomplete, and nothing else goes missing.
    // Which records are bad is the sandbox's fixed draw per record.
    const bad = new Set(truthRecords.filter((t) => recordFaultOf(badRecords(options), t.id, hash32) !== undefined).map((t) => `${t.id}@${t.version}`));
    const lostOrIncomplete = [...truth].filter((t) => !counts.has(t));
    const logs = { rows: 0, missing: 0, duplicated: 0, misplaced: 0, extra: 0 };
    for (const source of logSourceNames) {
      const held = logDays.flatMap((day) => sandbox.logs.groundTruth(source, day, day + dayInMs));
      const checked = await checkLogArchive(BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name), source, held);
      logs.rows += held.length;
      logs.missing += checked.missing;
      logs.duplicated += checked.duplicated;
      logs.misplaced += checked.misplaced;
      logs.extra += checked.extra;
    }
    // The tenants: the one that kept its consent archived exactly; the one that revoked it, its own records once each.
    const tenantArchive = (tenant: string) => readArchive(BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name), rootOf({ tenant }));
    const [keptArchive, revokedArchive] = [await tenantArchive(keeps), await tenantArchive(revokes)];
    const keptTruth = new Set((sandbox.tenants.get(keeps)?.tenant.groundTruth(from, to, now) ?? []).map((t) => `${t.id}@${t.version}`));
    const kept = keptArchive.lines;
    const keptCounts = new Map<string, number>();
    for (const line of kept) keptCounts.set(line, (keptCounts.get(line) ?? 0) + 1);
    const revokedTruth = new Set((sandbox.tenants.get(revokes)?.tenant.groundTruth(from, to, now) ?? []).map((t) => `${t.id}@${t.version}`));
    const revoked = revokedArchive.lines;
    const revokedLetters = queue.deadLetters.filter((d) => d.messageId.startsWith(`${revokes}_`));
    const homeLetters = queue.deadLetters.filter((d) => !d.messageId.startsWith(`${revokes}_`));
    return {
      seed: options.seed,
      tenantTruth: keptTruth.size,
      tenantMissing: [...keptTruth].filter((t) => !keptCounts.has(t)).length + [...keptCounts.keys()].filter((t) => !keptTruth.has(t)).length,
      tenantDuplicated: [...keptCounts.values()].filter((n) => n > 1).length,
      revokedArchived: revoked.length,
      tenantPartial: keptArchive.partial + revokedArchive.partial,
      revokedForeignOrDuplicated: revoked.filter((t) => !revokedTruth.has(t)).length + (revoked.length - new Set(revoked).size),
      revokedDeadLetters: revokedLetters.length,
      // Refused by name: Entra no longer issues a token there, or Graph answers 401 to one it issued
      // just before the revocation.
      revokedOtherDeadLetters: revokedLetters.filter((d) => d.reason !== "TenantConsentMissing" && d.reason !== "GraphUnauthorized").length,
      revokedReasons: [...new Set(revokedLetters.map((d) => `${d.reason}: ${d.description.slice(0, 160)}`))],
      deadLetterReasons: homeLetters.map((d) => `${d.messageId} ${d.reason}: ${d.description.slice(0, 300)}`),
      windows,
      truth: truth.size,
      archived: counts.size,
      missing: [...truth].filter((t) => !counts.has(t) && !incomplete.has(t)).length,
      injectedBad: [...bad].filter((t) => truth.has(t)).length,
      lostOrIncomplete: lostOrIncomplete.length,
      innocentLost: lostOrIncomplete.filter((t) => !bad.has(t)).length,
      incompleteArchived: [...bad].filter((t) => incomplete.has(t)).length,
      stalled: sandbox.stats.stalled,
      duplicated: [...counts.values()].filter((n) => n > 1).length,
      partial,
      deadLetters: homeLetters.length,
      retries,
      kills,
      duplicateDeliveries,
      storageRefusals: proxy.refused.length,
      plannerCrashes,
      throttled: sandbox.stats.throttled,
      unavailable: sandbox.stats.unavailable,
      dropped: sandbox.stats.dropped,
      escaped: escaped.length,
      logRows: logs.rows,
      logMissing: logs.missing,
      logDuplicated: logs.duplicated,
      logMisplaced: logs.misplaced,
      logExtra: logs.extra,
      healedAfterOutageInMs: Math.max(0, allDone - outage.toInMs),
      wallInMs: Date.now() - started,
    };
  } finally {
    process.off("uncaughtException", onEscape);
    process.off("unhandledRejection", onEscape);
    await Promise.all([sandbox.close(), proxy.close()]);
  }
}

/**
 * A log's archive against the rows Graph holds: the last line per row (days, then passes, in
 * order) must be Graph's row now; no content archived twice; every line in the day its row started.
 */
async function checkLogArchive(container: ContainerClient, source: LogSourceName, held: readonly Record<string, unknown>[]) {
  const blobs: { name: string; day: number; pass: number }[] = [];
  for await (const blob of container.listBlobsFlat({ prefix: logRoot(source) })) {
    const parsed = archiveBlobOf(blob.name);
    if (parsed?.kind === "data") blobs.push({ name: blob.name, day: parsed.job.window.startInMs, pass: parsed.job.pass });
  }
  blobs.sort((a, b) => a.day - b.day || a.pass - b.pass);
  const last = new Map<string, string>();
  const seen = new Set<string>();
  let duplicated = 0;
  let misplaced = 0;
  for (const blob of blobs) {
    const text = gunzipSync(await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString("utf8");
    for (const line of text.split("\n").filter((l) => l !== "")) {
      const row = rowOfLine(JSON.parse(line) as Record<string, unknown>);
      const digest = rowDigest(row);
      if (seen.has(`${String(row.id)}:${digest}`)) duplicated += 1;
      seen.add(`${String(row.id)}:${digest}`);
      if (Math.floor((rowStartInMs(row.startDateTime) ?? 0) / dayInMs) * dayInMs !== blob.day) misplaced += 1;
      last.set(String(row.id), digest);
    }
  }
  const truth = new Map(held.map((row) => [String(row.id), rowDigest(row)] as const));
  return {
    missing: [...truth].filter(([id, digest]) => last.get(id) !== digest).length,
    extra: [...last.keys()].filter((id) => !truth.has(id)).length,
    duplicated,
    misplaced,
  };
}

/** The bad-record faults of a chaos run, for the sandbox and for the accounting alike. */
const badRecords = (options: ChaosOptions) => ({ loopingRecordRate: options.loopingRecordRate, oversizedRecordRate: options.oversizedRecordRate, failingRecordRate: options.failingRecordRate });

/**
 * Every complete `id@version` line (a repeat is a duplicate), every incomplete one (each later pass
 * reads such a record again, so it may repeat), and the data blobs that do not match their manifest.
 */
/** The archive below a root (the home tenant's by default, other tenants' folders aside). */
async function readArchive(container: ContainerClient, root = rootOf()): Promise<{ lines: string[]; incomplete: Set<string>; partial: number }> {
  const lines: string[] = [];
  const incomplete = new Set<string>();
  const manifests = new Map<string, number>();
  const data = new Map<string, number>();
  let partial = 0;
  for await (const blob of container.listBlobsFlat({ prefix: root })) {
    if (root === rootOf() && blob.name.slice(root.length).startsWith("tenant=")) continue;
    const kind = archiveBlobOf(blob.name);
    const content = await container.getBlockBlobClient(blob.name).downloadToBuffer();
    const key = blob.name.replace(/\/_?([^/]+)\.(manifest\.json|jsonl\.gz)$/, "/$1");
    if (kind?.kind === "manifest") {
      const manifest = parseManifest(content.toString("utf8"), blob.name);
      if (manifest.status === "complete") manifests.set(key, manifest.recordCount);
    } else if (kind?.kind === "data") {
      try {
        const own = gunzipSync(content).toString("utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { id: string; version: number; _archive: { incomplete?: unknown } });
        data.set(key, own.length);
        for (const line of own) {
          if (line._archive.incomplete) incomplete.add(`${line.id}@${line.version}`);
          else lines.push(`${line.id}@${line.version}`);
        }
      } catch {
        partial += 1;
      }
    }
  }
  for (const [key, count] of data) if (manifests.get(key) !== count) partial += 1;
  return { lines, incomplete, partial };
}
