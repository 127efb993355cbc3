/**
 * The sandbox tenant's data at a given instant: which records Graph would list, at which version,
 * and which have aged out of the 30-day retention. The clock is injectable so tests move time.
 */
import type { JsonObject } from "../shared/graph/callRecord.js";
import { dayInMs } from "../shared/core/window.js";
import { type CallVersion, type GeneratorOptions, type SandboxCall, CallGenerator, fullDocument, versionAt } from "./generator.js";

export const retentionInMs = 30 * dayInMs;

export interface DataClock {
  now(): number;
}

/** A clock tests can set and advance. */
export class ManualClock implements DataClock {
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface LiveRecord {
  readonly call: SandboxCall;
  readonly version: CallVersion;
}

export class SandboxTenant {
  readonly generator: CallGenerator;

  constructor(
    options: GeneratorOptions,
    readonly clock: DataClock,
  ) {
    this.generator = new CallGenerator(options);
  }

  /** Records whose start is in [fromMs, toMs) that Graph would return now. */
  liveRecords(fromMs: number, toMs: number, nowInMs = this.clock.now()): LiveRecord[] {
    const from = Math.max(fromMs, nowInMs - retentionInMs);
    const out: LiveRecord[] = [];
    if (toMs <= from) return out;
    for (let day = Math.floor(from / dayInMs); day * dayInMs < toMs; day += 1) {
      for (const call of this.generator.callsOfDay(day)) {
        if (call.startInMs < from || call.startInMs >= toMs) continue;
        const version = versionAt(call, nowInMs);
        if (version) out.push({ call, version });
      }
    }
    return out;
  }

  /** A record by id, if Graph would still answer for it now. */
  find(id: string, nowInMs = this.clock.now()): LiveRecord | undefined {
    const call = this.generator.findCall(id);
    if (!call || call.startInMs < nowInMs - retentionInMs) return undefined;
    const version = versionAt(call, nowInMs);
    return version ? { call, version } : undefined;
  }

  /** Ground truth for tests: every live (id, version, document) with a start in [fromMs, toMs). */
  groundTruth(fromMs: number, toMs: number, nowInMs = this.clock.now()): { id: string; version: number; document: JsonObject }[] {
    return this.liveRecords(fromMs, toMs, nowInMs).map(({ call, version }) => ({
      id: call.id,
      version: version.version,
      document: fullDocument(call, version),
    }));
  }
}
