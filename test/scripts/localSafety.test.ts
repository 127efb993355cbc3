import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BlobServiceClient, ContainerSASPermissions, type ContainerClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { mirrorContainer, unsafeNameProblem } from "../../local/lakeMirror.js";
import { runScript } from "../support/runScript.js";
import { archiveRecord, documentedFixture } from "../support/documentedLake.js";

// The local tools trust nothing they read: a blob name, the SQL typed, a storage endpoint setting.
let azurite: Azurite;
let container: ContainerClient;
let scratch = "";

before(async () => {
  azurite = await startAzurite();
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("mirror");
  await container.create();
  scratch = await mkdtemp(join(tmpdir(), "local-safety-"));
});
after(async () => {
  await azurite?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** A PUT as any client may send it: `%2F` in the path, which Azurite stores as `/` (the SDK would normalise `..` away). */
async function rawPut(name: string, body: string): Promise<void> {
  const sas = (await container.generateSasUrl({ permissions: ContainerSASPermissions.parse("racwl"), expiresOn: new Date(Date.now() + 3_600_000) })).split("?")[1];
  const response = await fetch(`${container.url}/${name}?${sas}`, { method: "PUT", headers: { "x-ms-blob-type": "BlockBlob" }, body });
  assert.equal(response.status, 201, name);
}

describe("npm run query's mirror of a blob archive", () => {
  it("refuses names that could leave the folder, copies the rest whole and readable by the user only, and copies a rewritten blob again", async () => {
    await rawPut("callrecords/v1/..%2F..%2F..%2Fescaped.txt", "outside");
    await rawPut("callrecords/v1/year=2026/x%2F..%2F..%2Fup.txt", "up");
    await container.getBlockBlobClient("callrecords/v1/year=2026/ok.jsonl.gz").upload("first", 5);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: "callrecords/" })) names.push(blob.name);
    // What the service really holds: the escape is listed under the archive's prefix.
    assert.ok(names.includes("callrecords/v1/../../../escaped.txt"), names.join(", "));

    const folder = join(scratch, "lake", "a", "b", "c");
    const first = await mirrorContainer(container, folder, ["callrecords/"]);
    assert.deepEqual(
      first.refused.map((r) => [r.name, r.problem]).sort(),
      [
        ["callrecords/v1/../../../escaped.txt", "it has an empty, '.' or '..' segment"],
        ["callrecords/v1/year=2026/x/../../up.txt", "it has an empty, '.' or '..' segment"],
      ],
    );
    assert.deepEqual([first.copied, first.refreshed], [1, 0]);
    for (const path of [join(scratch, "escaped.txt"), join(scratch, "lake", "escaped.txt"), join(scratch, "lake", "a", "escaped.txt"), join(folder, "callrecords", "up.txt")]) assert.ok(!existsSync(path), path);
    const file = join(folder, "callrecords", "v1", "year=2026", "ok.jsonl.gz");
    assert.equal(await readFile(file, "utf8"), "first");
    assert.equal((await stat(file)).mode & 0o777, 0o600);

    const unchanged = await mirrorContainer(container, folder, ["callrecords/"]);
    assert.deepEqual([unchanged.copied, unchanged.refreshed], [0, 0]);
    await container.getBlockBlobClient("callrecords/v1/year=2026/ok.jsonl.gz").upload("second", 6);
    const again = await mirrorContainer(container, folder, ["callrecords/"]);
    assert.deepEqual([again.copied, again.refreshed], [0, 1]);
    assert.equal(await readFile(file, "utf8"), "second");
  });

  it("names the problem of each unsafe name", () => {
    const table: [string, string | undefined][] = [
      ["callrecords/v1/year=2026/a.jsonl.gz", undefined],
      ["/etc/passwd", "it is an absolute path"],
      ["C:/Windows/x", "it is an absolute path"],
      ["callrecords\\v1\\x", "it holds a backslash"],
      ["callrecords/v1/./x", "it has an empty, '.' or '..' segment"],
      ["callrecords//x", "it has an empty, '.' or '..' segment"],
    ];
    for (const [name, problem] of table) assert.equal(unsafeNameProblem(name), problem, name);
  });
});

describe("npm run query's SQL is confined to the archive once the views are loaded", () => {
  let archive = "";
  before(async () => {
    // Graph's documented record, archived as a harvest writes it: the views have a file to bind.
    archive = join(scratch, "archive");
    await mkdir(archive, { recursive: true });
    await archiveRecord(archive, await documentedFixture("get-callrecord-expanded.json"));
    await writeFile(join(scratch, "secret.txt"), "not yours\n");
  });

  it("still answers over the archive", { timeout: 60_000 }, async () => {
    const run = await runScript("query", ["--out", archive, "SELECT count(*) AS calls FROM callrecords_latest"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^calls\n1\s*$/);
  });

  const refused: [string, string, RegExp][] = [
    ["a file outside the archive", `SELECT * FROM read_text('${"SCRATCH"}/secret.txt')`, /Permission Error: Cannot access file/],
    ["a network URL", "SELECT * FROM read_csv('https://example.com/x.csv')", /Permission Error: Cannot access file "https:\/\/example\.com\/x\.csv"/],
    ["installing an extension", "INSTALL httpfs", /Permission Error/],
    ["undoing the lock", "SET enable_external_access = true", /the configuration has been locked/],
    ["writing outside the archive", `COPY (SELECT 1) TO '${"SCRATCH"}/out.csv'`, /Permission Error: Cannot access file/],
  ];
  for (const [what, sql, message] of refused) {
    it(`refuses ${what}`, { timeout: 60_000 }, async () => {
      const run = await runScript("query", ["--out", archive, sql.replace("SCRATCH", scratch)]);
      assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, message);
      assert.ok(!existsSync(join(scratch, "out.csv")));
    });
  }
});

describe("ARCHIVER_STORAGE__blobServiceUri gets your Azure login's token only on the cloud's blob endpoints", () => {
  it("refuses http (the setting's own parser, exit 2)", { timeout: 60_000 }, async () => {
    const run = await runScript("status", [], 60_000, { ARCHIVER_STORAGE__blobServiceUri: "http://myaccount.blob.core.windows.net" });
    assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /ARCHIVER_STORAGE__blobServiceUri: expected an https URL/);
  });

  for (const uri of ["https://evil.example.com", "https://127.0.0.1:10000/devstoreaccount1"]) {
    it(`refuses ${uri} (exit 2, named)`, { timeout: 60_000 }, async () => {
      const run = await runScript("status", [], 60_000, { ARCHIVER_STORAGE__blobServiceUri: uri });
      assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, /^error: ARCHIVER_STORAGE__blobServiceUri \S+ is not a blob endpoint of the Global cloud \(https:\/\/ACCOUNT\.blob\.core\.windows\.net\): your Azure login's token is sent to no other host\. For a local emulator, set ARCHIVER_STORAGE to its connection string instead\./);
    });
  }
});
