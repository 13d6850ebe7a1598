/**
 * The adapters' edge cases on real servers: Express with each body parser (never a hang on a
 * drained stream, never a `{}` taken as the event), size limits while streaming, the Fetch
 * adapter's used body, an Azure Functions v4-shaped request, and UTF-8 content lengths.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import fastify from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeEvent } from "../../src/events/factory.js";
import { createReceiver, type RequestLike } from "../../src/receiver/index.js";

const TOKEN = "Bearer adapters-t0ken";
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

function eventRequest(seed = 1) {
  const event = fakeEvent("OrderConfirmedEvent", { seed });
  return {
    event,
    headers: {
      "Norce-Event-Message-Id": event.messageId,
      "Norce-Event-Type": event.type,
      "Norce-Event-Timestamp": event.timestamp,
      "Content-Type": "application/json",
      Authorization: TOKEN,
    },
    body: JSON.stringify(event.payload),
  };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function make() {
  const receiver = createReceiver({ auth: { value: TOKEN }, maxBodyBytes: 4096 });
  const handler = vi.fn();
  receiver.on("OrderConfirmedEvent", handler);
  return { receiver, handler };
}

describe("Express: the body, wherever it is", () => {
  const setups: [string, (app: express.Express) => void][] = [
    ["no parser", () => {}],
    ["express.json()", (app) => app.use(express.json())],
    ["express.raw({ type: '*/*' })", (app) => app.use(express.raw({ type: "*/*" }))],
    ["express.text({ type: '*/*' })", (app) => app.use(express.text({ type: "*/*" }))],
    [
      "express.json({ verify }) keeping req.rawBody",
      (app) =>
        app.use(
          express.json({
            verify: (req, _res, buf) => {
              (req as IncomingMessage & { rawBody?: Buffer }).rawBody = buf;
            },
          }),
        ),
    ],
  ];
  for (const [name, setup] of setups) {
    it(`${name}: 202 and the payload as sent`, async () => {
      const { receiver, handler } = make();
      const app = express();
      setup(app);
      app.post("/receiver", receiver.express());
      const url = await listen(app);
      const { event, headers, body } = eventRequest();
      const response = await fetch(`${url}/receiver`, { method: "POST", headers, body });
      expect(response.status).toBe(202);
      expect(handler).toHaveBeenCalledWith(expect.objectContaining({ payload: event.payload }));
    });
  }

  it("express.json() skipping a text/plain body: the receiver reads the stream itself", async () => {
    const { receiver, handler } = make();
    const app = express();
    app.use(express.json());
    app.post("/receiver", receiver.express());
    const url = await listen(app);
    const { headers, body } = eventRequest();
    const response = await fetch(`${url}/receiver`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "text/plain" },
      body,
    });
    expect(response.status).toBe(202);
    expect(handler).toHaveBeenCalledOnce();
  });

  it("a middleware that drained the stream and left {} : a 500 at once, never a hang, never {} as the event", async () => {
    const { receiver, handler } = make();
    const app = express();
    app.use((req, _res, next) => {
      req.on("data", () => {});
      req.on("end", () => {
        (req as IncomingMessage & { body?: unknown }).body = {};
        next();
      });
    });
    app.post("/receiver", receiver.express());
    const url = await listen(app);
    const { headers, body } = eventRequest();
    const started = performance.now();
    const response = await fetch(`${url}/receiver`, { method: "POST", headers, body });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: "body_unreadable" });
    expect(handler).not.toHaveBeenCalled();
  });

  it("express.json() and a body that really is {}: judged as sent (400 for the schema), not as unreadable", async () => {
    const { receiver } = make();
    const app = express();
    app.use(express.json());
    app.post("/receiver", receiver.express());
    const url = await listen(app);
    const { headers } = eventRequest();
    const response = await fetch(`${url}/receiver`, { method: "POST", headers, body: "{}" });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_payload" });
  });

  it("413 past maxBodyBytes while streaming (no content-length), and the server stays up", async () => {
    const { receiver } = make();
    const app = express();
    app.post("/receiver", receiver.express());
    const url = await listen(app);
    const { headers } = eventRequest();
    const big = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1000)));
        controller.close();
      },
    });
    const response = await fetch(`${url}/receiver`, {
      method: "POST",
      headers,
      body: big,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    const { headers: h2, body } = eventRequest(2);
    expect((await fetch(`${url}/receiver`, { method: "POST", headers: h2, body })).status).toBe(
      202,
    );
  });
});

describe("node:http", () => {
  it("content-length counts bytes, and a declared oversize body gets 413 before it is read", async () => {
    const { receiver } = make();
    const url = await listen(receiver.nodeHandler());
    const { headers, body } = eventRequest();
    const ok = await fetch(`${url}/x`, { method: "POST", headers, body });
    const text = await ok.text();
    expect(Number(ok.headers.get("content-length"))).toBe(Buffer.byteLength(text));
    const big = await fetch(`${url}/x`, { method: "POST", headers, body: "x".repeat(5000) });
    expect(big.status).toBe(413);
    const get = await fetch(`${url}/x`);
    expect(get.status).toBe(405);
  });
});

describe("Fetch API", () => {
  it("a body read before the receiver got it is a 500 that says so", async () => {
    const { receiver } = make();
    const { headers, body } = eventRequest();
    const request = new Request("http://localhost/receiver", { method: "POST", headers, body });
    await request.text();
    const response = await receiver.fetch(request);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: "body_unreadable" });
  });

  it("an Azure Functions v4-shaped HttpRequest through handleRequest: plain { status, headers, body }", async () => {
    const { receiver, handler } = make();
    const { event, headers, body } = eventRequest();
    // @azure/functions' HttpRequest: method, headers (a Headers), body stream, arrayBuffer().
    const native = new Request("http://localhost/api/receiver", { method: "POST", headers, body });
    const azureLike: RequestLike = {
      method: native.method,
      headers: native.headers,
      body: native.body,
      bodyUsed: false,
      arrayBuffer: () => native.arrayBuffer(),
    };
    const init = await receiver.handleRequest(azureLike);
    expect(init.status).toBe(202);
    expect(typeof init.body).toBe("string");
    expect(init.headers["content-type"]).toMatch(/application\/json/);
    expect(handler).toHaveBeenCalledWith(expect.objectContaining({ messageId: event.messageId }));
  });

  it("413 for a stream over the limit", async () => {
    const { receiver } = make();
    const { headers } = eventRequest();
    const response = await receiver.fetch(
      new Request("http://localhost/receiver", { method: "POST", headers, body: "y".repeat(5000) }),
    );
    expect(response.status).toBe(413);
  });
});

describe("Fastify", () => {
  it("answers 405 for GET on the path, 401 without auth, and keeps the JSON parser of other routes", async () => {
    const { receiver } = make();
    const app = fastify();
    await app.register(receiver.fastify, { path: "/receiver" });
    await app.listen({ port: 0, host: "127.0.0.1" });
    closers.push(() => app.close());
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/receiver`;
    expect((await fetch(url)).status).toBe(405);
    const { headers, body } = eventRequest();
    const { Authorization: _, ...noAuth } = headers;
    expect((await fetch(url, { method: "POST", headers: noAuth, body })).status).toBe(401);
    expect((await fetch(url, { method: "POST", headers, body })).status).toBe(202);
    // Over the limit: the receiver's 413, not Fastify's own error format.
    const big = await fetch(url, { method: "POST", headers, body: "z".repeat(5000) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ ok: false, code: "body_too_large" });
  });
});
