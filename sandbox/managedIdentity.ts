/**
 * The sandbox's managed identity: an App Service-style identity endpoint (plain HTTP on loopback,
 * as Azure serves it to the app; @azure/identity finds it through IDENTITY_ENDPOINT and
 * IDENTITY_HEADER), and the check Entra makes when that identity's token is presented as an app
 * registration's client assertion through a federated identity credential.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { sendJson } from "./json.js";

/** The audience a token must carry to be exchanged (public cloud). */
export const tokenExchangeAudience = "api://AzureADTokenExchange";

export interface ManagedIdentityEndpoint {
  /** Value for IDENTITY_ENDPOINT. */
  readonly endpoint: string;
  /** Value for IDENTITY_HEADER (the secret App Service gives the app). */
  readonly header: string;
  /** Client id of the user-assigned identity (ARCHIVER_MANAGED_IDENTITY_CLIENT_ID). */
  readonly clientId: string;
  /** Object id, the subject a federated credential names. */
  readonly principalId: string;
  tokensIssued: number;
  /** Who a token was issued to and for, if it is one of ours and still valid. */
  holderOf(token: string): { principalId: string; audience: string } | undefined;
  close(): Promise<void>;
}

export async function startManagedIdentityEndpoint(tokenLifetimeInSeconds = 3600): Promise<ManagedIdentityEndpoint> {
  const header = randomBytes(16).toString("hex");
  const clientId = randomUUID();
  const principalId = randomUUID();
  const issued = new Map<string, { audience: string; expiresAt: number }>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const answer = (status: number, body: unknown) => sendJson(res, status, body);
    if (req.headers["x-identity-header"] !== header) return answer(401, { error: "invalid_request", error_description: "X-IDENTITY-HEADER is missing or wrong." });
    const resource = url.searchParams.get("resource");
    if (!resource) return answer(400, { error: "invalid_request", error_description: "resource is required." });
    const requested = url.searchParams.get("client_id");
    if (requested !== null && requested !== clientId) {
      return answer(400, { error: "invalid_request", error_description: `No user-assigned identity with client id ${requested} is assigned to this app.` });
    }
    const token = randomBytes(32).toString("base64url");
    const expiresAt = Date.now() + tokenLifetimeInSeconds * 1000;
    issued.set(token, { audience: resource, expiresAt });
    endpoint.tokensIssued += 1;
    answer(200, { access_token: token, expires_on: String(Math.floor(expiresAt / 1000)), resource, token_type: "Bearer", client_id: clientId });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");

  const endpoint: ManagedIdentityEndpoint = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`,
    header,
    clientId,
    principalId,
    tokensIssued: 0,
    holderOf: (token) => {
      const found = issued.get(token);
      return found && found.expiresAt > Date.now() ? { principalId, audience: found.audience } : undefined;
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
  return endpoint;
}

/**
 * Entra's check of a federated client assertion: a token of this identity, for the token exchange
 * audience, whose subject the app's federated credential names. The problem in Entra's words, or
 * undefined when it holds.
 */
export function federatedAssertionProblem(assertion: string, identity: ManagedIdentityEndpoint, trustedSubject: string): string | undefined {
  const holder = identity.holderOf(assertion);
  if (!holder || holder.audience !== tokenExchangeAudience) {
    return `AADSTS700024: Client assertion is not valid (expired, or its audience is not ${tokenExchangeAudience}).`;
  }
  if (holder.principalId !== trustedSubject) {
    return `AADSTS700213: No matching federated identity record found for presented assertion subject '${holder.principalId}'.`;
  }
  return undefined;
}
