/**
 * The lasting records of a (window, pass) besides its manifest, both write-once blobs beside it in
 * the archive (names in archiveLayout.ts), so they outlive any queue and any tier:
 *
 * - the **chain record** names the one retry chain that the pass's transient failures belong to.
 *   The first delivery to fail transiently creates it; a delivery of another chain (a coverage
 *   sweep's re-send, a duplicate, a retry from before this record existed) that fails finds it
 *   and ends instead of starting a second chain, whatever the queue's duplicate detection does.
 * - the **dead-letter record** says the pass was given up, so its later passes run after it.
 *
 * Write-once suits a write-once archive: nothing here is ever updated. A chain whose messages were
 * lost (a purged queue) keeps its record; the sweep's re-sends still harvest once per resend
 * period, so the window is archived as soon as Graph answers, only without fast retries.
 */
import type { ArchiveStore } from "../../archive/archiveStore.js";
import { chainBlobName, deadLetterBlobName } from "../../archive/archiveLayout.js";
import type { Clock } from "../../core/clock.js";
import { type Job, chainIdPattern, jobBody } from "../../core/job.js";
import { compactInstant, formatInstant } from "../../core/window.js";

export interface JobRecords {
  /**
   * Makes `chain` the (window, pass)'s retry chain unless one already is, and answers the chain
   * that holds it: `chain` itself, or the other chain's id.
   */
  holdChain(job: Job, chain: string, reason: string): Promise<string>;
  /** Records that the pass was given up (dead-lettered). A second record of the same pass is not written. */
  recordDeadLetter(job: Job, reason: string, description: string, chain: string | undefined): Promise<void>;
}

/** A fresh chain id: the instant it started and a random tail (`c20261203T1405Z-3f9a1c`). */
export const newChainId = (nowInMs: number, random: () => number): string =>
  `c${compactInstant(nowInMs)}-${Math.floor(random() * 0x1000000).toString(16).padStart(6, "0")}`;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export interface JobRecordOptions {
  /**
   * False: no chain record is read or written, and every failing delivery retries on (as before
   * chains). For a local run: its one queue drops repeats, nothing else re-sends, and its archive
   * may hold chain records of an earlier run that was stopped, whose chains no queue holds.
   */
  readonly chains?: boolean;
}

export function archiveJobRecords(archive: ArchiveStore, clock: Clock, options: JobRecordOptions = {}): JobRecords {
  return {
    async holdChain(job, chain, reason) {
      if (options.chains === false) return chain;
      // Read first: every failing delivery after the first finds the record, so one read settles
      // it; only the first (or a race with another first) also creates it.
      const existing = await archive.read(chainBlobName(job));
      if (!existing) {
        const record = { schemaVersion: 1, job: jobBody(job), chain, startedAt: formatInstant(clock.now()), firstFailure: reason };
        if ((await archive.createText(chainBlobName(job), json(record), "application/json")) === "created") return chain;
      }
      const text = existing ?? (await archive.read(chainBlobName(job)));
      // A record that cannot be read names no holder: this chain goes on (at worst two chains, as
      // before the record existed), rather than none.
      return (text && holderOf(text.toString("utf8"))) ?? chain;
    },
    async recordDeadLetter(job, reason, description, chain) {
      const record = { schemaVersion: 1, job: jobBody(job), reason, description, deadLetteredAt: formatInstant(clock.now()), ...(chain ? { chain } : {}) };
      await archive.createText(deadLetterBlobName(job), json(record), "application/json");
    },
  };
}

function holderOf(text: string): string | undefined {
  try {
    const chain = (JSON.parse(text) as { chain?: unknown }).chain;
    return typeof chain === "string" && chainIdPattern.test(chain) ? chain : undefined;
  } catch {
    return undefined;
  }
}
