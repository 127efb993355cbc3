import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { before, describe, it } from "node:test";
import { dataBlobName } from "../../shared/archive/archiveLayout.js";
import { jobBody } from "../../shared/core/job.js";
import { dayInMs, floorTo, hourInMs } from "../../shared/core/window.js";
import { curatedMarkerName, curatedRoot } from "../../shared/pipeline/curate/curateDay.js";
import { dayMarkerName } from "../../shared/pipeline/harvest/dayMarker.js";
import { azdPackage } from "../support/azdPackage.js";
import { captureRegistrations, triggerOf } from "../support/functionsCore.js";
import { graphFixturePath } from "../support/fixtures.js";
import { withHarvestHost } from "../support/harvestHost.js";
import { installedCopies, singletonPackages } from "../support/installedCopies.js";
import { sdkBindingTrigger } from "../support/serviceBusHost.js";
import { runWorker } from "../support/worker.js";

const root = resolve(import.meta.dirname, "..", "..");
const registered = captureRegistrations();

describe("the deployment package (npm run build)", () => {
  let out = "";

  before(async () => {
    out = join(await mkdtemp(join(tmpdir(), "archiver-package-")), "dist");
    await promisify(execFile)(process.execPath, ["--import", "tsx", join(root, "scripts", "package.ts"), "--out", out], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    });
  });

  it("holds host.json and a package.json whose main is the compiled entry point", async () => {
    const manifest = JSON.parse(await readFile(join(out, "package.json"), "utf8")) as { main: string; type: string; scripts?: unknown };
    assert.equal(manifest.main, "functions/index.js");
    assert.equal(manifest.type, "module");
    assert.equal(manifest.scripts, undefined);
    assert.deepEqual(JSON.parse(await readFile(join(out, "host.json"), "utf8")), JSON.parse(await readFile(join(root, "host.json"), "utf8")));
    await stat(join(out, manifest.main));
  });

  it("leaves out dependencies' source maps and type declarations", async () => {
    const entries = await readdir(join(out, "node_modules"), { recursive: true });
    assert.deepEqual(entries.filter((name) => /\.(map|d\.ts|d\.mts|d\.cts)$/.test(name)), []);
    assert.ok((await readdir(join(out, "functions"))).some((name) => name.endsWith(".js.map")), "our own source maps stay");
  });

  it("has production dependencies only", async () => {
    for (const dev of ["typescript", "tsx", "azurite", "eslint", "fast-check"]) {
      await assert.rejects(stat(join(out, "node_modules", dev)), `${dev} is a dev dependency`);
    }
  });

  it("loads from its own node_modules and registers every function", async () => {
    await import(pathToFileURL(join(out, "functions", "index.js")).href);
    assert.equal(triggerOf(registered, "plan")?.type, "timerTrigger");
    assert.equal(triggerOf(registered, "curate")?.type, "timerTrigger");
    assert.equal(triggerOf(registered, "harvest")?.type, "serviceBusTrigger");
  });

  it("installs one copy of each package that keeps process-wide state", async () => {
    for (const name of singletonPackages) {
      const copies = await installedCopies(out, name);
      assert.equal(copies.length, 1, `${name}: ${JSON.stringify(copies)}`);
    }
  });

  describe("as azd uploads it, loaded with nothing else installed", () => {
    let uploaded = "";
    let kept: string[] = [];
    before(async () => {
      uploaded = await mkdtemp(join(tmpdir(), "archiver-uploaded-"));
      kept = await azdPackage(out, uploaded);
    });

    it("carries node_modules", () => {
      assert.ok(kept.some((path) => path.startsWith("node_modules/@azure/functions/")), `kept ${kept.length} files`);
    });

    it("registers every function; its harvest trigger completes a message, and its curate timer, run twice in one warm worker, writes three final days that DuckDB reads whole", async () => {
      await withHarvestHost(async ({ settings, settlement, window, archive }) => {
        // Three final days in the archive for the curate function: one data file and the day
        // marker each. A warm worker curates ARCHIVER_CURATE_MAX_DAYS (2) in its first run and the
        // third in its second: every day after a process's first must be as readable as the first.
        const days = [27, 26, 25].map((back) => floorTo(Date.now(), dayInMs) - back * dayInMs);
        const record = await readFile(graphFixturePath("get-callrecord-expanded.json"), "utf8");
        for (const day of days) {
          const data = gzipSync(`${JSON.stringify({ ...(JSON.parse(record) as object), _archive: { pass: 0 } })}\n`);
          await archive.getBlockBlobClient(dataBlobName({ window: { startInMs: day + 9 * hourInMs, endInMs: day + 10 * hourInMs }, pass: 0 })).upload(data, data.length);
          await archive.getBlockBlobClient(dayMarkerName(day)).upload("{}", 2);
        }
        const timer = { json: JSON.stringify({ Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false }) };

        // The package's own folder has no node_modules above it: what it lacks, it lacks.
        const trigger = sdkBindingTrigger({ body: jobBody({ window, pass: 0 }) });
        const report = await runWorker({
          entry: join(uploaded, "functions", "index.js"),
          env: settings,
          args: settlement.workerArgs,
          invocations: [
            { functionName: "harvest", trigger: trigger.data },
            // What the host sends a timer function, twice, to the same worker.
            { functionName: "curate", trigger: timer },
            { functionName: "curate", trigger: timer },
          ],
        });
        assert.deepEqual(report.registered.map((r) => r.name).sort(), ["curate", "harvest", "plan"]);
        assert.equal(report.outcomes[0]?.status, "Success", report.outcomes[0]?.error);
        assert.deepEqual(settlement.calls.filter((c) => c.request.locktoken === trigger.lockToken).map((c) => c.method), ["complete"]);
        for (const outcome of report.outcomes.slice(1)) assert.equal(outcome.status, "Success", outcome.error);
        const curated: string[] = [];
        for await (const blob of archive.listBlobsFlat({ prefix: `${curatedRoot}/` })) curated.push(blob.name);
        for (const day of days) assert.ok(curated.includes(curatedMarkerName(day)), curated.join(", "));
        const tables = curated.filter((n) => n.endsWith(".parquet"));
        assert.equal(tables.length, 5 * days.length, curated.join(", "));
        // Read back by DuckDB, not by our own reader: a table whose zstd frames are zeros fails here.
        const local = await mkdtemp(join(tmpdir(), "curated-read-"));
        const db = await DuckDBInstance.create(":memory:");
        const sql = await db.connect();
        try {
          for (const [i, name] of tables.entries()) {
            const file = join(local, `${i}.parquet`);
            await archive.getBlockBlobClient(name).downloadToFile(file);
            // Every column of every row group is decompressed: a corrupt frame cannot hide.
            const read = (await sql.runAndReadAll(`SELECT count(*) AS n, count(COLUMNS(*)) FROM read_parquet('${file}')`)).getRowObjectsJson() as { n: string }[];
            if (name.startsWith(`${curatedRoot}/calls/`)) assert.equal(Number(read[0]?.n), 1, `${name}: one documented call a day`);
          }
        } finally {
          sql.closeSync();
          await rm(local, { recursive: true, force: true });
        }
      });
    });
  });
});

describe("the project's own install", () => {
  it("has one copy of each package that keeps process-wide state", async () => {
    for (const name of singletonPackages) {
      const copies = await installedCopies(root, name);
      assert.equal(copies.length, 1, `${name}: ${JSON.stringify(copies)}`);
    }
  });
});

describe("host.json", () => {
  const hms = (text: string) => text.split(":").reduce((total, part) => total * 60 + Number(part), 0);

  it("keeps a harvest's lock renewed past the function timeout, which outlasts the default time budget", async () => {
    const host = JSON.parse(await readFile(join(root, "host.json"), "utf8")) as {
      functionTimeout: string;
      extensions: { serviceBus: { maxAutoLockRenewalDuration: string; autoCompleteMessages: boolean; maxConcurrentCalls: number } };
    };
    const { settings } = await import("../../shared/config/settings.js");
    const budgetInSeconds = settings.timeBudgetSeconds.parse(undefined);
    assert.ok(hms(host.functionTimeout) >= budgetInSeconds + 300, "the split at the time budget needs minutes to write and enqueue");
    assert.ok(hms(host.extensions.serviceBus.maxAutoLockRenewalDuration) > hms(host.functionTimeout));
    assert.equal(host.extensions.serviceBus.autoCompleteMessages, false, "the harvester settles, to dead-letter with a reason");
    assert.ok(host.extensions.serviceBus.maxConcurrentCalls <= 8, "each harvest already fetches records in parallel");
  });
});
