/**
 * The Graph sandbox tenant: a real HTTPS server on loopback that answers like Entra (OpenID
 * metadata, client-credentials token endpoint taking secrets, certificate assertions and federated
 * managed identity assertions) and like Graph's call records API (filters,
 * $select, paging with opaque skiptokens, empty pages, 404 past retention, throttling, faults).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { JsonObject } from "../shared/graph/callRecord.js";
import { minuteInMs } from "../shared/core/window.js";
import { type SandboxCertificate, generateSandboxCertificate } from "./certificate.js";
import { type GeneratorOptions, participantsOf, sandboxTenantId, sessionsOf, summaryDocument } from "./generator.js";
import { certificateAssertionProblem } from "./clientAssertion.js";
import { sendJson } from "./json.js";
import { type ManagedIdentityEndpoint, federatedAssertionProblem, startManagedIdentityEndpoint } from "./managedIdentity.js";
import { FilterError, matchesStart, parseCallFilter } from "./odataFilter.js";
import { hash32, seededRandom } from "./random.js";
import { type DataClock, type LiveRecord, SandboxTenant } from "./tenant.js";
import { type ThrottleLimits, Throttle, graphThrottleLimits } from "./throttle.js";

export interface FaultOptions {
  /** Share of Graph requests answered 503 (with a short Retry-After half of the time). */
  readonly unavailableRate?: number;
  /** Share of Graph requests whose connection is dropped without an answer. */
  readonly dropRate?: number;
  /** Share of Graph requests answered only after `slowInMs`. */
  readonly slowRate?: number;
  readonly slowInMs?: number;
}

export interface SandboxOptions extends Partial<GeneratorOptions> {
  readonly clock?: DataClock;
  readonly port?: number;
  /** Graph's throttling; `false` turns it off. Default: Graph's documented limits. */
  readonly throttle?: Partial<ThrottleLimits> | false;
  readonly faults?: FaultOptions;
  /** Share of list pages served empty (with a nextLink), as Graph sometimes does. Default 0.05. */
  readonly emptyPageRate?: number;
  readonly tokenLifetimeInSeconds?: number;
  readonly certificate?: SandboxCertificate;
  /**
   * Also serve a managed identity and an app registration whose federated credential trusts it.
   * `endpoint` shares one identity between sandboxes (MSAL keeps the first endpoint it finds for
   * the process); `trustedSubject` overrides the subject the credential names (default: the
   * identity's object id); `granted: false` leaves the app without CallRecords.Read.All, so Graph
   * answers it 403.
   */
  readonly managedIdentity?: { readonly endpoint?: ManagedIdentityEndpoint; readonly trustedSubject?: string; readonly granted?: boolean };
  /** PEM of a certificate registered on the sandbox app, so it can also sign in with that certificate. */
  readonly clientCertificate?: string;
}

export interface SandboxStats {
  graphRequests: number;
  throttled: number;
  unavailable: number;
  dropped: number;
  slow: number;
  tokensIssued: number;
  emptyPages: number;
}

export interface Sandbox {
  readonly origin: string;
  readonly graphEndpoint: string;
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** PEM of the certificate to trust. */
  readonly ca: string;
  /** With `managedIdentity`: the identity endpoint, and the app registration that trusts it. */
  readonly managedIdentity: ManagedIdentityEndpoint | undefined;
  readonly graphAppClientId: string;
  readonly tenant: SandboxTenant;
  readonly stats: SandboxStats;
  /** Makes every issued token invalid, so the next Graph call answers 401. */
  revokeTokens(): void;
  close(): Promise<void>;
}

const listPageSize = 60;
const sessionPageSize = 60;
const participantPageSize = 130;
const cursorLifetimeInMs = 15 * minuteInMs;

type Cursor =
  | { kind: "list"; items: JsonObject[]; offset: number; pageSize: number; expiresAt: number }
  | { kind: "sessions" | "participants"; record: LiveRecord; items: JsonObject[]; offset: number; expiresAt: number };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const certificate = options.certificate ?? (await generateSandboxCertificate());
  const clock = options.clock ?? { now: () => Date.now() };
  const tenant = new SandboxTenant(
    {
      seed: options.seed ?? "contoso",
      callsPerDay: options.callsPerDay ?? 300,
      largeMeetingShare: options.largeMeetingShare ?? 0.02,
      availabilityDelayInMs: options.availabilityDelayInMs ?? 20 * minuteInMs,
    },
    clock,
  );
  const clientId = "00000000-5a4d-4b0c-8e11-5a4db0c8e110";
  const clientSecret = "sandbox-secret-not-for-production";
  const graphAppClientId = "00000000-a9b1-4c3d-8e5f-a9b14c3d8e5f";
  const ownIdentity = options.managedIdentity && !options.managedIdentity.endpoint;
  const managedIdentity = options.managedIdentity?.endpoint ?? (ownIdentity ? await startManagedIdentityEndpoint() : undefined);
  const trustedSubject = options.managedIdentity?.trustedSubject ?? managedIdentity?.principalId;
  const throttle =
    options.throttle === false ? undefined : new Throttle({ ...graphThrottleLimits, ...(options.throttle ?? {}) });
  const faults = options.faults ?? {};
  const faultRandom = seededRandom(hash32(`${options.seed ?? "contoso"}:faults`));
  const emptyPageRate = options.emptyPageRate ?? 0.05;
  const tokenLifetimeInSeconds = options.tokenLifetimeInSeconds ?? 3599;
  const tokens = new Map<string, { clientId: string; expiresAt: number }>();
  const cursors = new Map<string, Cursor>();
  const stats: SandboxStats = { graphRequests: 0, throttled: 0, unavailable: 0, dropped: 0, slow: 0, tokensIssued: 0, emptyPages: 0 };
  let origin = "";

  const newCursor = (cursor: Cursor): string => {
    const token = randomBytes(18).toString("base64url");
    cursors.set(token, cursor);
    if (cursors.size % 256 === 0) {
      const now = Date.now();
      for (const [key, c] of cursors) if (c.expiresAt < now) cursors.delete(key);
    }
    return token;
  };
  const takeCursor = (token: string, kind: Cursor["kind"], recordId?: string): Cursor => {
    const cursor = cursors.get(token);
    const sameRecord = cursor && (cursor.kind === "list" || cursor.record.call.id === recordId);
    if (!cursor || cursor.kind !== kind || !sameRecord || cursor.expiresAt < Date.now()) {
      throw new HttpError(400, "BadRequest", "Invalid or expired $skiptoken.");
    }
    cursors.delete(token);
    return cursor;
  };

  /** Which app a token request authenticates as: by secret, certificate, or federated assertion. */
  const authenticateClient = (form: URLSearchParams, tenantSegment: string): string => {
    const app = form.get("client_id") ?? "";
    const assertion = form.get("client_assertion");
    let problem: string | undefined;
    if (assertion === null) {
      problem = app === clientId && form.get("client_secret") === clientSecret ? undefined : "AADSTS7000215: Invalid client secret provided.";
    } else if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
      problem = "AADSTS700025: Client assertion type is not supported.";
    } else if (app === clientId) {
      const audience = `${origin}/${tenantSegment}/oauth2/v2.0/token`;
      problem = options.clientCertificate
        ? certificateAssertionProblem(assertion, options.clientCertificate, { clientId, audience, nowInMs: Date.now() })
        : "AADSTS700027: No certificate is registered on the application.";
    } else if (app === graphAppClientId && managedIdentity && trustedSubject) {
      problem = federatedAssertionProblem(assertion, managedIdentity, trustedSubject);
    } else {
      problem = "AADSTS700016: Application not found in the directory.";
    }
    if (problem) throw new HttpError(401, "invalid_client", problem);
    return app;
  };

  const handleToken = async (req: IncomingMessage, tenantSegment: string): Promise<JsonObject> => {
    const form = new URLSearchParams(await readBody(req));
    if (form.get("grant_type") !== "client_credentials") {
      throw new HttpError(400, "unsupported_grant_type", "Only client_credentials is supported by the sandbox.");
    }
    const app = authenticateClient(form, tenantSegment);
    const accessToken = randomBytes(32).toString("base64url");
    tokens.set(accessToken, { clientId: app, expiresAt: Date.now() + tokenLifetimeInSeconds * 1000 });
    stats.tokensIssued += 1;
    return { token_type: "Bearer", expires_in: tokenLifetimeInSeconds, ext_expires_in: tokenLifetimeInSeconds, access_token: accessToken };
  };

  const openIdConfiguration = (tenantSegment: string): JsonObject => ({
    token_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/token`,
    authorization_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/logout`,
    jwks_uri: `${origin}/${tenantSegment}/discovery/v2.0/keys`,
    issuer: `${origin}/${tenantSegment}/v2.0`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
    response_types_supported: ["code", "token"],
    scopes_supported: ["openid"],
    tenant_region_scope: "NA",
  });

  const authenticate = (req: IncomingMessage): string => {
    const header = req.headers.authorization ?? "";
    const match = /^Bearer (.+)$/.exec(header);
    const token = match ? tokens.get(match[1] as string) : undefined;
    if (!token || token.expiresAt < Date.now()) {
      throw new HttpError(401, "InvalidAuthenticationToken", match ? "Access token has expired or is not valid." : "Access token is empty.");
    }
    return token.clientId;
  };

  const pageOf = (cursor: Cursor & { offset: number }, pageSize: number, nextUrl: (token: string) => string) => {
    const value = cursor.items.slice(cursor.offset, cursor.offset + pageSize);
    const nextOffset = cursor.offset + value.length;
    const next = nextOffset < cursor.items.length ? nextUrl(newCursor({ ...cursor, offset: nextOffset, expiresAt: Date.now() + cursorLifetimeInMs })) : undefined;
    return { value, next };
  };

  const listRecords = (url: URL, req: IncomingMessage): JsonObject => {
    const base = `${origin}/v1.0/communications/callRecords`;
    const skiptoken = url.searchParams.get("$skiptoken");
    let cursor: Cursor;
    if (skiptoken !== null) {
      cursor = takeCursor(skiptoken, "list");
    } else {
      rejectUnknownOptions(url, ["$filter", "$select"]);
      const filter = parseFilter(url.searchParams.get("$filter"));
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
      cursor = { kind: "list", items, offset: 0, pageSize: preferredPageSize(req), expiresAt: Date.now() + cursorLifetimeInMs };
    }
    if (cursor.kind !== "list") throw new Error("unreachable");
    const nextUrl = (token: string) => `${base}?$skiptoken=${token}`;
    if (cursor.items.length > cursor.offset && faultRandom() < emptyPageRate) {
      // An empty page that still points onwards, as Graph sometimes serves.
      stats.emptyPages += 1;
      return { "@odata.context": `${origin}/v1.0/$metadata#communications/callRecords`, value: [], "@odata.nextLink": nextUrl(newCursor({ ...cursor, expiresAt: Date.now() + cursorLifetimeInMs })) };
    }
    const { value, next } = pageOf(cursor, cursor.pageSize, nextUrl);
    return { "@odata.context": `${origin}/v1.0/$metadata#communications/callRecords`, value, ...(next ? { "@odata.nextLink": next } : {}) };
  };

  const recordCollection = (kind: "sessions" | "participants", record: LiveRecord, skiptoken: string | null, withSegments: boolean) => {
    const id = record.call.id;
    const segment = kind === "sessions" ? "sessions" : "participants_v2";
    const cursor: Cursor =
      skiptoken !== null
        ? takeCursor(skiptoken, kind, id)
        : {
            kind,
            record,
            items: kind === "sessions" ? sessionsOf(record.call, record.version).map((s) => (withSegments ? s : withoutKey(s, "segments"))) : participantsOf(record.call),
            offset: 0,
            expiresAt: Date.now() + cursorLifetimeInMs,
          };
    const query = kind === "sessions" && withSegments ? "$expand=segments&" : "";
    return pageOf(cursor, kind === "sessions" ? sessionPageSize : participantPageSize, (token) => `${origin}/v1.0/communications/callRecords/${id}/${segment}?${query}$skiptoken=${token}`);
  };

  const handleGraph = (url: URL, req: IncomingMessage, appId: string): JsonObject => {
    const path = url.pathname.replace(/\/+$/, "");
    if (path === "/v1.0/communications/callRecords") {
      const wait = throttle?.check(appId) ?? 0;
      if (wait > 0) throw throttled(wait);
      return listRecords(url, req);
    }
    const match = /^\/v1\.0\/communications\/callRecords\/([^/]+)(?:\/(sessions|participants_v2))?$/.exec(path);
    if (!match) throw new HttpError(400, "BadRequest", `Resource not found for the segment '${path}'.`);
    const id = decodeURIComponent(match[1] as string);
    const sub = match[2];
    const skiptoken = url.searchParams.get("$skiptoken");
    const wait = throttle?.check(appId, { id, firstPage: skiptoken === null }) ?? 0;
    if (wait > 0) throw throttled(wait);
    const record = tenant.find(id);
    if (!record) throw new HttpError(404, "NotFound", `Call record '${id}' was not found.`);
    const expand = url.searchParams.get("$expand");
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
      } else if (part === "participants_v2") {
        const { value, next } = recordCollection("participants", record, null, false);
        document.participants_v2 = value;
        if (next) document["participants_v2@odata.nextLink"] = next;
      } else {
        throw new HttpError(400, "BadRequest", `Unsupported $expand '${part}'.`);
      }
    }
    return document;
  };

  const server = https.createServer({ cert: certificate.cert, key: certificate.key, keepAlive: true }, (req, res) => {
    void handle(req, res);
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", origin);
    try {
      const wellKnown = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      if (req.method === "GET" && wellKnown) return sendJson(res, 200, openIdConfiguration(wellKnown[1] as string));
      const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      if (req.method === "POST" && token) return sendJson(res, 200, await handleToken(req, token[1] as string));
      if (!url.pathname.startsWith("/v1.0/")) throw new HttpError(404, "NotFound", `No route for ${url.pathname}`);
      if (req.method !== "GET") throw new HttpError(405, "MethodNotAllowed", "Call records are read-only.");
      stats.graphRequests += 1;
      const appId = authenticate(req);
      if (appId === graphAppClientId && options.managedIdentity?.granted === false) {
        throw new HttpError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
      }
      const roll = faultRandom();
      if (roll < (faults.dropRate ?? 0)) {
        stats.dropped += 1;
        req.socket.destroy();
        return;
      }
      if (roll < (faults.dropRate ?? 0) + (faults.unavailableRate ?? 0)) {
        stats.unavailable += 1;
        const retryAfter: Record<string, string> = faultRandom() < 0.5 ? { "Retry-After": "0.2" } : {};
        throw new HttpError(503, "ServiceUnavailable", "The service is temporarily unavailable.", retryAfter);
      }
      if (faultRandom() < (faults.slowRate ?? 0)) {
        stats.slow += 1;
        await new Promise((resolve) => setTimeout(resolve, faults.slowInMs ?? 2000));
      }
      return sendJson(res, 200, handleGraph(url, req, appId));
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.status === 429) stats.throttled += 1;
        const body =
          error.code.includes("_") && url.pathname.includes("/oauth2/")
            ? { error: error.code, error_description: error.message }
            : { error: { code: error.code, message: error.message, innerError: { date: new Date().toISOString(), "request-id": randomUUID(), "client-request-id": randomUUID() } } };
        return sendJson(res, error.status, body, error.headers);
      }
      sendJson(res, 500, { error: { code: "InternalServerError", message: String(error) } });
    }
  };

  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    graphEndpoint: origin,
    authorityHost: origin,
    tenantId: sandboxTenantId,
    clientId,
    clientSecret,
    ca: certificate.cert,
    managedIdentity,
    graphAppClientId,
    tenant,
    stats,
    revokeTokens: () => tokens.clear(),
    close: async () => {
      if (ownIdentity) await managedIdentity?.close();
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

function throttled(waitInMs: number): HttpError {
  // Graph sends fractional seconds, such as 2.128.
  const seconds = Math.max(0.001, waitInMs / 1000).toFixed(3);
  return new HttpError(429, "TooManyRequests", "Too many requests.", { "Retry-After": seconds });
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
