/** A transport that answers from a table of URLs: for the client's own rules, not for Graph's. */
import type { HttpResponse, HttpTransport } from "../../shared/graph/httpTransport.js";
import type { Clock } from "../../shared/core/clock.js";
import type { TokenSource } from "../../shared/graph/credentials.js";

export function tableTransport(routes: Record<string, unknown>, requested: string[] = []): HttpTransport {
  return {
    get: async (url) => {
      requested.push(url);
      const body = routes[url];
      const response: HttpResponse =
        body === undefined
          ? { status: 404, headers: {}, body: JSON.stringify({ error: { code: "NotFound", message: url } }) }
          : { status: 200, headers: {}, body: JSON.stringify(body) };
      return response;
    },
  };
}

/** A clock whose sleeps only move its own time: delays are asserted, never waited. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public current = 0) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.current += Math.max(0, ms);
  }
}

/** A token source that always hands out the same token, for tests of anything but tokens. */
export const fixedTokens = (): TokenSource => {
  const token = { value: "token", expiresOnTimestamp: Number.MAX_SAFE_INTEGER, fetchedAt: 0 };
  return { getToken: async () => token, rejected: () => 0, accepted: () => undefined, wasAccepted: () => true };
};
