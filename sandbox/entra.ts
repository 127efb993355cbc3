/**
 * The sandbox playing Entra ID: OpenID metadata and a client-credentials token endpoint that takes
 * a client secret, a certificate assertion or a federated managed-identity assertion, checked as
 * Entra checks them; and the bearer-token check Graph makes on every request.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { JsonObject } from "../shared/graph/callRecord.js";
import { certificateAssertionProblem } from "./clientAssertion.js";
import { HttpError, readBody } from "./httpError.js";
import { type ManagedIdentityEndpoint, federatedAssertionProblem } from "./managedIdentity.js";

export interface EntraOptions {
  /** The server's origin, known once it listens. */
  readonly origin: () => string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly graphAppClientId: string;
  /** PEM of a certificate registered on the sandbox app. */
  readonly clientCertificate: string | undefined;
  readonly managedIdentity: ManagedIdentityEndpoint | undefined;
  /** The subject the graph app's federated credential trusts. */
  readonly trustedSubject: string | undefined;
  readonly tokenLifetimeInSeconds: number;
  /** How long a token really works, if shorter than it claims: a revocation or a key roll. */
  readonly tokenWorksForInSeconds?: number | undefined;
  readonly onTokenIssued: () => void;
  /** Why this tenant issues the app no token (it has not consented), if it does not. */
  readonly tenantRefusal?: (tenantSegment: string, clientId: string) => string | undefined;
  /** The cloud a tenant's discovery names (default: the public cloud's `microsoftonline.com`). */
  readonly cloudInstanceNameOf?: (tenantSegment: string) => string | undefined;
}

export interface Entra {
  openIdConfiguration(tenantSegment: string): JsonObject;
  token(req: IncomingMessage, tenantSegment: string): Promise<JsonObject>;
  /** The app a Graph request's bearer token was issued to, and by which tenant; 401 otherwise. */
  authenticate(req: IncomingMessage): { readonly clientId: string; readonly tenant: string };
  revokeTokens(): void;
  /** Makes the tokens one tenant issued invalid (its admin removed the app). */
  revokeTenantTokens(tenant: string): void;
}

export function createEntra(options: EntraOptions): Entra {
  const tokens = new Map<string, { clientId: string; tenant: string; expiresAt: number }>();
  const { clientId, clientSecret, graphAppClientId, managedIdentity, trustedSubject } = options;

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
      const audience = `${options.origin()}/${tenantSegment}/oauth2/v2.0/token`;
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

  return {
    openIdConfiguration: (tenantSegment) => {
      const origin = options.origin();
      return {
        token_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/token`,
        authorization_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${origin}/${tenantSegment}/oauth2/v2.0/logout`,
        jwks_uri: `${origin}/${tenantSegment}/discovery/v2.0/keys`,
        issuer: `${origin}/${tenantSegment}/v2.0`,
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
        response_types_supported: ["code", "token"],
        scopes_supported: ["openid"],
        tenant_region_scope: "NA",
        cloud_instance_name: options.cloudInstanceNameOf?.(tenantSegment) ?? "microsoftonline.com",
      };
    },
    token: async (req, tenantSegment) => {
      const form = new URLSearchParams(await readBody(req));
      if (form.get("grant_type") !== "client_credentials") {
        throw new HttpError(400, "unsupported_grant_type", "Only client_credentials is supported by the sandbox.");
      }
      const app = authenticateClient(form, tenantSegment);
      const refusal = options.tenantRefusal?.(tenantSegment, app);
      // Entra's answer to client credentials in a tenant without the app's service principal.
      if (refusal) throw new HttpError(400, "invalid_client", refusal);
      const accessToken = randomBytes(32).toString("base64url");
      const lifetime = options.tokenLifetimeInSeconds;
      tokens.set(accessToken, { clientId: app, tenant: tenantSegment, expiresAt: Date.now() + Math.min(lifetime, options.tokenWorksForInSeconds ?? lifetime) * 1000 });
      options.onTokenIssued();
      return { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
    },
    authenticate: (req) => {
      const header = req.headers.authorization ?? "";
      const match = /^Bearer (.+)$/.exec(header);
      const token = match ? tokens.get(match[1] as string) : undefined;
      if (!token || token.expiresAt < Date.now()) {
        throw new HttpError(401, "InvalidAuthenticationToken", match ? "Access token has expired or is not valid." : "Access token is empty.");
      }
      return { clientId: token.clientId, tenant: token.tenant };
    },
    revokeTokens: () => tokens.clear(),
    revokeTenantTokens: (tenant) => {
      for (const [value, token] of tokens) if (token.tenant === tenant) tokens.delete(value);
    },
  };
}
