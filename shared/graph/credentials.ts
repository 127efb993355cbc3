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

export interface TokenSource {
  /**
   * A bearer token for Graph. `rejected`: the token Graph just answered 401 to; a token other than
   * that one is returned, fetched afresh unless another request already has.
   */
  getToken(rejected?: string): Promise<string>;
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
 * 401s, or of requests at expiry, asks Entra once, not once each. A refresh after a 401 builds a
 * new credential so MSAL's own cache cannot hand back the token Graph just rejected; it happens
 * only if the rejected token is still the one cached (otherwise another request already refreshed).
 */
export function createTokenSource(makeCredential: () => TokenCredential, scope: string): TokenSource {
  let credential = makeCredential();
  let cached: { token: string; expiresOnTimestamp: number } | undefined;
  let fetching: Promise<string> | undefined;
  const fetchOnce = (): Promise<string> =>
    (fetching ??= (async () => {
      try {
        const token = await credential.getToken(scope);
        if (!token) throw new Error(`No token was returned for ${scope}`);
        cached = token;
        return token.token;
      } finally {
        fetching = undefined;
      }
    })());
  return {
    async getToken(rejected) {
      if (rejected !== undefined && cached?.token === rejected && fetching === undefined) {
        credential = makeCredential();
        cached = undefined;
      }
      if (fetching) return fetching;
      if (cached && cached.token !== rejected && cached.expiresOnTimestamp - Date.now() > 5 * 60_000) return cached.token;
      return fetchOnce();
    },
  };
}
