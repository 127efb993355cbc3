import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { before, describe, it } from "node:test";
import puppeteer from "puppeteer-core";
import { manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { type Job } from "../../shared/core/job.js";
import { dayInMs, hourInMs } from "../../shared/core/window.js";
import type { StatusReport } from "../../shared/pipeline/operate/statusReport.js";

// `npm run status` over a folder archive as a local run leaves it, driven as a user drives it.
const root = resolve(import.meta.dirname, "..", "..");
const hour = Math.floor(Date.now() / hourInMs) * hourInMs;
const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => existsSync(path));

async function status(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/status.ts", ...args], { cwd: root, env: { PATH: process.env.PATH ?? "", ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return e;
  }
}

let folder = "";
before(async () => {
  folder = await mkdtemp(join(tmpdir(), "archiver-status-"));
  const store = folderArchiveStore(folder);
  // Pass 0 of 12 settled hours, one of them missing; no re-read is due yet for the last 3.
  for (let i = 14; i >= 3; i -= 1) {
    if (i === 8) continue;
    const job: Job = { window: { startInMs: hour - i * hourInMs, endInMs: hour - (i - 1) * hourInMs }, pass: 0 };
    await store.createText(manifestBlobName(job), "{}", "application/json", { status: "complete", records: String(i), bytes: String(i * 100) });
  }
  // The telephony logs' pass 0 of a day four days back: Graph answered 404 for PSTN calls; 5 Direct Routing rows.
  const logDay = { startInMs: Math.floor(hour / dayInMs) * dayInMs - 4 * dayInMs, endInMs: Math.floor(hour / dayInMs) * dayInMs - 3 * dayInMs };
  await store.createText(manifestBlobName({ window: logDay, pass: 0, source: "pstnCalls" }), "{}", "application/json", { status: "unsupported", records: "0", bytes: "0" });
  await store.createText(manifestBlobName({ window: logDay, pass: 0, source: "directRoutingCalls" }), "{}", "application/json", { status: "complete", records: "5", bytes: "900" });
  // Another tenant's pass 0 of the same 12 hours, none missing, 2 records each.
  for (let i = 14; i >= 3; i -= 1) {
    const job: Job = { window: { startInMs: hour - i * hourInMs, endInMs: hour - (i - 1) * hourInMs }, pass: 0, tenant: fabrikam };
    await store.createText(manifestBlobName(job), "{}", "application/json", { status: "complete", records: "2", bytes: "200" });
  }
});

const fabrikam = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";

describe("npm run status", () => {
  it("reports the missing window, per day and as JSON, with exit status 1", async () => {
    const run = await status(["--out", folder, "--json"]);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as StatusReport;
    assert.equal(report.missing.filter((m) => m.pass === 0).length, 1);
    assert.equal(report.missing.find((m) => m.pass === 0)?.windowStart, new Date(hour - 8 * hourInMs).toISOString().replace(".000", ""));
    assert.equal(report.totals.records, [14, 13, 12, 11, 10, 9, 7, 6, 5, 4, 3].reduce((a, b) => a + b, 0));
  });

  it("sends your Azure login's storage token to no host but the cloud's blob endpoints: --archive elsewhere exits 2, by name", async () => {
    for (const [url, cloud] of [["https://archive.attacker.example/c", "Global"], ["https://acct.blob.core.windows.net/c", "China"]] as const) {
      const run = await status(["--archive", url], { ARCHIVER_CLOUD: cloud });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^error: --archive \\S+ is not a blob endpoint of the ${cloud} cloud .*your Azure Storage token is sent to no other host`));
    }
  });

  it("reports each tenant apart with --tenant: one tenant's archive, or all of them with the worst exit status", async () => {
    // Its pass 0 is all there; its re-reads (none archived) fall due as the home tenant's do.
    const one = await status(["--out", folder, "--json", "--tenant", fabrikam.toUpperCase()]);
    const report = JSON.parse(one.stdout) as StatusReport;
    assert.equal(one.code, report.exitStatus, one.stderr);
    assert.deepEqual([report.totals.records, report.missing.filter((m) => m.pass === 0).length], [24, 0]);
    const all = await status(["--out", folder, "--json", "--tenant", "all"], { ARCHIVER_TENANTS: fabrikam });
    assert.equal(all.code, 1, all.stderr);
    const both = JSON.parse(all.stdout) as { exitStatus: number; tenants: (StatusReport & { tenant: string })[] };
    assert.deepEqual(
      both.tenants.map((t) => [t.tenant, t.totals.records, t.missing.filter((m) => m.pass === 0).length]),
      [["home", 94, 1], [fabrikam, 24, 0]],
    );
    const html = join(folder, "all.html");
    assert.equal((await status(["--out", folder, "--tenant", "all", "--html", html], { ARCHIVER_TENANTS: fabrikam })).code, 1);
    const page = await readFile(html, "utf8");
    assert.ok(page.includes(`<section id="tenant-${fabrikam}" data-tenant="${fabrikam}">`) && page.includes('<section id="tenant-home" data-tenant="home">'));
    const ids = [...page.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, "every id on the page is its own");
    const wrong = await status(["--out", folder, "--tenant", "contoso"]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--tenant expects home, all or a tenant id: "contoso" is not a tenant id/);
  });

  it("refuses --out and --archive together, with exit status 2", async () => {
    const run = await status(["--out", folder, "--archive", "https://a.blob.core.windows.net/archive"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: give --out or --archive, not both/);
  });

  describe("--html, in a real headless browser", { skip: chromium ? false : process.env.CI === "true" ? false : "skipped: no Chromium (apt-get install chromium)" }, () => {
    let html = "";
    before(async () => {
      html = join(folder, "..", `status-${Date.now()}.html`);
      await status(["--out", folder, "--html", html]);
    });

    it("renders without console errors: one cell per window in its state's colour, day and hour axes, a legend that names and counts each state", async () => {
      assert.ok(chromium, "Chromium is required in CI");
      const browser = await puppeteer.launch({ executablePath: chromium, args: ["--no-sandbox", "--headless=new"] });
      try {
        const page = await browser.newPage();
        await page.setViewport({ width: 1280, height: 900 });
        const problems: string[] = [];
        page.on("console", (message) => {
          if (message.type() === "error") problems.push(message.text());
        });
        page.on("pageerror", (error) => problems.push(String(error)));
        page.on("request", (request) => {
          if (!request.url().startsWith("file:")) problems.push(`network request: ${request.url()}`);
        });
        await page.goto(`file://${html}`, { waitUntil: "load" });
        assert.deepEqual(problems, []);
        const report = JSON.parse((await status(["--out", folder, "--json"])).stdout) as StatusReport;
        const cells = await page.$$eval("#heatmap .cell", (nodes) => nodes.map((n) => [n.getAttribute("data-window"), n.getAttribute("data-state"), n.getAttribute("style")?.match(/background:([^;]+)/)?.[1]]));
        assert.deepEqual(cells.map(([w, state]) => [w, state]), report.windows.map((w) => [w.windowStart, w.state]));
        // One colour per state: the overdue windows (pass 0 missing 8 hours ago; re-reads missing) differ from the archived ones.
        const colour = new Map(cells.map(([, state, c]) => [state, c]));
        const overdue = report.windows.filter((w) => w.state === "overdue").length;
        assert.ok(overdue >= 1 && report.windows.some((w) => w.state === "archived"));
        assert.notEqual(colour.get("overdue"), colour.get("archived"));
        // Axes, as rendered: 30 labelled day rows at least (Graph's horizon), ending today; 8 hour labels from 00:00.
        const days = await page.$$eval("#heatmap .day", (nodes) => nodes.map((n) => n.textContent));
        assert.ok(days.length >= 30, `${days.length} day rows`);
        assert.equal(days.at(-1), new Date().toISOString().slice(5, 10));
        const hours = await page.$$eval("#heatmap .hour", (nodes) => nodes.map((n) => [n.textContent, n.getBoundingClientRect().width > 0]));
        assert.deepEqual(hours.map(([label]) => label), ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]);
        assert.ok(hours.every(([, visible]) => visible));
        // The legend names every state in words, with its count; the verdict says the exit status in words.
        const legend = await page.$$eval("#legend li", (nodes) => nodes.map((n) => n.textContent ?? ""));
        assert.deepEqual(legend.slice(0, 4).map((l) => l.split(":")[0]), ["archived", "in grace", "overdue", "at risk"]);
        assert.equal(legend[2], `overdue: a pass missing past its grace ${overdue}`);
        assert.match(await page.$eval("#verdict", (n) => n.textContent ?? ""), /^overdue: a pass is missing past its grace \(exit status 1\)$/);
        assert.match(await page.$eval("#headline", (n) => n.textContent ?? ""), /oldest incomplete window .* days before Graph forgets it; \d+ windows? with \d+ pass(es)? overdue, 0 of them at risk \(within 7 days\)/);
        assert.match(await page.$eval("#at-risk", (n) => n.textContent ?? ""), /^Nothing within 7 days of Graph's horizon\.$/);
        // Records per day at the end of each row: today's bar carries the day's records.
        const today = new Date().toISOString().slice(0, 10);
        const todays = report.windows.filter((w) => w.day === today).reduce((n, w) => n + w.records, 0);
        if (todays > 0) assert.equal(await page.$eval(`#heatmap .bar[data-day="${today}"] em`, (n) => n.textContent), String(todays));
        // Each telephony log by its own horizon: the PSTN day answered 404, the Direct Routing day's rows.
        const logs = await page.$$eval("#logs tbody tr", (nodes) => nodes.map((n) => [...n.querySelectorAll("td")].map((td) => td.textContent)));
        assert.deepEqual(logs, [
          ["PSTN calls", "365 days", "not in this tenant (404)", "1/1", "0/0", "0", "0", "0"],
          ["Direct Routing calls", "150 days", "available", "1/1", "0/0", "5", "0", "0"],
        ]);
        const shot = Buffer.from(await page.screenshot({ type: "png" }));
        await page.goto("about:blank");
        const blank = Buffer.from(await page.screenshot({ type: "png" }));
        // A blank page compresses to almost nothing; cells, bars and text do not.
        assert.ok(shot.length > 5 * blank.length, `screenshot of ${shot.length} bytes against ${blank.length} for a blank page`);
        const text = await readFile(html, "utf8");
        assert.doesNotMatch(text, /<script|https?:\/\/(?!www\.w3\.org)/, "the report loads nothing from the network");
      } finally {
        await browser.close();
      }
    });
  });
});
