// What a provision of an existing archive must know before ARM does, and what it must tidy after:
// pure decisions over facts the hooks read with the Azure CLI (provision.mjs). Plain JavaScript,
// because azd runs hooks before anything is built. Tested in test/infra/lifetime.test.ts with
// recorded `az` answers.

/**
 * @typedef {{ actions?: string[], notActions?: string[] }} Permission  one entry of ARM's
 *   Microsoft.Authorization/permissions answer for the caller
 * @typedef {{ id: string, principalId: string, roleDefinitionId: string, scope: string, description?: string | null }} Assignment
 *   a role assignment as `az role assignment list -o json` gives it
 */

/** What provisioning this template needs the deployer to be allowed at the resource group. */
export const requiredActions = [
  "Microsoft.Resources/deployments/write",
  "Microsoft.Authorization/roleAssignments/write",
  "Microsoft.Authorization/roleDefinitions/write",
];

/** Marks a time-bound reader grant made by the README's "Check that it works" step; converge keeps it. */
export const readerGrantMarker = "callrecords-archiver reader grant";

// ARM action patterns: case-insensitive, `*` matches any run of characters.
const matches = (/** @type {string} */ pattern, /** @type {string} */ action) =>
  new RegExp(`^${pattern.split("*").map((/** @type {string} */ part) => part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i").test(action);

/** Whether one of the caller's permissions allows the action (its actions match, its notActions do not). */
export const allows = (/** @type {Permission[]} */ permissions, /** @type {string} */ action) =>
  permissions.some((p) => (p.actions ?? []).some((a) => matches(a, action)) && !(p.notActions ?? []).some((n) => matches(n, action)));

/** The tier Service Bus runs with, and whether its queues have duplicate detection (Basic has none). */
export const effectiveTier = (/** @type {{ serviceBusTier: string, vnetEnabled: boolean }} */ intended) => (intended.vnetEnabled ? "Premium" : intended.serviceBusTier);
const duplicateDetectionOf = (/** @type {string} */ tier) => tier !== "Basic";

/**
 * Problems that would fail the provision halfway, each with the command that resolves it; empty
 * when it can go ahead.
 * @param {{
 *   intended: { serviceBusTier: string, vnetEnabled: boolean, immutabilityLocked: boolean, queueName: string },
 *   deployed: { queueDuplicateDetection?: boolean, immutabilityState?: string },
 *   permissions?: Permission[],
 *   scope: string,
 * }} facts
 * @returns {string[]}
 */
export function preflight({ intended, deployed, permissions, scope }) {
  const problems = [];
  if (permissions) {
    const missing = requiredActions.filter((action) => !allows(permissions, action));
    if (missing.length > 0) {
      problems.push(
        `The deploying identity may not ${missing.join(", ")} at ${scope}. This template creates a custom role and role assignments: ask for Owner on the resource group, or Contributor plus Role Based Access Control Administrator there.`,
      );
    }
  }
  if (deployed.queueDuplicateDetection !== undefined) {
    const tier = effectiveTier(intended);
    const wanted = duplicateDetectionOf(tier);
    if (wanted !== deployed.queueDuplicateDetection) {
      const keep = deployed.queueDuplicateDetection ? "Standard" : "Basic";
      const onOff = (/** @type {boolean} */ b) => (b ? "on" : "off");
      problems.push(
        `The jobs queue ${intended.queueName} exists with duplicate detection ${onOff(deployed.queueDuplicateDetection)}, which Service Bus cannot change after a queue is created, and the ${tier} tier needs it ${onOff(wanted)}. ` +
          `Keep the tier: azd env set SERVICE_BUS_TIER ${keep}. ` +
          `Or move to a new queue: azd env set SERVICE_BUS_QUEUE_NAME ${intended.queueName}-${tier.toLowerCase()} (the coverage sweep re-sends every (window, pass) still missing, so nothing the old queue held is lost; delete the old queue once it is empty).`,
      );
    }
  }
  if (deployed.immutabilityState?.toLowerCase() === "locked" && !intended.immutabilityLocked) {
    problems.push(
      "The archive container's immutability policy is locked, and a locked policy refuses the template's policy (it accepts only an extension). Tell the template: azd env set ARCHIVE_IMMUTABILITY_LOCKED true",
    );
  }
  return problems;
}

/**
 * After a provision, the role assignments on the archive account and container that the template
 * does not declare. The template owns the rights of the archiver and the deployer there, so their
 * undeclared assignments (an upgrade's leftovers: incremental deployments never delete) are
 * removed; anyone else's are listed with the command that removes them. Reader grants made by the
 * README's step carry readerGrantMarker and are left alone.
 * @param {{
 *   present: Assignment[],
 *   declared: { principalId: string, roleDefinitionId: string }[],
 *   owned: string[],
 * }} facts  declared role ids may be bare GUIDs or full resource ids
 * @returns {{ remove: Assignment[], foreign: Assignment[] }}
 */
export function convergeAssignments({ present, declared, owned }) {
  const roleGuid = (/** @type {string} */ id) => id.split("/").pop()?.toLowerCase() ?? "";
  const isDeclared = (/** @type {Assignment} */ a) =>
    declared.some((d) => d.principalId.toLowerCase() === a.principalId.toLowerCase() && roleGuid(d.roleDefinitionId) === roleGuid(a.roleDefinitionId));
  const extras = present.filter((a) => !isDeclared(a) && !(a.description ?? "").startsWith(readerGrantMarker));
  const ownedIds = new Set(owned.filter((id) => id !== "").map((id) => id.toLowerCase()));
  return {
    remove: extras.filter((a) => ownedIds.has(a.principalId.toLowerCase())),
    foreign: extras.filter((a) => !ownedIds.has(a.principalId.toLowerCase())),
  };
}
