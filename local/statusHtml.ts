/**
 * The status report as one self-contained HTML page (no script or font from the network), read in
 * five seconds: the headline, then a grid of Graph's 30 days (rows, labelled) by the hours of the
 * day (columns, labelled), one cell per window in one colour per state with a legend that names
 * each state and counts it, the records of each day as a bar at the end of its row, what is at
 * risk, and a table per day. Pure: text in, text out.
 */
import { dayInMs, floorTo } from "../shared/core/window.js";
import type { StatusReport, WindowState } from "../shared/pipeline/operate/statusReport.js";
import type { LogStatus } from "../shared/pipeline/operate/logStatus.js";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Colour-blind safe (blue / grey / orange / red), each state also named in the legend and tooltip. */
export const stateLegend: readonly { readonly state: WindowState; readonly label: string; readonly colour: string }[] = [
  { state: "archived", label: "archived: every due pass", colour: "#2c7bb6" },
  { state: "inGrace", label: "in grace: a pass due, not late yet", colour: "#bababa" },
  { state: "overdue", label: "overdue: a pass missing past its grace", colour: "#fdae61" },
  { state: "atRisk", label: "at risk: overdue, close to Graph's horizon", colour: "#d7191c" },
];
const colourOf = new Map(stateLegend.map((s) => [s.state, s.colour]));
const noWindow = "#f4f4f4";

const dayLabel = (day: string) => day.slice(5);
const daysWord = (n: number) => `${n} ${n === 1 ? "day" : "days"}`;

/** The telephony logs' section: one row per log, by its own schedule and horizon (logStatus.ts). */
function logsSection(logs: readonly LogStatus[]): string {
  if (logs.length === 0) return "";
  const rows = logs
    .map(
      (l) =>
        `<tr data-log="${l.source}"><td style="text-align:left">${escape(l.label)}</td><td>${l.horizonDays} days</td><td>${l.availability === "unsupported" ? "not in this tenant (404)" : l.availability}</td><td>${l.days.read}/${l.days.due}</td><td>${l.rereads.done}/${l.rereads.due}</td><td>${l.rows}</td><td>${l.missing.length}</td><td>${l.atRisk.length}</td></tr>`,
    )
    .join("\n");
  return `<h2>Telephony logs</h2>
<table id="logs"><thead><tr><th>log</th><th>horizon</th><th>available</th><th>days read</th><th>re-reads</th><th>rows</th><th>overdue</th><th>at risk</th></tr></thead><tbody>
${rows}
</tbody></table>
${logs.map((l) => `<p class="status">${escape(l.headline)}</p>`).join("\n")}`;
}

/** One archive's report: its verdict, heat map, risks, days and logs; ids prefixed when a page holds several. */
function reportSection(report: StatusReport, logs: readonly LogStatus[], idPrefix: string): string {
  const id = (name: string) => `${idPrefix}${name}`;
  const now = Date.parse(report.generatedAt);
  const slots = Math.round((24 * 60) / report.windowMinutes);
  const columnOfHour = (h: number) => Math.floor((h * 60) / report.windowMinutes) + 2;
  // Rows: every day from the oldest window Graph still holds to today, so the grid is Graph's 30
  // days whatever was archived (a day with nothing planned shows as an empty row).
  const firstDay = report.windows.length > 0 ? Date.parse(`${report.windows[0]?.day}T00:00:00Z`) : floorTo(now, dayInMs) - 29 * dayInMs;
  const days: string[] = [];
  for (let d = Math.min(firstDay, floorTo(now, dayInMs) - 29 * dayInMs); d <= floorTo(now, dayInMs); d += dayInMs) days.push(new Date(d).toISOString().slice(0, 10));
  const recordsOf = new Map<string, number>();
  for (const w of report.windows) recordsOf.set(w.day, (recordsOf.get(w.day) ?? 0) + w.records);
  const maxDayRecords = Math.max(1, ...recordsOf.values());
  const incompleteOf = new Map(report.days.map((d) => [d.day, d.incomplete] as const));

  const hourAxis = Array.from({ length: 24 / 3 }, (_, i) => i * 3)
    .map((h) => `<div class="hour" style="grid-column:${columnOfHour(h)} / span ${Math.max(1, columnOfHour(h + 3) - columnOfHour(h))}">${String(h).padStart(2, "0")}:00</div>`)
    .join("");
  const rows = days
    .map((day, row) => {
      const cells = report.windows
        .filter((w) => w.day === day)
        .map(
          (w) =>
            `<div class="cell" data-window="${w.windowStart}" data-state="${w.state}" style="grid-row:${row + 2};grid-column:${w.slot + 2};background:${colourOf.get(w.state) ?? noWindow}" title="${escape(`${w.windowStart}: ${w.state}, ${w.passesDone} of ${w.passesDue} due passes archived, ${w.records} records`)}"></div>`,
        )
        .join("");
      const records = recordsOf.get(day) ?? 0;
      // Records archived incomplete (a paging loop, an answer over the cap, a record Graph kept failing) are named beside the count.
      const incomplete = incompleteOf.get(day) ?? 0;
      const note = incomplete > 0 ? ` <b class="incomplete" title="${incomplete} archived incomplete: read again by each later pass">${incomplete} incomplete</b>` : "";
      const bar = `<div class="bar" style="grid-row:${row + 2};grid-column:${slots + 2}" data-day="${day}" data-incomplete="${incomplete}"><span style="width:${(100 * records) / maxDayRecords}%"></span><em>${records}${note}</em></div>`;
      return `<div class="day" style="grid-row:${row + 2}">${dayLabel(day)}</div><div class="row" style="grid-row:${row + 2};grid-column:2 / span ${slots}"></div>${cells}${bar}`;
    })
    .join("\n");
  const counts = new Map<WindowState, number>();
  for (const w of report.windows) counts.set(w.state, (counts.get(w.state) ?? 0) + 1);
  const legend = stateLegend
    .map((s) => `<li data-state="${s.state}"><i style="background:${s.colour}"></i>${escape(s.label)} <b>${counts.get(s.state) ?? 0}</b></li>`)
    .join("");

  const overdueRest = report.missing.length - report.atRisk.length;
  const oldest = report.missing[0];
  const risk = [
    report.atRisk.length > 0
      ? `<ul id="${id("at-risk")}">${report.atRisk
          .slice(0, 200)
          .map((m) => `<li>pass ${m.pass} of the window at ${escape(m.windowStart)}: ${daysWord(m.daysBeforeHorizon)} before Graph forgets it</li>`)
          .join("")}</ul>`
      : `<p id="${id("at-risk")}">Nothing within ${daysWord(report.riskDays)} of Graph's horizon.</p>`,
    report.missing.length > 0
      ? `<p id="${id("overdue")}">${report.missing.length} ${report.missing.length === 1 ? "pass" : "passes"} overdue in all${overdueRest > 0 ? `, ${overdueRest} of them further than ${daysWord(report.riskDays)} from the horizon` : ""}; the oldest is pass ${oldest?.pass} of the window at ${escape(oldest?.windowStart ?? "")} (${daysWord(oldest?.daysBeforeHorizon ?? 0)} before Graph forgets it).</p>`
      : `<p id="${id("overdue")}">Nothing is overdue.</p>`,
  ].join("\n");
  const table = report.days
    .map(
      (d) =>
        `<tr><td>${d.day}</td><td>${d.pass0.archived}/${d.pass0.due}</td><td>${d.rereads.done}/${d.rereads.due}</td><td>${d.records}</td><td>${d.bytes}</td><td>${d.splits}</td><td>${d.missing}</td></tr>`,
    )
    .join("\n");
  const verdict = ["healthy: every due pass is archived or within its grace", "overdue: a pass is missing past its grace", "", `at risk: a missing pass is within ${daysWord(report.riskDays)} of Graph's horizon`][report.exitStatus];
  return `<p class="verdict s${report.exitStatus}" id="${id("verdict")}">${escape(verdict ?? "")} (exit status ${report.exitStatus})</p>
<p class="status" id="${id("headline")}">${escape(report.headline)}</p>
<ul class="legend" id="${id("legend")}">${legend}<li><i style="background:${noWindow}"></i>no window planned</li></ul>
<div class="grid" id="${id("heatmap")}">
<div class="axis">UTC day</div>${hourAxis}<div class="records-head" style="grid-column:${slots + 2}">records that day</div>
${rows}
</div>
<p>Generated ${escape(report.generatedAt)}. ${report.windowMinutes}-minute windows. Totals: ${report.totals.records} records, ${report.totals.bytes} bytes, ${report.totals.manifests} manifests.</p>
<h2>At risk</h2>
${risk}
<h2>Days</h2>
<table><thead><tr><th>day</th><th>pass 0</th><th>re-reads</th><th>records</th><th>bytes</th><th>splits</th><th>missing</th></tr></thead><tbody>
${table}
</tbody></table>
${logsSection(logs)}`;
}

export function statusHtml(report: StatusReport, logs: readonly LogStatus[] = []): string {
  return page(report, `<h1>callrecords-archiver status</h1>\n${reportSection(report, logs, "")}`);
}

/** Several tenants' reports on one page: a picker of links, and one section (and grid) per tenant. */
export function statusHtmlForTenants(reports: readonly { readonly tenant: string; readonly report: StatusReport; readonly logs: readonly LogStatus[] }[]): string {
  const first = reports[0];
  if (!first) throw new Error("no report to show");
  const picker = `<nav id="tenants">${reports.map((r) => `<a href="#tenant-${escape(r.tenant)}">${escape(r.tenant)}</a> <span class="s${r.report.exitStatus}">exit ${r.report.exitStatus}</span>`).join(" · ")}</nav>`;
  const sections = reports.map((r) => `<section id="tenant-${escape(r.tenant)}" data-tenant="${escape(r.tenant)}"><h2>Tenant ${escape(r.tenant)}</h2>\n${reportSection(r.report, r.logs, `${escape(r.tenant)}-`)}</section>`).join("\n");
  return page(first.report, `<h1>callrecords-archiver status: ${reports.length} tenants</h1>\n${picker}\n${sections}`);
}

function page(report: StatusReport, body: string): string {
  const slots = Math.round((24 * 60) / report.windowMinutes);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>callrecords-archiver status ${escape(report.generatedAt)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em 2em;color:#222;max-width:1200px}
h1{font-size:20px;margin:0 0 .3em}
.verdict{font-size:20px;font-weight:600;margin:.2em 0}
.verdict.s0{color:#2c7bb6}.verdict.s1{color:#b35806}.verdict.s3{color:#d7191c}
.status{white-space:pre-line;margin:.2em 0 1em}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4em 1.4em;margin:.5em 0}
.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
.grid{display:grid;grid-template-columns:3.5em repeat(${slots},minmax(5px,1fr)) 9em;grid-auto-rows:13px;gap:1px}
.hour{grid-row:1;font-size:11px;border-left:1px solid #999;padding-left:2px;line-height:13px}
.axis{grid-row:1;grid-column:1;font-size:11px;line-height:13px;color:#555}
.records-head{grid-row:1;font-size:11px;line-height:13px;padding-left:4px;color:#555}
.day{grid-column:1;font-size:11px;line-height:13px;text-align:right;padding-right:4px}
.row{background:${noWindow}}
.bar{position:relative;font-size:10px;line-height:13px;padding-left:4px}
.bar span{position:absolute;left:4px;top:2px;height:9px;background:#8fbbd9;max-width:calc(100% - 4em)}
.bar em{position:absolute;right:2px;font-style:normal}
.bar .incomplete{color:#b35806;font-weight:normal}
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}
</style></head><body>
${body}
</body></html>
`;
}
