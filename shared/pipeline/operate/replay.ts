/**
 * Replaying dead letters: every dead-lettered job is sent again as a fresh copy (attempt 0, a
 * `messageId` tagged with the replay, so duplicate detection does not drop it), and only then is
 * the dead letter removed. A dead letter that is not a valid job stays where it is, for a person.
 */
import { type Job, messageIdOf, parseJobDelivery } from "../../core/job.js";
import { compactInstant } from "../../core/window.js";
import type { JobSender } from "../plan/scheduler.js";

export interface DeadLetter {
  readonly messageId: string;
  readonly body: unknown;
  readonly reason: string | undefined;
  readonly description: string | undefined;
}

/** The dead-letter queue, as far as a replay needs it. */
export interface DeadLetterSource {
  /** Up to `max` dead letters, locked for this replay. */
  receive(max: number): Promise<readonly DeadLetter[]>;
  /** Removes a dead letter that has been sent again. */
  complete(letter: DeadLetter): Promise<void>;
  /** Leaves a dead letter in place (not a valid job). */
  release(letter: DeadLetter): Promise<void>;
}

export interface ReplayLine {
  readonly messageId: string;
  readonly reason: string;
  readonly outcome: "resent" | "kept (not a valid job)" | "would resend";
  readonly newMessageId?: string;
}

export async function replayDeadLetters(
  source: DeadLetterSource,
  sender: JobSender,
  options: { nowInMs: number; max: number; dryRun: boolean },
): Promise<ReplayLine[]> {
  const lines: ReplayLine[] = [];
  const tag = `r${compactInstant(options.nowInMs)}`;
  // Letters left in place come back on the next receive: one pass over the queue, then stop.
  const seen = new Set<string>();
  while (lines.length < options.max) {
    const batch = await source.receive(Math.min(50, options.max - lines.length));
    const fresh = batch.filter((letter) => !seen.has(letter.messageId));
    for (const letter of batch) if (seen.has(letter.messageId)) await source.release(letter);
    if (fresh.length === 0) break;
    for (const letter of fresh) {
      seen.add(letter.messageId);
      const reason = letter.reason ?? "unknown";
      let job: Job;
      try {
        job = parseJobDelivery(letter.body).job;
      } catch {
        await source.release(letter);
        lines.push({ messageId: letter.messageId, reason, outcome: "kept (not a valid job)" });
        continue;
      }
      const newMessageId = messageIdOf(job, 0, tag);
      if (options.dryRun) {
        await source.release(letter);
        lines.push({ messageId: letter.messageId, reason, outcome: "would resend", newMessageId });
        continue;
      }
      // Sent before the dead letter is removed: a crash in between leaves a duplicate, never a loss.
      await sender.send([{ job, notBeforeInMs: undefined, resendTag: tag }]);
      await source.complete(letter);
      lines.push({ messageId: letter.messageId, reason, outcome: "resent", newMessageId });
    }
  }
  return lines;
}
