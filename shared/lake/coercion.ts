/**
 * The one rule by which a JSON value becomes a typed column, in the curated writer (these
 * functions), the DuckDB views (json_transform and iso_duration_seconds) and the Synapse views
 * (synapseCoercion in synapseViews.ts). test/lake/coercion.test.ts runs the odd inputs Graph's
 * documents and past archives hold through DuckDB and these functions and requires equal answers.
 *
 * - text: a string as is; a number given for an id is its decimal text ("123"); true/false as text.
 * - double: a number, or a string holding one ("0.01", "1e3"); anything else NULL.
 * - integer: as double, then the nearest integer, ties to even (DuckDB's cast of a JSON number);
 *   a fractional bandwidth estimate is rounded, not dropped.
 * - boolean: true/false, the strings "true"/"false" (any case), and numbers or numeric strings (0 is false).
 * - instant: ISO-8601 with Z or an offset, to UTC at 100 ns; outside 1678-2261 (what a nanosecond
 *   timestamp holds) NULL, so .NET's "not set" 0001-01-01T00:00:00Z is NULL everywhere.
 * - duration: every xsd:duration form Graph writes, P[nD][T[nH][nM][nS]] (PT1H, P1DT2H, PT0.016S),
 *   to seconds; anything else NULL.
 */
const numberText = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

export function asText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  return null;
}

export function asDouble(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && numberText.test(value)) return Number(value);
  return null;
}

/** Nearest integer, ties to even: 2.5 → 2, 3.5 → 4, -1.5 → -2. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

export function asInteger(value: unknown): bigint | null {
  // Integers given as digits keep every digit (a BIGINT above 2^53 is not routed through a double).
  if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) return BigInt(value.trim());
  const x = asDouble(value);
  if (x === null) return null;
  const n = roundHalfEven(x);
  return Math.abs(n) < 2 ** 63 ? BigInt(n) : null;
}

export function asBoolean(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value !== 0 : null;
  if (typeof value !== "string") return null;
  const v = value.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  const x = asDouble(value);
  return x === null ? null : x !== 0;
}

const instantText = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;
const earliestYear = 1678;
const latestYear = 2261;

/** An ISO-8601 instant in 100-nanosecond ticks since the epoch (UTC), 7 fractional digits kept. */
export function asInstantTicks(value: unknown): bigint | null {
  if (typeof value !== "string") return null;
  const m = instantText.exec(value);
  if (!m) return null;
  const [, year, month, day, hour, minute, second, fraction = "", zone] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  if (Number(year) < earliestYear || Number(year) > latestYear) return null;
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${zone}`);
  if (!Number.isFinite(ms)) return null;
  return BigInt(ms) * 10_000n + BigInt(fraction.slice(0, 7).padEnd(7, "0"));
}

const durationText = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** An ISO-8601 duration (PT0.045S, PT1M2.5S, PT1H, P1DT2H) in seconds. */
export function asDurationSeconds(value: unknown): number | null {
  if (typeof value !== "string") return null;
  const parts = durationText.exec(value);
  if (!parts || value === "P" || value.endsWith("T")) return null;
  const [days, hours, minutes, seconds] = parts.slice(1).map((p) => Number(p ?? 0)) as [number, number, number, number];
  return days * 86_400 + hours * 3600 + minutes * 60 + seconds;
}
