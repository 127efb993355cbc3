import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BlobServiceClient, ContainerSASPermissions, type ContainerClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { containerProblem, deleteRightWarning, writeProbeName } from "../../local/localArchive.js";

// npm start's check of --out before the first Graph request, against Azurite with SAS tokens of
// given permissions: a token that may list but not create is refused by name; one that may create
// leaves one probe blob, ever, outside the archive's prefixes.
let azurite: Azurite;
let container: ContainerClient;

before(async () => {
  azurite = await startAzurite();
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("archive");
  await container.create();
});
after(() => azurite?.stop());

const sasUrl = (permissions: string) =>
  container.generateSasUrl({ permissions: ContainerSASPermissions.parse(permissions), expiresOn: new Date(Date.now() + 3_600_000) });

describe("the --out container check (list, then a create that never overwrites)", () => {
  it("a SAS that may read and list but not create: refused, naming the missing right", async () => {
    const problem = await containerProblem(await sasUrl("rl"));
    assert.match(problem ?? "", /^your login may read it but not create blobs in it \(403 \w+\)/);
    assert.deepEqual(await names(), []);
  });

  it("a SAS that may create: accepted, one probe blob written outside callrecords/", async () => {
    assert.equal(await containerProblem(await sasUrl("rlcw")), undefined);
    assert.deepEqual(await names(), [writeProbeName]);
  });

  it("again, once the probe exists: accepted (already exists proves the right to write), nothing more written", async () => {
    assert.equal(await containerProblem(await sasUrl("rlcw")), undefined);
    assert.deepEqual(await names(), [writeProbeName]);
  });

  it("a SAS that may create but not overwrite meets the existing probe with 403: a new probe name settles it", async () => {
    assert.equal(await containerProblem(await sasUrl("rlc")), undefined);
    const probes = await names();
    assert.equal(probes.length, 2);
    assert.ok(probes.every((name) => name.startsWith("_probes/write-check")), probes.join(", "));
    // Without create, still refused with the probes there.
    assert.match((await containerProblem(await sasUrl("rl"))) ?? "", /not create blobs in it \(403/);
    assert.equal((await names()).length, 2);
  });
});

describe("npm run status -- --archive: the warning when the identity reading the archive may delete", () => {
  it("a SAS with delete: warned, the container named without its query, nothing deleted", async () => {
    const before = await names();
    const url = await sasUrl("rld");
    const warning = await deleteRightWarning(url);
    assert.match(warning ?? "", /^warning: the identity reading http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/archive may delete its blobs \(a DELETE of a blob that does not exist was answered 404, not 403\)/);
    assert.doesNotMatch(warning ?? "", /sig=/);
    assert.deepEqual(await names(), before);
  });

  it("a SAS with read and list only: no warning", async () => {
    assert.equal(await deleteRightWarning(await sasUrl("rl")), undefined);
  });

  it("a SAS with everything but delete: no warning", async () => {
    assert.equal(await deleteRightWarning(await sasUrl("racwl")), undefined);
  });
});

async function names(): Promise<string[]> {
  const all: string[] = [];
  for await (const blob of container.listBlobsFlat()) all.push(blob.name);
  return all;
}
