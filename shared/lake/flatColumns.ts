/**
 * The flat columns that the views and the curated tables both give, described once: a name, the
 * path to its value inside the archived JSON, and the coercion rule (coercion.ts) that types it.
 * duckdbViews.ts, synapseViews.ts and curatedTables.ts each render this list in their own
 * language, so a column added here reaches all three with the same name, value and type.
 */
import { type FieldType, streamFields } from "./callRecordSchema.js";

/** How a value is typed; `seconds` reads an ISO-8601 duration as a number of seconds. */
export type FlatRule = "text" | "integer" | "double" | "boolean" | "timestamp" | "seconds";

export interface FlatColumn {
  readonly name: string;
  /** Keys from the level the column is read at (a session, a segment, a stream). */
  readonly path: readonly string[];
  readonly rule: FlatRule;
}

export const ruleOf = (type: FieldType): FlatRule => {
  switch (type.kind) {
    case "bigint":
      return "integer";
    case "double":
      return "double";
    case "boolean":
      return "boolean";
    case "timestamp":
      return "timestamp";
    case "duration":
      return "seconds";
    default:
      return "text";
  }
};

/**
 * A session's or segment's caller or callee, flattened: what kind of endpoint it is, the client it
 * ran (or the service's role), its machine and the user's feedback.
 */
export const endpointColumns = (side: "caller" | "callee"): FlatColumn[] => [
  { name: `${side}EndpointType`, path: [side, "@odata.type"], rule: "text" },
  { name: `${side}Name`, path: [side, "name"], rule: "text" },
  { name: `${side}Platform`, path: [side, "userAgent", "platform"], rule: "text" },
  { name: `${side}ProductFamily`, path: [side, "userAgent", "productFamily"], rule: "text" },
  { name: `${side}ApplicationVersion`, path: [side, "userAgent", "applicationVersion"], rule: "text" },
  { name: `${side}ServiceRole`, path: [side, "userAgent", "role"], rule: "text" },
  { name: `${side}CpuName`, path: [side, "cpuName"], rule: "text" },
  { name: `${side}CpuCoresCount`, path: [side, "cpuCoresCount"], rule: "integer" },
  { name: `${side}CpuProcessorSpeedInMhz`, path: [side, "cpuProcessorSpeedInMhz"], rule: "integer" },
  { name: `${side}FeedbackRating`, path: [side, "feedback", "rating"], rule: "text" },
  { name: `${side}FeedbackText`, path: [side, "feedback", "text"], rule: "text" },
];

/** A leg (session or segment): its span, both endpoints and how it failed. */
export const legColumns: readonly FlatColumn[] = [
  { name: "startDateTime", path: ["startDateTime"], rule: "timestamp" },
  { name: "endDateTime", path: ["endDateTime"], rule: "timestamp" },
  ...endpointColumns("caller"),
  ...endpointColumns("callee"),
  { name: "failureStage", path: ["failureInfo", "stage"], rule: "text" },
  { name: "failureReason", path: ["failureInfo", "reason"], rule: "text" },
];

/** A media stream: every documented field; a duration as `…Seconds`. */
export const streamColumns: readonly FlatColumn[] = Object.entries(streamFields).map(([name, type]) => {
  const rule = ruleOf(type);
  return { name: rule === "seconds" ? `${name}Seconds` : name, path: [name], rule };
});
