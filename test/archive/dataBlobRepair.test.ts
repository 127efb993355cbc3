import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { constants, createGzip } from "node:zlib";
import { BlobServiceClient } from "@azure/storage-blob";
import { dataBlobName, manifestBlobName } from "../../shared/archive/archiveLayout.js";
import { type ArchiveStore, blobArchiveStore, folderArchiveStore } from "../../shared/archive/archiveStore.js";
import { parseManifest } from "../../shared/archive/manifest.js";
import { loadArchiverConfig } from "../../shared/config/config.js";
import { systemClock } from "../../shared/core/clock.js";
import { hourInMs } from "../../shared/core/window.js";
import { GraphClient } from "../../shared/graph/graphClient.js";
import { newGraphCounters } from "../../shared/graph/graphCounters.js";
import { RequestGovernor } from "../../shared/graph/requestGovernor.js";
import { harvest } from "../../shared/pipeline/harvest/harvest.js";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { fixedTokens } from "../support/stubTransport.js";

// A crash between the data blob's commit and its manifest leaves the blob alone: the next delivery
// rebuilds the manifest from it. Here the blob holds more JSON Lines than V8's longest string
// (about 512 MiB), as a window of 100,000 records can: it must be read line by line.
const lineCount = 26_000;
const padding = "p".repeat(24 * 1024);
const hour = Math.floor(Date.now() / hourInMs) * hourInMs;
const job = { window: { startInMs: hour - 5 * hourInMs, endInMs: hour - 4 * hourInMs }, pass: 0 };

/** The blob a harvest would have committed: `lineCount` records, compressible, gzipped as it streams. */
function bigDataBlob(): { stream: Readable; sha256: () => string; jsonLinesBytes: () => number } {
  const hash = createHash("sha256");
  let jsonLinesBytes = 0;
  const lines = Readable.from(
    (function* () {
      for (let i = 0; i < lineCount; i += 1) {
        const line = `${JSON.stringify({ id: `record-${i}`, version: (i % 7) + 1, startDateTime: "2026-11-26T08:10:00Z", padding })}\n`;
        jsonLinesBytes += line.length;
        yield line;
      }
    })(),
  );
  const gzipped = lines.pipe(createGzip({ level: constants.Z_BEST_SPEED }));
  gzipped.on("data", (chunk: Buffer) => hash.update(chunk));
  return { stream: gzipped.pipe(new PassThrough()), sha256: () => hash.digest("hex"), jsonLinesBytes: () => jsonLinesBytes };
}

/** A client that fails the test if a repair asks Graph anything. */
function noGraph(): GraphClient {
  const config = loadArchiverConfig({}).graph;
  return new GraphClient(config, {
    tokens: fixedTokens(),
    transport: { get: async (url) => assert.fail(`a repair asked Graph for ${url}`) },
    governor: new RequestGovernor({ requests: 1000, windowInMs: 1000 }, systemClock),
    clock: systemClock,
    counters: newGraphCounters(),
  });
}

async function repairs(archive: ArchiveStore, diagnostic: (line: string) => void): Promise<void> {
  const blob = bigDataBlob();
  assert.equal(await archive.createFromStream(dataBlobName(job), blob.stream, "application/x-ndjson"), "created");
  assert.ok(blob.jsonLinesBytes() > 2 ** 29, "the blob's text would fit in one string");
  const rssBefore = process.memoryUsage().rss;
  const counters = newGraphCounters();
  const outcome = await harvest(job, { graph: noGraph(), counters, archive, clock: systemClock, cloud: "Global", timeBudgetInMs: 600_000, concurrency: () => 4, enqueue: async () => undefined });
  const peakRss = process.resourceUsage().maxRSS * 1024;
  assert.equal(outcome.status, "repaired");
  const manifest = parseManifest(((await archive.read(manifestBlobName(job))) as Buffer).toString("utf8"), manifestBlobName(job));
  assert.equal(manifest.recordCount, lineCount);
  assert.deepEqual(manifest.records[12_345], { id: "record-12345", version: (12_345 % 7) + 1 });
  assert.equal(manifest.sha256, blob.sha256());
  diagnostic(`${(blob.jsonLinesBytes() / 2 ** 20).toFixed(0)} MiB of JSON Lines (${(manifest.bytes / 2 ** 20).toFixed(1)} MiB gzip) repaired; RSS before ${(rssBefore / 2 ** 20).toFixed(0)} MiB, process peak ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
}

describe("a data blob larger than V8's longest string is repaired, read line by line", () => {
  let azurite: Azurite;
  before(async () => {
    azurite = await startAzurite();
  });
  after(() => azurite.stop());

  it("on the folder store", async (t) => {
    const folder = await mkdtemp(join(tmpdir(), "big-repair-"));
    try {
      await repairs(folderArchiveStore(folder), (line) => t.diagnostic(line));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("on Azurite", async (t) => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`big-repair-${Date.now().toString(36)}`);
    await container.create();
    await repairs(blobArchiveStore(container), (line) => t.diagnostic(line));
  });
});
