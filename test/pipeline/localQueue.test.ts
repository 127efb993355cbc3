import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Job, parseJobMessage } from "../../shared/core/job.js";
import { hourInMs } from "../../shared/core/window.js";
import { LocalQueue } from "../../local/queue.js";

const start = Date.parse("2026-11-27T09:00:00Z");
const job = (hours: number, pass: number, length = 1): Job => ({ window: { startInMs: start + hours * hourInMs, endInMs: start + (hours + length) * hourInMs }, pass });
const key = (j: Job) => `${j.window.startInMs}:${j.window.endInMs}:p${j.pass}`;

describe("the local queue runs a window's passes in order, and ends", () => {
  it("holds a re-read pass back while an earlier pass of an overlapping window is in flight", async () => {
    const queue = new LocalQueue(5, Date.now, { orderPasses: true });
    await queue.send([job(0, 0, 2), job(0, 1), job(1, 1), job(5, 1)].map((j) => ({ job: j, notBeforeInMs: undefined })));
    const running = new Set<string>();
    const overlaps: string[] = [];
    await queue.drain(async (body, settlement) => {
      const j = parseJobMessage(body);
      for (const other of running) if (other.endsWith("p0") && j.pass === 1 && j.window.startInMs !== start + 5 * hourInMs) overlaps.push(`${key(j)} during ${other}`);
      running.add(key(j));
      await new Promise((resolve) => setTimeout(resolve, 20));
      running.delete(key(j));
      await settlement.complete();
    }, 4);
    assert.deepEqual(overlaps, []);
  });

  it("delivers the later passes of a dead-lettered pass after it (the harvest finds its dead-letter record); one still waiting on it is dead-lettered, so the run ends", async () => {
    const queue = new LocalQueue(5, Date.now, { orderPasses: true });
    await queue.send([job(0, 0), job(0, 1), job(1, 0)].map((j) => ({ job: j, notBeforeInMs: undefined })));
    const delivered: string[] = [];
    await queue.drain(async (body, settlement, message) => {
      const j = parseJobMessage(body);
      delivered.push(message.messageId);
      if (j.pass === 0 && j.window.startInMs === start) await settlement.deadLetter("GraphForbidden", "403");
      else await settlement.complete();
    }, 2);
    assert.ok(delivered.indexOf("20261127T0900Z_20261127T1000Z_p1") > delivered.indexOf("20261127T0900Z_20261127T1000Z_p0"), delivered.join(" "));
    // A re-send of the later pass that found its earlier pass not settled (no record could be
    // written) is given up at once; any other re-send of it is delivered.
    await queue.send([{ job: job(0, 1), notBeforeInMs: undefined, attempt: 1, retryAfterFailure: "WaitingForEarlierPass" }]);
    await queue.send([{ job: job(0, 1), notBeforeInMs: undefined, attempt: 2, retryAfterFailure: "GraphUnavailable" }]);
    assert.deepEqual(queue.deadLetters.map((d) => [d.messageId, d.reason]), [
      ["20261127T0900Z_20261127T1000Z_p0", "GraphForbidden"],
      ["20261127T0900Z_20261127T1000Z_p1_a1", "EarlierPassDeadLettered"],
    ]);
    assert.deepEqual(queue.ready.map((m) => m.messageId), ["20261127T0900Z_20261127T1000Z_p1_a2"]);
  });
});
