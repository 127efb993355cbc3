/**
 * The Graph sandbox tenant: a real HTTPS server on loopback that answers like Entra and like
 * Graph's call records API. This file holds the server and its routing; each thing the sandbox
 * plays is its own module: Entra (entra.ts), the call records API (callRecordsRoutes.ts), paging
 * cursors (cursors.ts), injected faults (faults.ts), throttling (throttle.ts), the tenant's data
 * (tenant.ts, generator.ts) and a managed identity endpoint (managedIdentity.ts).
 */
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { minuteInMs } from "../shared/core/window.js";
import { createCallRecordsRoutes } from "./callRecordsRoutes.js";
import { createLogRoutes, isLogPath } from "./logRoutes.js";
import { type LogSourceName, isLogSourceName, logRequestsPerMinute, logSources } from "../shared/core/sources.js";
import { type SandboxCertificate, generateSandboxCertificate } from "./certificate.js";
import { Cursors } from "./cursors.js";
import { createEntra } from "./entra.js";
import { type FaultOptions, injectFault, recordFaultOf } from "./faults.js";
import { type GeneratorOptions, sandboxTenantId } from "./generator.js";
import { HttpError, errorBody } from "./httpError.js";
import { dripJson, sendJson } from "./json.js";
import { type ManagedIdentityEndpoint, startManagedIdentityEndpoint } from "./managedIdentity.js";
import { hash32, seededRandom } from "./random.js";
import { type DataClock, SandboxTenant } from "./tenant.js";
import { type ThrottleLimits, AcrossTenants, Throttle, graphThrottleLimits } from "./throttle.js";

export type { FaultOptions } from "./faults.js";

export interface SandboxOptions extends Partial<GeneratorOptions> {
  readonly clock?: DataClock;
  readonly port?: number;
  /** Graph's throttling; `false` turns it off. Default: Graph's documented limits. */
  readonly throttle?: Partial<ThrottleLimits> | false;
  readonly faults?: FaultOptions;
  /** Share of list pages served empty (with a nextLink), as Graph sometimes does. Default 0.05. */
  readonly emptyPageRate?: number;
  readonly tokenLifetimeInSeconds?: number;
  /** Tokens stop working this long after issue, though they claim `tokenLifetimeInSeconds`: revoked early. */
  readonly tokenWorksForInSeconds?: number;
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
  /**
   * The telephony logs (logRoutes.ts): rows a day per log (default: a tenth of `callsPerDay`, at
   * least 10), logs the tenant lacks (404) or the app may not read (403), their pace (50 / 60 s per log; `false`: none) and
   * horizons (365 and 150 days).
   */
  readonly logs?: {
    readonly rowsPerDay?: number;
    readonly unsupported?: readonly LogSourceName[];
    readonly forbidden?: readonly LogSourceName[];
    readonly requestsPerMinute?: number | false;
    readonly horizonDays?: Partial<Record<LogSourceName, number>>;
  };
  /**
   * Other tenants beside the home one, each with its own token path (`/<id>/oauth2/v2.0/token`),
   * data (seeded by its id) and Graph limits; Graph's limit across tenants then binds them all.
   */
  readonly tenants?: readonly SandboxTenantOptions[];
  /** Graph's limit per app across tenants, requests per 20 s. Default 15,000 (the throttling page). */
  readonly acrossTenantsRequests?: number;
  /** Its window, scaled with the others in a bench. Default 20 s. */
  readonly acrossTenantsWindowInMs?: number;
}

export interface SandboxTenantOptions {
  readonly id: string;
  readonly callsPerDay?: number;
  /** False: the tenant's admin has not consented, so Entra issues the app no token there. Default true. */
  readonly consented?: boolean;
  /** True: Graph answers this tenant 503 on every request (an outage of its own). */
  readonly down?: boolean;
  /** The same outage for this many seconds after the sandbox starts, then over. */
  readonly downForSeconds?: number;
  /** This tenant's per-app limits (default: the home tenant's); `false`: none. */
  readonly throttle?: Partial<ThrottleLimits> | false;
  /** The cloud its discovery names: `microsoftonline.us` plays a US Government tenant. */
  readonly cloudInstanceName?: string;
}

/** One tenant the sandbox serves: its data and its figures. */
export interface SandboxTenantView {
  readonly tenant: SandboxTenant;
  readonly logs: Pick<ReturnType<typeof createLogRoutes>, "groundTruth" | "stats">;
  readonly stats: { graphRequests: number; throttled: number; unavailable: number };
}

export interface SandboxStats {
  graphRequests: number;
  throttled: number;
  unavailable: number;
  dropped: number;
  slow: number;
  /** 429s that did not depend on the rate (the `throttledRate` fault). */
  throttledAnyway: number;
  /** Answers dripped a byte at a time (the `dripRate` fault). */
  stalled: number;
  tokensIssued: number;
  emptyPages: number;
  /** 429s by the limit that gave them: the app's ceiling, listing's, or one record's. */
  throttledBy: { app: number; list: number; record: number };
  /** List requests the throttle let through. */
  admittedBy: { list: number };
  /** Requests for the telephony logs (counted in graphRequests too). */
  logRequests: number;
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
  /** The telephony logs: their ground truth and request figures. */
  readonly logs: Pick<ReturnType<typeof createLogRoutes>, "groundTruth" | "stats">;
  /** Makes every issued token invalid, so the next Graph call answers 401. */
  revokeTokens(): void;
  /** Every tenant served, the home tenant included, by id. */
  readonly tenants: ReadonlyMap<string, SandboxTenantView>;
  /** A tenant's admin removes the app: its tokens stop working and Entra issues no more there. */
  revokeConsent(tenant: string): void;
  /** Graph's limit across tenants: requests it refused. */
  readonly acrossTenantsRefused: () => number;
  /** Ends every per-record fault (loops, oversized answers, failing records): Graph fixed them. */
  healRecords(): void;
  close(): Promise<void>;
}

/**
 * `SANDBOX_WITHOUT_LOGS=pstnCalls,directRoutingCalls`: the telephony logs the sandbox tenant lacks
 * (Graph answers 404), for npm start and npm run sandbox; an unknown name is refused by name.
 */
export function logsLackedOf(raw: string | undefined): LogSourceName[] {
  const names = (raw ?? "").split(",").map((n) => n.trim()).filter((n) => n !== "");
  const unknown = names.filter((n) => !isLogSourceName(n));
  if (unknown.length > 0) throw new Error(`SANDBOX_WITHOUT_LOGS names ${unknown.map((n) => JSON.stringify(n)).join(", ")}; expected pstnCalls or directRoutingCalls, comma-separated`);
  return names as LogSourceName[];
}

/** The settings that point the archiver at a sandbox: its Graph, its token endpoint and its app. */
export const sandboxSettings = (sandbox: Sandbox): Record<string, string> => ({
  ARCHIVER_GRAPH_ENDPOINT: sandbox.graphEndpoint,
  ARCHIVER_AUTHORITY_HOST: sandbox.authorityHost,
  AZURE_TENANT_ID: sandbox.tenantId,
  AZURE_CLIENT_ID: sandbox.clientId,
  AZURE_CLIENT_SECRET: sandbox.clientSecret,
});

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const certificate = options.certificate ?? (await generateSandboxCertificate());
  const clock = options.clock ?? { now: () => Date.now() };
  const tenant = new SandboxTenant(
    {
      seed: options.seed ?? "contoso",
      callsPerDay: options.callsPerDay ?? 300,
      largeMeetingShare: options.largeMeetingShare ?? 0.02,
      availabilityDelayInMs: options.availabilityDelayInMs ?? 20 * minuteInMs,
      burst: options.burst,
      giantMeeting: options.giantMeeting,
    },
    clock,
  );
  const clientId = "00000000-5a4d-4b0c-8e11-5a4db0c8e110";
  const clientSecret = "sandbox-secret-not-for-production";
  const graphAppClientId = "00000000-a9b1-4c3d-8e5f-a9b14c3d8e5f";
  const ownIdentity = options.managedIdentity && !options.managedIdentity.endpoint;
  const managedIdentity = options.managedIdentity?.endpoint ?? (ownIdentity ? await startManagedIdentityEndpoint() : undefined);
  const faults = options.faults ?? {};
  const faultRandom = seededRandom(hash32(`${options.seed ?? "contoso"}:faults`));
  // Graph's limit across tenants binds only where there are several (it is ten times one tenant's).
  const acrossTenants = new AcrossTenants(options.acrossTenantsRequests ?? 15_000, options.acrossTenantsWindowInMs ?? 20_000);
  const several = (options.tenants ?? []).length > 0;
  const throttle = options.throttle === false ? undefined : new Throttle({ ...graphThrottleLimits, ...(options.throttle ?? {}) }, undefined, several ? acrossTenants : undefined);
  const stats: SandboxStats = { graphRequests: 0, throttled: 0, unavailable: 0, dropped: 0, slow: 0, throttledAnyway: 0, stalled: 0, tokensIssued: 0, emptyPages: 0, throttledBy: throttle?.refusals ?? { app: 0, list: 0, record: 0 }, admittedBy: throttle?.admitted ?? { list: 0 }, logRequests: 0 };
  let origin = "";
  const startedAt = Date.now();
  let recordsHealed = false;

  const entra = createEntra({
    origin: () => origin,
    clientId,
    clientSecret,
    graphAppClientId,
    clientCertificate: options.clientCertificate,
    managedIdentity,
    trustedSubject: options.managedIdentity?.trustedSubject ?? managedIdentity?.principalId,
    tokenLifetimeInSeconds: options.tokenLifetimeInSeconds ?? 3599,
    tokenWorksForInSeconds: options.tokenWorksForInSeconds,
    onTokenIssued: () => (stats.tokensIssued += 1),
    cloudInstanceNameOf: (segment) => options.tenants?.find((t) => t.id === segment)?.cloudInstanceName,
    tenantRefusal: (segment, app) =>
      worlds.get(segment)?.consented === false
        ? `AADSTS7000229: The client application ${app} is missing service principal in the tenant ${segment}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`
        : undefined,
  });
  const callRecords = createCallRecordsRoutes({
    origin: () => origin,
    tenant,
    clock,
    throttle,
    cursors: new Cursors(),
    random: faultRandom,
    emptyPageRate: options.emptyPageRate ?? 0.05,
    onEmptyPage: () => (stats.emptyPages += 1),
    foreignNextLink: faults.foreignNextLink ?? false,
    loopingList: faults.loopingList ?? false,
    recordFault: (id) => (recordsHealed ? undefined : recordFaultOf(faults, id, hash32)),
    oversizedBytes: faults.oversizedBytes ?? 2 * 1024 * 1024,
  });

  const logsOf = (seed: string, calls: SandboxTenant, callsPerDay: number) =>
    createLogRoutes({
      origin: () => origin,
      seed,
      calls: calls.generator,
      now: () => clock.now(),
      rowsPerDay: options.logs?.rowsPerDay ?? Math.max(10, Math.round(callsPerDay / 10)),
      unsupported: options.logs?.unsupported ?? [],
      forbidden: options.logs?.forbidden ?? [],
      requestsPerMinute: options.logs?.requestsPerMinute === false ? undefined : (options.logs?.requestsPerMinute ?? logRequestsPerMinute),
      horizonDays: {
        pstnCalls: options.logs?.horizonDays?.pstnCalls ?? logSources.pstnCalls.defaultHorizonDays,
        directRoutingCalls: options.logs?.horizonDays?.directRoutingCalls ?? logSources.directRoutingCalls.defaultHorizonDays,
      },
    });
  const logs = logsOf(options.seed ?? "contoso", tenant, options.callsPerDay ?? 300);

  // Each other tenant: its own data (seeded by its id), routes and limits, and the app's limit
  // across tenants over them all.
  interface World {
    readonly view: SandboxTenantView;
    readonly answer: (url: URL, req: IncomingMessage, appId: string) => unknown;
    consented: boolean;
    readonly down: () => boolean;
  }
  const homeStats = { graphRequests: 0, throttled: 0, unavailable: 0 };
  const worlds = new Map<string, World>();
  worlds.set(sandboxTenantId, {
    view: { tenant, logs: { groundTruth: logs.groundTruth, stats: logs.stats }, stats: homeStats },
    answer: (url, req, appId) => (isLogPath(url.pathname) ? logs.answer(url) : callRecords(url, req, appId)),
    consented: true,
    down: () => false,
  });
  for (const spec of options.tenants ?? []) {
    const callsPerDay = spec.callsPerDay ?? options.callsPerDay ?? 300;
    const data = new SandboxTenant({ seed: spec.id, callsPerDay, largeMeetingShare: options.largeMeetingShare ?? 0.02, availabilityDelayInMs: options.availabilityDelayInMs ?? 20 * minuteInMs }, clock);
    const ownLimits = spec.throttle === undefined ? options.throttle : spec.throttle;
    const ownThrottle = ownLimits === false ? undefined : new Throttle({ ...graphThrottleLimits, ...(ownLimits ?? {}) }, undefined, acrossTenants);
    const routes = createCallRecordsRoutes({
      origin: () => origin,
      tenant: data,
      clock,
      throttle: ownThrottle,
      cursors: new Cursors(),
      random: seededRandom(hash32(`${spec.id}:faults`)),
      emptyPageRate: options.emptyPageRate ?? 0.05,
      onEmptyPage: () => (stats.emptyPages += 1),
      foreignNextLink: false,
      loopingList: false,
      recordFault: () => undefined,
      oversizedBytes: faults.oversizedBytes ?? 2 * 1024 * 1024,
    });
    const ownLogs = logsOf(spec.id, data, callsPerDay);
    worlds.set(spec.id, {
      view: { tenant: data, logs: { groundTruth: ownLogs.groundTruth, stats: ownLogs.stats }, stats: { graphRequests: 0, throttled: 0, unavailable: 0 } },
      answer: (url, req, appId) => (isLogPath(url.pathname) ? ownLogs.answer(url) : routes(url, req, appId)),
      consented: spec.consented !== false,
      down: () => spec.down === true || (spec.downForSeconds !== undefined && Date.now() - startedAt < spec.downForSeconds * 1000),
    });
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", origin);
    try {
      const wellKnown = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      if (req.method === "GET" && wellKnown) return sendJson(res, 200, entra.openIdConfiguration(wellKnown[1] as string));
      const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      if (req.method === "POST" && token) return sendJson(res, 200, await entra.token(req, token[1] as string));
      if (!url.pathname.startsWith("/v1.0/")) throw new HttpError(404, "NotFound", `No route for ${url.pathname}`);
      if (req.method !== "GET") throw new HttpError(405, "MethodNotAllowed", "Call records are read-only.");
      stats.graphRequests += 1;
      const { clientId: appId, tenant: tenantSegment } = entra.authenticate(req);
      if (appId === graphAppClientId && options.managedIdentity?.granted === false) {
        throw new HttpError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
      }
      // A token from a segment no tenant answers to (an alias) is the home tenant's, as before tenants.
      const world = worlds.get(tenantSegment) ?? (worlds.get(sandboxTenantId) as World);
      world.view.stats.graphRequests += 1;
      if (world.down()) {
        world.view.stats.unavailable += 1;
        throw new HttpError(503, "ServiceUnavailable", "The service is temporarily unavailable.");
      }
      if ((await injectFault(req, faults, faultRandom, stats, startedAt)) === "dropped") return;
      const isLog = isLogPath(url.pathname);
      if (isLog) stats.logRequests += 1;
      let answer: unknown;
      try {
        answer = world.answer(url, req, appId);
      } catch (error) {
        if (error instanceof HttpError && error.status === 429) world.view.stats.throttled += 1;
        throw error;
      }
      // Drawn only when stalls are asked for, so other seeded faults fall as they always did.
      if (faults.dripRate && faultRandom() < faults.dripRate) {
        stats.stalled += 1;
        return dripJson(res, 200, answer, faults.dripIntervalInMs ?? 200);
      }
      return sendJson(res, 200, answer);
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.status === 429) stats.throttled += 1;
        return sendJson(res, error.status, errorBody(error, url.pathname), error.headers);
      }
      sendJson(res, 500, { error: { code: "InternalServerError", message: String(error) } });
    }
  };

  const server = https.createServer({ cert: certificate.cert, key: certificate.key, keepAlive: true }, (req, res) => {
    void handle(req, res);
  });
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
    logs: { groundTruth: logs.groundTruth, stats: logs.stats },
    revokeTokens: () => entra.revokeTokens(),
    tenants: new Map([...worlds].map(([id, w]) => [id, w.view])),
    revokeConsent: (id) => {
      const world = worlds.get(id);
      if (!world) throw new Error(`the sandbox serves no tenant ${id}`);
      world.consented = false;
      entra.revokeTenantTokens(id);
    },
    acrossTenantsRefused: () => acrossTenants.refused,
    healRecords: () => {
      recordsHealed = true;
    },
    close: async () => {
      if (ownIdentity) await managedIdentity?.close();
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
