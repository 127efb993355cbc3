/**
 * A seeded generator of realistic call records: peer-to-peer and group calls, PSTN organizers,
 * large meetings (more than 60 sessions and 130 participants), segments with media and streams,
 * unicode names, and a business-hours rhythm. Shaped like Graph's answers where they trip up
 * readers of the lake: timestamps with 7 fractional digits, packet-loss rates that are mostly 0
 * and sometimes fractional, phone-number and guest participants, and a stream field that only
 * later versions of a record carry. Deterministic in (seed, day): any day can be
 * regenerated at any time, so the sandbox needs no storage.
 */
import type { JsonObject } from "../shared/graph/callRecord.js";
import { dayInMs, hourInMs, minuteInMs } from "../shared/core/window.js";
import { between, hash32, hex, pick, seededRandom } from "./random.js";

export interface GeneratorOptions {
  readonly seed: string;
  readonly callsPerDay: number;
  /** Share of calls that are large meetings (> 60 sessions, > 130 participants). */
  readonly largeMeetingShare: number;
  /** Delay after a call ends before its first version is listable. */
  readonly availabilityDelayInMs: number;
  /** Extra calls, `calls` starting in each of `hours` consecutive hours (default 1): big windows, for memory benches. */
  readonly burst?: { readonly hourStartInMs: number; readonly calls: number; readonly hours?: number } | undefined;
  /** One meeting of this many sessions starting at this instant (a big record). */
  readonly giantMeeting?: { readonly startInMs: number; readonly sessions: number } | undefined;
}

export interface Person {
  readonly id: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
}

export interface CallVersion {
  readonly version: number;
  readonly availableAtInMs: number;
}

export interface SandboxCall {
  readonly id: string;
  readonly startInMs: number;
  readonly endInMs: number;
  readonly kind: "peerToPeer" | "groupCall" | "pstn" | "largeMeeting";
  readonly organizer: Person | { readonly phone: string };
  readonly participants: readonly Person[];
  readonly sessionCount: number;
  readonly versions: readonly CallVersion[];
}

export const sandboxTenantId = "5f1c9a4e-3b2d-4c6e-9a8b-7d6e5f4c3b2a";

const givenNames = ["Abbie", "Owen", "Zoë", "Ångström", "李", "Οδυσσέας", "محمد", "Siobhán", "José", "Ngozi", "Mateo", "Yuki", "Łukasz", "Priya", "Søren", "Amélie"];
const familyNames = ["Wilkins", "Franklin", "Ó Briain", "Müller", "雷", "Παπαδόπουλος", "Al-Farsi", "Nakamura", "Kowalski", "Ndiaye", "García", "Østergaard", "Dubois", "Sharma"];
const platforms = [
  { platform: "windows", productFamily: "teams", headerValue: "Teams/24193.1805.3040.8975 (Windows 11)" },
  { platform: "macOS", productFamily: "teams", headerValue: "Teams/24193.1805.3040.8975 (macOS 14.5)" },
  { platform: "android", productFamily: "teams", headerValue: "Teams/1416/1.0.0.2024 (Android 14)" },
  { platform: "iOS", productFamily: "teams", headerValue: "Teams/6.14.2 (iOS 17.5)" },
  { platform: "web", productFamily: "teams", headerValue: "Mozilla/5.0 Teams/web" },
];

/** Weight of each hour of a weekday: quiet nights, a morning and an afternoon peak. */
const hourWeights = [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 18, 14, 10, 14, 18, 18, 14, 8, 4, 3, 2, 2, 1, 1];
const weekendFactor = 0.15;

/**
 * The `callsPerDay` that puts about `calls` calls in [fromInMs, toInMs), whatever its hours and
 * weekdays: a test on the real clock gets about the same volume at any hour and weekday. Capped at
 * the generator's most, 4,095 calls a day: a two-hour weekend night then holds about 46, not 60.
 */
export function callsPerDayFor(calls: number, fromInMs: number, toInMs: number): number {
  const total = hourWeights.reduce((a, b) => a + b, 0);
  let perCallPerDay = 0;
  for (let t = Math.floor(fromInMs / hourInMs) * hourInMs; t < toInMs; t += hourInMs) {
    const overlap = (Math.min(t + hourInMs, toInMs) - Math.max(t, fromInMs)) / hourInMs;
    const date = new Date(t);
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    perCallPerDay += (weekend ? weekendFactor : 1) * ((hourWeights[date.getUTCHours()] ?? 0) / total) * overlap;
  }
  return Math.min(Math.ceil(calls / perCallPerDay), Math.floor(4095 / weekendFactor));
}

export class CallGenerator {
  readonly people: readonly Person[];
  private readonly days = new Map<number, SandboxCall[]>();

  constructor(readonly options: GeneratorOptions) {
    const random = seededRandom(hash32(`${options.seed}:people`));
    this.people = Array.from({ length: 400 }, (_, i) => {
      const given = pick(random, givenNames);
      const family = pick(random, familyNames);
      return {
        id: `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`,
        displayName: `${given} ${family}`,
        userPrincipalName: `user${i}@contoso.example`,
      };
    });
  }

  /** The calls that started on one UTC day (day index = days since the epoch). Cached. */
  callsOfDay(day: number): readonly SandboxCall[] {
    let calls = this.days.get(day);
    if (!calls) {
      calls = this.generateDay(day);
      this.days.set(day, calls);
      if (this.days.size > 64) this.days.delete(this.days.keys().next().value as number);
    }
    return calls;
  }

  /**
   * Ids carry their day and index, so a record is found without a lookup table: the index's low 12
   * bits after the version nibble 4, and, past 4,095 calls a day, its high bits after variant 9.
   */
  findCall(id: string): SandboxCall | undefined {
    const match = /^[0-9a-f]{8}-([0-9a-f]{4})-4([0-9a-f]{3})-([89])([0-9a-f]{3})-/.exec(id);
    if (!match) return undefined;
    const high = match[3] === "9" ? parseInt(match[4] as string, 16) : 0;
    const calls = this.callsOfDay(parseInt(match[1] as string, 16));
    const call = calls[high * 4096 + parseInt(match[2] as string, 16)];
    return call?.id === id ? call : undefined;
  }

  private generateDay(day: number): SandboxCall[] {
    const random = seededRandom(hash32(`${this.options.seed}:day:${day}`));
    const dayStart = day * dayInMs;
    const weekday = new Date(dayStart).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const count = Math.min(4095, Math.round(this.options.callsPerDay * (weekend ? weekendFactor : 1)));
    const totalWeight = hourWeights.reduce((a, b) => a + b, 0);
    const calls: SandboxCall[] = [];
    for (let index = 0; index < count; index += 1) {
      let r = random() * totalWeight;
      let hour = 0;
      while (hour < 23 && r >= (hourWeights[hour] ?? 0)) r -= hourWeights[hour++] ?? 0;
      const startInMs = dayStart + hour * hourInMs + Math.floor(random() * hourInMs);
      calls.push(this.generateCall(random, day, index, startInMs));
    }
    const { burst, giantMeeting } = this.options;
    for (let h = 0; burst && h < (burst.hours ?? 1); h += 1) {
      const hourStartInMs = burst.hourStartInMs + h * hourInMs;
      if (hourStartInMs < dayStart || hourStartInMs >= dayStart + dayInMs) continue;
      for (let i = 0; i < burst.calls && calls.length < 0xffffff; i += 1) {
        calls.push(this.generateCall(random, day, calls.length, hourStartInMs + Math.floor(random() * hourInMs)));
      }
    }
    if (giantMeeting && giantMeeting.startInMs >= dayStart && giantMeeting.startInMs < dayStart + dayInMs) {
      const call = this.generateCall(random, day, calls.length, giantMeeting.startInMs);
      calls.push({ ...call, kind: "largeMeeting", sessionCount: giantMeeting.sessions, endInMs: call.startInMs + 3 * hourInMs, participants: this.people.slice(0, 300) });
    }
    return calls;
  }

  private generateCall(random: () => number, day: number, index: number, startInMs: number): SandboxCall {
    const roll = random();
    const large = roll < this.options.largeMeetingShare;
    const kind: SandboxCall["kind"] = large ? "largeMeeting" : roll < 0.1 ? "pstn" : roll < 0.6 ? "peerToPeer" : "groupCall";
    const participantCount =
      kind === "largeMeeting" ? between(random, 131, 290) : kind === "groupCall" ? between(random, 3, 25) : 2;
    const sessionCount =
      kind === "largeMeeting" ? between(random, 61, 150) : kind === "groupCall" ? between(random, 3, 30) : between(random, 1, 2);
    const durationInMs =
      (kind === "largeMeeting" ? between(random, 30, 120) : kind === "groupCall" ? between(random, 10, 60) : between(random, 1, 30)) *
      minuteInMs;
    const endInMs = startInMs + durationInMs;
    const people = this.people;
    const participants = Array.from({ length: participantCount }, (_, i) => people[(index * 7 + i * 13 + day) % people.length] as Person);
    const firstAt = endInMs + this.options.availabilityDelayInMs;
    const versions: CallVersion[] = [{ version: 1, availableAtInMs: firstAt }];
    // Client signals arrive late: about a third of records gain a version within two days,
    // a few a third version within a week.
    if (random() < 0.35) {
      const secondAt = firstAt + between(random, 30, 48 * 60) * minuteInMs;
      versions.push({ version: 2, availableAtInMs: secondAt });
      if (random() < 0.15) versions.push({ version: 3, availableAtInMs: secondAt + between(random, 60, 5 * 24 * 60) * minuteInMs });
    }
    const low = (index & 0xfff).toString(16).padStart(3, "0");
    const variant = index < 4096 ? `8${hex(random, 3)}` : `9${(index >> 12).toString(16).padStart(3, "0")}`;
    const id = `${hex(random, 8)}-${day.toString(16).padStart(4, "0")}-4${low}-${variant}-${hex(random, 12)}`;
    const organizer = kind === "pstn" ? { phone: `+1425555${String(between(random, 1000, 9999))}` } : (participants[0] as Person);
    return { id, startInMs, endInMs, kind, organizer, participants, sessionCount, versions };
  }
}

/** The version of a call Graph shows at `nowInMs`, or undefined when it is not listable yet. */
export function versionAt(call: SandboxCall, nowInMs: number): CallVersion | undefined {
  let current: CallVersion | undefined;
  for (const v of call.versions) if (v.availableAtInMs <= nowInMs) current = v;
  return current;
}

/**
 * An instant as Graph writes it: 7 fractional digits (100 ns ticks), or as many as `digits` says.
 * The digits past the millisecond come from `salt`, so they are stable, and the value still parses
 * to the same millisecond.
 */
export function graphInstant(ms: number, salt: string, digits = 7): string {
  const ticks = String(hash32(salt) % 10_000).padStart(4, "0").slice(0, digits - 3);
  return new Date(ms).toISOString().replace(/Z$/, `${ticks}Z`);
}

/** Mostly 0 (a clean line), sometimes a small fraction, now and then a bad line. */
const packetLossRate = (random: () => number): number => {
  const roll = random();
  return roll < 0.6 ? 0 : roll < 0.95 ? Math.round(random() * 500) / 10_000 : Math.round(random() * 60) / 100;
};

const duration = (seconds: number): string => `PT${Number(seconds.toFixed(3))}S`;

const identityOf = (person: Person): JsonObject => ({
  id: person.id,
  displayName: person.displayName,
  tenantId: sandboxTenantId,
  userPrincipalName: person.userPrincipalName,
});

function organizerOf(call: SandboxCall): JsonObject {
  if ("phone" in call.organizer) {
    const phone = call.organizer.phone;
    return { id: phone, identity: { user: null, acsUser: null, spoolUser: null, phone: { id: phone, displayName: null, tenantId: null } } };
  }
  const person = call.organizer;
  return { id: person.id, identity: { user: { id: person.id, displayName: person.displayName, tenantId: sandboxTenantId } } };
}

/** The record as the list endpoint shows it: no sessions, no participants. */
export function summaryDocument(call: SandboxCall, version: CallVersion): JsonObject {
  return {
    id: call.id,
    version: version.version,
    type: call.kind === "peerToPeer" || call.kind === "pstn" ? "peerToPeer" : "groupCall",
    modalities: call.kind === "largeMeeting" ? ["audio", "video", "screenSharing"] : ["audio"],
    // Graph's own example has 6 digits here and 7 in the other two.
    lastModifiedDateTime: graphInstant(version.availableAtInMs, `${call.id}:modified:${version.version}`, 6),
    startDateTime: graphInstant(call.startInMs, `${call.id}:start`),
    endDateTime: graphInstant(call.endInMs, `${call.id}:end`),
    joinWebUrl: call.kind === "largeMeeting" ? `https://teams.microsoft.com/l/meetup-join/${call.id}` : null,
    organizer_v2: organizerOf(call),
  };
}

/** Every session of the record at a version: later versions carry more (late client signals). */
export function sessionsOf(call: SandboxCall, version: CallVersion): JsonObject[] {
  const count = call.sessionCount + (version.version - 1);
  const random = seededRandom(hash32(`${call.id}:sessions`));
  const span = Math.max(1, call.endInMs - call.startInMs);
  return Array.from({ length: count }, (_, i) => {
    const caller = call.participants[i % call.participants.length] as Person;
    const callee = call.participants[(i + 1) % call.participants.length] as Person;
    const start = call.startInMs + Math.floor((span * i) / (count + 1));
    const end = Math.min(call.endInMs, start + Math.max(1000, Math.floor(span / 2)));
    const agent = pick(random, platforms);
    const endpoint = (person: Person) => ({
      "@odata.type": "#microsoft.graph.callRecords.participantEndpoint",
      name: `machine_${hex(random, 4)}`,
      userAgent: { "@odata.type": "#microsoft.graph.callRecords.clientUserAgent", ...agent },
      associatedIdentity: identityOf(person),
    });
    const sessionId = `${call.id.slice(0, 24)}${i.toString(16).padStart(12, "0")}`;
    const startText = graphInstant(start, `${sessionId}:start`);
    const endText = graphInstant(end, `${sessionId}:end`);
    const stream = (streamDirection: string): JsonObject => ({
      streamId: String(between(random, 1e8, 2e9)),
      streamDirection,
      averageAudioDegradation: null,
      averageJitter: duration(between(random, 10, 99) / 1000),
      maxJitter: duration(between(random, 100, 400) / 1000),
      averagePacketLossRate: packetLossRate(random),
      maxPacketLossRate: packetLossRate(random),
      averageRoundTripTime: duration(between(random, 20, 300) / 1000),
      averageBandwidthEstimate: between(random, 50_000, 5_000_000),
      // A field Graph added later: only the record's later versions carry it.
      ...(version.version >= 2 ? { averageAudioNetworkJitter: duration(between(random, 5, 80) / 1000) } : {}),
    });
    return {
      modalities: ["audio"],
      startDateTime: startText,
      endDateTime: endText,
      id: sessionId,
      isTest: false,
      caller: endpoint(caller),
      callee: endpoint(callee),
      segments: [
        {
          startDateTime: startText,
          endDateTime: endText,
          id: sessionId,
          media: [
            {
              label: "main-audio",
              callerNetwork: {
                ipAddress: `10.${between(random, 0, 255)}.${between(random, 0, 255)}.${between(random, 1, 254)}`,
                subnet: "10.0.0.0",
                linkSpeed: 54_000_000,
                bandwidthLowEventRatio: random() < 0.7 ? 0 : Math.round(random() * 1000) / 1000,
              },
              callerDevice: { captureDeviceName: "Default input device", renderDeviceName: "Default output device", receivedSignalLevel: -between(random, 5, 40) },
              streams: [stream("callerToCallee"), stream("calleeToCaller")],
            },
          ],
        },
      ],
    };
  });
}

/**
 * The participants list: the users, plus the phone number of a PSTN call and, in about one group
 * call in five, a guest (no tenant, a display name only).
 */
export function participantsOf(call: SandboxCall): JsonObject[] {
  const users: JsonObject[] = call.participants.map((person) => ({ id: person.id, identity: { user: identityOf(person) } }));
  if ("phone" in call.organizer) {
    const phone = call.organizer.phone;
    users.push({ id: phone, identity: { phone: { id: phone, displayName: null, tenantId: null } } });
  }
  if (call.kind === "groupCall" && hash32(`${call.id}:guest`) % 5 === 0) {
    const id = `guest:${call.id.slice(0, 8)}`;
    users.push({ id, identity: { guest: { id, displayName: "Visitor (Guest)", tenantId: null } } });
  }
  return users;
}

/** The complete record, as an archive line should hold it (Graph's fields only). */
export function fullDocument(call: SandboxCall, version: CallVersion): JsonObject {
  return { ...summaryDocument(call, version), sessions: sessionsOf(call, version), participants_v2: participantsOf(call) };
}
