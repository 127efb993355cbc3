/**
 * Whether the app can archive a tenant: the tenant is in the deployment's cloud (its OpenID
 * discovery says which), its admin has consented (Entra issues a token there), and the permission
 * was granted (Graph answers one list request). Each failure names what is missing and who can fix
 * it; `npm run tenants -- check` prints it, and the plan function runs it for invited tenants.
 */
import { type CloudName, clouds } from "../../graph/clouds.js";
import type { GraphRuntime } from "../../graph/graphSetup.js";
import type { TenantId } from "../../core/tenants.js";
import { hourInMs, floorTo } from "../../core/window.js";
import { classifyJobFailure } from "../harvest/jobRetryPolicy.js";

export type TenantCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "OtherCloud" | "TenantConsentMissing" | "GraphForbidden" | string; readonly description: string };

/** The page where the tenant's admin grants the app's permissions to it (Entra's admin consent endpoint). */
export const adminConsentUrl = (authorityHost: string, tenant: TenantId, appClientId: string): string =>
  `${authorityHost}/${tenant}/adminconsent?client_id=${encodeURIComponent(appClientId)}`;

/**
 * Another cloud's tenant, named, or undefined when the tenant is in this deployment's cloud or its
 * discovery does not say (a reachable authority that answers no `cloud_instance_name`).
 */
export async function otherCloudProblem(authorityHost: string, tenant: TenantId, cloud: CloudName, fetchJson: (url: string) => Promise<unknown>): Promise<string | undefined> {
  const discovery = (await fetchJson(`${authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`)) as { cloud_instance_name?: unknown };
  const name = discovery?.cloud_instance_name;
  const expected = clouds[cloud].cloudInstanceName;
  if (typeof name !== "string" || name === expected) return undefined;
  return `tenant ${tenant} belongs to the ${name} cloud, and this deployment reads the ${cloud} cloud (${expected}) only: a managed identity's federated credential and an app's consent do not cross clouds, so archive it from a deployment in its own cloud`;
}

/** One token for the tenant and one list request, as a harvest would make them. */
export async function checkTenant(graph: GraphRuntime, tenant: TenantId, consentUrl: string | undefined, nowInMs: number): Promise<TenantCheck> {
  const client = graph.forTenant(tenant).newClient();
  const end = floorTo(nowInMs, hourInMs);
  try {
    await client.listWindow({ startInMs: end - hourInMs, endInMs: end }).next();
    return { ok: true };
  } catch (error) {
    const { reason, description } = classifyJobFailure(error);
    const fix =
      reason === "TenantConsentMissing"
        ? `: the tenant's admin has not consented to the app (or removed it)${consentUrl ? `; a Global Administrator of the tenant opens ${consentUrl}` : ""}`
        : reason === "GraphForbidden"
          ? `: the app is in the tenant but CallRecords.Read.All is not granted there${consentUrl ? `; a Global Administrator grants it at ${consentUrl}` : ""}`
          : "";
    return { ok: false, reason, description: `${description}${fix}` };
  }
}
