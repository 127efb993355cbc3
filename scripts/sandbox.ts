/**
 * `npm run sandbox`: the Graph sandbox tenant on its own, for curl, other tools, or the archiver
 * pointed at it by settings. Prints its URLs, credentials and the CA file to trust.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { logsLackedOf, startSandbox } from "../sandbox/server.js";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(`usage: npm run sandbox

Starts the Graph sandbox tenant on its own (Graph's call records API and an Entra token endpoint
over HTTPS), for curl, other tools, or the archiver pointed at it by settings; prints its URLs,
credentials and the CA file to trust. Ctrl+C stops it.

  SANDBOX_PORT            port (default 8443)
  SANDBOX_CALLS_PER_DAY   calls the tenant makes a day (default 300)
  SANDBOX_WITHOUT_LOGS    telephony logs the tenant lacks (Graph answers 404): pstnCalls,
                          directRoutingCalls, comma-separated (default: it has both)

Example, once it runs (the token request is the client-credentials flow):
  curl --cacert .local/sandbox/ca.pem -d grant_type=client_credentials -d client_id=CLIENT_ID \\
    -d client_secret=SECRET -d scope=https://127.0.0.1:8443/.default \\
    https://127.0.0.1:8443/TENANT_ID/oauth2/v2.0/token`);
  process.exit(0);
}

const port = Number(process.env.SANDBOX_PORT ?? 8443);
const callsPerDay = Number(process.env.SANDBOX_CALLS_PER_DAY ?? 300);
const sandbox = await startSandbox({ port, callsPerDay, logs: { unsupported: logsLackedOf(process.env.SANDBOX_WITHOUT_LOGS) } });
const folder = resolve(".local/sandbox");
mkdirSync(folder, { recursive: true });
const caPath = resolve(folder, "ca.pem");
writeFileSync(caPath, sandbox.ca);

console.log(`Graph sandbox tenant listening on ${sandbox.origin}

  Graph endpoint   ${sandbox.graphEndpoint}/v1.0/communications/callRecords
  Authority host   ${sandbox.authorityHost}  (token: POST ${sandbox.authorityHost}/${sandbox.tenantId}/oauth2/v2.0/token)
  CA certificate   ${caPath}

To point the archiver (or any client) at it:
  export NODE_EXTRA_CA_CERTS=${caPath}
  export ARCHIVER_GRAPH_ENDPOINT=${sandbox.graphEndpoint}
  export ARCHIVER_AUTHORITY_HOST=${sandbox.authorityHost}
  export AZURE_TENANT_ID=${sandbox.tenantId}
  export AZURE_CLIENT_ID=${sandbox.clientId}
  export AZURE_CLIENT_SECRET=${sandbox.clientSecret}

Ctrl+C stops it.`);

const stop = () => void sandbox.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
