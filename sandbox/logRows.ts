/**
 * The sandbox tenant's telephony logs: PSTN and Direct Routing rows per UTC day, in the shapes of
 * Graph's documented examples (test/fixtures/graph/get-pstn-calls.json and
 * get-direct-routing-calls.json): seven-digit instants, masked numbers, the `0001-01-01T00:00:00Z`
 * sentinel. Seeded, so every machine sees the same rows.
 *
 * What makes them worth archiving with re-reads is here too: rows appear late (most within an hour,
 * some after a day, a few after two to four days), some PSTN rows change once (their charge is
 * rated later), and one row of each log starts exactly at midnight, on the boundary between two
 * days. A share of Direct Routing rows carry a call record's id as `correlationId`.
 */
import type { JsonObject } from "../shared/graph/callRecord.js";
import type { LogSourceName } from "../shared/core/sources.js";
import { dayInMs, hourInMs } from "../shared/core/window.js";
import type { CallGenerator, Person } from "./generator.js";
import { between, hash32, hex, pick, seededRandom } from "./random.js";

export interface LogRow {
  /** Start in 100 ns ticks since the epoch: Graph compares its range at that precision. */
  readonly startTicks: number;
  /** When Graph starts answering it. */
  readonly availableAtInMs: number;
  /** When it changes, if it does, and what it becomes. */
  readonly revised?: { readonly atInMs: number; readonly row: JsonObject };
  readonly row: JsonObject;
}

export const ticksPerMs = 10_000;

const uuid = (random: () => number) => `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;

/** An instant with all seven of Graph's decimals. */
export const tickInstant = (ticks: number): string => {
  const ms = Math.floor(ticks / ticksPerMs);
  const rest = String(ticks % ticksPerMs).padStart(4, "0");
  return new Date(ms).toISOString().replace(/Z$/, `${rest}Z`);
};

const sentinel = "0001-01-01T00:00:00Z";
const countries = [
  { code: "US", name: "United States", currency: "USD", prefix: "+1425" },
  { code: "GB", name: "United Kingdom", currency: "GBP", prefix: "+4420" },
  { code: "DE", name: "Germany", currency: "EUR", prefix: "+4930" },
  { code: "NL", name: "Netherlands", currency: "EUR", prefix: "+3120" },
];
const trunks = ["sbc1.contoso.example", "sbc2.contoso.example", "tll-audiocodes01.adatum.biz"];
const failures = [
  { code: 486, phrase: "Busy Here", subReason: 560486 },
  { code: 487, phrase: "Request Terminated", subReason: 540487 },
  { code: 503, phrase: "Service Unavailable", subReason: 560503 },
  { code: 404, phrase: "Not Found", subReason: 560404 },
];

const number = (random: () => number, prefix: string) => `${prefix}${String(between(random, 1_000_000, 9_999_999))}`;
const masked = (full: string) => `${full.slice(0, -3)}***`;

/** When a row appears: mostly within the hour, a quarter within a day, a few after two to four days. */
function delayOf(random: () => number): number {
  const roll = random();
  if (roll < 0.7) return between(random, 1, 60) * 60_000;
  if (roll < 0.95) return between(random, 1, 24) * hourInMs;
  if (roll < 0.98) return between(random, 24, 44) * hourInMs;
  return between(random, 50, 96) * hourInMs;
}

export function logRowsOfDay(source: LogSourceName, day: number, options: { seed: string; rowsPerDay: number; calls: CallGenerator; people: readonly Person[] }): LogRow[] {
  const random = seededRandom(hash32(`${options.seed}:${source}:${day}`));
  const dayStart = day * dayInMs;
  const rows: LogRow[] = [];
  const calls = source === "directRoutingCalls" ? options.calls.callsOfDay(day) : [];
  for (let i = 0; i < options.rowsPerDay; i += 1) {
    // The first row starts exactly at midnight: a boundary row, every day.
    const correlated = i > 0 && calls.length > 0 && random() < 0.3 ? pick(random, calls) : undefined;
    const startMs = i === 0 ? dayStart : correlated ? Math.max(dayStart, correlated.startInMs) : dayStart + Math.floor(random() * dayInMs);
    const startTicks = startMs * ticksPerMs + (i === 0 ? 0 : between(random, 0, ticksPerMs - 1));
    const seconds = between(random, 5, 1800);
    const endTicks = startTicks + seconds * 1000 * ticksPerMs;
    const person = pick(random, options.people);
    const country = pick(random, countries);
    const user = { userId: person.id, userPrincipalName: person.userPrincipalName, userDisplayName: person.displayName };
    const availableAtInMs = Math.floor(endTicks / ticksPerMs) + delayOf(random);
    if (source === "pstnCalls") {
      const outbound = random() < 0.6;
      const charge = outbound ? Math.round(seconds * 0.0005 * 100) / 100 : 0;
      const row: JsonObject = {
        id: uuid(random),
        callId: `${between(random, 1_000_000_000, 1_999_999_999)}_${between(random, 100_000_000, 199_999_999)}@61.221.3.176`,
        ...user,
        startDateTime: tickInstant(startTicks),
        endDateTime: tickInstant(endTicks),
        duration: seconds,
        charge,
        callType: outbound ? "user_out" : "user_in",
        currency: country.currency,
        calleeNumber: number(random, country.prefix),
        usageCountryCode: country.code,
        tenantCountryCode: "US",
        connectionCharge: 0,
        callerNumber: number(random, "+1425"),
        destinationContext: null,
        destinationName: country.name,
        conferenceId: null,
        licenseCapability: "MCOPSTNU",
        inventoryType: "Subscriber",
        operator: "Microsoft",
        callDurationSource: "microsoft",
      };
      // A tenth of outbound calls are rated later: the row changes once, a few days on.
      const revised = outbound && random() < 0.1 ? { atInMs: availableAtInMs + 3 * dayInMs, row: { ...row, charge: Math.round((charge + 0.05) * 100) / 100, connectionCharge: 0.05 } } : undefined;
      rows.push({ startTicks, availableAtInMs, row, ...(revised ? { revised } : {}) });
    } else {
      const failed = random() < 0.15 ? pick(random, failures) : undefined;
      const inviteTicks = startTicks - between(random, 1, 5) * 1000 * ticksPerMs;
      const row: JsonObject = {
        id: uuid(random),
        correlationId: correlated ? correlated.id : uuid(random),
        ...user,
        startDateTime: tickInstant(startTicks),
        inviteDateTime: tickInstant(inviteTicks),
        failureDateTime: failed ? tickInstant(startTicks + 2000 * ticksPerMs) : sentinel,
        endDateTime: tickInstant(endTicks),
        duration: failed ? 0 : seconds,
        callType: random() < 0.5 ? "ByotIn" : "ByotOut",
        successfulCall: failed === undefined,
        callerNumber: masked(number(random, country.prefix)),
        calleeNumber: masked(number(random, "+1425")),
        mediaPathLocation: "USWE",
        signalingLocation: "EUNO",
        finalSipCode: failed ? failed.code : 0,
        callEndSubReason: failed ? failed.subReason : 540000,
        finalSipCodePhrase: failed ? failed.phrase : "BYE",
        trunkFullyQualifiedDomainName: pick(random, trunks),
        mediaBypassEnabled: random() < 0.3,
      };
      rows.push({ startTicks, availableAtInMs, row });
    }
  }
  return rows.sort((a, b) => a.startTicks - b.startTicks);
}

/** The row as Graph answers it at `nowInMs`, or undefined before it appears. */
export const rowAt = (row: LogRow, nowInMs: number): JsonObject | undefined =>
  nowInMs < row.availableAtInMs ? undefined : row.revised && nowInMs >= row.revised.atInMs ? row.revised.row : row.row;
