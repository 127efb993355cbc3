import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { LocalQueue } from "../../local/queue.js";
import { type Job, jobBody, jobKey } from "../../shared/core/job.js";
import { type DeadLetter, type DeadLetterSource, replayDeadLetters } from "../../shared/pipeline/operate/replay.js";

/** A dead-letter queue in memory with Service Bus's peek-lock rules: released letters come back. */
function deadLetterQueue(letters: DeadLetter[]) {
  const available = [...letters];
  const completed: string[] = [];
  const source: DeadLetterSource = {
    receive: async (max) => available.splice(0, max),
    complete: async (letter) => void completed.push(letter.messageId),
    release: async (letter) => void available.push(letter),
  };
  return { source, completed, available };
}

const job: Job = { window: { startInMs: Date.parse("2026-11-26T09:00:00Z"), endInMs: Date.parse("2026-11-26T10:00:00Z") }, pass: 1 };
const now = Date.parse("2026-11-27T12:34:00Z");

describe("replaying dead letters", () => {
  it("sends each job again with a fresh messageId, then removes its dead letter; keeps what is not a job", async () => {
    const { source, completed, available } = deadLetterQueue([
      { messageId: `${jobKey(job)}_a7`, body: jobBody(job, 7), reason: "GraphForbidden", description: "403" },
      { messageId: "junk", body: "not a job", reason: "InvalidJob", description: "message body is not JSON" },
    ]);
    const queue = new LocalQueue();
    const lines = await replayDeadLetters(source, queue, { nowInMs: now, max: 100, dryRun: false });
    assert.deepEqual(lines, [
      { messageId: `${jobKey(job)}_a7`, reason: "GraphForbidden", outcome: "resent", newMessageId: `${jobKey(job)}_r20261127T1234Z` },
      { messageId: "junk", reason: "InvalidJob", outcome: "kept (not a valid job)" },
    ]);
    assert.deepEqual(queue.ready.map((m) => [m.messageId, m.body]), [[`${jobKey(job)}_r20261127T1234Z`, jobBody(job)]]);
    assert.deepEqual(completed, [`${jobKey(job)}_a7`]);
    assert.deepEqual(available.map((l) => l.messageId), ["junk"]);
  });

  it("with --dry-run, sends nothing and removes nothing", async () => {
    const { source, completed, available } = deadLetterQueue([{ messageId: jobKey(job), body: jobBody(job), reason: "GraphForbidden", description: "403" }]);
    const queue = new LocalQueue();
    const lines = await replayDeadLetters(source, queue, { nowInMs: now, max: 100, dryRun: true });
    assert.equal(lines[0]?.outcome, "would resend");
    assert.deepEqual([queue.ready.length, completed.length, available.length], [0, 0, 1]);
  });

  it("npm run replay without the Service Bus setting stops with its name, exit status 2", async () => {
    const root = resolve(import.meta.dirname, "..", "..");
    const run = promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/replay.ts"], { cwd: root, env: { PATH: process.env.PATH ?? "" } });
    await assert.rejects(run, (error: { code: number; stderr: string }) => error.code === 2 && /ARCHIVER_SERVICEBUS__fullyQualifiedNamespace: is required/.test(error.stderr));
  });
});
