/** JSON answers of the sandbox's HTTP servers (Graph, Entra and the managed identity endpoint). */
import type { ServerResponse } from "node:http";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Sends `body` one byte every `intervalInMs`, until done or the client goes away: a stalled answer. */
export function dripJson(res: ServerResponse, status: number, body: unknown, intervalInMs: number): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": bytes.length });
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed || sent >= bytes.length) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(bytes.subarray(sent, sent + 1));
    sent += 1;
  }, intervalInMs);
  res.on("close", () => clearInterval(timer));
}
