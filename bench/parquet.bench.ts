/**
 * `npm run bench:parquet`: which library writes the curated layer. Builds one archive day of
 * BENCH_RECORDS call records (default 100,000) from the sandbox's generator, then has each
 * candidate write the five curated tables with zstd, each in its own process (bench/parquetWriter.ts),
 * and prints: time, peak RSS, output size, the library's installed size, and whether DuckDB reads
 * back the sandbox's counts. Then the curated day's size and read time against the raw day's.
 * Prints figures; asserts nothing.
 */
import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { createGzip } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { CallGenerator, fullDocument } from "../sandbox/generator.js";
import { dayInMs } from "../shared/core/window.js";
import { duckdbViewsSql } from "../shared/lake/duckdbViews.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const records = Number(process.env.BENCH_RECORDS ?? 100_000);
const writers = (process.env.BENCH_WRITERS ?? "hyparquet,duckdb,parquet-wasm").split(",");
const libraries: Record<string, string[]> = {
  duckdb: ["@duckdb/node-api", "@duckdb/node-bindings", "@duckdb/node-bindings-linux-x64"],
  hyparquet: ["hyparquet-writer", "hyparquet", "@bokuweb/zstd-wasm"],
  "parquet-wasm": ["parquet-wasm", "apache-arrow", "flatbuffers", "tslib", "json-bignum", "command-line-args", "command-line-usage"],
};

const sizeOf = async (path: string): Promise<number> => {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
};
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

interface Truth {
  calls: number;
  sessions: number;
  segments: number;
  streams: number;
  participants: number;
  loss: number;
}

/** One archive day: every call of enough generator days, filed by its start hour, one version each. */
async function writeDay(dir: string): Promise<Truth> {
  const generator = new CallGenerator({ seed: "parquet-bench", callsPerDay: 4095, largeMeetingShare: 0.01, availabilityDelayInMs: 0 });
  const truth: Truth = { calls: 0, sessions: 0, segments: 0, streams: 0, participants: 0, loss: 0 };
  const hours = Array.from({ length: 24 }, (_, hour) => {
    const folder = join(dir, `callrecords/v1/year=2026/month=11/day=02/hour=${String(hour).padStart(2, "0")}`);
    return { folder, gzip: undefined as ReturnType<typeof createGzip> | undefined, done: undefined as Promise<void> | undefined };
  });
  for (let day = Date.parse("2026-01-05T00:00:00Z") / dayInMs; truth.calls < records; day += 1) {
    for (const call of generator.callsOfDay(day)) {
      if (truth.calls >= records) break;
      const version = call.versions[0];
      if (!version) continue;
      const doc = fullDocument(call, version) as { sessions: { segments: { media: { streams: { averagePacketLossRate: number }[] }[] }[] }[]; participants_v2: unknown[] };
      const slot = hours[new Date(call.startInMs).getUTCHours()];
      if (!slot) continue;
      if (!slot.gzip) {
        await mkdir(slot.folder, { recursive: true });
        const gzip = createGzip();
        const file = createWriteStream(join(slot.folder, "bench_p0.jsonl.gz"));
        slot.done = new Promise((done, fail) => file.on("finish", () => done()).on("error", fail));
        gzip.pipe(file);
        slot.gzip = gzip;
      }
      const line = `${JSON.stringify({ ...doc, _archive: { harvestedAt: "2026-11-02T00:00:00.000Z", pass: 0, cloud: "Global", participantsListed: true } })}\n`;
      if (!slot.gzip.write(line)) await new Promise((drained) => slot.gzip?.once("drain", drained));
      truth.calls += 1;
      truth.sessions += doc.sessions.length;
      truth.participants += doc.participants_v2.length;
      for (const s of doc.sessions) {
        truth.segments += s.segments.length;
        for (const st of s.segments.flatMap((g) => g.media.flatMap((m) => m.streams))) {
          truth.streams += 1;
          truth.loss += st.averagePacketLossRate;
        }
      }
    }
  }
  for (const slot of hours) slot.gzip?.end();
  await Promise.all(hours.map((slot) => slot.done));
  return truth;
}

// BENCH_KEEP=1 keeps the work folder (the day and each writer's output) and prints where it is.
const work = await mkdtemp(join(tmpdir(), "parquet-bench-"));
try {
  const archive = join(work, "archive");
  const started = performance.now();
  const truth = await writeDay(archive);
  const rawBytes = await sizeOf(join(archive, "callrecords"));
  console.log(`one day: ${truth.calls} calls, ${truth.sessions} sessions, ${truth.streams} streams, ${truth.participants} participants; raw ${mb(rawBytes)} MB in 24 gzip files (built in ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);

  const db = await DuckDBInstance.create(":memory:");
  const sql = await db.connect();
  const one = async (query: string) => (await sql.runAndReadAll(query)).getRowObjectsJson()[0] ?? {};
  const timed = async (query: string) => {
    const t = performance.now();
    await one(query);
    return performance.now() - t;
  };

  console.log("writer        time s  peak RSS MB  output MB  library MB  read back by DuckDB");
  for (const writer of writers) {
    const out = join(work, writer);
    await mkdir(out, { recursive: true });
    let report = "";
    try {
      const child = await run(process.execPath, ["--import", "tsx", join(root, "bench", "parquetWriter.ts"), writer, archive, out], { cwd: root, maxBuffer: 1 << 24 });
      const figures = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as { ms: number; maxRssMB: number };
      const counts = await one(`SELECT
        (SELECT count(*) FROM '${out}/calls.parquet')::INTEGER AS calls,
        (SELECT count(*) FROM '${out}/sessions.parquet')::INTEGER AS sessions,
        (SELECT count(*) FROM '${out}/segments.parquet')::INTEGER AS segments,
        (SELECT count(*) FROM '${out}/streams.parquet')::INTEGER AS streams,
        (SELECT count(*) FROM '${out}/participants.parquet')::INTEGER AS participants,
        (SELECT sum(averagePacketLossRate) FROM '${out}/streams.parquet') AS loss`);
      const wrong = (Object.keys(truth) as (keyof Truth)[]).filter((k) => (k === "loss" ? Math.abs(Number(counts.loss) - truth.loss) > 1e-6 : counts[k] !== truth[k]));
      const library = (await Promise.all((libraries[writer] ?? []).map((p) => sizeOf(join(root, "node_modules", p))))).reduce((a, b) => a + b, 0);
      const outBytes = (await Promise.all(["calls", "sessions", "segments", "streams", "participants"].map((t) => sizeOf(join(out, `${t}.parquet`))))).reduce((a, b) => a + b, 0);
      report = `${(figures.ms / 1000).toFixed(1).padStart(6)}  ${String(figures.maxRssMB).padStart(11)}  ${mb(outBytes).padStart(9)}  ${mb(library).padStart(10)}  ${wrong.length === 0 ? "all counts and the loss sum match" : `WRONG: ${wrong.join(", ")}`}`;
    } catch (error) {
      const text = String((error as { stderr?: string }).stderr ?? error);
      report = `failed: ${(/[A-Za-z ]*Error: [^\n]*/.exec(text)?.[0] ?? text.split("\n").filter(Boolean).at(-1) ?? "").slice(0, 160)}`;
    }
    console.log(`${writer.padEnd(13)} ${report}`);
  }

  // The curated day (the production writer's) against the raw day, the same question asked of each
  // (DuckDB, second run of each).
  if (!writers.includes("hyparquet")) throw new Error("the curated-against-raw comparison reads the hyparquet output");
  await sql.run(`SET VARIABLE archive = '${archive}'`);
  await sql.run(duckdbViewsSql());
  const curated = join(work, "hyparquet");
  const question = (from: string) => `SELECT hour, count(*) AS n, avg(averagePacketLossRate) AS loss FROM ${from} GROUP BY hour`;
  await timed(question("callrecord_streams"));
  const rawMs = await timed(question("callrecord_streams"));
  await timed(question(`'${curated}/streams.parquet'`));
  const curatedMs = await timed(question(`'${curated}/streams.parquet'`));
  const curatedBytes = await sizeOf(curated);
  console.log(`\nloss per hour over the day's streams: raw JSON Lines ${rawMs.toFixed(0)} ms (${mb(rawBytes)} MB), curated Parquet ${curatedMs.toFixed(1)} ms (${mb(curatedBytes)} MB, five tables)`);
  sql.closeSync();
  db.closeSync();
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}
