/**
 * The curated layer's five tables: flat, typed columns (Synapse serverless and Spark read them
 * without JSON functions), and how one archive line becomes rows of each. Timestamps are
 * microseconds since the epoch (Parquet TIMESTAMP_MICROS, which Spark and Synapse read; nanosecond
 * timestamps they do not): Graph's 7th fractional digit stays in the raw layer. Durations are
 * seconds. A test compares every table with lake/duckdb/views.sql over the same day, so the two
 * flattenings cannot drift apart.
 */
import { identityKinds, streamFields } from "./callRecordSchema.js";

export type CuratedTableName = "calls" | "sessions" | "segments" | "streams" | "participants";
export type CuratedType = "string" | "int" | "bigint" | "double" | "boolean" | "timestamp";
export type CuratedValue = string | number | bigint | boolean | null;

export interface CuratedColumn {
  readonly name: string;
  readonly type: CuratedType;
}

export interface CuratedTable {
  readonly name: CuratedTableName;
  readonly columns: readonly CuratedColumn[];
  /** The table's rows from one archive line, values in column order. */
  rowsOf(line: Json, hour: number): Iterable<CuratedValue[]>;
}

type Json = Readonly<Record<string, unknown>>;
const object = (value: unknown): Json => (value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {});
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.map(object) : []);
const text = (value: unknown): string | null => (typeof value === "string" ? value : null);
const double = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
const int = (value: unknown): number | null => (typeof value === "number" && Number.isInteger(value) ? value : null);
const bigint = (value: unknown): bigint | null => (typeof value === "number" && Number.isInteger(value) ? BigInt(value) : null);
const flag = (value: unknown): boolean | null => (typeof value === "boolean" ? value : null);

/** Graph's instant text in 100-nanosecond ticks since the epoch, all 7 fractional digits kept. */
export function instantTicks(value: unknown): bigint | null {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return null;
  const sub = /\.\d{3}(\d{0,4})\d*Z$/.exec(value)?.[1] ?? "";
  return BigInt(ms) * 10_000n + BigInt(sub.padEnd(4, "0"));
}

/** Graph's instant text to microseconds since the epoch (the 7th digit dropped, toward the past), or null. */
export function instantMicros(value: unknown): bigint | null {
  const ticks = instantTicks(value);
  if (ticks === null) return null;
  // BigInt division truncates toward zero; an instant before 1970 still drops toward the past.
  return ticks >= 0n ? ticks / 10n : -((-ticks + 9n) / 10n);
}

/** Seconds between two of Graph's instants, to its 100 ns (not the timestamp columns' microseconds). */
const secondsBetween = (start: unknown, end: unknown): number | null => {
  const a = instantTicks(start);
  const b = instantTicks(end);
  return a !== null && b !== null ? Number(b - a) / 1e7 : null;
};

/** ISO-8601 duration (PT0.045S, PT1M2.5S, P1DT2H) to seconds, or null. */
export function durationSeconds(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const parts = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  if (!parts) return null;
  const [days, hours, minutes, seconds] = parts.slice(1).map((p) => Number(p ?? 0)) as [number, number, number, number];
  return days * 86_400 + hours * 3600 + minutes * 60 + seconds;
}

const identityKind = (identity: Json): string | null => identityKinds.find((kind) => identity[kind] !== null && identity[kind] !== undefined) ?? null;

/**
 * A field of an identity set: the first kind, in `identityKinds` order, that has it. The same rule
 * as the views' COALESCE over the kinds, so a user with no name beside a named phone reads alike.
 */
const identityField = (identity: Json, field: string): string | null => {
  for (const kind of identityKinds) {
    const value = text(object(identity[kind])[field]);
    if (value !== null) return value;
  }
  return null;
};

const endpointColumns = (side: "caller" | "callee"): CuratedColumn[] => [
  { name: `${side}Platform`, type: "string" },
  { name: `${side}ProductFamily`, type: "string" },
  { name: `${side}UserId`, type: "string" },
];
const endpointValues = (endpoint: unknown): CuratedValue[] => {
  const e = object(endpoint);
  // associatedIdentity since 2026-06-30; before, the endpoint's identity set (older archives).
  return [text(object(e.userAgent).platform), text(object(e.userAgent).productFamily), text(object(e.associatedIdentity).id) ?? identityField(object(e.identity), "id")];
};
const failureValues = (failure: unknown): CuratedValue[] => [text(object(failure).stage), text(object(failure).reason)];

/** Columns from a name → type list, in order. */
const columns = (spec: Readonly<Record<string, CuratedType>>): CuratedColumn[] => Object.entries(spec).map(([name, type]) => ({ name, type }));

const hourColumn: CuratedColumn = { name: "hour", type: "int" };

/** What sessions and segments both have: a span, two endpoints, and how it failed. */
const legColumns: CuratedColumn[] = [
  { name: "startDateTime", type: "timestamp" },
  { name: "endDateTime", type: "timestamp" },
  ...endpointColumns("caller"),
  ...endpointColumns("callee"),
  { name: "failureStage", type: "string" },
  { name: "failureReason", type: "string" },
];
const legValues = (leg: Json): CuratedValue[] => [
  instantMicros(leg.startDateTime),
  instantMicros(leg.endDateTime),
  ...endpointValues(leg.caller),
  ...endpointValues(leg.callee),
  ...failureValues(leg.failureInfo),
];
/** A stream field's curated column and how its value is read, by the field's kind in the schema. */
const streamColumn = (name: string, kind: string): { column: CuratedColumn; read: (value: unknown) => CuratedValue } => {
  switch (kind) {
    case "duration":
      return { column: { name: `${name}Seconds`, type: "double" }, read: durationSeconds };
    case "bigint":
      return { column: { name, type: "bigint" }, read: bigint };
    case "double":
      return { column: { name, type: "double" }, read: double };
    case "boolean":
      return { column: { name, type: "boolean" }, read: flag };
    default:
      return { column: { name, type: "string" }, read: text };
  }
};
const streamReaders = Object.entries(streamFields).map(([name, type]) => ({ name, ...streamColumn(name, type.kind) }));
const streamColumns: CuratedColumn[] = streamReaders.map((r) => r.column);
const streamValues = (stream: Json): CuratedValue[] => streamReaders.map((r) => r.read(stream[r.name]));

export const curatedTables: readonly CuratedTable[] = [
  {
    name: "calls",
    columns: [
      ...columns({
        callId: "string",
        callVersion: "bigint",
        type: "string",
        modalities: "string",
        startDateTime: "timestamp",
        endDateTime: "timestamp",
        lastModifiedDateTime: "timestamp",
        durationSeconds: "double",
        joinWebUrl: "string",
        organizerId: "string",
        organizerKind: "string",
        sessionCount: "int",
        participantCount: "int",
        archivePass: "int",
      }),
      hourColumn,
    ],
    *rowsOf(line, hour) {
      const organizer = object(line.organizer_v2);
      const start = instantMicros(line.startDateTime);
      const end = instantMicros(line.endDateTime);
      yield [
        text(line.id),
        bigint(line.version),
        text(line.type),
        Array.isArray(line.modalities) ? line.modalities.join(",") : null,
        start,
        end,
        instantMicros(line.lastModifiedDateTime),
        secondsBetween(line.startDateTime, line.endDateTime),
        text(line.joinWebUrl),
        text(organizer.id),
        identityKind(object(organizer.identity)),
        list(line.sessions).length,
        list(line.participants_v2).length,
        int(object(line._archive).pass),
        hour,
      ];
    },
  },
  {
    name: "sessions",
    columns: [...columns({ callId: "string", sessionId: "string", isTest: "boolean" }), ...legColumns, hourColumn],
    *rowsOf(line, hour) {
      for (const s of list(line.sessions)) yield [text(line.id), text(s.id), flag(s.isTest), ...legValues(s), hour];
    },
  },
  {
    name: "segments",
    columns: [...columns({ callId: "string", sessionId: "string", segmentId: "string" }), ...legColumns, hourColumn],
    *rowsOf(line, hour) {
      for (const s of list(line.sessions)) for (const g of list(s.segments)) yield [text(line.id), text(s.id), text(g.id), ...legValues(g), hour];
    },
  },
  {
    name: "streams",
    columns: [
      ...columns({ callId: "string", sessionId: "string", segmentId: "string", mediaLabel: "string" }),
      ...streamColumns,
      hourColumn,
    ],
    *rowsOf(line, hour) {
      for (const s of list(line.sessions)) {
        for (const g of list(s.segments)) {
          for (const m of list(g.media)) {
            for (const st of list(m.streams)) yield [text(line.id), text(s.id), text(g.id), text(m.label), ...streamValues(st), hour];
          }
        }
      }
    },
  },
  {
    name: "participants",
    columns: [...columns({ callId: "string", participantId: "string", kind: "string", displayName: "string", tenantId: "string", userPrincipalName: "string" }), hourColumn],
    *rowsOf(line, hour) {
      // Records archived before 2026-06-30: a participants list of identity sets, without ids.
      const participants = Array.isArray(line.participants_v2)
        ? list(line.participants_v2)
        : list(line.participants).map((set) => ({ id: identityField(object(set), "id"), identity: set }));
      for (const p of participants) {
        const identity = object(p.identity);
        yield [text(line.id), text(p.id), identityKind(identity), identityField(identity, "displayName"), identityField(identity, "tenantId"), text(object(identity.user).userPrincipalName), hour];
      }
    },
  },
];
