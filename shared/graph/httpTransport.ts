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
  /**
   * `timeoutInMs` bounds the whole exchange, from sending to the body's last byte (not just a
   * silence): an answer dripping in past it fails with code TIMEOUT. `signal` aborts the request;
   * the promise then rejects with the signal's reason, not a TransportError.
   */
  get(url: string, headers: Readonly<Record<string, string>>, timeoutInMs: number, signal?: AbortSignal): Promise<HttpResponse>;
}

/** The request never got a whole HTTP answer: connection refused or reset, DNS, deadline, or a body past the cap. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    message: string,
    readonly code: string,
    /** The request went out on a kept-alive socket the server had closed, and got nothing back. */
    readonly staleSocket = false,
  ) {
    super(message);
  }
}
export const isTransportError = (e: unknown): e is TransportError => e instanceof TransportError;

/** The code of a TransportError for a body past `maxBodyBytes`. */
export const bodyTooLargeCode = "EBODYTOOLARGE";

export interface NodeTransportOptions {
  /** Extra trusted CA certificates (PEM), for a sandbox or private endpoint. */
  readonly ca?: string | undefined;
  readonly maxSockets?: number;
  /**
   * The largest body read, in bytes; a longer one fails the request (code EBODYTOOLARGE) as soon
   * as it is passed, before it fills memory. Default 64 MiB.
   */
  readonly maxBodyBytes?: number;
}

/** What a request that met a closed kept-alive socket fails with, before any answer came back. */
const staleSocketCodes = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);
/**
 * A socket idle at least this long may have been closed by the server's idle timeout just as the
 * request went out; one in busy use that drops a request dropped it (a network fault to retry).
 */
export const staleAfterIdleInMs = 1000;

/**
 * A kept-alive socket can be closed by the server just as a request goes out on it (the server's
 * idle timeout and ours race, and not every server says its timeout). Such a request (a socket
 * idle for `staleAfterIdleInMs` or more, closed with no answer) never reached the application: it
 * is sent once more on a fresh socket, as browsers do, at no cost to the retry budget; any other
 * failure is the caller's to judge.
 */
export function createNodeTransport(options: NodeTransportOptions = {}): HttpTransport & { agent: https.Agent } {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? 64,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  const plainAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  // When each kept-alive socket was last handed back to its agent's free list.
  const freedAt = new WeakMap<object, number>();
  for (const a of [agent, plainAgent]) a.on("free", (socket: object) => freedAt.set(socket, Date.now()));
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const get = async (url: string, headers: Readonly<Record<string, string>>, timeoutInMs: number, signal?: AbortSignal): Promise<HttpResponse> => {
    try {
      return await once(url, headers, timeoutInMs, signal);
    } catch (error) {
      if (!isTransportError(error) || !error.staleSocket) throw error;
      return once(url, headers, timeoutInMs, signal);
    }
  };
  const once = (url: string, headers: Readonly<Record<string, string>>, timeoutInMs: number, signal?: AbortSignal) =>
    new Promise<HttpResponse>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const target = new URL(url);
      const module = target.protocol === "http:" ? http : https;
      // Our own reasons to end a request (deadline, cap) settle it first, so the connection's
      // aborted and reset events that follow cannot report it as a mere network error.
      const stop = (error: TransportError) => {
        reject(error);
        req.destroy(error);
      };
      let answered = false;
      let idleForInMs = 0;
      const req = module.request(
        target,
        { method: "GET", headers, agent: target.protocol === "https:" ? agent : plainAgent },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          let received = 0;
          res.on("data", (chunk: Buffer) => {
            received += chunk.length;
            if (received > maxBodyBytes) {
              stop(new TransportError(`the answer went past ${maxBodyBytes} bytes`, bodyTooLargeCode));
              return;
            }
            chunks.push(chunk);
          });
          res.on("end", () => {
            // Decoding can throw (a body past V8's longest string, were the cap raised that far):
            // it is this request's error, never an exception in an event listener.
            try {
              resolve({ status: res.statusCode ?? 0, headers: flattenHeaders(res.headers), body: Buffer.concat(chunks).toString("utf8") });
            } catch (error) {
              reject(new TransportError(`the answer could not be decoded (${(error as NodeJS.ErrnoException).code ?? "error"})`, "EBODYDECODE"));
            }
          });
          res.on("error", (e: NodeJS.ErrnoException) => reject(asTransportError(e)));
          res.on("aborted", () => reject(new TransportError("response aborted", "ECONNRESET")));
          // A response cut off without an error event still closes: never leave the caller waiting.
          res.on("close", () => {
            if (!res.complete) reject(signal?.aborted ? signal.reason : new TransportError("response closed before it was complete", "ECONNRESET"));
          });
        },
      );
      // One deadline for the whole exchange: an idle timeout alone lets a byte every few seconds
      // hold a request open forever.
      const deadline = setTimeout(() => stop(new TransportError(`no complete answer within ${timeoutInMs} ms`, "TIMEOUT")), timeoutInMs);
      // Settle at once: a request destroyed while its body streams in may emit nothing further.
      const onAbort = () => {
        reject(signal?.reason);
        req.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("socket", (socket) => {
        const freed = freedAt.get(socket);
        idleForInMs = freed === undefined ? 0 : Date.now() - freed;
      });
      req.on("close", () => {
        clearTimeout(deadline);
        signal?.removeEventListener("abort", onAbort);
      });
      req.on("error", (e: NodeJS.ErrnoException) => {
        if (signal?.aborted) return reject(signal.reason);
        const code = e.code ?? "ECONNRESET";
        if (req.reusedSocket && idleForInMs >= staleAfterIdleInMs && !answered && !(e instanceof TransportError) && staleSocketCodes.has(code)) {
          return reject(new TransportError(`the kept-alive connection was closed before the request reached the server (${code})`, code, true));
        }
        reject(asTransportError(e));
      });
      req.end();
    });
  return { get, agent };
}

/** A destroyed request reports the error it was destroyed with (deadline, cap) on the response too. */
const asTransportError = (e: NodeJS.ErrnoException): TransportError => (e instanceof TransportError ? e : new TransportError(e.message, e.code ?? "ECONNRESET"));

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers)) {
    out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
