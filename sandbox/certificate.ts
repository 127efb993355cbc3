/**
 * A certificate for the sandbox's loopback HTTPS, generated at start. It is its own CA: clients
 * trust it through NODE_EXTRA_CA_CERTS (a file) or an https.Agent's `ca` (in-process).
 */
import selfsigned from "selfsigned";

export interface SandboxCertificate {
  readonly cert: string;
  readonly key: string;
}

export async function generateSandboxCertificate(): Promise<SandboxCertificate> {
  const now = Date.now();
  const pems = await selfsigned.generate([{ name: "commonName", value: "callrecords-archiver Graph sandbox" }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 365 * 24 * 3_600_000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
