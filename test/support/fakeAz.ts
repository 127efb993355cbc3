/**
 * A stand-in for the Azure CLI, for testing infra/scripts/grant-graph.sh where no `az` and no
 * tenant exist. It keeps a tiny directory (apps, federated credentials, service principals, app
 * role assignments) in the JSON file named by FAKE_AZ_STATE and answers the calls the script makes;
 * any other call fails loudly, so a changed script cannot pass by accident.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

export interface FakeDirectory {
  cloud: string;
  graphUrl: string;
  authority: string;
  tenantId: string;
  apps: { appId: string; displayName: string; signInAudience: string; fics: { name: string; issuer: string; subject: string; audiences: string[] }[] }[];
  servicePrincipals: { id: string; appId: string; appRoles?: { id: string; value: string }[] }[];
  assignments: { principalId: string; resourceId: string; appRoleId: string; url: string }[];
}

export const graphAppId = "00000003-0000-0000-c000-000000000000";

export const newDirectory = (cloud: string, graphUrl: string, authority: string): FakeDirectory => ({
  cloud,
  graphUrl,
  authority,
  tenantId: "11111111-1111-1111-1111-111111111111",
  apps: [],
  servicePrincipals: [
    {
      id: "graph-sp-object-id",
      appId: graphAppId,
      appRoles: [
        { id: "role-user-read-all", value: "User.Read.All" },
        { id: "role-callrecords-read-all", value: "CallRecords.Read.All" },
      ],
    },
  ],
  assignments: [],
});

function main(): void {
  const statePath = process.env.FAKE_AZ_STATE ?? "";
  const dir = JSON.parse(readFileSync(statePath, "utf8")) as FakeDirectory;
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    strict: false,
    options: {
      query: { type: "string" },
      id: { type: "string" },
      "display-name": { type: "string" },
      "sign-in-audience": { type: "string" },
      parameters: { type: "string" },
      method: { type: "string" },
      url: { type: "string" },
      body: { type: "string" },
      headers: { type: "string" },
      output: { type: "string", short: "o" },
    },
  });
  const text = (name: string): string => {
    const value = values[name];
    return typeof value === "string" ? value : "";
  };
  const query = text("query");
  const quoted = (pattern: RegExp): string => pattern.exec(query)?.[1] ?? fail(`unexpected --query ${query}`);
  const fail = (message: string): never => {
    process.stderr.write(`fake az: ${message} (az ${process.argv.slice(2).join(" ")})\n`);
    process.exit(3);
  };
  const save = () => writeFileSync(statePath, JSON.stringify(dir));
  const command = positionals.slice(0, 3).join(" ");
  const out = (value: string | number): void => {
    process.stdout.write(`${value}\n`);
  };

  if (command.startsWith("cloud show")) {
    const answers: Record<string, string> = {
      name: dir.cloud,
      "endpoints.microsoftGraphResourceId": `${dir.graphUrl}/`,
      "endpoints.activeDirectory": dir.authority,
    };
    return out(answers[query] ?? fail(`unexpected --query ${query}`));
  }
  if (command === "account show" && query === "tenantId") return out(dir.tenantId);
  if (command === "ad sp show") {
    const sp = dir.servicePrincipals.find((s) => s.appId === text("id") || s.id === text("id")) ?? fail(`service principal ${text("id")} not found`);
    if (query === "id") return out(sp.id);
    const value = quoted(/^appRoles\[\?value=='([^']+)'\]\.id \| \[0\]$/);
    return out(sp.appRoles?.find((r) => r.value === value)?.id ?? "");
  }
  if (command === "ad sp create" && query === "id") {
    const sp = { id: `sp-of-${text("id")}`, appId: text("id") };
    dir.servicePrincipals.push(sp);
    save();
    return out(sp.id);
  }
  if (command === "ad app list" && query === "[0].appId") {
    return out(dir.apps.find((a) => a.displayName === text("display-name"))?.appId ?? "");
  }
  if (command === "ad app create" && query === "appId") {
    const app = { appId: `app-${dir.apps.length + 1}`, displayName: text("display-name"), signInAudience: text("sign-in-audience"), fics: [] };
    dir.apps.push(app);
    save();
    return out(app.appId);
  }
  if (command === "ad app federated-credential") {
    const app = dir.apps.find((a) => a.appId === text("id")) ?? fail(`app ${text("id")} not found`);
    const verb = positionals[3];
    if (verb === "list") {
      const subject = quoted(/^\[\?subject=='([^']+)'\]\.name \| \[0\]$/);
      return out(app.fics.find((f) => f.subject === subject)?.name ?? "");
    }
    if (verb === "create") {
      app.fics.push(JSON.parse(text("parameters")) as FakeDirectory["apps"][number]["fics"][number]);
      save();
      return;
    }
  }
  if (command === "rest") {
    const url = text("url");
    if (!url.startsWith(`${dir.graphUrl}/v1.0/`)) fail(`request to ${url}, not to ${dir.graphUrl}`);
    const assignee = /\/servicePrincipals\/([^/]+)\/appRoleAssignments$/.exec(url)?.[1];
    if (text("method") === "GET" && assignee) {
      const [, appRoleId, resourceId] = /^value\[\?appRoleId=='([^']+)' && resourceId=='([^']+)'\] \| length\(@\)$/.exec(query) ?? fail(`unexpected --query ${query}`);
      return out(dir.assignments.filter((a) => a.principalId === assignee && a.appRoleId === appRoleId && a.resourceId === resourceId).length);
    }
    const resource = /\/servicePrincipals\/([^/]+)\/appRoleAssignedTo$/.exec(url)?.[1];
    if (text("method") === "POST" && resource) {
      const body = JSON.parse(text("body")) as { principalId: string; resourceId: string; appRoleId: string };
      if (body.resourceId !== resource) fail("body.resourceId differs from the URL's service principal");
      dir.assignments.push({ ...body, url });
      save();
      return;
    }
  }
  fail("unhandled call");
}

if (process.env.FAKE_AZ_STATE) main();
