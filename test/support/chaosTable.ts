/**
 * `npm run test:chaos`: the long chaos run: ten seeds, two sandbox days each, and a table. The job
 * retry policy runs at 1/300 of its time scale (1 minute → 200 ms, 1 hour → 12 s), so the default
 * 6-second Graph outage stands for a 30-minute one. Exit status 1 if any seed fails the pass rule:
 * nothing missing but the records of windows with a looping record (each such window dead-lettered
 * as GraphPagingLoop), 0 duplicated, 0 partial, no other dead letter, no error escaping a job.
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
  ["deadLetters", "dead"], ["loopWindows", "loop windows"], ["loopWindowsDeadLettered", "dead for a loop"], ["lostToLoops", "lost to loops"], ["unexplainedDeadLetters", "other dead"], ["stalled", "stalls"], ["escaped", "escaped"], ["retries", "job retries"], ["kills", "kills"], ["duplicateDeliveries", "dup deliveries"],
  ["storageRefusals", "storage refused"], ["plannerCrashes", "planner crashes"], ["throttled", "429s"], ["unavailable", "503s"], ["dropped", "dropped"],
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
      stallRate: 0.005,
    });
    results.push(result);
    console.log(columns.map(([key]) => String(result[key])).join(" | "));
  }
} finally {
  await azurite.stop();
}
const failed = results.filter((r) => r.missing !== r.lostToLoops || r.duplicated + r.partial + r.unexplainedDeadLetters + r.escaped > 0 || r.loopWindowsDeadLettered !== r.loopWindows);
const heal = results.map((r) => r.healedAfterOutageInMs).sort((a, b) => a - b);
console.log(`\n${results.length - failed.length}/${results.length} seeds passed; outage healed ${heal[0]}–${heal.at(-1)} ms after it ended (median ${heal[Math.floor(heal.length / 2)]} ms)`);
process.exitCode = failed.length > 0 ? 1 : 0;
