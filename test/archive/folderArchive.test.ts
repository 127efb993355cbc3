import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { folderArchiveStore } from "../../shared/archive/archiveStore.js";

describe("the local folder archive (npm start --out FOLDER)", () => {
  it("creates each name once and never overwrites it", async () => {
    const root = await mkdtemp(join(tmpdir(), "archive-"));
    try {
      const store = folderArchiveStore(root);
      const name = "callrecords/v1/year=2026/month=11/day=27/hour=09/_x.manifest.json";
      assert.equal(await store.createText(name, "first", "application/json"), "created");
      assert.equal(await store.createText(name, "second", "application/json"), "exists");
      assert.equal(await readFile(join(root, name), "utf8"), "first");
      assert.deepEqual(await store.list("callrecords/v1/year=2026/month=11/day=27/hour=09/"), [name]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("leaves nothing behind when the stream fails", async () => {
    const root = await mkdtemp(join(tmpdir(), "archive-"));
    try {
      const store = folderArchiveStore(root);
      const failing = new Readable({
        read() {
          this.push("partial line");
          this.destroy(new Error("Graph failed mid-window"));
        },
      });
      await assert.rejects(store.createFromStream("callrecords/v1/a.jsonl.gz", failing, "application/x-ndjson"), /mid-window/);
      assert.equal(await store.read("callrecords/v1/a.jsonl.gz"), undefined);
      assert.deepEqual(await store.list("callrecords/"), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
