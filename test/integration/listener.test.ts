import { connect } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { deliverEvent } from "../../src/delivery/engine.js";
import { parseSigningSecret } from "../../src/delivery/signing.js";
import { fakeEvent } from "../../src/events/factory.js";
import { createResponder } from "../../src/listener/responders.js";
import { RetryTracker } from "../../src/listener/retries.js";
import { createListener, type Listener, type ReceivedEvent } from "../../src/listener/server.js";

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

async function start(options: Parameters<typeof createListener>[0] = {}) {
  const events: ReceivedEvent[] = [];
  listener = await createListener({
    port: 0,
    ...options,
    sinks: [{ write: (e) => void events.push(e) }],
  });
  return { listener, events };
}

describe("listener core", () => {
  it("binds to loopback by default and gives a URL to paste", async () => {
    const { listener } = await start();
    expect(listener.host).toBe("127.0.0.1");
    expect(listener.url).toMatch(/^http:\/\/localhost:\d+\/receiver$/);
  });

  it("checks Norce's headers and the schema, and counts retries of one message id", async () => {
    const { listener, events } = await start({
      respond: createResponder({ failFirst: 1 }),
      timeScale: 1000,
    });
    const event = fakeEvent("OrderConfirmedEvent");
    const delivery = await deliverEvent(event, { to: listener.url, policy: { timeScale: 1000 } });
    expect(delivery.outcome).toBe("delivered");
    expect(events.map((e) => [e.attempt, e.status])).toEqual([
      [1, 500],
      [2, 202],
    ]);
    expect(events[1]?.retry).toMatchObject({ attempt: 2, early: false, changed: [] });
    expect(events[0]?.problems).toEqual([]);
    expect(events[0]).toMatchObject({
      type: "OrderConfirmedEvent",
      messageId: event.messageId,
      knownType: true,
      category: "Order",
    });
  });

  it("flags a retry that comes earlier than Norce's minimum and a changed body", async () => {
    const { listener, events } = await start();
    const headers = {
      "content-type": "application/json",
      "Norce-Event-Message-Id": "6a1c9e1e-2b3c-4d5e-8f90-a1b2c3d4e5f6",
      "Norce-Event-Type": "JobCompletedEvent",
      "Norce-Event-Timestamp": "2025-11-16T07:32:28.326837+01:00",
    };
    await fetch(listener.url, {
      method: "POST",
      headers,
      body: JSON.stringify({ ClientId: 1, JobId: 2, StatusId: 2 }),
    });
    await fetch(listener.url, {
      method: "POST",
      headers,
      body: JSON.stringify({ ClientId: 1, JobId: 2, StatusId: 3 }),
    });
    const messages = events[1]?.problems.map((p) => p.message).join("\n");
    expect(messages).toMatch(
      /attempt 2 came \d+ms after the previous one; Norce waits at least 5000ms/,
    );
    expect(messages).toMatch(/the body changed since the previous attempt/);
  });

  it("an unknown type is a warning, not an error", async () => {
    const { listener, events } = await start();
    await fetch(listener.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "Norce-Event-Message-Id": "6a1c9e1e-2b3c-4d5e-8f90-a1b2c3d4e5f6",
        "Norce-Event-Type": "ExportDeliveredEvent",
        "Norce-Event-Timestamp": "2025-11-16T07:32:28Z",
      },
      body: "{}",
    });
    expect(events[0]?.problems).toEqual([
      {
        severity: "warning",
        path: "header Norce-Event-Type",
        message: '"ExportDeliveredEvent" is not one of Norce\'s 19 event types; body not checked',
      },
    ]);
    expect(events[0]?.status).toBe(202);
  });

  it("verifies Standard Webhooks signatures: valid passes, wrong or older than 5 minutes gets 401", async () => {
    const secret = `whsec_${Buffer.from("a-listener-test-secret-of-32-byt").toString("base64")}`;
    const { listener } = await start({ signingKey: parseSigningSecret(secret) });
    const body = JSON.stringify({ ClientId: 1, JobId: 2, StatusId: 2 });
    const post = (headers: Record<string, string>) =>
      fetch(listener.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    const id = "msg_1";
    const now = new Date();
    const good = new Webhook(secret).sign(id, now, body);
    expect(
      (
        await post({
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": good,
        })
      ).status,
    ).toBe(202);
    const old = new Date(now.getTime() - 6 * 60_000);
    const stale = new Webhook(secret).sign(id, old, body);
    expect(
      (
        await post({
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(old.getTime() / 1000)),
          "webhook-signature": stale,
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await post({
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": "v1,AAAA",
        })
      ).status,
    ).toBe(401);
    expect((await post({})).status).toBe(401);
  });

  it("answers late with a delay, and by a failure rate", async () => {
    const { listener } = await start({ respond: createResponder({ delayMs: 300 }) });
    const started = performance.now();
    await fetch(listener.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    await listener.close();
    const always = await start({ respond: createResponder({ failRate: 1, random: () => 0.5 }) });
    const res = await fetch(always.listener.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(500);
  });

  it("drops a client that stalls, and keeps answering others", async () => {
    const { listener } = await start({ requestTimeoutMs: 500 });
    const socket = connect(listener.port, "127.0.0.1");
    socket.write("POST /receiver HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
    const closed = new Promise<number>((resolve) => {
      const started = performance.now();
      socket.on("close", () => resolve(performance.now() - started));
      socket.on("error", () => undefined);
      socket.resume();
    });
    const ok = await fetch(listener.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(ok.status).toBe(202);
    expect(await closed).toBeLessThan(5000);
  });

  it("survives a flood of malformed and random requests and keeps answering", async () => {
    const { listener, events } = await start({ maxBodyBytes: 1024 });
    const garbage = [
      "GARBAGE\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nabc",
      "\u0000\u0001\u0002\u0003",
      `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
      `POST / HTTP/1.1\r\nHost: x\r\n${"X-Long: y\r\n".repeat(2000)}\r\n`,
    ];
    await Promise.all(
      Array.from(
        { length: 60 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const socket = connect(listener.port, "127.0.0.1", () => {
              socket.write(garbage[i % garbage.length]!);
              setTimeout(() => socket.destroy(), 50);
            });
            socket.on("error", () => undefined);
            socket.on("close", () => resolve());
          }),
      ),
    );
    const junk = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${listener.url}?n=${i}`, {
          method: i % 3 === 0 ? "PUT" : "POST",
          headers: {
            "content-type": i % 2 ? "text/plain" : "application/json",
            "Norce-Event-Type": `Type${i}`,
          },
          body: i % 5 === 0 ? "x".repeat(5000) : `{"n":${i}`,
        }).then((r) => r.status),
      ),
    );
    expect(junk.every((s) => [400, 405, 413].includes(s))).toBe(true);
    const ok = await deliverEvent(fakeEvent("OrderConfirmedEvent"), {
      to: listener.url,
      policy: { maxRetries: 0 },
    });
    expect(ok.outcome).toBe("delivered");
    expect(events.at(-1)?.status).toBe(202);
  });

  it("close() is safe to call twice", async () => {
    const { listener } = await start();
    await listener.close();
    await listener.close();
  });
});

describe("retry tracker", () => {
  it("remembers a bounded number of message ids", () => {
    const tracker = new RetryTracker({ capacity: 100 });
    for (let i = 0; i < 1000; i++)
      tracker.observe(`id-${i}`, i, { timestamp: "t", type: "X", body: "{}" });
    expect(tracker.attempts("id-999")).toBe(1);
    expect(tracker.attempts("id-0")).toBe(0);
    expect(
      tracker.observe("id-999", 99_999, { timestamp: "t", type: "X", body: "{}" }).attempt,
    ).toBe(2);
  });
});
