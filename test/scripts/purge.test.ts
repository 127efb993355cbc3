import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { BlobServiceClient, ContainerSASPermissions, type ContainerClient, RestError } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { purgeArchive } from "../../local/purgeArchive.js";
import { ownerOf, purgeOwner } from "../../local/retentionPurge.js";
import { blobTenantRegistryStore } from "../../shared/archive/tenantRegistryStore.js";

// The end of a retention under WORM (docs/tenants.md, "Retention per tenant"): the decision by
// hand-typed names and ages, the deletes against Azurite, and `npm run purge` as an operator runs it.
const root = resolve(import.meta.dirname, "..", "..");
const fabrikam = "0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c";
const day = 86_400_000;
const names = {
  homeData: "callrecords/v1/year=2026/month=11/day=02/hour=09/20261102T0900Z_20261102T1000Z_p0.jsonl.gz",
  homeManifest: "callrecords/v1/year=2026/month=11/day=02/hour=09/_20261102T0900Z_20261102T1000Z_p0.manifest.json",
  homeLog: "pstncalls/v1/tenant=home/year=2026/month=11/day=02/20261102T0000Z_20261103T0000Z_p0.jsonl.gz",
  homeCurated: "curated/v2/streams/year=2026/month=11/day=02/streams_20261102.parquet",
  fabrikamData: `callrecords/v1/tenant=${fabrikam}/year=2026/month=11/day=02/hour=09/20261102T0900Z_20261102T1000Z_p0.jsonl.gz`,
  fabrikamCurated: `curated/v2/direct_routing_calls/tenant=${fabrikam}/year=2026/month=11/day=02/direct_routing_calls_20261102.parquet`,
  marker: "curated/v2/_days/2026-11-02.json",
};

describe("retention's purge: which blobs", () => {
  it("names each blob's owner from the lifecycle rules' folders, and none for markers", () => {
    assert.equal(ownerOf(names.homeData), "home");
    assert.equal(ownerOf(names.homeLog), "home");
    assert.equal(ownerOf(names.homeCurated), "home");
    assert.equal(ownerOf("curated/v1/calls/year=2025/month=06/day=02/calls_20250602.parquet"), "home");
    assert.equal(ownerOf(names.fabrikamData), fabrikam);
    assert.equal(ownerOf(names.fabrikamCurated), fabrikam);
    assert.equal(ownerOf(names.marker), undefined);
    assert.equal(ownerOf(`curated/v2/_days/tenant=${fabrikam}/2026-11-02.json`), undefined);
    assert.equal(ownerOf("_probes/write-check.json"), undefined);
  });

  it("a blob goes once it is older than its tenant's retention, the shorter of every tenant's and its own", () => {
    const now = Date.UTC(2027, 5, 1);
    const rules = { everyTenantDays: 400, own: new Map([["home", 90]]) };
    assert.equal(purgeOwner(names.homeData, now - 91 * day, rules, now), "home");
    assert.equal(purgeOwner(names.homeData, now - 90 * day, rules, now), undefined, "lifecycle's rule: more than the days");
    assert.equal(purgeOwner(names.fabrikamData, now - 91 * day, rules, now), undefined, "fabrikam keeps every tenant's 400");
    assert.equal(purgeOwner(names.fabrikamData, now - 401 * day, rules, now), fabrikam);
    assert.equal(purgeOwner(names.marker, now - 1000 * day, rules, now), undefined);
    assert.equal(purgeOwner(names.fabrikamData, now - 1000 * day, { own: new Map([["home", 90]]) }, now), undefined, "no retention: kept");
    const erase = { own: new Map<string, number>(), erase: new Set([fabrikam]) };
    assert.equal(purgeOwner(names.fabrikamData, now - 1000, erase, now), fabrikam, "an erased tenant's blob goes whatever its age");
    assert.equal(purgeOwner(names.homeData, now - 1000 * day, erase, now), undefined);
    assert.equal(purgeOwner(`curated/v2/_days/tenant=${fabrikam}/2026-11-02.json`, now, erase, now), undefined, "its markers are not call data");
  });
});

describe("npm run purge", () => {
  let azurite: Azurite;
  let archive: ContainerClient;
  let env: Record<string, string>;
  before(async () => {
    azurite = await startAzurite();
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    archive = service.getContainerClient("archive");
    await archive.create();
    await service.getContainerClient("state").create();
    env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ARCHIVER_STORAGE: azurite.connectionString };
  });
  after(() => azurite.stop());

  const write = (all: readonly string[]) => Promise.all(all.map((name) => archive.getBlockBlobClient(name).upload("x", 1)));
  const listed = async () => {
    const found: string[] = [];
    for await (const item of archive.listBlobsFlat()) found.push(item.name);
    return found.sort();
  };
  async function purge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)("npm", ["run", "-s", "purge", "--", ...args], { cwd: root, env, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("deletes what is past its retention and nothing else; a blob the WORM policy still holds is counted as kept", async () => {
    await write(Object.values(names));
    const later = Date.now() + 100 * day;
    const figures = await purgeArchive(archive, { own: new Map([["home", 90]]) }, later, true);
    assert.deepEqual([...figures.due].map(([owner, due]) => [owner, due.blobs, due.bytes]), [["home", 4, 4]]);
    assert.equal(figures.deleted, 4);
    assert.deepEqual(await listed(), [names.marker, names.fabrikamCurated, names.fabrikamData].sort());
    // Azurite has no immutability policy: the service's refusal, as Blob Storage answers a delete the policy forbids.
    const worm = {
      listBlobsFlat: archive.listBlobsFlat.bind(archive),
      deleteBlob: () => Promise.reject(new RestError("This operation is not permitted as the blob is immutable due to a policy.", { statusCode: 409, code: "BlobImmutableDueToPolicy" })),
    };
    const kept = await purgeArchive(worm, { own: new Map([[fabrikam, 31]]) }, later, true);
    assert.equal(kept.deleted, 0);
    assert.equal(kept.keptByPolicy, 2);
    assert.equal(kept.refusal, "BlobImmutableDueToPolicy: This operation is not permitted as the blob is immutable due to a policy.");
    assert.equal((await listed()).length, 3);
  });

  it("deletes in rounds past the first 16, and leaves a hierarchical namespace's directory entries alone", async () => {
    const own = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("archive-many");
    await own.create();
    const hours = Array.from({ length: 40 }, (_, i) => `callrecords/v1/year=2026/month=11/day=${String(1 + Math.floor(i / 24)).padStart(2, "0")}/hour=${String(i % 24).padStart(2, "0")}/x_p0.jsonl.gz`);
    await Promise.all(hours.map((name) => own.getBlockBlobClient(name).upload("x", 1)));
    // As ADLS Gen2 lists a directory through the blob endpoint: an empty blob marked hdi_isfolder.
    const folder = "callrecords/v1/year=2026/month=11/day=02";
    await own.getBlockBlobClient(folder).upload("", 0, { metadata: { hdi_isfolder: "true" } });
    const figures = await purgeArchive(own, { everyTenantDays: 31, own: new Map() }, Date.now() + 40 * day, true);
    assert.deepEqual([figures.due.get("home")?.blobs, figures.deleted, figures.keptByPolicy], [40, 40, 0]);
    const left: string[] = [];
    for await (const item of own.listBlobsFlat()) left.push(item.name);
    assert.deepEqual(left, [folder]);
  });

  it("takes the tenants' retention from the registry, dry runs by default, and says what a purge would delete at a later instant", async () => {
    const registry = blobTenantRegistryStore(BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("state"));
    await registry.change({ action: "add", tenant: fabrikam, name: "Fabrikam", retentionDays: 60 }, "test", Date.now());
    const now = await purge([]);
    assert.equal(now.code, 0, now.stderr);
    assert.match(now.stdout, new RegExp(`^retention: ${fabrikam} 60 days, judged at `));
    assert.match(now.stdout, /nothing in archive is past its retention/);
    const asOf = new Date(Date.now() + 61 * day).toISOString().slice(0, 19) + "Z";
    const future = await purge(["--as-of", asOf]);
    assert.equal(future.code, 0, future.stderr);
    assert.ok(future.stdout.includes(`judged at ${asOf.slice(0, 16)}`), future.stdout);
    assert.match(future.stdout, new RegExp(`${fabrikam}: 2 blob\\(s\\), 0\\.0 MB past its retention, the oldest written 20`));
    assert.match(future.stdout, /dry run: nothing deleted/);
    assert.equal((await listed()).length, 3, "a dry run deletes nothing");
  });

  it("erases a removed tenant's whole archive, whatever its age, and refuses a tenant the registry does not say was removed", async () => {
    const registry = blobTenantRegistryStore(BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("state"));
    const live = await purge(["--erase", fabrikam, "--apply"]);
    assert.equal(live.code, 2);
    assert.match(live.stderr, /--erase 0b7e2c1a-5f3d-4e6b-9a8c-1d2e3f4a5b6c: the tenant is invited; only a removed tenant's archive is erased/);
    await registry.change({ action: "remove", tenant: fabrikam }, "test", Date.now());
    const dry = await purge(["--erase", fabrikam]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`${fabrikam}: 2 blob\\(s\\), 0\\.0 MB to erase`));
    const erased = await purge(["--erase", fabrikam, "--apply"]);
    assert.equal(erased.code, 0, erased.stderr);
    assert.match(erased.stdout, /deleted 2 blob\(s\)/);
    assert.deepEqual(await listed(), [names.marker], "the home tenant's marker stays; fabrikam's raw and curated blobs are gone");
  });

  it("says when the registry is not at hand (--archive URL), and refuses to erase without it", async () => {
    const url = await archive.generateSasUrl({ permissions: ContainerSASPermissions.parse("rl"), expiresOn: new Date(Date.now() + 3_600_000) });
    const bare = await purge(["--archive", url, "--retention-days", "31"]);
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stdout, /no tenant registry at hand \(--archive\): tenants' own retention is not applied; give --tenant-retention/);
    assert.match(bare.stdout, /^retention: every tenant 31 days, judged at /m);
    const erase = await purge(["--archive", url, "--erase", fabrikam]);
    assert.equal(erase.code, 2);
    assert.match(erase.stderr, /--erase checks the tenant registry, which is in the settings' account/);
  });

  it("refuses by name what would delete too soon or is not a retention", async () => {
    const cases: [string[], RegExp][] = [
      [["--apply", "--as-of", "2030-01-01T00:00:00Z"], /--as-of judges a future purge and deletes nothing/],
      [["--retention-days", "30"], /--retention-days keeps 30 days; a retention is a whole number of days over 30/],
      [["--retention-days", "a year"], /--retention-days is "a year", not a whole number of days/],
      [["--tenant-retention", "fabrikam.com=90"], /tenantRetention: "fabrikam.com" is not a tenant id \(a GUID\) or home/],
      [["--tenant-retention", `home=90,HOME=120`], /tenantRetention names tenant HOME twice/],
      [["--as-of", "next year"], /--as-of expects an instant such as 2027-06-01T00:00:00Z, got "next year"/],
    ];
    for (const [args, message] of cases) {
      const run = await purge(args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stdout}`);
      assert.match(run.stderr, message);
    }
  });
});
