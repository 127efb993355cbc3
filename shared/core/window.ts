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

/** `2026-11-27T09:00:00Z–2026-11-27T10:00:00Z`: a window as errors and logs name it. */
export const formatWindow = (window: TimeWindow): string => `${formatInstant(window.startInMs)}–${formatInstant(window.endInMs)}`;

/**
 * An instant as the archiver's own state files write it (formatInstant or toISOString: UTC with
 * `Z`, seconds and milliseconds optional), or undefined for anything else.
 */
export function parseStateInstant(value: unknown): number | undefined {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Compact, sortable, filename-safe: 20261127T0900Z (seconds only when not zero). */
export function compactInstant(ms: number): string {
  // The same few thousand window boundaries are named over and over (job keys in the coverage
  // sweep and the status report); Date formatting was most of their time.
  const known = compactCache.get(ms);
  if (known !== undefined) return known;
  const d = new Date(Math.floor(ms / 1000) * 1000).toISOString(); // 2026-11-27T09:00:00.000Z
  const compact = `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}T${d.slice(11, 13)}${d.slice(14, 16)}`;
  const seconds = d.slice(17, 19);
  const text = seconds === "00" ? `${compact}Z` : `${compact}${seconds}Z`;
  if (compactCache.size >= 100_000) compactCache.clear();
  compactCache.set(ms, text);
  return text;
}
const compactCache = new Map<number, string>();

export const floorTo = (ms: number, stepInMs: number): number => Math.floor(ms / stepInMs) * stepInMs;

/** The UTC day starts from the day holding `fromInMs` up to (not including) `toInMs`. */
export function dayStarts(fromInMs: number, toInMs: number): number[] {
  const days: number[] = [];
  for (let day = floorTo(fromInMs, dayInMs); day < toInMs; day += dayInMs) days.push(day);
  return days;
}
export const ceilTo = (ms: number, stepInMs: number): number => Math.ceil(ms / stepInMs) * stepInMs;

/** The shortest half a split makes. */
export const minimumSplitInMs = 60_000;

/**
 * True when a window can be split into two equal halves of whole seconds, each at least a minute:
 * then every half is aligned to its own length and divides a day, as windows must (job.ts). An
 * hour splits four times, down to 225 s.
 */
export const isSplittable = (window: TimeWindow): boolean => {
  const half = (window.endInMs - window.startInMs) / 2;
  return half % 1000 === 0 && half >= minimumSplitInMs;
};

/**
 * The two halves a window is split into when one harvest cannot finish it: at a whole second. The
 * harvest splits only windows that halve exactly (`isSplittable`); flooring keeps older split
 * manifests readable.
 */
export function splitWindow(window: TimeWindow): [TimeWindow, TimeWindow] {
  const mid = window.startInMs + Math.floor((window.endInMs - window.startInMs) / 2 / 1000) * 1000;
  return [
    { startInMs: window.startInMs, endInMs: mid },
    { startInMs: mid, endInMs: window.endInMs },
  ];
}
