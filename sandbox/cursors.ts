/**
 * Opaque `$skiptoken` cursors, as Graph hands out: each names the rest of one listing and expires.
 * Clients must follow nextLinks verbatim; a forged or stale token is answered 400. A token can be
 * followed again until it expires, as a client retrying a page whose answer it never received
 * (a timeout, a dropped connection) must be able to.
 */
import { randomBytes } from "node:crypto";
import type { JsonObject } from "../shared/graph/callRecord.js";
import { minuteInMs } from "../shared/core/window.js";
import { HttpError } from "./httpError.js";
import type { LiveRecord } from "./tenant.js";

const cursorLifetimeInMs = 15 * minuteInMs;

export type Cursor =
  | { kind: "list"; items: JsonObject[]; offset: number; pageSize: number; expiresAt: number }
  | { kind: "sessions" | "participants"; record: LiveRecord; items: JsonObject[]; offset: number; expiresAt: number };

export const cursorExpiry = (): number => Date.now() + cursorLifetimeInMs;

export class Cursors {
  private readonly cursors = new Map<string, Cursor>();

  issue(cursor: Cursor): string {
    const token = randomBytes(18).toString("base64url");
    this.cursors.set(token, cursor);
    if (this.cursors.size % 256 === 0) {
      const now = Date.now();
      for (const [key, c] of this.cursors) if (c.expiresAt < now) this.cursors.delete(key);
    }
    return token;
  }

  take(token: string, kind: Cursor["kind"], recordId?: string): Cursor {
    const cursor = this.cursors.get(token);
    const sameRecord = cursor && (cursor.kind === "list" || cursor.record.call.id === recordId);
    if (!cursor || cursor.kind !== kind || !sameRecord || cursor.expiresAt < Date.now()) {
      throw new HttpError(400, "BadRequest", "Invalid or expired $skiptoken.");
    }
    return cursor;
  }

  /** One page from the cursor, and the nextLink to the rest if any. */
  page(cursor: Cursor, pageSize: number, nextUrl: (token: string) => string): { value: JsonObject[]; next: string | undefined } {
    const value = cursor.items.slice(cursor.offset, cursor.offset + pageSize);
    const nextOffset = cursor.offset + value.length;
    const next = nextOffset < cursor.items.length ? nextUrl(this.issue({ ...cursor, offset: nextOffset, expiresAt: cursorExpiry() })) : undefined;
    return { value, next };
  }
}
