/**
 * The status report as one self-contained HTML page (no script or font from the network): a
 * 30-day × windows-a-day heatmap of coverage by pass, records per window as a chart, what is at
 * risk, and totals. Pure: text in, text out.
 */
import type { StatusReport } from "../shared/pipeline/statusReport.js";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function cellColour(done: number, due: number, missing: boolean): string {
  if (missing) return "#d7191c";
  if (due === 0) return "#eeeeee";
  const share = done / due;
  return share >= 1 ? "#1a9641" : share > 0 ? "#a6d96a" : "#fdae61";
}

export function statusHtml(report: StatusReport): string {
  const days = [...new Set(report.windows.map((w) => w.day))];
  const slots = Math.round((24 * 60) / report.windowMinutes);
  const grid = days
    .map((day) => {
      const cells = report.windows
        .filter((w) => w.day === day)
        .map(
          (w) =>
            `<div class="cell" data-window="${w.windowStart}" style="grid-column:${w.slot + 2};background:${cellColour(w.passesDone, w.passesDue, w.missing)}" title="${escape(`${w.windowStart}: ${w.passesDone}/${w.passesDue} passes, ${w.records} records${w.missing ? ", MISSING" : ""}`)}"></div>`,
        )
        .join("");
      return `<div class="day">${day}</div>${cells}`;
    })
    .join("\n");
  const maxRecords = Math.max(1, ...report.windows.map((w) => w.records));
  const width = Math.max(1, report.windows.length);
  const bars = report.windows
    .map((w, i) => `<rect x="${i}" y="${100 - (w.records / maxRecords) * 100}" width="1" height="${(w.records / maxRecords) * 100}"><title>${escape(`${w.windowStart}: ${w.records} records`)}</title></rect>`)
    .join("");
  const risk = report.missing.length
    ? `<ul>${report.missing
        .slice(0, 200)
        .map((m) => `<li>${escape(m.job)}: pass ${m.pass} of the window at ${escape(m.windowStart)}, ${m.hoursBeforeHorizon} hours before Graph forgets it</li>`)
        .join("")}</ul>`
    : "<p>Nothing is missing.</p>";
  const rows = report.days
    .map(
      (d) =>
        `<tr><td>${d.day}</td><td>${d.pass0.archived}/${d.pass0.due}</td><td>${d.rereads.done}/${d.rereads.due}</td><td>${d.records}</td><td>${d.bytes}</td><td>${d.splits}</td><td>${d.missing}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>callrecords-archiver status ${escape(report.generatedAt)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
.grid{display:grid;grid-template-columns:7em repeat(${slots},minmax(6px,1fr));gap:1px;max-width:1100px}
.day{grid-column:1;font-size:11px;line-height:12px}
.cell{height:12px}
svg{width:100%;max-width:1100px;height:120px;fill:#2b83ba}
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}
.status{font-size:18px;white-space:pre-line}
</style></head><body>
<h1>callrecords-archiver status</h1>
<p class="status" id="headline">${escape(report.headline)}</p>
<p>Generated ${escape(report.generatedAt)}; exit status ${report.exitStatus}. Totals: ${report.totals.records} records, ${report.totals.bytes} bytes, ${report.totals.manifests} manifests.</p>
<h2>Coverage by window (green: every due pass archived; light green: some; orange: none yet; red: missing past its grace period)</h2>
<div class="grid" id="heatmap">
${grid}
</div>
<h2>Records per window</h2>
<svg viewBox="0 0 ${width} 100" preserveAspectRatio="none" id="records">${bars}</svg>
<h2>At risk</h2>
${risk}
<h2>Days</h2>
<table><thead><tr><th>day</th><th>pass 0</th><th>re-reads</th><th>records</th><th>bytes</th><th>splits</th><th>missing</th></tr></thead><tbody>
${rows}
</tbody></table>
</body></html>
`;
}
