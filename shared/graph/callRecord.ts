/**
 * The call record as Graph returns it. The archiver keeps Graph's document whole; these types name
 * only the fields it reads, and validation checks only what the archiver relies on.
 */
import { GraphResponseError } from "../core/errors.js";

export type JsonObject = { [key: string]: unknown };

/** A record from the list endpoint: no sessions, no participants, but id, version and times. */
export interface CallRecordSummary extends JsonObject {
  id: string;
  version: number;
  startDateTime: string;
}

/** A record with every session (and their segments) and every participant merged in. */
export interface CallRecordDocument extends CallRecordSummary {
  sessions?: JsonObject[];
  participants_v2?: JsonObject[];
}

export interface ODataPage {
  readonly value: JsonObject[];
  readonly nextLink: string | undefined;
}

export const isJsonObject = (v: unknown): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function parseJsonObject(body: string, url: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new GraphResponseError("Graph answered with a body that is not JSON", url);
  }
  if (!isJsonObject(parsed)) throw new GraphResponseError("Graph answered with JSON that is not an object", url);
  return parsed;
}

/** A collection page: `value` must be an array of objects; `@odata.nextLink`, if present, a string. */
export function parsePage(body: JsonObject, url: string, valueKey = "value", nextLinkKey = "@odata.nextLink"): ODataPage {
  const value = body[valueKey];
  if (!Array.isArray(value) || !value.every(isJsonObject)) {
    throw new GraphResponseError(`"${valueKey}" is missing or not an array of objects`, url);
  }
  return { value, nextLink: readNextLink(body, nextLinkKey, url) };
}

export function readNextLink(body: JsonObject, key: string, url: string): string | undefined {
  const link = body[key];
  if (link === undefined || link === null) return undefined;
  if (typeof link !== "string" || link === "") throw new GraphResponseError(`"${key}" is not a URL string`, url);
  return link;
}

export function assertSummary(record: JsonObject, url: string): asserts record is CallRecordSummary {
  const { id, version, startDateTime } = record;
  if (typeof id !== "string" || id === "") throw new GraphResponseError("a call record has no string id", url);
  if (typeof version !== "number" || !Number.isSafeInteger(version)) {
    throw new GraphResponseError(`call record ${id} has no integer version`, url);
  }
  if (typeof startDateTime !== "string" || Number.isNaN(Date.parse(startDateTime))) {
    throw new GraphResponseError(`call record ${id} has no valid startDateTime`, url);
  }
}

const pagingAnnotation = /@odata\.(context|nextLink|count|deltaLink)$/;

/** Drops OData paging and context annotations: they describe a response, not the record. */
export function withoutPagingAnnotations<T extends JsonObject>(record: T): T {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    if (!pagingAnnotation.test(key)) out[key] = value;
  }
  return out as T;
}
