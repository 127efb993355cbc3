/**
 * Wires a Graph client from configuration: credential, token source, transport and the process's
 * one request governor.
 */
import { type Clock, systemClock } from "../core/clock.js";
import type { ArchiverConfig } from "./graphConfig.js";
import { createCredential, createTokenSource, credentialForTenant } from "./credentials.js";
import type { TenantId } from "../core/tenants.js";
import { GraphClient } from "./graphClient.js";
import { type GraphCounters, RetryAfterLedger, newGraphCounters } from "./graphCounters.js";
import { createNodeTransport } from "./httpTransport.js";
import { RequestGovernor } from "./requestGovernor.js";
import { logRequestsPerMinute } from "../core/sources.js";

export interface GraphSetupOptions {
  /** Extra CA to trust (PEM) for Graph and the token endpoint: a sandbox or a private endpoint. */
  readonly ca?: string | undefined;
  readonly clock?: Clock;
  /**
   * Called once for each other tenant's runtime when it is first asked for: where the deployment
   * shares that tenant's budget between instances, and every tenant's under the app's ceiling.
   */
  readonly onTenant?: (tenant: TenantId, runtime: GraphRuntime) => void;
}

export interface GraphRuntime {
  readonly config: ArchiverConfig;
  readonly governor: RequestGovernor;
  /** The telephony logs' governor: apart from call records'. */
  readonly logGovernor: RequestGovernor;
  /** Wall time some request of this process waited on Graph's Retry-After. */
  readonly retryAfter: RetryAfterLedger;
  /**
   * Records one harvest should keep in flight. The process's number is what uses the pace the
   * governor allows at the latency Graph shows: rate × latency (Little's law), with a fifth more for
   * jitter, at most `max`. It is shared among the harvests running in this process (a worker runs
   * several at once: host.json's maxConcurrentCalls), so memory and requests in flight stay those of
   * one harvest however many run; each gets at least `min`.
   */
  suggestedConcurrency(min: number, max: number): number;
  /** Counts a harvest as running in this process until the function it returns is called. */
  beginHarvest(): () => void;
  /**
   * The process's one telephony log lane: a log job mostly waits on the logs' pace, and a job that
   * waits holds one of the harvest's slots, so one log job at a time runs here; undefined while
   * another holds it. The function it returns frees the lane.
   */
  tryBeginLogHarvest(): (() => void) | undefined;
  /** A client whose counters are this harvest's own; all share the process's governor and tokens. */
  newClient(counters?: GraphCounters): GraphClient;
  /**
   * Another tenant's runtime, made on first use and kept: the same app's credential at that
   * tenant's authority (its own tokens), and its own governors, since Graph's limits are per app
   * per tenant. Throws ConfigError when the credential cannot read another tenant.
   */
  forTenant(tenant: TenantId): GraphRuntime;
  /** The tenant this runtime reads; undefined: the home tenant. */
  readonly tenant: TenantId | undefined;
}

export function createGraphRuntime(config: ArchiverConfig, options: GraphSetupOptions = {}): GraphRuntime {
  const transport = createNodeTransport({ ca: options.ca, maxBodyBytes: config.graph.maxBodyBytes });
  const tenants = new Map<TenantId, GraphRuntime>();
  const forTenant = (tenant: TenantId): GraphRuntime => {
    const known = tenants.get(tenant);
    if (known) return known;
    const runtime = runtimeOf(credentialForTenant(config, tenant), transport, options.clock ?? systemClock, tenant, forTenant);
    tenants.set(tenant, runtime);
    options.onTenant?.(tenant, runtime);
    return runtime;
  };
  return runtimeOf(config, transport, options.clock ?? systemClock, undefined, forTenant);
}

function runtimeOf(config: ArchiverConfig, transport: ReturnType<typeof createNodeTransport>, clock: Clock, tenant: TenantId | undefined, forTenant: (tenant: TenantId) => GraphRuntime): GraphRuntime {
  const scope = `${config.graph.graphEndpoint}/.default`;
  const tokens = createTokenSource(() => createCredential(config, { agent: transport.agent }), scope);
  const governor = new RequestGovernor(
    {
      requests: config.graph.rateLimitRequests,
      ceilingRequests: config.graph.ceilingRequests,
      windowInMs: config.graph.rateLimitWindowInMs,
      listRequests: config.graph.listRateLimitRequests,
      listWindowInMs: config.graph.rateLimitWindowInMs,
    },
    clock,
  );
  // The telephony logs' own pace, under the lower of their documented limits (one log's 50 / 60 s),
  // so both logs together stay within the app's 200 / 60 s and call records never queue behind them.
  const logGovernor = new RequestGovernor({ requests: logRequestsPerMinute, windowInMs: 60_000, listRequests: logRequestsPerMinute, listWindowInMs: 60_000 }, clock);
  const retryAfter = new RetryAfterLedger(() => clock.now());
  // Latency of Graph's answers, smoothed (about the last 50 requests).
  let latencyInMs = 300;
  const observeLatency = (ms: number) => {
    latencyInMs += (ms - latencyInMs) / 50;
  };
  let harvests = 0;
  let logLaneHeld = false;
  return {
    config,
    tenant,
    forTenant,
    governor,
    logGovernor,
    retryAfter,
    suggestedConcurrency: (min, max) => {
      const process = Math.min(max, Math.ceil(governor.ratePerSecond() * (latencyInMs / 1000) * 1.2));
      return Math.max(min, Math.floor(process / Math.max(1, harvests)));
    },
    beginHarvest: () => {
      harvests += 1;
      let ended = false;
      return () => {
        if (!ended) harvests -= 1;
        ended = true;
      };
    },
    tryBeginLogHarvest: () => {
      if (logLaneHeld) return undefined;
      logLaneHeld = true;
      let freed = false;
      return () => {
        if (!freed) logLaneHeld = false;
        freed = true;
      };
    },
    newClient: (counters = newGraphCounters()) =>
      new GraphClient(config.graph, { tokens, transport, governor, logGovernor, clock, counters, retryAfter, observeLatency }),
  };
}
