/**
 * The sandbox playing Graph's call records API: list with `$filter` / `$select` / page size, get
 * one record with `$expand`, and the sessions and participants_v2 collections, each paged with
 * opaque skiptokens; empty list pages that still point onwards; Graph's throttling per app and per
 * record; 404 for records Graph no longer holds.
 */
import type { IncomingMessage } from "node:http";
import type { JsonObject } from "../shared/graph/callRecord.js";
import { type Cursor, type Cursors, cursorExpiry } from "./cursors.js";
import { participantsOf, sessionsOf, summaryDocument } from "./generator.js";
import { type RecordFault, loopingSessionsToken } from "./faults.js";
import { HttpError, throttled } from "./httpError.js";
import { FilterError, matchesStart, parseCallFilter } from "./odataFilter.js";
import { hash32 } from "./random.js";
import type { DataClock, LiveRecord, SandboxTenant } from "./tenant.js";
import type { Throttle } from "./throttle.js";

const listPageSize = 60;
const sessionPageSize = 60;
const participantPageSize = 130;

export interface CallRecordsRouteOptions {
  readonly origin: () => string;
  readonly tenant: SandboxTenant;
  readonly clock: DataClock;
  readonly throttle: Throttle | undefined;
  readonly cursors: Cursors;
  /** Draws for the empty-page rule, from the sandbox's seeded fault generator. */
  readonly random: () => number;
  readonly emptyPageRate: number;
  readonly onEmptyPage: () => void;
  /** Serve list nextLinks on another origin (a fault). */
  readonly foreignNextLink: boolean;
  /**
   * A listing whose first page's nextLink names that same page (a fault): every listing, or those
   * whose window holds the instant `atInMs` (so half of a window loops and the other half does not).
   */
  readonly loopingList: boolean | { readonly atInMs: number };
  /** What is wrong with a record (a fault): its sessions loop, its answers are oversized, or it fails. */
  readonly recordFault: (id: string) => RecordFault | undefined;
  /** The size an oversized record's answers are padded past. */
  readonly oversizedBytes: number;
}

/** Answers one authenticated GET under /v1.0/communications/callRecords for the app `appId`. */
export function createCallRecordsRoutes(options: CallRecordsRouteOptions): (url: URL, req: IncomingMessage, appId: string) => JsonObject {
  const { tenant, clock, throttle, cursors } = options;

  const listRecords = (url: URL, req: IncomingMessage): JsonObject => {
    const origin = options.origin();
    const base = `${origin}/v1.0/communications/callRecords`;
    const skiptoken = url.searchParams.get("$skiptoken");
    let cursor: Cursor;
    let loops = false;
    if (skiptoken !== null) {
      cursor = cursors.take(skiptoken, "list");
    } else {
      rejectUnknownOptions(url, ["$filter", "$select"]);
      const filter = parseFilter(url.searchParams.get("$filter"));
      const looping = options.loopingList;
      loops = looping === true || (typeof looping === "object" && matchesStart(filter, looping.atInMs));
      const select = parseSelect(url.searchParams.get("$select"));
      const now = clock.now();
      const from = Number.isFinite(filter.fromInMs) ? filter.fromInMs : Number.NEGATIVE_INFINITY;
      const to = Number.isFinite(filter.toInMs) ? filter.toInMs + 1 : now + 1;
      const records = tenant
        .liveRecords(Math.max(from, now - 31 * 86_400_000), to, now)
        .filter(({ call }) => matchesStart(filter, call.startInMs))
        .filter(({ call }) => filter.participantId === undefined || call.participants.some((p) => p.id === filter.participantId))
        // Graph promises no order: serve a stable shuffle rather than time order.
        .sort((a, b) => hash32(a.call.id) - hash32(b.call.id));
      const items = records.map(({ call, version }) => applySelect(summaryDocument(call, version), select));
      cursor = { kind: "list", items, offset: 0, pageSize: preferredPageSize(req), expiresAt: cursorExpiry() };
    }
    if (cursor.kind !== "list") throw new Error("unreachable");
    const nextBase = options.foreignNextLink ? `https://graph.attacker.example/v1.0/communications/callRecords` : base;
    const nextUrl = (token: string) => `${nextBase}?$skiptoken=${token}`;
    if (!loops && cursor.items.length > cursor.offset && options.random() < options.emptyPageRate) {
      // An empty page that still points onwards, as Graph sometimes serves.
      options.onEmptyPage();
      return { "@odata.context": `${origin}/v1.0/$metadata#communications/callRecords`, value: [], "@odata.nextLink": nextUrl(cursors.issue({ ...cursor, expiresAt: cursorExpiry() })) };
    }
    const { value, next } = cursors.page(cursor, cursor.pageSize, nextUrl);
    if (loops) return { "@odata.context": `${origin}/v1.0/$metadata#communications/callRecords`, value, "@odata.nextLink": `${origin}${url.pathname}${url.search}` };
    return { "@odata.context": `${origin}/v1.0/$metadata#communications/callRecords`, value, ...(next ? { "@odata.nextLink": next } : {}) };
  };

  const recordCollection = (kind: "sessions" | "participants", record: LiveRecord, skiptoken: string | null, withSegments: boolean) => {
    const id = record.call.id;
    const segment = kind === "sessions" ? "sessions" : "participants_v2";
    const cursor: Cursor =
      skiptoken !== null
        ? cursors.take(skiptoken, kind, id)
        : {
            kind,
            record,
            items: kind === "sessions" ? sessionsOf(record.call, record.version).map((s) => (withSegments ? s : withoutKey(s, "segments"))) : participantsOf(record.call),
            offset: 0,
            expiresAt: cursorExpiry(),
          };
    const query = kind === "sessions" && withSegments ? "$expand=segments&" : "";
    return cursors.page(cursor, kind === "sessions" ? sessionPageSize : participantPageSize, (token) => `${options.origin()}/v1.0/communications/callRecords/${id}/${segment}?${query}$skiptoken=${token}`);
  };

  return (url, req, appId) => {
    const origin = options.origin();
    const path = url.pathname.replace(/\/+$/, "");
    if (path === "/v1.0/communications/callRecords") {
      const wait = throttle?.check(appId, { kind: "list", firstPage: url.searchParams.get("$skiptoken") === null }) ?? 0;
      if (wait > 0) throw throttled(wait);
      return listRecords(url, req);
    }
    const match = /^\/v1\.0\/communications\/callRecords\/([^/]+)(?:\/(sessions|participants_v2))?$/.exec(path);
    if (!match) throw new HttpError(400, "BadRequest", `Resource not found for the segment '${path}'.`);
    const id = decodeURIComponent(match[1] as string);
    const sub = match[2];
    const skiptoken = url.searchParams.get("$skiptoken");
    const wait = throttle?.check(appId, { kind: "record", id, firstPage: skiptoken === null }) ?? 0;
    if (wait > 0) throw throttled(wait);
    const record = tenant.find(id);
    if (!record) throw new HttpError(404, "NotFound", `Call record '${id}' was not found.`);
    const fault = options.recordFault(id);
    if (fault === "failing") throw new HttpError(500, "InternalServerError", "The service failed to read this call record.");
    const expand = url.searchParams.get("$expand");
    const loopUrl = `${origin}/v1.0/communications/callRecords/${id}/sessions?$expand=segments&$skiptoken=${loopingSessionsToken}`;
    if (sub === "sessions" && skiptoken === loopingSessionsToken && fault === "loop") {
      return { "@odata.context": `${origin}/v1.0/$metadata#communications/callRecords('${id}')/sessions`, value: [], "@odata.nextLink": loopUrl };
    }
    if (sub === "sessions") {
      if (expand !== null && expand !== "segments") throw new HttpError(400, "BadRequest", `Unsupported $expand '${expand}'.`);
      const { value, next } = recordCollection("sessions", record, skiptoken, expand === "segments");
      return { "@odata.context": `${origin}/v1.0/$metadata#communications/callRecords('${id}')/sessions`, value, ...(next ? { "@odata.nextLink": next } : {}) };
    }
    if (sub === "participants_v2") {
      const { value, next } = recordCollection("participants", record, skiptoken, false);
      return { "@odata.context": `${origin}/v1.0/$metadata#communications/callRecords('${id}')/participants_v2`, value, ...(next ? { "@odata.nextLink": next } : {}) };
    }
    rejectUnknownOptions(url, ["$expand", "$select"]);
    const document: JsonObject = { "@odata.context": `${origin}/v1.0/$metadata#communications/callRecords/$entity`, ...summaryDocument(record.call, record.version) };
    for (const part of splitExpand(expand)) {
      if (part === "sessions($expand=segments)" || part === "sessions") {
        const { value, next } = recordCollection("sessions", record, null, part !== "sessions");
        document.sessions = value;
        if (next) document["sessions@odata.nextLink"] = next;
        if (fault === "loop") document["sessions@odata.nextLink"] = loopUrl;
      } else if (part === "participants_v2") {
        const { value, next } = recordCollection("participants", record, null, false);
        document.participants_v2 = value;
        if (next) document["participants_v2@odata.nextLink"] = next;
      } else {
        throw new HttpError(400, "BadRequest", `Unsupported $expand '${part}'.`);
      }
    }
    // An annotation Graph does not send, only to make the answer too large.
    if (fault === "oversized") document["@sandbox.padding"] = "x".repeat(options.oversizedBytes);
    return document;
  };
}

function parseFilter(raw: string | null) {
  try {
    return parseCallFilter(raw);
  } catch (error) {
    if (error instanceof FilterError) throw new HttpError(400, "BadRequest", error.message);
    throw error;
  }
}

function rejectUnknownOptions(url: URL, allowed: readonly string[]): void {
  for (const key of url.searchParams.keys()) {
    if (key.startsWith("$") && !allowed.includes(key)) {
      throw new HttpError(400, "BadRequest", `Query option '${key}' is not supported on this resource.`);
    }
  }
}

function parseSelect(raw: string | null): string[] | undefined {
  if (raw === null) return undefined;
  const fields = raw.split(",").map((f) => f.trim());
  const known = new Set(["id", "version", "type", "modalities", "lastModifiedDateTime", "startDateTime", "endDateTime", "joinWebUrl", "organizer_v2"]);
  for (const f of fields) if (!known.has(f)) throw new HttpError(400, "BadRequest", `Could not find a property named '${f}' on type 'microsoft.graph.callRecords.callRecord'.`);
  return fields;
}

function applySelect(document: JsonObject, select: string[] | undefined): JsonObject {
  if (!select) return document;
  const out: JsonObject = { id: document.id };
  for (const f of select) out[f] = document[f];
  return out;
}

function splitExpand(expand: string | null): string[] {
  if (expand === null || expand.trim() === "") return [];
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of expand) {
    if (ch === "(") depth += 1;
    if (ch === ")") depth -= 1;
    if (ch === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
    } else current += ch;
  }
  parts.push(current.trim());
  return parts;
}

function withoutKey(object: JsonObject, key: string): JsonObject {
  const copy = { ...object };
  delete copy[key];
  return copy;
}

function preferredPageSize(req: IncomingMessage): number {
  const match = /odata\.maxpagesize=(\d+)/.exec(String(req.headers.prefer ?? ""));
  const requested = match ? Number(match[1]) : listPageSize;
  return Math.max(1, Math.min(listPageSize, requested));
}
