/**
 * The telephony logs' archived rows (pipeline/harvest/harvestLog.ts), described once for every
 * engine as call records are (callRecordSchema.ts): the fields of Graph's pstnCallLogRow and
 * directRoutingLogRow as their documented examples hold them, typed by the one coercion rule
 * (coercion.ts): `0001-01-01T00:00:00Z`, Graph's "no failure", is NULL; masked numbers stay text.
 * Fields Graph adds later are in `raw`.
 */
import type { Field, FieldType } from "./callRecordSchema.js";
import { type LogSourceName, logSources } from "../core/sources.js";
import { tenantLabel } from "../core/tenants.js";

const string: FieldType = { kind: "string" };
const bigint: FieldType = { kind: "bigint" };
const double: FieldType = { kind: "double" };
const boolean: FieldType = { kind: "boolean" };
const timestamp: FieldType = { kind: "timestamp" };
const fields = (spec: Record<string, FieldType>): Field[] => Object.entries(spec).map(([name, type]) => ({ name, type }));

const user = { userId: string, userPrincipalName: string, userDisplayName: string };

/** What the archiver adds to every row (harvestLog.ts). */
const archiveInfo: FieldType = { kind: "struct", fields: fields({ source: string, harvestedAt: timestamp, window: { kind: "struct", fields: fields({ start: timestamp, end: timestamp }) }, pass: bigint, cloud: string }) };

export const logRowFields: Readonly<Record<LogSourceName, readonly Field[]>> = {
  pstnCalls: fields({
    id: string,
    callId: string,
    ...user,
    startDateTime: timestamp,
    endDateTime: timestamp,
    duration: bigint,
    charge: double,
    callType: string,
    currency: string,
    calleeNumber: string,
    usageCountryCode: string,
    tenantCountryCode: string,
    connectionCharge: double,
    callerNumber: string,
    destinationContext: string,
    destinationName: string,
    conferenceId: string,
    licenseCapability: string,
    inventoryType: string,
    operator: string,
    callDurationSource: string,
    _archive: archiveInfo,
  }),
  directRoutingCalls: fields({
    id: string,
    correlationId: string,
    ...user,
    startDateTime: timestamp,
    inviteDateTime: timestamp,
    failureDateTime: timestamp,
    endDateTime: timestamp,
    duration: bigint,
    callType: string,
    successfulCall: boolean,
    callerNumber: string,
    calleeNumber: string,
    mediaPathLocation: string,
    signalingLocation: string,
    finalSipCode: bigint,
    callEndSubReason: bigint,
    finalSipCodePhrase: string,
    trunkFullyQualifiedDomainName: string,
    mediaBypassEnabled: boolean,
    _archive: archiveInfo,
  }),
};

/** The views' names: `pstn_calls`, `direct_routing_calls`. */
export const logViewNames: Readonly<Record<LogSourceName, string>> = { pstnCalls: "pstn_calls", directRoutingCalls: "direct_routing_calls" };

/** The partition columns of a log's raw layer: the tenant's folder name (`home`), then the day. */
export const logPartitionColumns = ["tenant", "year", "month", "day"] as const;

/** A log's data files below the archive root: `*.jsonl.gz` of every tenant and day, never a manifest. */
export const logDataGlob = (source: LogSourceName): string => `${logSources[source].archiveRoot}/tenant=*/year=*/month=*/day=*/*.jsonl.gz`;

/** The home tenant's folder value, as the views' `tenant` column shows it. */
export const homeTenant = tenantLabel(undefined);
