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
  it("sends a request that met a kept-alive socket the server closed once more, on a fresh one: no failure reaches the retry policy", async () => {
    // A server that closes a socket idle for over a second without saying so (no Keep-Alive
    // hint), and loses the race on purpose: a request arriving on such a socket finds it closed.
    const lastAnswerAt = new WeakMap<object, number>();
    let closedUnderRequest = 0;
    const idle = http.createServer((req, res) => {
      const socket = req.socket;
      const last = lastAnswerAt.get(socket);
      if (last !== undefined && Date.now() - last > 1000) {
        closedUnderRequest += 1;
        socket.destroy();
        return;
      }
      res.on("finish", () => lastAnswerAt.set(socket, Date.now()));
      res.end('{"value":[]}');
    });
    idle.keepAliveTimeout = 0;
    idle.listen(0, "127.0.0.1");
    await new Promise((resolve) => idle.once("listening", resolve));
    try {
      const at = `http://127.0.0.1:${(idle.address() as AddressInfo).port}/`;
      const transport = createNodeTransport();
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        statuses.push((await transport.get(at, {}, 10_000)).status);
        await new Promise((resolve) => setTimeout(resolve, 1100));
      }
      statuses.push((await transport.get(at, {}, 10_000)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200]);
      assert.equal(closedUnderRequest, 3, "the race was not met: no request went out on an idle socket");
    } finally {
      idle.closeAllConnections();
      idle.close();
    }
  });

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
