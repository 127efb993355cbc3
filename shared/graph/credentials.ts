/**
 * Builds the @azure/identity credential for Graph from the configuration, and a token source that
 * can be forced to fetch a fresh token (MSAL's cache would otherwise hand back the one Graph just
 * rejected with 401).
 */
import type { Agent } from "node:https";
import type { TokenCredential } from "@azure/core-auth";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredentialOptions,
} from "@azure/identity";
import type { ArchiverConfig } from "./graphConfig.js";
import { ConfigError } from "../core/errors.js";

/** A token for Graph, with when the fetch that brought it began. */
export interface IssuedToken {
  readonly value: string;
  readonly expiresOnTimestamp: number;
  /** When the fetch that brought it began (epoch ms); a token handed back again keeps its first. */
  readonly fetchedAt: number;
}

export interface TokenSource {
  /**
   * A bearer token for Graph. `fetchedSince`: only a token whose fetch began at or after this
   * instant (the first 401 on the token a request last used), so a request that met a 401 is never
   * handed a token issued before it, however many requests met the same 401.
   */
  getToken(fetchedSince?: number): Promise<IssuedToken>;
  /** Graph answered this token 401: answers the instant it was first rejected. */
  rejected(token: IssuedToken): number;
  /** Graph accepted this token: a 401 on it later means it was revoked, not that the credential is bad. */
  accepted(token: IssuedToken): void;
  wasAccepted(token: IssuedToken): boolean;
}

export interface CredentialOptions {
  /** HTTPS agent for the token endpoint (a sandbox CA); defaults to Node's. */
  readonly agent?: Agent;
}

export function createCredential(config: ArchiverConfig, options: CredentialOptions = {}): TokenCredential {
  const { credential, graph } = config;
  const common: TokenCredentialOptions & { disableInstanceDiscovery: boolean } = {
    authorityHost: graph.authorityHost,
    disableInstanceDiscovery: !graph.instanceDiscovery,
    ...(options.agent === undefined ? {} : { additionalPolicies: [{ policy: useAgent(options.agent), position: "perCall" }] }),
  };
  switch (credential.kind) {
    case "clientSecret":
      return new ClientSecretCredential(credential.tenantId, credential.clientId, credential.clientSecret, common);
    case "clientCertificate":
      return new ClientCertificateCredential(
        credential.tenantId,
        credential.clientId,
        { certificatePath: credential.certificatePath },
        common,
      );
    case "appRegistration": {
      // No secret anywhere: the managed identity's token is the app's client assertion, accepted
      // because the app registration holds a federated credential that trusts this identity.
      const identity = managedIdentity(credential.managedIdentityClientId);
      const scope = `${config.tokenExchangeAudience}/.default`;
      return new ClientAssertionCredential(
        credential.tenantId,
        credential.appClientId,
        async () => {
          const token = await identity.getToken(scope);
          if (!token) throw new Error(`Managed identity returned no token for ${scope}`);
          return token.token;
        },
        common,
      );
    }
    case "managedIdentity":
      return managedIdentity(credential.managedIdentityClientId);
  }
}

/**
 * The same app's credential at another tenant's authority: a token for that tenant, which Entra
 * issues once the tenant's admin consented to the app. A managed identity alone belongs to its own
 * tenant and can read no other: refused by name.
 */
export function credentialForTenant(config: ArchiverConfig, tenant: string): ArchiverConfig {
  const { credential } = config;
  if (credential.kind === "managedIdentity") {
    throw new ConfigError([
      { setting: "ARCHIVER_GRAPH_APP_CLIENT_ID", problem: `is required to read tenant ${tenant}: a managed identity's own tokens are for its own tenant only (set the multi-tenant app it is a federated credential of)` },
    ]);
  }
  return { ...config, credential: { ...credential, tenantId: tenant } };
}

/** The user-assigned identity with this client id, else the system-assigned one. */
const managedIdentity = (clientId: string | undefined) => new ManagedIdentityCredential(clientId === undefined ? {} : { clientId });

function useAgent(agent: Agent): PipelinePolicy {
  return {
    name: "archiverAgentPolicy",
    sendRequest: (request, next) => {
      request.agent = agent;
      return next(request);
    },
  };
}

/**
 * Caches a token until five minutes before it expires, and fetches one at a time: every request
 * that needs a token while one is being fetched waits for that one (single flight), so a burst of
 * 401s, or of requests at expiry, asks Entra once, not once each. A fetch after a 401 builds a new
 * credential so MSAL's own cache cannot hand back the token Graph just rejected; tokens are told
 * apart by value and expiry, since a managed identity endpoint may hand back its cached one.
 */
export function createTokenSource(makeCredential: () => TokenCredential, scope: string, now: () => number = Date.now): TokenSource {
  let credential = makeCredential();
  let cached: IssuedToken | undefined;
  let fetching: { startedAt: number; promise: Promise<IssuedToken> } | undefined;
  /** Tokens Graph rejected or accepted, by value and expiry: the last few only. */
  const rejectedAt = new Map<string, number>();
  const acceptedTokens = new Set<string>();
  const known = new Map<string, IssuedToken>();
  const keyOf = (t: { value: string; expiresOnTimestamp: number }) => `${t.expiresOnTimestamp}|${t.value}`;
  /** Keeps the last few entries only: a token is rejected or accepted within the hour it lives. */
  const forgetOldest = (map: { size: number; keys(): IterableIterator<string>; delete(key: string): boolean }) => {
    if (map.size > 16) map.delete(map.keys().next().value as string);
  };

  const fetchToken = (afterRejection: boolean) => {
    const startedAt = now();
    if (afterRejection) credential = makeCredential();
    const promise = (async () => {
      try {
        const token = await credential.getToken(scope);
        if (!token) throw new Error(`No token was returned for ${scope}`);
        const fresh = { value: token.token, expiresOnTimestamp: token.expiresOnTimestamp, fetchedAt: startedAt };
        // The same token handed back (a cache upstream) is the old token, not a new one.
        const issued = known.get(keyOf(fresh)) ?? fresh;
        known.set(keyOf(issued), issued);
        forgetOldest(known);
        cached = issued;
        return issued;
      } finally {
        fetching = undefined;
      }
    })();
    fetching = { startedAt, promise };
    return promise;
  };

  return {
    async getToken(fetchedSince = Number.NEGATIVE_INFINITY) {
      for (;;) {
        const usable = cached && !rejectedAt.has(keyOf(cached)) && cached.fetchedAt >= fetchedSince && cached.expiresOnTimestamp - now() > 5 * 60_000;
        if (usable && cached) return cached;
        if (fetching && fetching.startedAt >= fetchedSince) return fetching.promise;
        if (fetching) {
          // Begun before the 401 this request met: it may bring a token that is dead already.
          await fetching.promise.catch(() => undefined);
          continue;
        }
        // If an upstream cache hands back a token from before the 401, it is handed on as the old
        // token it is: a 401 on it does not count against the credential.
        return fetchToken(Number.isFinite(fetchedSince));
      }
    },
    rejected(token) {
      const key = keyOf(token);
      const first = rejectedAt.get(key) ?? now();
      rejectedAt.set(key, first);
      forgetOldest(rejectedAt);
      return first;
    },
    accepted(token) {
      const key = keyOf(token);
      if (acceptedTokens.has(key)) return;
      acceptedTokens.add(key);
      forgetOldest(acceptedTokens);
    },
    wasAccepted: (token) => acceptedTokens.has(keyOf(token)),
  };
}
