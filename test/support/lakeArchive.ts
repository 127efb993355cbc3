/**
 * An archive written by the real pipeline from the Graph sandbox into a local folder, as the lake
 * tests read it: one sandbox day at pass 0, then, three days on, pass 1 of every window (which adds
 * the records that gained a version). Returns the folder and the sandbox's ground truth after both.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalQueue } from "../../local/queue.js";
import { runLocal } from "../../local/run.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { loadArchiverConfig, loadPipelineConfig } from "../../shared/config/config.js";
import { systemClock } from "../../shared/core/clock.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import type { JsonObject } from "../../shared/graph/callRecord.js";
import { createGraphRuntime } from "../../shared/graph/graphSetup.js";
import { memoryWatermarkStore } from "../../shared/pipeline/plan/watermarkStore.js";
import { startSandbox } from "../../sandbox/server.js";
import { ManualClock } from "../../sandbox/tenant.js";
import { sandboxEnv } from "./graph.js";

export interface LakeArchive {
  /** The folder holding callrecords/v1/… */
  readonly root: string;
  readonly fromInMs: number;
  readonly toInMs: number;
  /** Every record of the day at its latest version, as Graph holds it after pass 1. */
  readonly truth: readonly { id: string; version: number; document: JsonObject }[];
  /** Lines archived in all: the truth plus the earlier versions pass 0 saw. */
  readonly archivedLines: number;
}

export async function writeLakeArchive(options: { readonly callsPerDay: number; readonly day: string }): Promise<LakeArchive> {
  const fromInMs = Date.parse(`${options.day}T00:00:00Z`);
  const toInMs = fromInMs + dayInMs;
  const dataClock = new ManualClock(toInMs + 2 * hourInMs);
  const sandbox = await startSandbox({ clock: dataClock, callsPerDay: options.callsPerDay, largeMeetingShare: 0.02 });
  const root = await mkdtemp(join(tmpdir(), "lake-"));
  try {
    const env = sandboxEnv(sandbox, { ARCHIVER_GRAPH_RATE_REQUESTS: "1000", ARCHIVER_GRAPH_RATE_WINDOW_SECONDS: "1" });
    const archiverConfig = loadArchiverConfig(env);
    const parts = {
      archiverConfig,
      pipeline: loadPipelineConfig(env),
      graph: createGraphRuntime(archiverConfig, { ca: sandbox.ca }),
      archive: folderArchiveStore(root),
      // The run's "now" is the sandbox's: the day stays within Graph's 30 days whatever today is.
      clock: { now: () => dataClock.now(), sleep: systemClock.sleep },
      planClock: { now: () => toInMs + hourInMs, sleep: systemClock.sleep },
    };
    const first = await runLocal({ ...parts, watermarks: memoryWatermarkStore({ nextWindowStartInMs: fromInMs }), queue: new LocalQueue(5, () => toInMs + hourInMs) });
    const pass0 = sandbox.tenant.groundTruth(fromInMs, toInMs);

    // Three days on, some records have new versions: pass 1 of every window archives those.
    dataClock.advance(3 * dayInMs);
    const rereads = new LocalQueue(5, () => Number.POSITIVE_INFINITY);
    for (let start = fromInMs; start < toInMs; start += hourInMs) {
      await rereads.send([{ job: { window: { startInMs: start, endInMs: start + hourInMs }, pass: 1 }, notBeforeInMs: undefined }]);
    }
    const second = await runLocal({ ...parts, watermarks: memoryWatermarkStore({ nextWindowStartInMs: toInMs }), queue: rereads });
    const failed = [...first.deadLetters, ...second.deadLetters];
    if (failed.length > 0) throw new Error(`the lake archive could not be written: ${JSON.stringify(failed)}`);

    const truth = sandbox.tenant.groundTruth(fromInMs, toInMs);
    const changed = truth.filter((t) => t.version > (pass0.find((p) => p.id === t.id)?.version ?? 0)).length;
    return { root, fromInMs, toInMs, truth, archivedLines: pass0.length + changed };
  } finally {
    await sandbox.close();
  }
}
