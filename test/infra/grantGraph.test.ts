import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { beforeEach, describe, it } from "node:test";
import { type FakeDirectory, newDirectory } from "../support/fakeAz.js";

const root = resolve(import.meta.dirname, "..", "..");
const script = join(root, "infra", "scripts", "grant-graph.sh");
const managedIdentity = "mi-principal-object-id";

describe("infra/scripts/grant-graph.sh (national clouds), against a stand-in az", () => {
  let work = "";
  let statePath = "";

  const start = async (directory: FakeDirectory) => {
    work = await mkdtemp(join(tmpdir(), "grant-graph-"));
    statePath = join(work, "directory.json");
    await writeFile(statePath, JSON.stringify(directory));
    const az = join(work, "az");
    await writeFile(az, `#!/bin/sh\nexec "${process.execPath}" --import tsx "${join(root, "test", "support", "fakeAz.ts")}" "$@"\n`);
    await chmod(az, 0o755);
  };
  const grant = async (...args: string[]) => {
    const env = { ...process.env, PATH: `${work}:${process.env.PATH ?? ""}`, FAKE_AZ_STATE: statePath };
    try {
      const { stdout } = await promisify(execFile)("bash", [script, ...args], { env, cwd: root });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout + failed.stderr };
    }
  };
  const directory = async () => JSON.parse(await readFile(statePath, "utf8")) as FakeDirectory;

  describe("in US Government with the managed identity as Graph identity", () => {
    beforeEach(() => start(newDirectory("AzureUSGovernment", "https://graph.microsoft.us", "https://login.microsoftonline.us")));

    it("assigns CallRecords.Read.All, picked by value, on the cloud's Graph", async () => {
      const run = await grant("--principal-id", managedIdentity);
      assert.equal(run.code, 0, run.stdout);
      assert.deepEqual((await directory()).assignments, [
        {
          principalId: managedIdentity,
          resourceId: "graph-sp-object-id",
          appRoleId: "role-callrecords-read-all",
          url: "https://graph.microsoft.us/v1.0/servicePrincipals/graph-sp-object-id/appRoleAssignedTo",
        },
      ]);
    });

    it("grants once when run twice", async () => {
      await grant("--principal-id", managedIdentity);
      const again = await grant("--principal-id", managedIdentity);
      assert.equal(again.code, 0, again.stdout);
      assert.match(again.stdout, /already granted/);
      assert.equal((await directory()).assignments.length, 1);
    });

    it("uses --graph-url for DoD tenants", async () => {
      const dod = newDirectory("AzureUSGovernment", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us");
      await start(dod);
      const run = await grant("--principal-id", managedIdentity, "--graph-url", "https://dod-graph.microsoft.us/");
      assert.equal(run.code, 0, run.stdout);
      assert.match((await directory()).assignments[0]?.url ?? "", /^https:\/\/dod-graph\.microsoft\.us\/v1\.0\//);
    });

    it("refuses to run without the managed identity's principal id", async () => {
      const run = await grant("--app-registration", "archiver");
      assert.equal(run.code, 2);
      assert.match(run.stdout, /usage: .*--principal-id/);
    });
  });

  describe("in China with an app registration as Graph identity", () => {
    beforeEach(() => start(newDirectory("AzureChinaCloud", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn/")));

    it("creates the app, a federated credential trusting the managed identity, its principal and the grant; again, nothing new", async () => {
      for (let run = 0; run < 2; run++) {
        const result = await grant("--principal-id", managedIdentity, "--app-registration", "callrecords-archiver");
        assert.equal(result.code, 0, result.stdout);
        assert.match(result.stdout, /GRAPH_APP_CLIENT_ID app-1/);
      }
      const dir = await directory();
      assert.equal(dir.apps.length, 1);
      assert.deepEqual(dir.apps[0]?.fics, [
        {
          name: "archiver-managed-identity",
          issuer: "https://login.chinacloudapi.cn/11111111-1111-1111-1111-111111111111/v2.0",
          subject: managedIdentity,
          audiences: ["api://AzureADTokenExchangeChina"],
          description: "The archiver's managed identity signs in as this app, with no secret.",
        },
      ]);
      assert.deepEqual(
        dir.assignments.map((a) => [a.principalId, a.appRoleId]),
        [["sp-of-app-1", "role-callrecords-read-all"]],
        "the app's service principal holds the role, not the managed identity",
      );
    });
  });
});
