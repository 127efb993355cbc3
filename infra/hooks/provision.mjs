// azd hooks around `azd provision` (azure.yaml): `pre` stops a provision that ARM would fail
// halfway, naming the command that resolves it; `post` removes the rights an upgrade left behind
// on the archive. The decisions are in lifetime.mjs; this file only reads facts with the Azure CLI
// (`az`, logged in as the deployer) and acts on them. Without `az` it says so and lets azd go on.
import { execFileSync } from "node:child_process";
import { convergeAssignments, preflight } from "./lifetime.mjs";

const env = process.env;
const stage = process.argv[2];

/** `az … -o json`, parsed; undefined when the resource does not exist (or az cannot read it). */
function az(/** @type {string[]} */ args) {
  try {
    const out = execFileSync("az", [...args, "-o", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return out.trim() === "" ? undefined : JSON.parse(out);
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === "ENOENT") throw error;
    return undefined;
  }
}

function haveAz() {
  try {
    execFileSync("az", ["version", "-o", "none"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

if (!haveAz()) {
  console.error(`${stage}provision: the Azure CLI (az) is not on PATH; skipping the checks that read the deployed archive (README "Upgrades").`);
  process.exit(0);
}

const subscription = env.AZURE_SUBSCRIPTION_ID ?? "";
const group = env.AZURE_RESOURCE_GROUP ?? "";
const groupScope = `/subscriptions/${subscription}/resourceGroups/${group}`;

if (stage === "pre") {
  const groupExists = group !== "" && az(["group", "show", "--name", group]) !== undefined;
  const scope = groupExists ? groupScope : `/subscriptions/${subscription}`;
  const permissions = az(["rest", "--method", "get", "--url", `${scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`])?.value;
  const namespace = (env.SERVICEBUS_NAMESPACE ?? "").split(".")[0] ?? "";
  const queueName = env.SERVICE_BUS_QUEUE_NAME ?? "harvest-jobs";
  const queue = groupExists && namespace !== "" ? az(["servicebus", "queue", "show", "--resource-group", group, "--namespace-name", namespace, "--name", queueName]) : undefined;
  const account = env.ARCHIVE_STORAGE_ACCOUNT ?? "";
  const policy = groupExists && account !== "" ? az(["storage", "container", "immutability-policy", "show", "--resource-group", group, "--account-name", account, "--container-name", env.ARCHIVE_CONTAINER ?? "archive"]) : undefined;
  const problems = preflight({
    intended: {
      serviceBusTier: env.SERVICE_BUS_TIER ?? "Basic",
      vnetEnabled: env.VNET_ENABLED === "true",
      immutabilityLocked: env.ARCHIVE_IMMUTABILITY_LOCKED === "true",
      queueName,
    },
    deployed: { queueDuplicateDetection: queue?.requiresDuplicateDetection, immutabilityState: policy?.state },
    permissions: Array.isArray(permissions) ? permissions : undefined,
    scope,
  });
  for (const problem of problems) console.error(`preprovision: ${problem}`);
  process.exit(problems.length > 0 ? 1 : 0);
}

if (stage === "post") {
  const account = env.ARCHIVE_STORAGE_ACCOUNT ?? "";
  const container = env.ARCHIVE_CONTAINER ?? "archive";
  const accountScope = `${groupScope}/providers/Microsoft.Storage/storageAccounts/${account}`;
  const scopes = [accountScope, `${accountScope}/blobServices/default/containers/${container}`];
  // Each assignment once, whichever listing (the account's may include its children's) shows it.
  const listed = scopes.flatMap((scope) => az(["role", "assignment", "list", "--scope", scope]) ?? []).filter((a) => scopes.includes(a.scope));
  const present = [...new Map(listed.map((a) => [a.id, a])).values()];
  const declared = JSON.parse(env.ARCHIVE_ROLE_ASSIGNMENTS ?? "[]");
  const { remove, foreign } = convergeAssignments({ present, declared, owned: [env.MANAGED_IDENTITY_PRINCIPAL_ID ?? "", env.AZURE_PRINCIPAL_ID ?? ""] });
  for (const a of remove) {
    console.log(`postprovision: removing ${a.roleDefinitionId.split("/").pop()} of ${a.principalId} on ${a.scope}: the template no longer grants it`);
    execFileSync("az", ["role", "assignment", "delete", "--ids", a.id], { stdio: "inherit" });
  }
  for (const a of foreign) {
    console.log(`postprovision: ${a.principalId} holds role ${a.roleDefinitionId.split("/").pop()} on ${a.scope}, which the template does not grant. If it should not: az role assignment delete --ids ${a.id}`);
  }
  if (remove.length === 0 && foreign.length === 0) console.log("postprovision: the archive holds exactly the role assignments the template declares");
}
