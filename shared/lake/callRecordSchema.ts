/**
 * One description of an archived call record, every nested level, from which each engine's schema
 * is derived (engineSchemas.ts). Types are chosen for what Graph really sends, not for what the
 * first files happen to hold: ids are strings (a participant id may be a phone number), rates are
 * doubles (0 in one file, 0.0123 in the next), timestamps keep Graph's 7 fractional digits, and
 * durations stay ISO-8601 text beside a parsed number of seconds in the views.
 *
 * A field Graph adds later is not lost: the archive line is kept whole, and every view carries it
 * as `raw` JSON. Add it here to give it a typed column.
 */
import { archiveRoot } from "../archive/archiveLayout.js";

export type FieldType =
  | { readonly kind: "string" }
  | { readonly kind: "bigint" }
  | { readonly kind: "double" }
  | { readonly kind: "boolean" }
  /** ISO-8601 UTC instant with up to 7 fractional digits (100 ns). */
  | { readonly kind: "timestamp" }
  /** ISO-8601 duration such as PT0.045S. */
  | { readonly kind: "duration" }
  | { readonly kind: "struct"; readonly fields: readonly Field[] }
  | { readonly kind: "list"; readonly of: FieldType };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
}

const string: FieldType = { kind: "string" };
const bigint: FieldType = { kind: "bigint" };
const double: FieldType = { kind: "double" };
const boolean: FieldType = { kind: "boolean" };
const timestamp: FieldType = { kind: "timestamp" };
const duration: FieldType = { kind: "duration" };
const struct = (fields: Record<string, FieldType>): FieldType => ({ kind: "struct", fields: Object.entries(fields).map(([name, type]) => ({ name, type })) });
const list = (of: FieldType): FieldType => ({ kind: "list", of });

const identity = struct({ id: string, displayName: string, tenantId: string });
const userIdentity = struct({ id: string, displayName: string, tenantId: string, userPrincipalName: string });

/** Graph's communicationsIdentitySet: one of these is set, by who the party is. */
/**
 * Every kind of identity Graph documents in an identity set (`communicationsIdentitySet` and the
 * callRecords identity types), in the order a participant's kind is picked when several are set.
 */
export const identityKinds = [
  "user",
  "guest",
  "phone",
  "acsUser",
  "spoolUser",
  "azureCommunicationServicesUser",
  "application",
  "applicationInstance",
  "acsApplicationInstance",
  "spoolApplicationInstance",
  "assertedIdentity",
  "device",
  "encrypted",
  "onPremises",
] as const;
const identitySet = struct(Object.fromEntries(identityKinds.map((kind) => [kind, kind === "user" ? userIdentity : identity])));

const endpoint = struct({
  // #microsoft.graph.callRecords.participantEndpoint or …serviceEndpoint: who or what the leg ends at.
  "@odata.type": string,
  name: string,
  cpuName: string,
  cpuCoresCount: bigint,
  cpuProcessorSpeedInMhz: bigint,
  // role is set on a service endpoint's serviceUserAgent (a conferencing server, a voicemail, …).
  userAgent: struct({ headerValue: string, applicationVersion: string, platform: string, productFamily: string, role: string }),
  associatedIdentity: userIdentity,
  // What Graph sent before 2026-06-30, when associatedIdentity replaced it: older archives hold it.
  identity: identitySet,
  feedback: struct({ rating: string, text: string }),
});

const failureInfo = struct({ stage: string, reason: string });

const device = struct({ captureDeviceName: string, renderDeviceName: string, receivedSignalLevel: bigint, sentSignalLevel: bigint });

const network = struct({
  ipAddress: string,
  subnet: string,
  linkSpeed: bigint,
  connectionType: string,
  wifiBand: string,
  bandwidthLowEventRatio: double,
  delayEventRatio: double,
  sentQualityEventRatio: double,
  receivedQualityEventRatio: double,
});

/** Graph's mediaStream, every documented field (audio, video and screen sharing). */
export const streamFields = {
  streamId: string,
  streamDirection: string,
  startDateTime: timestamp,
  endDateTime: timestamp,
  audioCodec: string,
  videoCodec: string,
  averageAudioDegradation: double,
  averageJitter: duration,
  maxJitter: duration,
  averagePacketLossRate: double,
  maxPacketLossRate: double,
  postForwardErrorCorrectionPacketLossRate: double,
  averageRatioOfConcealedSamples: double,
  maxRatioOfConcealedSamples: double,
  averageRoundTripTime: duration,
  maxRoundTripTime: duration,
  packetUtilization: bigint,
  averageBandwidthEstimate: bigint,
  averageAudioNetworkJitter: duration,
  maxAudioNetworkJitter: duration,
  averageVideoFrameRate: double,
  averageReceivedFrameRate: double,
  averageVideoFrameLossPercentage: double,
  averageVideoPacketLossRate: double,
  lowFrameRateRatio: double,
  lowVideoProcessingCapabilityRatio: double,
  averageFreezeDuration: duration,
  rmsFreezeDuration: duration,
  isAudioForwardErrorCorrectionUsed: boolean,
  wasMediaBypassed: boolean,
} as const;

const segment = struct({
  id: string,
  startDateTime: timestamp,
  endDateTime: timestamp,
  caller: endpoint,
  callee: endpoint,
  failureInfo,
  media: list(
    struct({
      label: string,
      callerDevice: device,
      calleeDevice: device,
      callerNetwork: network,
      calleeNetwork: network,
      streams: list(struct(streamFields)),
    }),
  ),
});

const session = struct({
  id: string,
  modalities: list(string),
  startDateTime: timestamp,
  endDateTime: timestamp,
  isTest: boolean,
  caller: endpoint,
  callee: endpoint,
  failureInfo,
  segments: list(segment),
});

/** The archiver's own field on every line (shared/pipeline/harvest/harvest.ts writes it). */
const archiveInfo = struct({
  harvestedAt: timestamp,
  window: struct({ start: timestamp, end: timestamp }),
  pass: bigint,
  cloud: string,
  participantsListed: boolean,
  // Set on a record archived as far as it could be read (a paging loop, an answer over the cap, a
  // record that kept failing): a later pass reads it again, and a complete line of the same
  // version is preferred over it.
  incomplete: struct({ reason: string, list: string, pagesRead: bigint }),
});

/** An archive line: the call record as Graph returned it, completed, plus `_archive`. */
export const callRecordFields: readonly Field[] = (
  struct({
    id: string,
    version: bigint,
    type: string,
    modalities: list(string),
    lastModifiedDateTime: timestamp,
    startDateTime: timestamp,
    endDateTime: timestamp,
    joinWebUrl: string,
    organizer_v2: struct({ id: string, identity: identitySet }),
    // Before 2026-06-30: the organizer as an identity set (older archives hold it).
    organizer: identitySet,
    sessions: list(session),
    participants_v2: list(struct({ id: string, identity: identitySet })),
    // Before 2026-06-30: identity sets without an id of their own (older archives hold these).
    participants: list(identitySet),
    _archive: archiveInfo,
  }) as { fields: readonly Field[] }
).fields;

/** The Hive partition columns of the raw layer, all integers (`hour=09` is 9, not the text "09"). */
export const partitionColumns = ["year", "month", "day", "hour"] as const;

/**
 * The data files of the raw layer below the archive root: only `*.jsonl.gz` below `hour=`, so
 * manifests (`_…manifest.json`) and day markers (`day=DD/_SUCCESS.json`) never match.
 */
export const rawDataGlob = `${archiveRoot}/year=*/month=*/day=*/hour=*/*.jsonl.gz`;

/**
 * The other tenants' data files (core/tenants.ts): the same below a `tenant=<id>` folder. The home
 * tenant's glob above never matches them (`year=` must follow the root).
 */
export const tenantsDataGlob = `${archiveRoot}/tenant=*/year=*/month=*/day=*/hour=*/*.jsonl.gz`;

/** The views' tenant column: `home` for the deployment's own tenant, else the tenant's id. */
export const tenantColumn = "tenant_id";
