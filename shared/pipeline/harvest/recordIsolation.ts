/**
 * When one call record that cannot be read costs that record only, not its window. Pure: the
 * harvest tells it what each record did, and it answers whether the window goes on.
 *
 * A record is archived incomplete (as far as it was read, marked under `_archive.incomplete`) when
 * it fails for good:
 * - its sessions or participants page in a loop (the pages before the loop are kept);
 * - an answer for it is over ARCHIVER_GRAPH_MAX_BODY_MB (its list entry is kept);
 * - it still fails after its own retries (5xx, 429, a timeout, a dropped connection, an answer
 *   that is not Graph's shape) on a second delivery of its job, while the window's other records
 *   are read: the job's first delivery failed (a passing fault gets the job retry policy's delay
 *   to pass), and fewer than `graphWideAfterFailures` records failed since the last success (that
 *   many means Graph itself is failing: an outage fails the job, as before); and it fails once
 *   more when read again at the end of the window, after Graph has answered the window's listing
 *   again (an outage that caught the record and then passed costs nothing). Records isolated
 *   with no record read after them (the last one or two of a window, or a window holding only
 *   them) stand only if Graph answers a listing asked after them: an outage that began as the
 *   window ended fails the job instead (else a window holding one broken record would retry until
 *   Graph's horizon, and an innocent record caught by an outage would be archived incomplete).
 * Never isolated: 401 and 403 (the credential or the grant), 400, a failing listing, storage.
 * The next re-read pass tries an incomplete record again, whatever its version.
 */
import type { IncompleteRecord } from "../../archive/manifest.js";
import { isGraphAnswerTooLargeError, isGraphRequestError, isGraphResponseError } from "../../core/errors.js";

/** What `_archive.incomplete` says of a line (the manifest adds the record's id and version). */
export type Incompleteness = Omit<IncompleteRecord, "id" | "version">;

/** Records failing one after another with no success between them that mean Graph, not a record, is failing. */
export const graphWideAfterFailures = 3;

/** How a record's failure may be isolated: at once, only if the window's other records are read, or never. */
export function isolationOf(error: unknown): "answerTooLarge" | "recordFailing" | undefined {
  if (isGraphAnswerTooLargeError(error)) return "answerTooLarge";
  if (isGraphResponseError(error)) return "recordFailing";
  if (isGraphRequestError(error)) {
    const status = error.status;
    if (status === undefined || status === 429 || status >= 500) return "recordFailing";
  }
  return undefined;
}

/** The window's record outcomes so far, to tell one failing record from a failing Graph. */
export class WindowRecordFailures {
  private failedSinceSuccess = 0;

  /** `attempt`: which delivery of the job this is, 0 the first. */
  constructor(private readonly attempt: number) {}

  /** A record of the window was read (whole, or up to a loop). */
  recordRead(): void {
    this.failedSinceSuccess = 0;
  }

  /**
   * A record failed after its own retries: "isolate" it and go on, or "failJob" (the job's first
   * delivery, where a passing fault is still the likelier cause; or Graph is failing).
   */
  recordFailed(): "isolate" | "failJob" {
    this.failedSinceSuccess += 1;
    return this.attempt === 0 || this.failedSinceSuccess >= graphWideAfterFailures ? "failJob" : "isolate";
  }

  /** True when records were isolated and none was read after them: Graph must answer once more for them to stand. */
  get unconfirmed(): boolean {
    return this.failedSinceSuccess > 0;
  }
}
