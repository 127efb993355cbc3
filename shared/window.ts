/** Half-open UTC time windows [start, end): the unit of harvesting. Pure functions only. */

export interface TimeWindow {
  readonly startInMs: number;
  readonly endInMs: number;
}

export const minuteInMs = 60_000;
export const hourInMs = 60 * minuteInMs;
export const dayInMs = 24 * hourInMs;

/** ISO 8601 UTC with `Z`, without milliseconds when they are zero (as Graph's filters are written). */
export function formatInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

/** Compact, sortable, filename-safe: 20261127T0900Z. */
export function compactInstant(ms: number): string {
  return formatInstant(ms).replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace(/(T\d{4})00Z$/, "$1Z");
}

export const floorTo = (ms: number, stepInMs: number): number => Math.floor(ms / stepInMs) * stepInMs;
export const ceilTo = (ms: number, stepInMs: number): number => Math.ceil(ms / stepInMs) * stepInMs;

export const windowLength = (w: TimeWindow): number => w.endInMs - w.startInMs;
