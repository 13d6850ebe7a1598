/**
 * `listener.inject`: a request that did not come through the socket (a tunnel relays one) goes
 * through exactly what a socket request goes through. Each case is run both ways and compared.
 */
import { afterEach, describe, expect, it } from "vitest";
import { fakeEvent } from "../../src/events/factory.js";
import {
  createListener,
  type IncomingEvent,
  type Listener,
  type ListenerOptions,
  type ReceivedEvent,
} from "../../src/listener/server.js";

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

async function start(options: ListenerOptions = {}) {
  const events: ReceivedEvent[] = [];
  const seen: IncomingEvent[] = [];
  listener = await createListener({
    port: 0,
    ...options,
    respond: (request) => {
      seen.push(request);
      return options.respond ? options.respond(request) : { status: 202, body: "Accepted\n" };
    },
    sinks: [{ write: (e) => void events.push(e) }],
  });
  return { listener, events, seen };
}

interface Req {
  method?: string;
  path?: string;
  rawHeaders: string[];
  body: string | Buffer;
}

async function viaSocket(l: Listener, req: Req) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const response = await fetch(`http://127.0.0.1:${l.port}${req.path ?? "/receiver"}`, {
    method: req.method ?? "POST",
    headers,
    ...(req.method && req.method !== "POST" ? {} : { body: req.body }),
  });
  return { status: response.status, body: await response.text() };
}

async function viaInject(l: Listener, req: Req) {
  const answer = await l.inject({
    method: req.method ?? "POST",
    path: req.path ?? "/receiver",
    rawHeaders: req.rawHeaders,
    body: Buffer.from(req.body),
    remoteAddress: "203.0.113.7",
  });
  return { status: answer.status, body: answer.body };
}

const norce = (id: string, type = "OrderConfirmedEvent") => [
  "Content-Type",
  "application/json",
  "Norce-Event-Message-Id",
  id,
  "Norce-Event-Type",
  type,
  "Norce-Event-Timestamp",
  "2025-11-16T07:32:28.326837+01:00",
];

/** What must be the same whichever way a request came in. */
function essence(e: ReceivedEvent) {
  return {
    method: e.method,
    path: e.path,
    type: e.type,
    messageId: e.messageId,
    status: e.status,
    attempt: e.attempt,
    bodyIsJson: e.bodyIsJson,
    bodyBytes: e.bodyBytes,
    problems: e.problems.map((p) =>
      `${p.severity} ${p.path} ${p.message}`.replace(/came \d+ms/, "came Nms"),
    ),
    note: e.note,
  };
}

describe("listener.inject is a socket request without the socket", () => {
  it("same checks, answers, limits, retries and sinks as a socket request", async () => {
    const event = fakeEvent("OrderConfirmedEvent", { seed: 3 });
    const cases: Req[] = [
      { rawHeaders: norce(event.messageId), body: JSON.stringify(event.payload) },
      // the same message id again: attempt 2 (a retry)
      { rawHeaders: norce(event.messageId), body: JSON.stringify(event.payload) },
      // schema violation
      {
        rawHeaders: norce("0f2b6c1d-3e4a-4b5c-8d9e-0a1b2c3d4e5f"),
        body: JSON.stringify({ ClientId: "x" }),
      },
      // not JSON
      { rawHeaders: ["content-type", "application/json"], body: "{oops" },
      // too deep
      {
        rawHeaders: norce("1f2b6c1d-3e4a-4b5c-8d9e-0a1b2c3d4e5f"),
        body: `${"[".repeat(65)}${"]".repeat(65)}`,
      },
      // over --max-body
      { rawHeaders: norce("2f2b6c1d-3e4a-4b5c-8d9e-0a1b2c3d4e5f"), body: "x".repeat(2048) },
      // wrong path
      { path: "/elsewhere", rawHeaders: norce("3f2b6c1d-3e4a-4b5c-8d9e-0a1b2c3d4e5f"), body: "{}" },
      // not POST
      { method: "GET", rawHeaders: [], body: "" },
      // no message id header
      {
        rawHeaders: norce("4f2b6c1d-3e4a-4b5c-8d9e-0a1b2c3d4e5f").filter((_, i) => i < 2 || i > 3),
        body: "{}",
      },
    ];
    const options: ListenerOptions = { maxBodyBytes: 1024, path: "/receiver" };
    const socket = await start(options);
    const socketAnswers = [];
    for (const c of cases) socketAnswers.push(await viaSocket(socket.listener, c));
    await socket.listener.close();
    const injected = await start(options);
    const injectAnswers = [];
    for (const c of cases) injectAnswers.push(await viaInject(injected.listener, c));

    expect(injectAnswers).toEqual(socketAnswers);
    expect(socketAnswers.map((a) => a.status)).toEqual([
      202, 202, 202, 400, 400, 413, 404, 405, 202,
    ]);
    await new Promise((r) => setTimeout(r, 20));
    expect(injected.events.map(essence)).toEqual(socket.events.map(essence));
    expect(injected.events[1]?.attempt).toBe(2);
    expect(injected.listener.stats()).toEqual(socket.listener.stats());
  });

  it("the responder gets the raw header list and the raw body bytes", async () => {
    const { listener, seen, events } = await start();
    const body = Buffer.from([0x7b, 0x7d, 0x20, 0xff, 0xfe]); // not UTF-8 after "{} "
    const rawHeaders = [
      ...norce("5f2b6c1d-3e4a-4b5c-8d9e-0a1b2c3d4e5f"),
      "X-Twice",
      "a",
      "x-twice",
      "b",
    ];
    const answer = await listener.inject({
      method: "POST",
      path: "/receiver?q=1",
      rawHeaders,
      body,
      remoteAddress: "203.0.113.7",
      protocol: "https",
    });
    expect(answer.status).toBe(400); // not valid JSON once decoded
    expect(seen).toHaveLength(0);
    const ok = Buffer.from(JSON.stringify(fakeEvent("OrderConfirmedEvent").payload));
    await listener.inject({
      method: "POST",
      path: "/receiver?q=1",
      rawHeaders,
      body: ok,
      protocol: "https",
    });
    expect(seen[0]?.rawHeaders).toEqual(rawHeaders);
    expect(seen[0]?.rawBody.equals(ok)).toBe(true);
    expect(seen[0]?.headers["x-twice"]).toBe("a, b");
    expect(seen[0]?.protocol).toBe("https");
    expect(seen[0]?.path).toBe("/receiver?q=1");
    expect(events[1]?.rawHeaders).toEqual(rawHeaders);
  });

  it("a delay longer than one timer holds stays a delay (no overflow to 1 ms), ended by the sender going away", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const { listener, events } = await start({
        respond: () => ({ status: 202, delayMs: 2 ** 31 + 1000 }),
      });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await listener.inject({
        method: "POST",
        path: "/receiver",
        rawHeaders: norce("6f2b6c1d-3e4a-4b5c-8d9e-0a1b2c3d4e60"),
        body: Buffer.from(JSON.stringify(fakeEvent("OrderConfirmedEvent").payload)),
        signal: controller.signal,
      });
      await new Promise((r) => setTimeout(r, 20));
      expect(events[0]?.senderGoneAfterMs).toBeGreaterThanOrEqual(90);
      expect(warnings).not.toContain("TimeoutOverflowWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("says when the sender went away before the answer", async () => {
    const { listener, events } = await start({ respond: () => ({ status: 202, delayMs: 300 }) });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const answer = await listener.inject({
      method: "POST",
      path: "/receiver",
      rawHeaders: norce("6f2b6c1d-3e4a-4b5c-8d9e-0a1b2c3d4e5f"),
      body: Buffer.from(JSON.stringify(fakeEvent("OrderConfirmedEvent").payload)),
      signal: controller.signal,
    });
    expect(answer.status).toBe(202);
    await new Promise((r) => setTimeout(r, 20));
    expect(events[0]?.senderGoneAfterMs).toBeGreaterThanOrEqual(40);
    expect(events[0]?.senderGoneAfterMs).toBeLessThan(300);
  });
});

describe("the listener's counts by type", () => {
  it("count a type named like an object's own property, or empty, as any other name", async () => {
    const { listener } = await start();
    for (const type of ["constructor", "__proto__", "hasOwnProperty", "", "OrderConfirmedEvent"]) {
      await listener.inject({
        method: "POST",
        path: "/receiver",
        rawHeaders: ["Content-Type", "application/json", "Norce-Event-Type", type],
        body: Buffer.from("{}"),
      });
    }
    const stats = listener.stats();
    expect(stats.requests).toBe(5);
    expect(Object.entries(stats.byType).sort()).toEqual(
      [
        ["(no type)", 1],
        ["OrderConfirmedEvent", 1],
        ["__proto__", 1],
        ["constructor", 1],
        ["hasOwnProperty", 1],
      ].sort(),
    );
  });
});
