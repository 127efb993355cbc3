import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { allows, convergeAssignments, preflight } from "../../infra/hooks/lifetime.mjs";
import { projectRoot } from "../support/bicep.js";
import { fixturesRoot } from "../support/fixtures.js";

const archiver = "aaaaaaaa-0000-4000-8000-00000000a001";
const deployer = "dddddddd-0000-4000-8000-00000000d001";
const synapse = "eeeeeeee-0000-4000-8000-00000000e001";
const writerRole = "7c0e4b8a-5f57-5d5e-9a6c-3f8a1b2c3d4e";
const readerRole = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const recorded = JSON.parse(await readFile(join(fixturesRoot, "az", "role-assignments-upgraded.json"), "utf8")) as {
  id: string; principalId: string; roleDefinitionId: string; scope: string; description: string | null;
}[];
const suffixOf = (id: string) => id.slice(-2);

// Built-in roles' permissions, typed from Azure's built-in roles page.
const owner = [{ actions: ["*"], notActions: [] }];
const contributor = [{ actions: ["*"], notActions: ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write", "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action", "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete"] }];
const userAccessAdministrator = [{ actions: ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], notActions: [] }];

const fresh = { serviceBusTier: "Basic", vnetEnabled: false, immutabilityLocked: false, queueName: "harvest-jobs" };
const scope = "/subscriptions/s/resourceGroups/rg-archiver";

describe("the preprovision hook's decision", () => {
  it("lets a first provision by an owner through", () => {
    assert.deepEqual(preflight({ intended: fresh, deployed: {}, permissions: owner, scope }), []);
    assert.deepEqual(preflight({ intended: fresh, deployed: {}, permissions: [...contributor, ...userAccessAdministrator], scope }), []);
  });

  it("names the rights a Contributor lacks before ARM fails on the custom role", () => {
    assert.equal(allows(contributor, "Microsoft.Resources/deployments/write"), true);
    assert.equal(allows(contributor, "Microsoft.Authorization/roleDefinitions/write"), false);
    const [problem, ...more] = preflight({ intended: fresh, deployed: {}, permissions: contributor, scope });
    assert.equal(more.length, 0);
    assert.match(String(problem), /may not Microsoft\.Authorization\/roleAssignments\/write, Microsoft\.Authorization\/roleDefinitions\/write at \/subscriptions\/s\/resourceGroups\/rg-archiver\. .*Owner on the resource group/);
  });

  it("refuses a tier switch the existing queue cannot follow, in either direction, with the commands that resolve it", () => {
    const toBasic = preflight({ intended: fresh, deployed: { queueDuplicateDetection: true }, scope });
    assert.match(toBasic.join(), /harvest-jobs exists with duplicate detection on, .* the Basic tier needs it off\. Keep the tier: azd env set SERVICE_BUS_TIER Standard\. Or move to a new queue: azd env set SERVICE_BUS_QUEUE_NAME harvest-jobs-basic/);
    const toStandard = preflight({ intended: { ...fresh, serviceBusTier: "Standard" }, deployed: { queueDuplicateDetection: false }, scope });
    assert.match(toStandard.join(), /duplicate detection off, .* the Standard tier needs it on\. Keep the tier: azd env set SERVICE_BUS_TIER Basic\. .*SERVICE_BUS_QUEUE_NAME harvest-jobs-standard/);
    const toPremium = preflight({ intended: { ...fresh, vnetEnabled: true }, deployed: { queueDuplicateDetection: false }, scope });
    assert.match(toPremium.join(), /the Premium tier needs it on/);
    assert.deepEqual(preflight({ intended: { ...fresh, serviceBusTier: "Standard" }, deployed: { queueDuplicateDetection: true }, scope }), []);
    assert.deepEqual(preflight({ intended: fresh, deployed: { queueDuplicateDetection: false }, scope }), []);
  });

  it("refuses to send the policy to a locked container until the template is told", () => {
    assert.match(preflight({ intended: fresh, deployed: { immutabilityState: "Locked" }, scope }).join(), /azd env set ARCHIVE_IMMUTABILITY_LOCKED true$/);
    assert.deepEqual(preflight({ intended: { ...fresh, immutabilityLocked: true }, deployed: { immutabilityState: "Locked" }, scope }), []);
    assert.deepEqual(preflight({ intended: fresh, deployed: { immutabilityState: "Unlocked" }, scope }), []);
  });
});

describe("the postprovision hook's decision (recorded role assignments of an upgraded archive)", () => {
  const declared = [
    { principalId: archiver, roleDefinitionId: writerRole },
    { principalId: synapse, roleDefinitionId: `/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/${readerRole}` },
  ];

  it("removes the archiver's and the deployer's undeclared rights, keeps the declared ones and the README's reader grant, lists anyone else's", () => {
    const { remove, foreign } = convergeAssignments({ present: recorded, declared, owned: [archiver, deployer] });
    // 02: the archiver's old Storage Blob Data Contributor (it can delete); 03: the deployer's old read on the account.
    assert.deepEqual(remove.map((a) => suffixOf(a.id)), ["02", "03"]);
    // 06: a group given Contributor by hand; not the template's to remove.
    assert.deepEqual(foreign.map((a) => suffixOf(a.id)), ["06"]);
  });

  it("with no deployer id (a pipeline provision without AZURE_PRINCIPAL_ID), only the archiver's leftovers go", () => {
    const { remove, foreign } = convergeAssignments({ present: recorded, declared, owned: [archiver, ""] });
    assert.deepEqual(remove.map((a) => suffixOf(a.id)), ["02"]);
    assert.deepEqual(foreign.map((a) => suffixOf(a.id)), ["03", "06"]);
  });
});

describe("the provision hooks as azd runs them", () => {
  // A stand-in `az` that answers from recorded JSON by its arguments and logs every call.
  const withFakeAz = async (answers: Record<string, unknown>) => {
    const dir = await mkdtemp(join(tmpdir(), "fake-az-"));
    await writeFile(join(dir, "answers.json"), JSON.stringify(answers));
    await writeFile(
      join(dir, "az"),
      `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2).filter((a, i, all) => !(a === "-o" || all[i - 1] === "-o"));
fs.appendFileSync(${JSON.stringify(join(dir, "calls.log"))}, args.join(" ") + "\\n");
const answers = JSON.parse(fs.readFileSync(${JSON.stringify(join(dir, "answers.json"))}, "utf8"));
if (args[0] === "version") process.exit(0);
const key = Object.keys(answers).find((k) => args.join(" ").startsWith(k));
if (key === undefined) { process.stderr.write("ResourceNotFound"); process.exit(3); }
process.stdout.write(JSON.stringify(answers[key]));
`,
    );
    await chmod(join(dir, "az"), 0o755);
    return dir;
  };
  const runHook = (stage: string, dir: string, env: Record<string, string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(projectRoot, "infra", "hooks", "provision.mjs"), stage], { env: { PATH: `${dir}:${process.env.PATH ?? ""}`, ...env } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  const deployedEnv = {
    AZURE_SUBSCRIPTION_ID: "0f1e2d3c-0000-4000-8000-000000000001",
    AZURE_RESOURCE_GROUP: "rg-archiver",
    SERVICEBUS_NAMESPACE: "sb-abc.servicebus.windows.net",
    ARCHIVE_STORAGE_ACCOUNT: "starcabc123",
    ARCHIVE_CONTAINER: "archive",
  };

  it("azure.yaml runs them around provision", async () => {
    const yaml = await readFile(join(projectRoot, "azure.yaml"), "utf8");
    assert.match(yaml, /preprovision:[\s\S]*?run: node infra\/hooks\/provision\.mjs pre/);
    assert.match(yaml, /postprovision:[\s\S]*?run: node infra\/hooks\/provision\.mjs post/);
  });

  it("pre: a locked archive and a Standard queue under the Basic default stop the provision, exit 1, both named", async () => {
    const dir = await withFakeAz({
      "group show": { name: "rg-archiver" },
      rest: { value: owner },
      "servicebus queue show": { name: "harvest-jobs", requiresDuplicateDetection: true },
      "storage container immutability-policy show": { state: "Locked", immutabilityPeriodSinceCreationInDays: 60 },
    });
    const run = await runHook("pre", dir, deployedEnv);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /SERVICE_BUS_TIER Standard/);
    assert.match(run.stderr, /ARCHIVE_IMMUTABILITY_LOCKED true/);
    const calls = await readFile(join(dir, "calls.log"), "utf8");
    assert.match(calls, /servicebus queue show --resource-group rg-archiver --namespace-name sb-abc --name harvest-jobs/);
    const told = await runHook("pre", dir, { ...deployedEnv, SERVICE_BUS_TIER: "Standard", ARCHIVE_IMMUTABILITY_LOCKED: "true" });
    assert.equal(told.code, 0, told.stderr);
  });

  it("post: deletes the archiver's leftover Contributor through az and lists the foreign one", async () => {
    const dir = await withFakeAz({
      "role assignment list --scope /subscriptions/0f1e2d3c-0000-4000-8000-000000000001/resourceGroups/rg-archiver/providers/Microsoft.Storage/storageAccounts/starcabc123/blobServices": recorded.filter((a) => a.scope.endsWith("/archive")),
      // The account's listing includes its children's assignments too: the hook takes each once.
      "role assignment list --scope /subscriptions/0f1e2d3c-0000-4000-8000-000000000001/resourceGroups/rg-archiver/providers/Microsoft.Storage/storageAccounts/starcabc123": recorded,
      "role assignment delete": {},
    });
    const run = await runHook("post", dir, {
      ...deployedEnv,
      MANAGED_IDENTITY_PRINCIPAL_ID: archiver,
      ARCHIVE_ROLE_ASSIGNMENTS: JSON.stringify([{ principalId: archiver, roleDefinitionId: writerRole }, { principalId: synapse, roleDefinitionId: readerRole }]),
    });
    assert.equal(run.code, 0, run.stderr);
    const deletes = (await readFile(join(dir, "calls.log"), "utf8")).split("\n").filter((l) => l.startsWith("role assignment delete"));
    assert.deepEqual(deletes.map((l) => suffixOf(l)), ["02"]);
    assert.match(run.stdout, /f001 holds role ba92f5b4-2d11-453d-a403-e96b0029c9fe on .*containers\/archive, which the template does not grant\. If it should not: az role assignment delete --ids .*06$/m);
  });

  it("without az, says so and lets azd go on", async () => {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(projectRoot, "infra", "hooks", "provision.mjs"), "pre"], { env: { PATH: "/nonexistent" } }, (error, _o, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }));
    });
    assert.equal(run.code, 0);
    assert.match(run.stderr, /the Azure CLI \(az\) is not on PATH/);
  });
});
