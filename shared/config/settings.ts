/**
 * Every setting the archiver reads, in one table: name, meaning and parser, each default written
 * once, in its parser (the text docs/configuration.md shows is derived from it). That table and
 * the Bicep app settings are checked against this list by tests, so the three cannot drift apart.
 */
import { RegistryError, parseRetentionParameter } from "../core/tenantRegistry.js";
import { parseTenantId } from "../core/tenants.js";
import { cloudNames } from "../graph/clouds.js";
import { ncrontabProblem } from "./ncrontab.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface Setting<T> {
  readonly name: string;
  /** The default as docs/configuration.md shows it; `undefined` when the setting has none. */
  readonly defaultText: string | undefined;
  readonly description: string;
  /** Where it must be set in Azure: `app` settings the Bicep template must write. */
  readonly deployed: "required" | "optional";
  /** Parses a raw value (already trimmed, `undefined` when unset). Throws a message on bad input. */
  readonly parse: (raw: string | undefined) => T;
}

/** A parser that knows its own default: the one place the default is written. */
type Parser<T> = ((raw: string | undefined) => T) & { readonly defaultText?: string };

/** Gives a parser its default's text, from the value it falls back to. */
const defaulting = <T>(parse: (raw: string | undefined) => T, fallback: string | number | undefined): Parser<T> =>
  fallback === undefined ? parse : Object.assign(parse, { defaultText: String(fallback) });

/** The default's text comes from the parser; `defaultText` is given only where words say it better ("the cloud's Graph host"). */
type Spec = Omit<Setting<unknown>, "parse" | "name" | "defaultText"> & { readonly defaultText?: string | undefined };

const problem = (message: string): never => {
  throw new SettingProblem(message);
};

/** An optional https blob endpoint, without a trailing slash; `account` names one in the example. */
const blobEndpoint =
  (account: string) =>
  (raw: string | undefined): string | undefined => {
    if (raw === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return problem(`expected an https URL such as https://${account}.blob.core.windows.net, got "${raw}"`);
    }
    if (url.protocol !== "https:") return problem(`expected an https URL (identity-based access needs TLS), got "${raw}"`);
    return raw.replace(/\/+$/, "");
  };

export class SettingProblem extends Error {
  override readonly name = "SettingProblem";
}

const integer = (min: number, max: number, fallback?: number): Parser<number> =>
  defaulting((raw) => {
    if (raw === undefined) return fallback ?? problem("is required");
    if (!/^-?\d+$/.test(raw)) return problem(`expected a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) return problem(`expected a number from ${min} to ${max}, got ${n}`);
    return n;
  }, fallback);

const choice = <T extends string>(values: readonly T[], fallback: T): Parser<T> =>
  defaulting((raw) => {
    if (raw === undefined) return fallback;
    const hit = values.find((v) => v.toLowerCase() === raw.toLowerCase());
    return hit ?? problem(`expected one of ${values.join(", ")}, got "${raw}"`);
  }, fallback);

/** A timer's 6-field NCRONTAB schedule, each field's range and names checked. */
const schedule = (fallback: string): Parser<string> =>
  defaulting((raw) => {
    const value = raw ?? fallback;
    const wrong = ncrontabProblem(value);
    return wrong ? problem(`expected a 6-field NCRONTAB expression such as "${fallback}": ${wrong}`) : value;
  }, fallback);

const optionalText = (raw: string | undefined): string | undefined => raw;

/** Tenant ids, comma-separated: each checked, named when wrong; repeats kept once. */
const tenantList = (raw: string): string[] => {
  const tenants: string[] = [];
  for (const part of raw.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const parsed = parseTenantId(part);
    if ("problem" in parsed) problem(`${parsed.problem}; expected tenant ids separated by commas`);
    else if (!tenants.includes(parsed.tenant)) tenants.push(parsed.tenant);
  }
  return tenants;
};

const textWithDefault = (fallback: string, pattern?: RegExp, expected?: string): Parser<string> =>
  defaulting((raw) => {
    const value = raw ?? fallback;
    if (pattern && !pattern.test(value)) return problem(`expected ${expected}, got "${value}"`);
    return value;
  }, fallback);

/** Azure Storage's rule for a container's name. */
export const containerNamePattern = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const containerName = (fallback: string): Parser<string> => textWithDefault(fallback, containerNamePattern, "a container name");

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

function define<T>(name: string, spec: Spec & { parse: Parser<T> }): Setting<T> {
  return { name, ...spec, defaultText: "defaultText" in spec ? spec.defaultText : spec.parse.defaultText };
}

/** A duration list (`6h,1d,3d`) falling back to `fallback`. */
const durations = (fallback: string): Parser<number[]> => defaulting((raw) => parseDurationList(raw ?? fallback), fallback);

export const settings = {
  cloud: define("ARCHIVER_CLOUD", {
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
    description:
      "Tenant to harvest with a client secret, certificate or app registration. Required with any of those.",
    deployed: "optional",
    parse: optionalText,
  }),
  clientId: define("AZURE_CLIENT_ID", {
    description: "Application (client) id used with `AZURE_CLIENT_SECRET` or a certificate.",
    deployed: "optional",
    parse: optionalText,
  }),
  clientSecret: define("AZURE_CLIENT_SECRET", {
    description: "Client secret (local runs only; Azure deployments use managed identity).",
    deployed: "optional",
    parse: optionalText,
  }),
  clientCertificatePath: define("AZURE_CLIENT_CERTIFICATE_PATH", {
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
    description:
      "Client id of an app registration that trusts the managed identity (federated credential). When set, Graph tokens are that app's, obtained with a managed identity assertion; needs `AZURE_TENANT_ID`.",
    deployed: "optional",
    parse: optionalText,
  }),
  pageSize: define("ARCHIVER_GRAPH_PAGE_SIZE", {
    description: "`Prefer: odata.maxpagesize` for list requests.",
    deployed: "optional",
    parse: integer(1, 1000, 60),
  }),
  maxAttempts: define("ARCHIVER_GRAPH_MAX_ATTEMPTS", {
    description: "Attempts per Graph request before the job fails (throttling included).",
    deployed: "optional",
    parse: integer(1, 50, 8),
  }),
  requestTimeoutInMs: define("ARCHIVER_GRAPH_TIMEOUT_MS", {
    description: "Deadline of one Graph request, headers and body, in milliseconds (an answer still arriving then is cut off and retried).",
    deployed: "optional",
    parse: integer(100, 300_000, 30_000),
  }),
  maxBodyMegabytes: define("ARCHIVER_GRAPH_MAX_BODY_MB", {
    description: "Largest Graph answer read, in MiB; a longer one is cut off: a record's answer archives that record incomplete, a list page's fails the job (dead-lettered GraphAnswerTooLarge). A page of 60 sessions of a 5,000-session meeting is under 1 MiB.",
    deployed: "optional",
    parse: integer(1, 400, 64),
  }),
  retryBaseDelayInMs: define("ARCHIVER_GRAPH_RETRY_BASE_MS", {
    description: "First backoff delay when Graph gives no Retry-After, in milliseconds; doubles per attempt, with jitter.",
    deployed: "optional",
    parse: integer(1, 60_000, 500),
  }),
  maxRetryDelayInMs: define("ARCHIVER_GRAPH_RETRY_MAX_MS", {
    description: "Cap on any one backoff or Retry-After wait, in milliseconds.",
    deployed: "optional",
    parse: integer(1, 600_000, 60_000),
  }),
  rateLimitRequests: define("ARCHIVER_GRAPH_RATE_REQUESTS", {
    description: "This process's starting pace, requests per rate window: its share of the app's budget (Graph: 1,500 / 20 s per app per tenant, shared by every instance).",
    deployed: "optional",
    parse: integer(1, 100_000, 1500),
  }),
  ceilingRequests: define("ARCHIVER_GRAPH_CEILING_REQUESTS", {
    defaultText: "(ARCHIVER_GRAPH_RATE_REQUESTS)",
    description: "The most this process may climb to, requests per rate window: the app's ceiling. It climbs about 5 % a window while requests wait on the pace, and slows only for 429s its own pace caused (docs/pacing.md). Unset: no climbing (the starting pace is the ceiling).",
    deployed: "optional",
    parse: (raw) => (raw === undefined ? undefined : integer(1, 100_000)(raw)),
  }),
  listRateLimitRequests: define("ARCHIVER_GRAPH_LIST_RATE_REQUESTS", {
    defaultText: "(learned)",
    description: "The most list requests per rate window. Unset, listing is unpaced until a 429 its own pace caused (its limit has changed between doc revisions: 40 / 20 s now, 15 first pages / 20 s before), then paced at 0.8 of what got through, recovering per accepted request; never below 3 per 20 s.",
    deployed: "optional",
    parse: (raw) => (raw === undefined ? undefined : integer(1, 100_000)(raw)),
  }),
  rateLimitWindowSeconds: define("ARCHIVER_GRAPH_RATE_WINDOW_SECONDS", {
    description: "Length of the rate window, in seconds.",
    deployed: "optional",
    parse: integer(1, 3600, 20),
  }),
  windowMinutes: define("ARCHIVER_WINDOW_MINUTES", {
    description: "Window length in minutes; must divide a day (1440). Windows are aligned to it.",
    deployed: "optional",
    parse: defaulting((raw) => {
      const minutes = integer(1, 1440, 60)(raw);
      return 1440 % minutes === 0 ? minutes : problem(`must divide a day (1440 minutes), got ${minutes}`);
    }, 60),
  }),
  settleMinutes: define("ARCHIVER_SETTLE_MINUTES", {
    description: "Delay after a window ends before its first pass (records appear after the call ends).",
    deployed: "optional",
    parse: integer(0, 24 * 60, 60),
  }),
  rereadOffsets: define("ARCHIVER_REREAD_OFFSETS", {
    description: "Re-read passes, as offsets after a window's end (m, h, d); catch late and updated records before Graph forgets them.",
    deployed: "optional",
    parse: durations("6h,1d,3d,7d,20d"),
  }),
  pstnCalls: define("ARCHIVER_PSTN_CALLS", {
    description: "Archive the PSTN call log (Calling Plans) too: `on` or `off`. A tenant without it is recorded as such, not failed.",
    deployed: "optional",
    parse: choice(["on", "off"], "on"),
  }),
  directRoutingCalls: define("ARCHIVER_DIRECT_ROUTING_CALLS", {
    description: "Archive the Direct Routing call log too: `on` or `off`. A tenant without it is recorded as such, not failed.",
    deployed: "optional",
    parse: choice(["on", "off"], "on"),
  }),
  pstnHorizonDays: define("ARCHIVER_PSTN_HORIZON_DAYS", {
    description: "Days Graph keeps the PSTN call log (Teams docs: 365 by default; some countries more, such as 450 in the UK). The first run reaches this far back.",
    deployed: "optional",
    parse: integer(35, 3650, 365),
  }),
  directRoutingHorizonDays: define("ARCHIVER_DIRECT_ROUTING_HORIZON_DAYS", {
    description: "Days Graph keeps the Direct Routing call log (Teams docs: 150 by default; 180 in the Netherlands and Sweden). The first run reaches this far back.",
    deployed: "optional",
    parse: integer(35, 3650, 150),
  }),
  logSettleHours: define("ARCHIVER_LOG_SETTLE_HOURS", {
    description: "Hours after a day ends before the telephony logs' first read of it (their rows appear 24–48 h late).",
    deployed: "optional",
    parse: integer(0, 240, 48),
  }),
  logRereadOffsets: define("ARCHIVER_LOG_REREAD_OFFSETS", {
    description: "The telephony logs' re-reads of a day, as offsets after its end (m, h, d): late rows and changed rows.",
    deployed: "optional",
    parse: durations("7d,30d"),
  }),
  maxWindowsPerTick: define("ARCHIVER_MAX_WINDOWS_PER_TICK", {
    description: "Most windows one timer tick plans (bounds catch-up bursts).",
    deployed: "optional",
    parse: integer(1, 10_000, 48),
  }),
  safetyMarginMinutes: define("ARCHIVER_SAFETY_MARGIN_MINUTES", {
    description: "A first run starts this long after the oldest instant Graph holds (now − 30 days).",
    deployed: "optional",
    parse: integer(0, 7 * 24 * 60, 60),
  }),
  schedule: define("ARCHIVER_SCHEDULE", {
    description: "NCRONTAB (6 fields) of the planning timer.",
    deployed: "required",
    parse: schedule("0 */15 * * * *"),
  }),
  queueName: define("ARCHIVER_QUEUE_NAME", {
    description: "Service Bus queue carrying harvest jobs.",
    deployed: "required",
    parse: textWithDefault("harvest-jobs", /^[A-Za-z0-9][A-Za-z0-9._-]{0,259}$/, "a Service Bus queue name"),
  }),
  serviceBusNamespace: define("ARCHIVER_SERVICEBUS__fullyQualifiedNamespace", {
    description: "Service Bus namespace host (identity-based connection, used by the trigger and the sender).",
    deployed: "required",
    parse: (raw) => {
      if (raw === undefined) return undefined;
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || raw.includes("/")) {
        return problem(`expected a host name such as sb-archiver.servicebus.windows.net, not a URL: "${raw}"`);
      }
      if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(raw)) return problem(`expected a host name such as sb-archiver.servicebus.windows.net, got "${raw}"`);
      return raw;
    },
  }),
  blobServiceUri: define("ARCHIVER_STORAGE__blobServiceUri", {
    description: "Blob endpoint of the archive account, e.g. https://<account>.blob.core.windows.net (identity-based).",
    deployed: "required",
    parse: blobEndpoint("starchive"),
  }),
  budgetBlobServiceUri: define("ARCHIVER_BUDGET_STORAGE__blobServiceUri", {
    description:
      "Blob endpoint of the account where busy instances announce their Graph use (the shared budget): the Functions runtime account, so these frequent writes stay out of the archive's audit log. Unset: the state container of the archive account.",
    deployed: "required",
    parse: blobEndpoint("stfn123"),
  }),
  budgetContainer: define("ARCHIVER_BUDGET_CONTAINER", {
    description: "Container, in ARCHIVER_BUDGET_STORAGE__blobServiceUri's account, of the instances' announcements.",
    deployed: "optional",
    parse: containerName("budget"),
  }),
  storageConnectionString: define("ARCHIVER_STORAGE", {
    description: "Storage connection string, for Azurite only (local runs); Azure uses `ARCHIVER_STORAGE__blobServiceUri`.",
    deployed: "optional",
    parse: optionalText,
  }),
  archiveContainer: define("ARCHIVER_ARCHIVE_CONTAINER", {
    description: "Container of the archive (JSON Lines and manifests).",
    deployed: "required",
    parse: containerName("archive"),
  }),
  stateContainer: define("ARCHIVER_STATE_CONTAINER", {
    description: "Container of the scheduler's watermark.",
    deployed: "required",
    parse: containerName("state"),
  }),
  timeBudgetSeconds: define("ARCHIVER_TIME_BUDGET_SECONDS", {
    description: "Time one harvest may take before it splits its window in two (keep below the function timeout).",
    deployed: "optional",
    parse: integer(10, 7200, 1200),
  }),
  jobRetryBaseMs: define("ARCHIVER_JOB_RETRY_BASE_MS", {
    description: "Delay before a failed job is sent again, in milliseconds; doubles per attempt, with jitter.",
    deployed: "optional",
    parse: integer(10, 3_600_000, 60_000),
  }),
  jobRetryMaxMs: define("ARCHIVER_JOB_RETRY_MAX_MS", {
    description: "Cap on the delay before a failed job is sent again, in milliseconds. Retries go on until Graph's 30-day horizon is 2 hours away.",
    deployed: "optional",
    parse: integer(10, 86_400_000, 3_600_000),
  }),
  sweepGraceMinutes: define("ARCHIVER_SWEEP_GRACE_MINUTES", {
    description: "A (window, pass) missing this long after it fell due is sent again by the plan function's coverage sweep (once per such period).",
    deployed: "optional",
    parse: integer(15, 7 * 1440, 360),
  }),
  sweepMaxJobs: define("ARCHIVER_SWEEP_MAX_JOBS", {
    description: "Most jobs one coverage sweep sends again, oldest window first.",
    deployed: "optional",
    parse: integer(0, 10_000, 96),
  }),
  curateSchedule: define("ARCHIVER_CURATE_SCHEDULE", {
    description: "NCRONTAB (6 fields) of the curate timer, which writes final days as Parquet (curated/v2/).",
    deployed: "required",
    parse: schedule("0 30 * * * *"),
  }),
  curateLookbackDays: define("ARCHIVER_CURATE_LOOKBACK_DAYS", {
    description: "Days back the curate function looks for final days not yet curated (a day is final about 20 days on).",
    deployed: "optional",
    parse: integer(1, 3660, 45),
  }),
  curateMaxDays: define("ARCHIVER_CURATE_MAX_DAYS", {
    description: "Most days one curate run writes (about a minute each for 100,000 calls).",
    deployed: "optional",
    parse: integer(0, 100, 2),
  }),
  harvestConcurrency: define("ARCHIVER_HARVEST_CONCURRENCY", {
    description: "The fewest records whose details one harvest fetches at once; above it, the number follows the pace (rate × Graph's observed latency, up to 64).",
    deployed: "optional",
    parse: integer(1, 64, 8),
  }),
  tenants: define("ARCHIVER_TENANTS", {
    defaultText: "(none)",
    description:
      "Other tenants to archive beside the home one, comma-separated tenant ids (GUIDs), each of which has consented to the app (docs/tenants.md). The home tenant (`AZURE_TENANT_ID`, or the deployment's) is always archived; naming it here changes nothing. Deployed, the tenant registry (`npm run tenants`) adds to this list.",
    deployed: "optional",
    parse: (raw) => tenantList(raw ?? ""),
  }),
  tenantRetention: define("ARCHIVER_TENANT_RETENTION", {
    defaultText: "(none)",
    description:
      "The tenants' own retention the deployment's lifecycle rules hold (`tenantRetention` of `infra/main.bicep`, which sets this without WORM): `<tenant>=<days>` separated by commas. Each plan tick compares it with the tenant registry's and warns (`tenantRetentionNotDeployed`) while they differ: the registry's days are not in force until deployed. Unset: no comparison (under WORM, `npm run purge` reads the registry itself).",
    deployed: "optional",
    parse: (raw) => {
      if (raw === undefined) return undefined;
      try {
        return parseRetentionParameter(raw);
      } catch (error) {
        if (error instanceof RegistryError) return problem(error.message);
        throw error;
      }
    },
  }),
  appCeilingRequests: define("ARCHIVER_GRAPH_APP_CEILING_REQUESTS", {
    description: "The most requests per rate window all tenants together may make (Graph: 15,000 / 20 s per app across tenants); each tenant keeps its own `ARCHIVER_GRAPH_CEILING_REQUESTS` too.",
    deployed: "optional",
    parse: integer(1, 1_000_000, 15_000),
  }),
  tenantSlots: define("ARCHIVER_TENANT_SLOTS", {
    description: "With other tenants: the most of a worker's concurrent harvests (host.json's maxConcurrentCalls, 4) one tenant may hold; a tenant Graph is throttling or failing holds one. A job over it is sent again a moment later.",
    deployed: "optional",
    parse: integer(1, 64, 2),
  }),
} as const;

export type Settings = typeof settings;
export type SettingKey = keyof Settings;
export type SettingValues = { [K in SettingKey]: ReturnType<Settings[K]["parse"]> };

export const allSettings = (): Setting<unknown>[] => Object.values(settings);
