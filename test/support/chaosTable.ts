/**
 * `npm run test:chaos`: the long chaos run: ten seeds, two sandbox days each, and a table. The job
 * retry policy runs at 1/300 of its time scale (1 minute → 200 ms, 1 hour → 12 s), so the default
 * 6-second Graph outage stands for a 30-minute one. Exit status 1 if any seed fails the pass rule:
 * the records lost or archived incomplete are exactly the records the sandbox made bad (looping,
 * oversized, always failing), each archived incomplete; 0 duplicated, 0 partial, no dead letter,
 * no error escaping a job; every telephony log row's last line Graph's row, once, in its day; and
 * of two customer tenants, the one that keeps its consent archived exactly, the one that revokes it
 * mid-run failing its remaining jobs as refused (TenantConsentMissing, GraphUnauthorized) and nothing else.
 *
 *   npm run test:chaos -- [--seeds 10] [--days 2] [--outage-seconds 6]
 */
import { parseArgs } from "node:util";
import { startAzurite } from "../../local/azurite.js";
import { type ChaosResult, runChaos } from "./chaos.js";

const { values } = parseArgs({ options: { seeds: { type: "string", default: "10" }, days: { type: "string", default: "2" }, "outage-seconds": { type: "string", default: "6" } } });
const seeds = Number(values.seeds);
const days = Number(values.days);
const outageMs = Number(values["outage-seconds"]) * 1000;

const columns: [keyof ChaosResult, string][] = [
  ["seed", "seed"], ["truth", "truth"], ["archived", "archived"], ["missing", "missing"], ["duplicated", "dup"], ["partial", "partial"],
  ["deadLetters", "dead"], ["injectedBad", "bad injected"], ["lostOrIncomplete", "lost or incomplete"], ["incompleteArchived", "archived incomplete"], ["innocentLost", "innocent lost"], ["stalled", "stalls"], ["escaped", "escaped"], ["retries", "job retries"], ["kills", "kills"], ["duplicateDeliveries", "dup deliveries"],
  ["storageRefusals", "storage refused"], ["plannerCrashes", "planner crashes"], ["throttled", "429s"], ["unavailable", "503s"], ["dropped", "dropped"],
  ["logRows", "log rows"], ["logMissing", "log missing"], ["logDuplicated", "log dup"], ["logMisplaced", "log misplaced"], ["logExtra", "log extra"],
  ["tenantTruth", "tenant truth"], ["tenantMissing", "tenant missing"], ["tenantDuplicated", "tenant dup"], ["tenantPartial", "tenant partial"], ["revokedArchived", "revoked: archived before"], ["revokedForeignOrDuplicated", "revoked: foreign or dup"], ["revokedDeadLetters", "revoked: dead (consent)"], ["revokedOtherDeadLetters", "revoked: dead (other)"],
  ["healedAfterOutageInMs", "healed after outage (ms)"], ["wallInMs", "wall (ms)"],
];

const azurite = await startAzurite();
const results: ChaosResult[] = [];
try {
  console.log(`chaos: ${seeds} seeds × ${days} sandbox days; Graph outage of ${outageMs / 1000} s (30 min at the job retry policy's 1/300 scale)`);
  console.log(columns.map(([, title]) => title).join(" | "));
  for (let seed = 1; seed <= seeds; seed += 1) {
    const result = await runChaos(azurite, {
      seed,
      days,
      callsPerDay: 300,
      outageAfterMs: 3_000,
      outageMs,
      killRate: 0.08,
      duplicateRate: 0.05,
      storageRefusalRate: 0.1,
      plannerCrashRate: 0.2,
      loopingRecordRate: 0.01,
      oversizedRecordRate: 0.005,
      failingRecordRate: 0.005,
      stallRate: 0.005,
    });
    results.push(result);
    console.log(columns.map(([key]) => String(result[key])).join(" | "));
  }
} finally {
  await azurite.stop();
}
const failed = results.filter(
  (r) =>
    r.lostOrIncomplete !== r.injectedBad ||
    r.incompleteArchived !== r.injectedBad ||
    r.missing + r.innocentLost + r.duplicated + r.partial + r.deadLetters + r.escaped + r.logMissing + r.logDuplicated + r.logMisplaced + r.logExtra > 0 ||
    r.tenantMissing + r.tenantDuplicated + r.tenantPartial + r.revokedForeignOrDuplicated + r.revokedOtherDeadLetters > 0 ||
    r.revokedDeadLetters === 0,
);
const heal = results.map((r) => r.healedAfterOutageInMs).sort((a, b) => a - b);
console.log(`\n${results.length - failed.length}/${results.length} seeds passed; outage healed ${heal[0]}–${heal.at(-1)} ms after it ended (median ${heal[Math.floor(heal.length / 2)]} ms)`);
process.exitCode = failed.length > 0 ? 1 : 0;
