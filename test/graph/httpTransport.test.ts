import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createNodeTransport } from "../../shared/graph/httpTransport.js";

// A server that answers with headers and half a body, then says nothing more.
let server: http.Server;
let url = "";
before(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
    res.write('{"value": [');
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0/communications/callRecords`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

describe("the HTTP transport", () => {
  it("settles at once when aborted while the body streams in, so a failed job never waits on it", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const answer = createNodeTransport().get(url, {}, 60_000, controller.signal);
    setTimeout(() => controller.abort(new Error("the job failed")), 100);
    await assert.rejects(answer, /the job failed/);
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  });

  it("rejects a response cut off mid-body as a network error, to be retried", async () => {
    const cut = http.createServer((_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("{");
      setTimeout(() => res.socket?.destroy(), 50);
    });
    cut.listen(0, "127.0.0.1");
    await new Promise((resolve) => cut.once("listening", resolve));
    try {
      const at = `http://127.0.0.1:${(cut.address() as AddressInfo).port}/`;
      await assert.rejects(createNodeTransport().get(at, {}, 10_000), (error: Error) => error.name === "TransportError");
    } finally {
      cut.close();
    }
  });
});
