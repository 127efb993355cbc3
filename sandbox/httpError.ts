/** The sandbox's error answers: Graph-shaped (`error.code`) or OAuth-shaped (`error`) bodies. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** Thrown by a route; the server turns it into the answer Graph or Entra would give. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Graph's 429, with the fractional seconds it sends (such as 2.128). */
export function throttled(waitInMs: number): HttpError {
  const seconds = Math.max(0.001, waitInMs / 1000).toFixed(3);
  return new HttpError(429, "TooManyRequests", "Too many requests.", { "Retry-After": seconds });
}

/** Entra's token endpoint answers OAuth errors (`invalid_client`); Graph answers its own shape. */
export function errorBody(error: HttpError, pathname: string): Record<string, unknown> {
  if (error.code.includes("_") && pathname.includes("/oauth2/")) return { error: error.code, error_description: error.message };
  return { error: { code: error.code, message: error.message, innerError: { date: new Date().toISOString(), "request-id": randomUUID(), "client-request-id": randomUUID() } } };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
