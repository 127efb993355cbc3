/**
 * Storage that fails the way real storage does, around the real thing:
 * - a proxy in front of Azurite that answers chosen requests as Blob Storage refuses them (403
 *   AuthorizationPermissionMismatch, as a role assignment that is missing or still propagating);
 * - a folder store whose writes fail with ENOSPC after some bytes, as a full disk does.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Transform } from "node:stream";
import type { ArchiveStore } from "../../shared/archive/archiveStore.js";

export interface StorageProxy {
  readonly blobEndpoint: string;
  /** Connection string of the account, through the proxy. */
  connectionString(azuriteConnectionString: string): string;
  readonly refused: string[];
  close(): Promise<void>;
}

/** How Blob Storage refuses a request: by default a missing role. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}
const missingRole: Refusal = { status: 403, code: "AuthorizationPermissionMismatch", message: "This request is not authorized to perform this operation using this permission." };

/** Refuses every request for which `refuse(method, url)` holds, as `refusal`; forwards the rest to Azurite. */
export async function startStorageProxy(
  azuriteBlobEndpoint: string,
  refuse: (method: string, url: URL, headers: http.IncomingHttpHeaders) => boolean,
  refusal: Refusal = missingRole,
): Promise<StorageProxy> {
  const target = new URL(azuriteBlobEndpoint);
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    if (refuse(req.method ?? "GET", url, req.headers)) {
      refused.push(`${req.method} ${url.pathname}${url.search}`);
      req.resume();
      const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${refusal.code}</Code><Message>${refusal.message}</Message></Error>`;
      res.writeHead(refusal.status, { "content-type": "application/xml", "x-ms-error-code": refusal.code });
      res.end(body);
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const blobEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}`;
  return {
    blobEndpoint,
    connectionString: (cs) => cs.replace(/BlobEndpoint=[^;]+/, `BlobEndpoint=${blobEndpoint}`),
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The real folder store, whose data writes fail with ENOSPC once `bytes` have been written. */
export function fullDiskStore(store: ArchiveStore, bytes: number): ArchiveStore {
  return {
    ...store,
    createFromStream(name, content, contentType) {
      let written = 0;
      const disk = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          written += chunk.length;
          if (written > bytes) callback(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
          else callback(null, chunk);
        },
      });
      content.on("error", (error) => disk.destroy(error));
      return store.createFromStream(name, content.pipe(disk), contentType);
    },
  };
}
