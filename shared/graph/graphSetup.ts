/**
 * Wires a Graph client from configuration: credential, token source, transport and the process's
 * one request governor.
 */
import { type Clock, systemClock } from "../core/clock.js";
import type { ArchiverConfig } from "./graphConfig.js";
import { createCredential, createTokenSource } from "./credentials.js";
import { GraphClient } from "./graphClient.js";
import { type GraphCounters, newGraphCounters } from "./graphCounters.js";
import { createNodeTransport } from "./httpTransport.js";
import { RequestGovernor } from "./requestGovernor.js";

export interface GraphSetupOptions {
  /** Extra CA to trust (PEM) for Graph and the token endpoint: a sandbox or a private endpoint. */
  readonly ca?: string | undefined;
  readonly clock?: Clock;
}

export interface GraphRuntime {
  readonly config: ArchiverConfig;
  readonly governor: RequestGovernor;
  /**
   * Requests to keep in flight to use the pace the governor allows at the latency Graph shows:
   * rate × latency (Little's law), with a fifth more for jitter, within [min, max].
   */
  suggestedConcurrency(min: number, max: number): number;
  /** A client whose counters are this harvest's own; all share the process's governor and tokens. */
  newClient(counters?: GraphCounters): GraphClient;
}

export function createGraphRuntime(config: ArchiverConfig, options: GraphSetupOptions = {}): GraphRuntime {
  const clock = options.clock ?? systemClock;
  const transport = createNodeTransport({ ca: options.ca, maxBodyBytes: config.graph.maxBodyBytes });
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
  // Latency of Graph's answers, smoothed (about the last 50 requests).
  let latencyInMs = 300;
  const observeLatency = (ms: number) => {
    latencyInMs += (ms - latencyInMs) / 50;
  };
  return {
    config,
    governor,
    suggestedConcurrency: (min, max) => Math.max(min, Math.min(max, Math.ceil(governor.ratePerSecond() * (latencyInMs / 1000) * 1.2))),
    newClient: (counters = newGraphCounters()) =>
      new GraphClient(config.graph, { tokens, transport, governor, clock, counters, observeLatency }),
  };
}
