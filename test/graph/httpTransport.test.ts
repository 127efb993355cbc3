import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { TransportError, bodyTooLargeCode, createNodeTransport } from "../../shared/graph/httpTransport.js";

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

  it("gives a request one deadline, headers and body: a byte every 100 ms does not keep it open", async () => {
    const drip = http.createServer((_req, res) => {
      res.writeHead(200, { "content-length": "100000" });
      const timer = setInterval(() => res.write(" "), 100);
      res.on("close", () => clearInterval(timer));
    });
    await withServer(drip, async (at) => {
      const started = Date.now();
      await assert.rejects(createNodeTransport().get(at, {}, 1_000), (error: unknown) => error instanceof TransportError && error.code === "TIMEOUT");
      const took = Date.now() - started;
      // The idle timeout it replaced never fired here (a byte every 100 ms), and waited for the whole body.
      assert.ok(took >= 900 && took < 3_000, `took ${took} ms`);
    });
  });

  it("stops reading a body past its cap as soon as it is passed, as a permanent failure of its own kind", async () => {
    let sent = 0;
    const flood = http.createServer((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 32);
      const pump = () => {
        while (sent < 512 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 512 * 1024 * 1024) res.once("drain", pump);
      };
      pump();
    });
    await withServer(flood, async (at) => {
      await assert.rejects(createNodeTransport({ maxBodyBytes: 1024 * 1024 }).get(at, {}, 30_000), (error: unknown) => error instanceof TransportError && error.code === bodyTooLargeCode);
      assert.ok(sent < 64 * 1024 * 1024, `the server got to send ${sent} bytes`);
    });
  });
});

async function withServer(server: http.Server, body: (url: string) => Promise<void>): Promise<void> {
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
