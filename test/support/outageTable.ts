/**
 * `npm run test:outage`: a Graph outage of several simulated days on a queue without duplicate
 * detection, run with the job records (one retry chain per (window, pass)) and without them (their
 * creation failing, as before they existed), and a table of what each cost. Exit status 1 if the
 * run with records lost anything Graph still held, left a due pass missing, dead-lettered a pass
 * twice, or delivered one pass more often than the bound.
 *
 *   npm run test:outage -- [--days 3] [--seeds 3]
 */
import { parseArgs } from "node:util";
import { type OutageResult, runOutage } from "./outage.js";

const { values } = parseArgs({ options: { days: { type: "string", default: "3" }, seeds: { type: "string", default: "3" } } });
const days = Number(values.days);
const seeds = Number(values.seeds);
// Per (window, pass) over an outage of D days at the default settings: the first send, the chain's
// attempts (7 to reach the 1-hour cap, then at most 2 an hour) and the sweep's re-sends (one per
// 6-hour period, plus the period the outage started in).
const bound = 1 + 7 + days * 48 + days * 4 + 1;

const row = (label: string, r: OutageResult) =>
  [label, r.passes, r.deliveries, r.maxDeliveries, r.yielded, r.deadLetters, new Set(r.deadLettered).size, r.missing, `${r.truthIds - r.lostIds}/${r.truthIds}`, r.wallInMs].join(" | ");

console.log(`a ${days}-day Graph outage, then 1 day; day-long windows, default re-reads, sweep and job retry policy; no duplicate detection`);
console.log(`bound on deliveries per (window, pass): ${bound}`);
console.log("run | passes | deliveries | most for one pass | yielded | dead letters | passes dead-lettered | missing | records held archived | wall (ms)");
let failed = 0;
for (let seed = 1; seed <= seeds; seed += 1) {
  const withRecords = await runOutage({ seed, outageDays: days, afterDays: 1, windowMinutes: 1440, chainRecords: true });
  const without = await runOutage({ seed, outageDays: days, afterDays: 1, windowMinutes: 1440, chainRecords: false });
  console.log(row(`seed ${seed}, job records`, withRecords));
  console.log(row(`seed ${seed}, without`, without));
  const ok = withRecords.lostIds === 0 && withRecords.missing === 0 && withRecords.maxDeliveries <= bound && new Set(withRecords.deadLettered).size === withRecords.deadLetters;
  if (!ok) failed += 1;
}
console.log(`\n${seeds - failed}/${seeds} seeds within the bound with nothing lost`);
process.exitCode = failed > 0 ? 1 : 0;
