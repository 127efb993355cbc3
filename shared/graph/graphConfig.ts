/**
 * What the Graph layer needs to be told: endpoints, paging, retries, pacing and the credential.
 * Declared here, beside its users; shared/config builds it from the settings.
 */
import type { CloudName } from "./clouds.js";

export interface GraphConfig {
  readonly cloud: CloudName;
  /** Origin only, no trailing slash: `https://graph.microsoft.com`. */
  readonly graphEndpoint: string;
  readonly authorityHost: string;
  /** False for custom authority hosts, which Entra's instance discovery does not know. */
  readonly instanceDiscovery: boolean;
  readonly hasParticipantsList: boolean;
  readonly pageSize: number;
  readonly maxAttempts: number;
  /** Deadline of one request, headers and body. */
  readonly requestTimeoutInMs: number;
  /** The largest answer read; a longer one fails the request (GraphAnswerTooLargeError). */
  readonly maxBodyBytes: number;
  readonly retryBaseDelayInMs: number;
  readonly maxRetryDelayInMs: number;
  /** This process's starting pace (its share of the app's budget) and the most it may climb to. */
  readonly rateLimitRequests: number;
  readonly ceilingRequests: number;
  /** Undefined: learned from 429s on listing. */
  readonly listRateLimitRequests: number | undefined;
  readonly rateLimitWindowInMs: number;
}

export type CredentialConfig =
  | { readonly kind: "clientSecret"; tenantId: string; clientId: string; clientSecret: string }
  | { readonly kind: "clientCertificate"; tenantId: string; clientId: string; certificatePath: string }
  | { readonly kind: "appRegistration"; tenantId: string; appClientId: string; managedIdentityClientId?: string }
  | { readonly kind: "managedIdentity"; managedIdentityClientId?: string };

export interface ArchiverConfig {
  readonly graph: GraphConfig;
  readonly credential: CredentialConfig;
  readonly tokenExchangeAudience: string;
}
