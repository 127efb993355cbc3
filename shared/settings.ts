/**
 * Every setting the archiver reads, in one table: name, default, meaning and parser. The README's
 * configuration table and the Bicep app settings are checked against this list by tests, so the
 * three cannot drift apart.
 */
import { cloudNames } from "./clouds.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface Setting<T> {
  readonly name: string;
  /** The default as the README shows it; `undefined` when the setting has none. */
  readonly defaultText: string | undefined;
  readonly description: string;
  /** Where it must be set in Azure: `app` settings the Bicep template must write. */
  readonly deployed: "required" | "optional";
  /** Parses a raw value (already trimmed, `undefined` when unset). Throws a message on bad input. */
  readonly parse: (raw: string | undefined) => T;
}

type Spec = Omit<Setting<unknown>, "parse" | "name">;

const problem = (message: string): never => {
  throw new SettingProblem(message);
};

export class SettingProblem extends Error {
  override readonly name = "SettingProblem";
}

const integer =
  (min: number, max: number, fallback?: number) =>
  (raw: string | undefined): number => {
    if (raw === undefined) return fallback ?? problem("is required");
    if (!/^-?\d+$/.test(raw)) return problem(`expected a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) return problem(`expected a number from ${min} to ${max}, got ${n}`);
    return n;
  };

const choice =
  <T extends string>(values: readonly T[], fallback: T) =>
  (raw: string | undefined): T => {
    if (raw === undefined) return fallback;
    const hit = values.find((v) => v.toLowerCase() === raw.toLowerCase());
    return hit ?? problem(`expected one of ${values.join(", ")}, got "${raw}"`);
  };

const optionalText = (raw: string | undefined): string | undefined => raw;

const textWithDefault =
  (fallback: string, pattern?: RegExp, expected?: string) =>
  (raw: string | undefined): string => {
    const value = raw ?? fallback;
    if (pattern && !pattern.test(value)) return problem(`expected ${expected}, got "${value}"`);
    return value;
  };

/** An https origin (scheme, host, optional port), with any trailing slash removed. */
const httpsOrigin = (raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return problem(`expected an https URL, got "${raw}"`);
  }
  if (url.protocol !== "https:") return problem(`must use https, got "${raw}"`);
  if (url.pathname !== "/" || url.search !== "") {
    return problem(`expected a bare origin such as https://graph.microsoft.com, got "${raw}"`);
  }
  return url.origin;
};

const durationUnitsInMs = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "6h,1d,3d" → milliseconds, strictly increasing. */
export const parseDurationList = (raw: string): number[] => {
  const parts = raw
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const values = parts.map((part) => {
    const match = /^(\d+)([mhd])$/.exec(part);
    if (!match) return problem(`expected durations like 6h,1d,3d; "${part}" is not one`);
    return Number(match[1]) * durationUnitsInMs[match[2] as keyof typeof durationUnitsInMs];
  });
  values.forEach((v, i) => {
    if (i > 0 && v <= (values[i - 1] ?? 0)) problem("durations must be strictly increasing");
  });
  return values;
};

function define<T>(name: string, spec: Spec & { parse: (raw: string | undefined) => T }) {
  return { name, ...spec } as Setting<T>;
}

export const settings = {
  cloud: define("ARCHIVER_CLOUD", {
    defaultText: "Global",
    description: `Microsoft cloud: ${cloudNames.join(", ")}. Sets the Graph and authority hosts.`,
    deployed: "required",
    parse: choice(cloudNames, "Global"),
  }),
  graphEndpoint: define("ARCHIVER_GRAPH_ENDPOINT", {
    defaultText: "the cloud's Graph host",
    description:
      "Override of the Graph origin (https only). Token scope is `{this}/.default`; nextLinks to any other origin are refused.",
    deployed: "optional",
    parse: httpsOrigin,
  }),
  authorityHost: define("ARCHIVER_AUTHORITY_HOST", {
    defaultText: "the cloud's Entra host",
    description: "Override of the Entra authority host (https only).",
    deployed: "optional",
    parse: httpsOrigin,
  }),
  tenantId: define("AZURE_TENANT_ID", {
    defaultText: undefined,
    description:
      "Tenant to harvest with a client secret, certificate or app registration. Required with any of those.",
    deployed: "optional",
    parse: optionalText,
  }),
  clientId: define("AZURE_CLIENT_ID", {
    defaultText: undefined,
    description: "Application (client) id used with `AZURE_CLIENT_SECRET` or a certificate.",
    deployed: "optional",
    parse: optionalText,
  }),
  clientSecret: define("AZURE_CLIENT_SECRET", {
    defaultText: undefined,
    description: "Client secret (local runs only; Azure deployments use managed identity).",
    deployed: "optional",
    parse: optionalText,
  }),
  clientCertificatePath: define("AZURE_CLIENT_CERTIFICATE_PATH", {
    defaultText: undefined,
    description: "PEM file with the certificate and private key, instead of a secret.",
    deployed: "optional",
    parse: optionalText,
  }),
  managedIdentityClientId: define("ARCHIVER_MANAGED_IDENTITY_CLIENT_ID", {
    defaultText: "system-assigned",
    description: "Client id of the user-assigned managed identity that calls Graph.",
    deployed: "required",
    parse: optionalText,
  }),
  graphAppClientId: define("ARCHIVER_GRAPH_APP_CLIENT_ID", {
    defaultText: undefined,
    description:
      "Client id of an app registration that trusts the managed identity (federated credential). When set, Graph tokens are that app's, obtained with a managed identity assertion; needs `AZURE_TENANT_ID`.",
    deployed: "optional",
    parse: optionalText,
  }),
  pageSize: define("ARCHIVER_GRAPH_PAGE_SIZE", {
    defaultText: "60",
    description: "`Prefer: odata.maxpagesize` for list requests.",
    deployed: "optional",
    parse: integer(1, 1000, 60),
  }),
  maxAttempts: define("ARCHIVER_GRAPH_MAX_ATTEMPTS", {
    defaultText: "8",
    description: "Attempts per Graph request before the job fails (throttling included).",
    deployed: "optional",
    parse: integer(1, 50, 8),
  }),
  requestTimeoutInMs: define("ARCHIVER_GRAPH_TIMEOUT_MS", {
    defaultText: "30000",
    description: "Timeout of one Graph request, in milliseconds.",
    deployed: "optional",
    parse: integer(100, 300_000, 30_000),
  }),
  retryBaseDelayInMs: define("ARCHIVER_GRAPH_RETRY_BASE_MS", {
    defaultText: "500",
    description: "First backoff delay when Graph gives no Retry-After, in milliseconds; doubles per attempt, with jitter.",
    deployed: "optional",
    parse: integer(1, 60_000, 500),
  }),
  maxRetryDelayInMs: define("ARCHIVER_GRAPH_RETRY_MAX_MS", {
    defaultText: "60000",
    description: "Cap on any one backoff or Retry-After wait, in milliseconds.",
    deployed: "optional",
    parse: integer(1, 600_000, 60_000),
  }),
  rateLimitRequests: define("ARCHIVER_GRAPH_RATE_REQUESTS", {
    defaultText: "1500",
    description: "Request ceiling per rate window for this process (Graph: 1,500 / 20 s per app per tenant).",
    deployed: "optional",
    parse: integer(1, 100_000, 1500),
  }),
  rateLimitWindowSeconds: define("ARCHIVER_GRAPH_RATE_WINDOW_SECONDS", {
    defaultText: "20",
    description: "Length of the rate window, in seconds.",
    deployed: "optional",
    parse: integer(1, 3600, 20),
  }),
} as const;

export type Settings = typeof settings;
export type SettingKey = keyof Settings;
export type SettingValues = { [K in SettingKey]: ReturnType<Settings[K]["parse"]> };

export const allSettings = (): Setting<unknown>[] => Object.values(settings);

export { textWithDefault };
