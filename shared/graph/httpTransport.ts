/**
 * The narrowest HTTP seam the Graph client needs: GET with headers and a timeout. Built on
 * node:https so a custom agent (keep-alive, or a sandbox CA) can be supplied.
 */
import http from "node:http";
import https from "node:https";

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

export interface HttpTransport {
  /** `signal` aborts the request; the promise then rejects with the signal's reason, not a TransportError. */
  get(url: string, headers: Readonly<Record<string, string>>, timeoutInMs: number, signal?: AbortSignal): Promise<HttpResponse>;
}

/** The request never got an HTTP answer: connection refused or reset, DNS, or timeout. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}
export const isTransportError = (e: unknown): e is TransportError => e instanceof TransportError;

export interface NodeTransportOptions {
  /** Extra trusted CA certificates (PEM), for a sandbox or private endpoint. */
  readonly ca?: string | undefined;
  readonly maxSockets?: number;
}

export function createNodeTransport(options: NodeTransportOptions = {}): HttpTransport & { agent: https.Agent } {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? 64,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  const get = (url: string, headers: Readonly<Record<string, string>>, timeoutInMs: number, signal?: AbortSignal) =>
    new Promise<HttpResponse>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const target = new URL(url);
      const module = target.protocol === "http:" ? http : https;
      const req = module.request(
        target,
        { method: "GET", headers, ...(target.protocol === "https:" ? { agent } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: flattenHeaders(res.headers),
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
          res.on("error", (e: NodeJS.ErrnoException) =>
            reject(new TransportError(e.message, e.code ?? "ECONNRESET")),
          );
          res.on("aborted", () => reject(new TransportError("response aborted", "ECONNRESET")));
          // A response cut off without an error event still closes: never leave the caller waiting.
          res.on("close", () => {
            if (!res.complete) reject(signal?.aborted ? signal.reason : new TransportError("response closed before it was complete", "ECONNRESET"));
          });
        },
      );
      req.setTimeout(timeoutInMs, () => {
        req.destroy(new TransportError(`no answer within ${timeoutInMs} ms`, "TIMEOUT"));
      });
      // Settle at once: a request destroyed while its body streams in may emit nothing further.
      const onAbort = () => {
        reject(signal?.reason);
        req.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("close", () => signal?.removeEventListener("abort", onAbort));
      req.on("error", (e: NodeJS.ErrnoException) => {
        if (signal?.aborted) return reject(signal.reason);
        reject(e instanceof TransportError ? e : new TransportError(e.message, e.code ?? "ECONNRESET"));
      });
      req.end();
    });
  return { get, agent };
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers)) {
    out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
