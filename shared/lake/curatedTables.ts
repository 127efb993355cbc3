/**
 * The curated layer's five tables: flat, typed columns (Synapse serverless and Spark read them
 * without JSON functions), and how one archive line becomes rows of each. Timestamps are
 * microseconds since the epoch (Parquet TIMESTAMP_MICROS, which Spark and Synapse read; nanosecond
 * timestamps they do not): Graph's 7th fractional digit stays in the raw layer. Durations are
 * seconds. A test compares every table with lake/duckdb/views.sql over the same day, so the two
 * flattenings cannot drift apart.
 */
import { identityKinds } from "./callRecordSchema.js";
import { asBoolean, asDouble, asDurationSeconds, asInstantTicks, asInteger, asText } from "./coercion.js";
import { type FlatColumn, type FlatRule, legColumns, streamColumns } from "./flatColumns.js";

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
const int = (value: unknown): number | null => {
  const n = asInteger(value);
  return n !== null && n >= -(2n ** 31n) && n < 2n ** 31n ? Number(n) : null;
};

/** Graph's instant text in 100-nanosecond ticks since the epoch (coercion.ts has the rule). */
export const instantTicks = asInstantTicks;

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
export const durationSeconds = asDurationSeconds;

const identityKind = (identity: Json): string | null => identityKinds.find((kind) => identity[kind] !== null && identity[kind] !== undefined) ?? null;

/**
 * A field of an identity set: the first kind, in `identityKinds` order, that has it. The same rule
 * as the views' COALESCE over the kinds, so a user with no name beside a named phone reads alike.
 */
const identityField = (identity: Json, field: string): string | null => {
  for (const kind of identityKinds) {
    const value = asText(object(identity[kind])[field]);
    if (value !== null) return value;
  }
  return null;
};

/** The column type each coercion rule gives (a duration's seconds are a double). */
export const curatedTypeOf: Readonly<Record<FlatRule, CuratedType>> = {
  text: "string",
  integer: "bigint",
  double: "double",
  boolean: "boolean",
  timestamp: "timestamp",
  seconds: "double",
};
export const readers: Readonly<Record<FlatRule, (value: unknown) => CuratedValue>> = {
  text: asText,
  integer: asInteger,
  double: asDouble,
  boolean: asBoolean,
  timestamp: instantMicros,
  seconds: asDurationSeconds,
};

const at = (level: Json, path: readonly string[]): unknown => path.reduce<unknown>((value, key) => object(value)[key], level);
const flat = (spec: readonly FlatColumn[]) => ({
  columns: spec.map((c): CuratedColumn => ({ name: c.name, type: curatedTypeOf[c.rule] })),
  values: (level: Json): CuratedValue[] => spec.map((c) => readers[c.rule](at(level, c.path))),
});

/** The user at an endpoint: associatedIdentity since 2026-06-30; before, the endpoint's identity set. */
const endpointUser = (endpoint: unknown): { id: string | null; identity: Json } => {
  const e = object(endpoint);
  const associated = object(e.associatedIdentity);
  if (asText(associated.id) !== null) return { id: asText(associated.id), identity: { user: associated } };
  const set = object(e.identity);
  return { id: identityField(set, "id"), identity: set };
};

/** Columns from a name → type list, in order. */
const columns = (spec: Readonly<Record<string, CuratedType>>): CuratedColumn[] => Object.entries(spec).map(([name, type]) => ({ name, type }));

const hourColumn: CuratedColumn = { name: "hour", type: "int" };

const leg = flat(legColumns);
const legUsers: CuratedColumn[] = columns({ callerUserId: "string", calleeUserId: "string" });
const legValues = (l: Json): CuratedValue[] => [...leg.values(l), endpointUser(l.caller).id, endpointUser(l.callee).id];
const stream = flat(streamColumns);

export type ParticipantSource = "participants_v2" | "participants" | "sessions";

/**
 * Who took part: Graph's participants_v2 list (before 2026-06-30, its participants list of identity
 * sets), then anyone a session names as caller or callee whom the list lacks. Graph documents that
 * participants_v2 can be incomplete; its callRecords FAQ rebuilds the list from the sessions.
 */
export function participantsOf(line: Json): { id: string | null; identity: Json; source: ParticipantSource }[] {
  const listed = Array.isArray(line.participants_v2)
    ? list(line.participants_v2).map((p) => ({ id: asText(p.id), identity: object(p.identity), source: "participants_v2" as const }))
    : list(line.participants).map((set) => ({ id: identityField(set, "id"), identity: set, source: "participants" as const }));
  const seen = new Set(listed.map((p) => p.id).filter((id) => id !== null));
  const fromSessions = [];
  for (const s of list(line.sessions)) {
    for (const endpoint of [s.caller, s.callee]) {
      const user = endpointUser(endpoint);
      if (user.id === null || seen.has(user.id)) continue;
      seen.add(user.id);
      fromSessions.push({ id: user.id, identity: user.identity, source: "sessions" as const });
    }
  }
  return [...listed, ...fromSessions];
}

/**
 * Which line of a call the curated tables keep: the latest version; of one version, a complete
 * line before an incomplete one; then the latest pass (as the views' callrecords_latest orders).
 */
export const lineRank = (line: Json, pass: number): number =>
  Number(line.version) * 2000 + (object(line._archive).incomplete === undefined ? 1000 : 0) + pass;

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
        // Why the call was archived incomplete (pagingLoop, answerTooLarge, recordFailing); NULL: complete.
        incompleteReason: "string",
      }),
      hourColumn,
    ],
    *rowsOf(line, hour) {
      // organizer_v2 since 2026-06-30; before, an organizer identity set (older archives).
      const organizer = line.organizer_v2 ? object(object(line.organizer_v2).identity) : object(line.organizer);
      const organizerId = line.organizer_v2 ? asText(object(line.organizer_v2).id) : identityField(organizer, "id");
      yield [
        asText(line.id),
        asInteger(line.version),
        asText(line.type),
        Array.isArray(line.modalities) ? line.modalities.join(",") : null,
        instantMicros(line.startDateTime),
        instantMicros(line.endDateTime),
        instantMicros(line.lastModifiedDateTime),
        secondsBetween(line.startDateTime, line.endDateTime),
        asText(line.joinWebUrl),
        organizerId,
        identityKind(organizer),
        list(line.sessions).length,
        // As Graph listed them; the participants table adds those only the sessions name.
        list(Array.isArray(line.participants_v2) ? line.participants_v2 : line.participants).length,
        int(object(line._archive).pass),
        asText(object(object(line._archive).incomplete).reason),
        hour,
      ];
    },
  },
  {
    name: "sessions",
    columns: [...columns({ callId: "string", sessionId: "string", isTest: "boolean" }), ...leg.columns, ...legUsers, hourColumn],
    *rowsOf(line, hour) {
      for (const s of list(line.sessions)) yield [asText(line.id), asText(s.id), asBoolean(s.isTest), ...legValues(s), hour];
    },
  },
  {
    name: "segments",
    columns: [...columns({ callId: "string", sessionId: "string", segmentId: "string" }), ...leg.columns, ...legUsers, hourColumn],
    *rowsOf(line, hour) {
      for (const s of list(line.sessions)) for (const g of list(s.segments)) yield [asText(line.id), asText(s.id), asText(g.id), ...legValues(g), hour];
    },
  },
  {
    name: "streams",
    columns: [...columns({ callId: "string", sessionId: "string", segmentId: "string", mediaLabel: "string" }), ...stream.columns, hourColumn],
    *rowsOf(line, hour) {
      for (const s of list(line.sessions)) {
        for (const g of list(s.segments)) {
          for (const m of list(g.media)) {
            for (const st of list(m.streams)) yield [asText(line.id), asText(s.id), asText(g.id), asText(m.label), ...stream.values(st), hour];
          }
        }
      }
    },
  },
  {
    name: "participants",
    columns: [
      ...columns({ callId: "string", participantId: "string", kind: "string", displayName: "string", tenantId: "string", userPrincipalName: "string", source: "string" }),
      hourColumn,
    ],
    *rowsOf(line, hour) {
      for (const p of participantsOf(line)) {
        const i = p.identity;
        yield [asText(line.id), p.id, identityKind(i), identityField(i, "displayName"), identityField(i, "tenantId"), asText(object(i.user).userPrincipalName), p.source, hour];
      }
    },
  },
];
