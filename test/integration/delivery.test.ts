import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { deliverMany } from "../../src/delivery/batch.js";
import { createFakeClock } from "../../src/delivery/clock.js";
import { deliverEvent } from "../../src/delivery/engine.js";
import { NORCE_RETRY_DELAYS_MS, retrySchedule } from "../../src/delivery/policy.js";
import { parseSigningSecret } from "../../src/delivery/signing.js";
import { parseTimestamp } from "../../src/events/event.js";
import { fakeEvent } from "../../src/events/factory.js";
import { validatePayload } from "../../src/events/validator.js";
import { accept, failFirst, never, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let receiver: TestReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NORCE_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/;

describe("delivery engine against a real server", () => {
  it("delivers a 2xx in one attempt with Norce's standard headers and a valid body", async () => {
    receiver = await startReceiver(accept());
    const event = fakeEvent("OrderConfirmedEvent", { seed: 1 });
    const delivery = await deliverEvent(event, {
      to: `${receiver.url}/receiver`,
      headers: { Authorization: "Bearer abc", "Norce-Event-Type": "X", "X-Shop": "nordic" },
    });
    expect(delivery.outcome).toBe("delivered");
    expect(delivery.attempts).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/receiver");
    expect(req?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(req?.headers["norce-event-message-id"]).toMatch(UUID);
    expect(req?.headers["norce-event-type"]).toBe("OrderConfirmedEvent");
    expect(req?.headers["norce-event-timestamp"]).toMatch(NORCE_TIMESTAMP);
    expect(parseTimestamp(String(req?.headers["norce-event-timestamp"]))).toBeInstanceOf(Date);
    expect(req?.headers.authorization).toBe("Bearer abc");
    expect(req?.headers["x-shop"]).toBe("nordic");
    const body = JSON.parse(req?.body ?? "");
    expect(body).toEqual(event.payload);
    expect(validatePayload("OrderConfirmedEvent", body).valid).toBe(true);
  });

  it("retries with one message id and timestamp, waiting at least each scaled delay", async () => {
    receiver = await startReceiver(failFirst(3));
    const delivery = await deliverEvent(fakeEvent("SkuChangedNotification"), {
      to: receiver.url,
      policy: { timeScale: 1000 },
    });
    expect(delivery.outcome).toBe("delivered");
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 500, 500, 202]);
    const ids = new Set(receiver.requests.map((r) => r.headers["norce-event-message-id"]));
    const stamps = new Set(receiver.requests.map((r) => r.headers["norce-event-timestamp"]));
    const bodies = new Set(receiver.requests.map((r) => r.body));
    expect([ids.size, stamps.size, bodies.size]).toEqual([1, 1, 1]);
    const gaps = receiver.requests.slice(1).map((r, i) => r.at - receiver!.requests[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(5);
    expect(gaps[1]).toBeGreaterThanOrEqual(10);
    expect(gaps[2]).toBeGreaterThanOrEqual(15);
    expect(delivery.attempts.map((a) => a.scheduleMs)).toEqual([0, 5000, 15000, 30000]);
  });

  it("plays the whole 22-hour schedule on a fake clock: 17 attempts, then dead", async () => {
    receiver = await startReceiver(accept(500, "nope"));
    const clock = createFakeClock();
    const waits: number[] = [];
    const delivery = await deliverEvent(fakeEvent("OrderConfirmedEvent"), {
      to: receiver.url,
      clock,
      hooks: { onWait: (next) => void waits.push(next.delayMs) },
    });
    expect(delivery.outcome).toBe("dead");
    expect(delivery.attempts).toHaveLength(17);
    expect(receiver.requests).toHaveLength(17);
    // Every wait is exactly Norce's delay (never less), in Norce's order.
    expect(clock.sleeps).toEqual([...NORCE_RETRY_DELAYS_MS]);
    expect(waits).toEqual([...NORCE_RETRY_DELAYS_MS]);
    const last = delivery.attempts.at(-1)!;
    expect(last.scheduleMs).toBe(22 * 3_600_000 + 4 * 60_000);
    expect(last.next).toBeUndefined();
    expect(retrySchedule().at(-1)?.atMs).toBe(last.scheduleMs);
  });

  it("honours --max-retries and --no-retry", async () => {
    receiver = await startReceiver(accept(503));
    const clock = createFakeClock();
    const three = await deliverEvent(fakeEvent("JobCompletedEvent"), {
      to: receiver.url,
      clock,
      policy: { maxRetries: 2 },
    });
    expect(three.attempts).toHaveLength(3);
    const once = await deliverEvent(fakeEvent("JobCompletedEvent"), {
      to: receiver.url,
      clock,
      policy: { maxRetries: 0 },
    });
    expect(once.attempts).toHaveLength(1);
    expect(once.outcome).toBe("dead");
  });

  it("fails an attempt that gets no answer within the timeout", async () => {
    receiver = await startReceiver(never());
    const started = performance.now();
    const delivery = await deliverEvent(fakeEvent("OrderConfirmedEvent"), {
      to: receiver.url,
      policy: { timeoutMs: 200, maxRetries: 0 },
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(delivery.attempts[0]?.error).toEqual({
      code: "TIMEOUT",
      message: "timed out after 200ms",
    });
  });

  it("follows a 307 to another path with the same method and body", async () => {
    receiver = await startReceiver((req, res) => {
      if (req.path === "/old") {
        res.writeHead(307, { location: "/new" });
        res.end();
      } else {
        res.writeHead(200);
        res.end("ok");
      }
    });
    const delivery = await deliverEvent(fakeEvent("OrderConfirmedEvent"), {
      to: `${receiver.url}/old`,
    });
    expect(delivery.outcome).toBe("delivered");
    const [first, second] = receiver.requests;
    expect(second?.path).toBe("/new");
    expect(second?.method).toBe("POST");
    expect(second?.body).toBe(first?.body);
    expect(second?.headers["norce-event-message-id"]).toBe(
      first?.headers["norce-event-message-id"],
    );
    expect(delivery.attempts[0]?.redirects[0]).toMatchObject({ status: 307, method: "POST" });
  });

  it("fails an attempt on a redirect loop and after more than 10 hops", async () => {
    receiver = await startReceiver((req, res) => {
      const m = /^\/hop\/(\d+)$/.exec(req.path);
      if (m) {
        res.writeHead(308, { location: `/hop/${Number(m[1]) + 1}` });
      } else {
        res.writeHead(302, { location: req.path === "/a" ? "/b" : "/a" });
      }
      res.end();
    });
    const loop = await deliverEvent(fakeEvent("OrderConfirmedEvent"), {
      to: `${receiver.url}/a`,
      policy: { maxRetries: 0 },
    });
    expect(loop.attempts[0]?.error?.code).toBe("REDIRECT_LOOP");
    expect(loop.attempts[0]?.error?.message).toContain("/a (302) → /b (302) → /a");
    const far = await deliverEvent(fakeEvent("OrderConfirmedEvent"), {
      to: `${receiver.url}/hop/0`,
      policy: { maxRetries: 0 },
    });
    expect(far.attempts[0]?.error?.code).toBe("TOO_MANY_REDIRECTS");
    expect(far.attempts[0]?.redirects).toHaveLength(11);
  });

  it("explains a refused connection", async () => {
    receiver = await startReceiver();
    const port = receiver.port;
    await receiver.close();
    receiver = undefined;
    const delivery = await deliverEvent(fakeEvent("OrderConfirmedEvent"), {
      to: `http://localhost:${port}/receiver`,
      policy: { maxRetries: 0 },
    });
    expect(delivery.attempts[0]?.error?.code).toBe("ECONNREFUSED");
    expect(delivery.attempts[0]?.error?.message).toBe(
      `nothing listens on localhost:${port} — is your receiver running?`,
    );
  });

  it("signs with Standard Webhooks headers that the reference library verifies", async () => {
    const secret = `whsec_${Buffer.from("norce-event-test-secret-32bytes!").toString("base64")}`;
    receiver = await startReceiver(accept());
    const event = fakeEvent("OrderConfirmedEvent");
    await deliverEvent(event, { to: receiver.url, signingKey: parseSigningSecret(secret) });
    const req = receiver.requests[0]!;
    expect(req.headers["webhook-id"]).toBe(event.messageId);
    const verified = new Webhook(secret).verify(req.body, req.headers as Record<string, string>);
    expect(verified).toEqual(event.payload);
  });

  it("stops waiting when aborted and says which attempt was due", async () => {
    receiver = await startReceiver(accept(500));
    const controller = new AbortController();
    const delivery = await deliverEvent(fakeEvent("OrderConfirmedEvent"), {
      to: receiver.url,
      signal: controller.signal,
      hooks: { onWait: () => controller.abort() },
    });
    expect(delivery.outcome).toBe("interrupted");
    expect(delivery.pending?.attempt).toBe(2);
    expect(receiver.requests).toHaveLength(1);
  });
});

describe("many events", () => {
  it("sends N distinct events over a pool, with a summary", async () => {
    receiver = await startReceiver(accept());
    let n = 0;
    const summary = await deliverMany({
      to: receiver.url,
      count: 200,
      concurrency: 16,
      makeEvent: (i) => fakeEvent("OrderConfirmedEvent", { seed: 5, index: i }),
      track: () => ({ done: () => void n++ }),
    });
    expect(summary).toMatchObject({ count: 200, delivered: 200, dead: 0, attempts: 200 });
    expect(n).toBe(200);
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(200);
    expect(new Set(receiver.requests.map((r) => r.headers["norce-event-message-id"])).size).toBe(
      200,
    );
    expect(summary.latencyMs.p50).toBeGreaterThan(0);
    expect(summary.eventsPerSecond).toBeGreaterThan(0);
  });

  it("keeps many events waiting for retries without holding request slots", async () => {
    receiver = await startReceiver(accept(500));
    const summary = await deliverMany({
      to: receiver.url,
      count: 300,
      concurrency: 4,
      policy: { maxRetries: 2, timeScale: 100 },
      makeEvent: (i) => fakeEvent("SkuChangedNotification", { seed: 1, index: i }),
    });
    expect(summary).toMatchObject({ dead: 300, attempts: 900 });
  });
});

describe("timeouts under concurrency", () => {
  let slow: TestReceiver | undefined;
  afterEach(async () => {
    await slow?.close();
    slow = undefined;
  });

  it("no attempt of a busy batch is reported timed out before its budget (Node's cached loop time)", async () => {
    slow = await startReceiver(never());
    const summary = await deliverMany({
      to: slow.url,
      count: 150,
      concurrency: 50,
      makeEvent: (index) => fakeEvent("OrderConfirmedEvent", { seed: 1, index }),
      policy: { timeoutMs: 150, maxRetries: 0 },
      track: () => ({
        hooks: {
          onAttempt: (attempt) => {
            expect(attempt.error?.code).toBe("TIMEOUT");
            expect(attempt.latencyMs).toBeGreaterThanOrEqual(150);
          },
        },
      }),
    });
    expect(summary.dead).toBe(150);
    expect(summary.latencyMs.p50).toBeGreaterThanOrEqual(150);
  }, 30_000);
});
