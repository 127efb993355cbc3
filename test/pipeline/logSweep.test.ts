import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { logPlanOf } from "../../shared/config/config.js";
import { messageIdOf } from "../../shared/core/job.js";
import { systemClock } from "../../shared/core/clock.js";
import { runLogSweep } from "../../shared/pipeline/plan/logSweep.js";
import type { PlannedJob } from "../../shared/pipeline/plan/planning.js";
import { memorySweepMemoryStore } from "../../shared/pipeline/plan/sweepMemoryStore.js";

const day = (date: string) => ({ startInMs: Date.parse(`${date}T00:00:00Z`), endInMs: Date.parse(`${date}T00:00:00Z`) + 86_400_000 });

describe("a telephony log's coverage sweep", () => {
  it("re-sends the passes a log lacks, by its own horizon and schedule, once per day", async () => {
    const folder = await mkdtemp(join(tmpdir(), "log-sweep-"));
    try {
      const archive = folderArchiveStore(folder);
      // A 12-day horizon and one re-read 3 days on, so the test's days are few.
      const plan = logPlanOf({ horizonDays: 12, settleHours: 48, rereadOffsetsInMs: [3 * 86_400_000], maxWindowsPerTick: 48 });
      // Now 2026-12-03T12:00Z: Graph holds days from 2026-11-22; pass 0 is overdue for days to
      // 2026-11-30, pass 1 for days to 2026-11-29. Every one is archived but two.
      const days = ["2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"];
      for (const date of days) {
        for (const pass of date === "2026-11-30" ? [0] : [0, 1]) {
          if ((date === "2026-11-25" && pass === 0) || (date === "2026-11-27" && pass === 1)) continue;
          await archive.createText(manifestBlobName({ window: day(date), pass, source: "pstnCalls" }), "{}", "application/json", { status: date === "2026-11-24" ? "unsupported" : "complete" });
        }
      }
      // Call records of the same days are nothing to this sweep.
      await archive.createText(manifestBlobName({ window: day("2026-11-25"), pass: 0 }), "{}", "application/json", { status: "complete" });
      let now = Date.parse("2026-12-03T12:00:00Z");
      const sent: PlannedJob[] = [];
      const memory = memorySweepMemoryStore();
      const deps = { source: "pstnCalls" as const, archive, sender: { send: async (jobs: readonly PlannedJob[]) => void sent.push(...jobs) }, clock: { now: () => now, sleep: systemClock.sleep }, plan, sweep: { graceInMs: 3_600_000, maxResendsPerTick: 10 }, memory };
      const report = await runLogSweep(deps, Date.parse("2026-12-01T00:00:00Z"));
      // 2026-11-25's pass 1 waits on its missing pass 0: only the pass 0 is sent.
      assert.deepEqual(sent.map((j) => messageIdOf(j.job, 0, j.resendTag)), ["pstn_20261125T0000Z_20261126T0000Z_p0_s20261203T0000Z", "pstn_20261127T0000Z_20261128T0000Z_p1_s20261203T0000Z"]);
      assert.equal(report.missing.length, 2);
      // 2026-11-25 ends 8 days before the horizon's 2026-12-07.
      assert.equal(report.oldestMissingMarginInMs, Date.parse("2026-12-07T00:00:00Z") - now);
      now += 3_600_000;
      await runLogSweep(deps, Date.parse("2026-12-01T00:00:00Z"));
      assert.equal(sent.length, 2, "not again in the same day");
      now = Date.parse("2026-12-04T00:30:00Z");
      await runLogSweep(deps, Date.parse("2026-12-01T00:00:00Z"));
      assert.deepEqual(sent.slice(2).map((j) => messageIdOf(j.job, 0, j.resendTag)).slice(0, 2), ["pstn_20261125T0000Z_20261126T0000Z_p0_s20261204T0000Z", "pstn_20261127T0000Z_20261128T0000Z_p1_s20261204T0000Z"]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
