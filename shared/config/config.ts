/**
 * Configuration parsed and validated once, at start-up. A bad value stops the process with the
 * setting's name and what it expects; every bad setting is reported at once, not one per restart.
 */
import type { TenantId } from "../core/tenants.js";
import { type CloudName, clouds, isKnownAuthorityHost } from "../graph/clouds.js";
import type { ArchiverConfig, CredentialConfig } from "../graph/graphConfig.js";
import { ConfigError } from "../core/errors.js";
import type { SweepSettings } from "../pipeline/plan/coverage.js";
import { type JobRetryOptions, defaultJobRetryOptions } from "../pipeline/harvest/jobRetryPolicy.js";
import { type PlanSettings, planSettingsProblems } from "../pipeline/plan/planning.js";
import { type LogSourceName, logDaysPerTick, logSourceNames, logSources } from "../core/sources.js";
import { dayInMs } from "../core/window.js";
import type { CurateRunOptions } from "../pipeline/curate/curateDay.js";
import {
  type Env,
  type SettingKey,
  type SettingValues,
  SettingProblem,
  settings,
} from "./settings.js";

/** Parses the chosen settings, collecting every problem before throwing one `ConfigError`. */
export function readSettings<K extends SettingKey>(
  env: Env,
  keys: readonly K[],
): Pick<SettingValues, K> {
  const problems: { setting: string; problem: string }[] = [];
  const values: Partial<Record<SettingKey, unknown>> = {};
  for (const key of keys) {
    const setting = settings[key];
    const raw = env[setting.name]?.trim();
    try {
      values[key] = setting.parse(raw === "" ? undefined : raw);
    } catch (error) {
      if (!(error instanceof SettingProblem)) throw error;
      problems.push({ setting: setting.name, problem: error.message });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as Pick<SettingValues, K>;
}

const graphKeys = [
  "cloud",
  "graphEndpoint",
  "authorityHost",
  "tenantId",
  "clientId",
  "clientSecret",
  "clientCertificatePath",
  "managedIdentityClientId",
  "graphAppClientId",
  "pageSize",
  "maxAttempts",
  "requestTimeoutInMs",
  "maxBodyMegabytes",
  "retryBaseDelayInMs",
  "maxRetryDelayInMs",
  "rateLimitRequests",
  "ceilingRequests",
  "listRateLimitRequests",
  "rateLimitWindowSeconds",
] as const satisfies readonly SettingKey[];

/** The cloud, and the Entra authority its tokens come from (ARCHIVER_AUTHORITY_HOST, else the cloud's). */
export function authorityOf(env: Env): { readonly cloud: CloudName; readonly authorityHost: string } {
  const s = readSettings(env, ["cloud", "authorityHost"]);
  return { cloud: s.cloud, authorityHost: s.authorityHost ?? clouds[s.cloud].authorityHost };
}

export function loadArchiverConfig(env: Env): ArchiverConfig {
  const s = readSettings(env, graphKeys);
  const cloud = clouds[s.cloud];
  const { authorityHost } = authorityOf(env);
  const graphEndpoint = s.graphEndpoint ?? cloud.graphEndpoint;
  return {
    graph: {
      cloud: s.cloud,
      graphEndpoint,
      authorityHost,
      instanceDiscovery: isKnownAuthorityHost(authorityHost),
      hasParticipantsList: cloud.hasParticipantsList,
      pageSize: s.pageSize,
      maxAttempts: s.maxAttempts,
      requestTimeoutInMs: s.requestTimeoutInMs,
      maxBodyBytes: s.maxBodyMegabytes * 1024 * 1024,
      retryBaseDelayInMs: s.retryBaseDelayInMs,
      maxRetryDelayInMs: s.maxRetryDelayInMs,
      rateLimitRequests: s.rateLimitRequests,
      ceilingRequests: Math.max(s.rateLimitRequests, s.ceilingRequests ?? s.rateLimitRequests),
      listRateLimitRequests: s.listRateLimitRequests,
      rateLimitWindowInMs: s.rateLimitWindowSeconds * 1000,
    },
    credential: chooseCredential(s),
    tokenExchangeAudience: cloud.tokenExchangeAudience,
  };
}

type CredentialSettings = Pick<
  SettingValues,
  | "tenantId"
  | "clientId"
  | "clientSecret"
  | "clientCertificatePath"
  | "managedIdentityClientId"
  | "graphAppClientId"
>;

/**
 * Picks how Graph tokens are obtained, from the most explicit setting down: an app registration
 * trusted by the managed identity, then a secret, then a certificate, else the managed identity.
 */
export function chooseCredential(s: CredentialSettings): CredentialConfig {
  const need = (value: string | undefined, setting: string, because: string): string => {
    if (value === undefined) throw new ConfigError([{ setting, problem: `is required ${because}` }]);
    return value;
  };
  // Present only when set, so a config without it compares equal to one that never named it.
  const identity = s.managedIdentityClientId === undefined ? {} : { managedIdentityClientId: s.managedIdentityClientId };
  if (s.graphAppClientId !== undefined) {
    return {
      kind: "appRegistration",
      tenantId: need(s.tenantId, "AZURE_TENANT_ID", "with ARCHIVER_GRAPH_APP_CLIENT_ID"),
      appClientId: s.graphAppClientId,
      ...identity,
    };
  }
  if (s.clientSecret !== undefined) {
    return {
      kind: "clientSecret",
      tenantId: need(s.tenantId, "AZURE_TENANT_ID", "with AZURE_CLIENT_SECRET"),
      clientId: need(s.clientId, "AZURE_CLIENT_ID", "with AZURE_CLIENT_SECRET"),
      clientSecret: s.clientSecret,
    };
  }
  if (s.clientCertificatePath !== undefined) {
    return {
      kind: "clientCertificate",
      tenantId: need(s.tenantId, "AZURE_TENANT_ID", "with AZURE_CLIENT_CERTIFICATE_PATH"),
      clientId: need(s.clientId, "AZURE_CLIENT_ID", "with AZURE_CLIENT_CERTIFICATE_PATH"),
      certificatePath: s.clientCertificatePath,
    };
  }
  return {
    kind: "managedIdentity",
    ...identity,
  };
}

export interface PipelineConfig {
  readonly plan: PlanSettings;
  readonly queueName: string;
  readonly serviceBusNamespace: string | undefined;
  readonly blobServiceUri: string | undefined;
  readonly storageConnectionString: string | undefined;
  readonly archiveContainer: string;
  readonly stateContainer: string;
  /** Where instances announce their Graph use: another account's container, or undefined for the state container. */
  readonly budgetRegistry: { readonly blobServiceUri: string; readonly container: string } | undefined;
  readonly timeBudgetInMs: number;
  readonly harvestConcurrency: number;
  readonly jobRetry: JobRetryOptions;
  readonly sweep: SweepSettings;
  readonly curate: CurateRunOptions;
  readonly managedIdentityClientId: string | undefined;
  /** The telephony logs that are on, each with its plan (day windows, its own passes and horizon). */
  readonly logs: Partial<Readonly<Record<LogSourceName, PlanSettings>>>;
  /** The other tenants ARCHIVER_TENANTS names (the home tenant left out: it is always archived). */
  readonly tenants: readonly TenantId[];
  /** Requests per rate window all tenants together may make. */
  readonly appCeilingRequests: number;
  /** The most of a worker's harvests one tenant may hold, when there are other tenants. */
  readonly tenantSlots: number;
  /** The tenants' own retention the deployment's lifecycle rules hold, by `home` or tenant id; absent: not compared (WORM). */
  readonly tenantRetention: ReadonlyMap<string, number> | undefined;
}

const pipelineKeys = [
  "windowMinutes",
  "settleMinutes",
  "rereadOffsets",
  "maxWindowsPerTick",
  "safetyMarginMinutes",
  "schedule",
  "queueName",
  "serviceBusNamespace",
  "blobServiceUri",
  "storageConnectionString",
  "archiveContainer",
  "stateContainer",
  "budgetBlobServiceUri",
  "budgetContainer",
  "timeBudgetSeconds",
  "harvestConcurrency",
  "jobRetryBaseMs",
  "jobRetryMaxMs",
  "sweepGraceMinutes",
  "sweepMaxJobs",
  "curateSchedule",
  "curateLookbackDays",
  "curateMaxDays",
  "managedIdentityClientId",
  "pstnCalls",
  "directRoutingCalls",
  "pstnHorizonDays",
  "directRoutingHorizonDays",
  "logSettleHours",
  "logRereadOffsets",
  "tenants",
  "tenantId",
  "appCeilingRequests",
  "tenantSlots",
  "tenantRetention",
] as const satisfies readonly SettingKey[];

/**
 * A split needs this long after the time budget runs out: finish the page in hand, write the
 * manifest, send the halves. (The Consumption variant runs 420 s budgets in 600 s timeouts.)
 */
export const splitMarginInMs = 3 * 60_000;

/** `hh:mm:ss` (or `d.hh:mm:ss`) as the host reads `functionTimeout`; undefined when absent or unbounded (-1). */
export function parseFunctionTimeoutInMs(text: string | undefined): number | undefined {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(text?.trim() ?? "");
  if (!match) return undefined;
  const [, days, h, m, sec] = match;
  return (((Number(days ?? 0) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(sec)) * 1000;
}

/** A telephony log's plan: its windows are days (one request each, where Graph allows 90), a day partition each. */
export const logPlanOf = (s: { horizonDays: number; settleHours: number; rereadOffsetsInMs: readonly number[]; maxWindowsPerTick: number }): PlanSettings => ({
  windowInMs: dayInMs,
  settleInMs: s.settleHours * 3_600_000,
  rereadOffsetsInMs: s.rereadOffsetsInMs,
  maxWindowsPerTick: Math.min(s.maxWindowsPerTick, logDaysPerTick),
  // A first run starts a day inside the log's horizon, so it never races Graph's deletions.
  safetyMarginInMs: dayInMs,
  horizonInMs: s.horizonDays * dayInMs,
});

/** A log's plan at the settings' defaults: for a log's job that arrives while the log is off. */
export const defaultLogPlan = (source: LogSourceName): PlanSettings =>
  logPlanOf({
    horizonDays: settings[source === "pstnCalls" ? "pstnHorizonDays" : "directRoutingHorizonDays"].parse(undefined),
    settleHours: settings.logSettleHours.parse(undefined),
    rereadOffsetsInMs: settings.logRereadOffsets.parse(undefined),
    maxWindowsPerTick: settings.maxWindowsPerTick.parse(undefined),
  });

/**
 * Loads the pipeline's settings. With the host's function timeout (host.json `functionTimeout`,
 * or the app setting `AzureFunctionsJobHost__functionTimeout` that overrides it), a time budget
 * that would let a harvest time out instead of splitting is refused.
 */
export function loadPipelineConfig(env: Env, host: { functionTimeoutInMs?: number | undefined } = {}): PipelineConfig {
  const s = readSettings(env, pipelineKeys);
  const timeoutInMs = parseFunctionTimeoutInMs(env.AzureFunctionsJobHost__functionTimeout) ?? host.functionTimeoutInMs;
  if (timeoutInMs !== undefined && s.timeBudgetSeconds * 1000 + splitMarginInMs > timeoutInMs) {
    throw new ConfigError([
      {
        setting: "ARCHIVER_TIME_BUDGET_SECONDS",
        problem: `${s.timeBudgetSeconds} s leaves less than 3 minutes of the function timeout (${timeoutInMs / 1000} s) to split a window; harvests would time out instead. Use at most ${(timeoutInMs - splitMarginInMs) / 1000}.`,
      },
    ]);
  }
  const plan = {
    windowInMs: s.windowMinutes * 60_000,
    settleInMs: s.settleMinutes * 60_000,
    rereadOffsetsInMs: s.rereadOffsets,
    maxWindowsPerTick: s.maxWindowsPerTick,
    safetyMarginInMs: s.safetyMarginMinutes * 60_000,
  };
  const problems = planSettingsProblems(plan);
  if (problems.length > 0) {
    throw new ConfigError(problems.map((problem) => ({ setting: "ARCHIVER_REREAD_OFFSETS", problem })));
  }
  const logs: Partial<Record<LogSourceName, PlanSettings>> = {};
  const logSwitches = { pstnCalls: [s.pstnCalls, s.pstnHorizonDays], directRoutingCalls: [s.directRoutingCalls, s.directRoutingHorizonDays] } as const;
  for (const source of logSourceNames) {
    const [enabled, horizonDays] = logSwitches[source];
    if (enabled === "off") continue;
    const logPlan = logPlanOf({ horizonDays, settleHours: s.logSettleHours, rereadOffsetsInMs: s.logRereadOffsets, maxWindowsPerTick: s.maxWindowsPerTick });
    const wrong = planSettingsProblems(logPlan);
    if (wrong.length > 0) throw new ConfigError(wrong.map((problem) => ({ setting: "ARCHIVER_LOG_REREAD_OFFSETS", problem: `${problem} (${logSources[source].label}, ${logSources[source].horizonSetting})` })));
    logs[source] = logPlan;
  }
  return {
    plan,
    queueName: s.queueName,
    serviceBusNamespace: s.serviceBusNamespace,
    blobServiceUri: s.blobServiceUri,
    storageConnectionString: s.storageConnectionString,
    archiveContainer: s.archiveContainer,
    stateContainer: s.stateContainer,
    budgetRegistry: s.budgetBlobServiceUri === undefined ? undefined : { blobServiceUri: s.budgetBlobServiceUri, container: s.budgetContainer },
    timeBudgetInMs: s.timeBudgetSeconds * 1000,
    harvestConcurrency: s.harvestConcurrency,
    jobRetry: {
      ...defaultJobRetryOptions,
      baseDelayInMs: s.jobRetryBaseMs,
      maxDelayInMs: Math.max(s.jobRetryBaseMs, s.jobRetryMaxMs),
      logHorizonsInMs: { pstnCalls: s.pstnHorizonDays * dayInMs, directRoutingCalls: s.directRoutingHorizonDays * dayInMs },
    },
    sweep: { graceInMs: s.sweepGraceMinutes * 60_000, maxResendsPerTick: s.sweepMaxJobs },
    // A day is final once its last window's last re-read has run: no sooner than that offset after it.
    curate: { lookbackDays: s.curateLookbackDays, maxDays: s.curateMaxDays, finalAfterInMs: plan.rereadOffsetsInMs.at(-1) ?? 0 },
    managedIdentityClientId: s.managedIdentityClientId,
    logs,
    tenants: s.tenants.filter((t) => t !== s.tenantId?.trim().toLowerCase()),
    appCeilingRequests: s.appCeilingRequests,
    tenantSlots: s.tenantSlots,
    tenantRetention: s.tenantRetention,
  };
}
