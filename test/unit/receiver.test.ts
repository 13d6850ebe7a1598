/** Every answer of `receive`, in the order the checks run, and the dedupe window on a fake clock. */
import { describe, expect, it, vi } from "vitest";
import { NORCE_RETRY_DELAYS_MS } from "../../src/delivery/policy.js";
import { fakeEvent } from "../../src/events/factory.js";
import {
  createReceiver,
  HandlerError,
  HandlerTimeoutError,
  memoryDedupe,
  type ReceiveRequest,
  type ReceiverError,
  type ReceiverOptions,
  type Warning,
} from "../../src/receiver/index.js";
import { UnknownEventTypeError, UsageError } from "../../src/shared/errors.js";

const TOKEN = "Bearer t0ken-for-tests";
const order = fakeEvent("OrderConfirmedEvent", { seed: 7 });

function request(
  overrides: Partial<ReceiveRequest> & { set?: Record<string, string | undefined> } = {},
): ReceiveRequest {
  const headers: Record<string, string | undefined> = {
    "norce-event-message-id": order.messageId,
    "norce-event-type": order.type,
    "norce-event-timestamp": order.timestamp,
    "content-type": "application/json",
    authorization: TOKEN,
    ...overrides.set,
  };
  for (const [name, value] of Object.entries(headers))
    if (value === undefined) delete headers[name];
  return {
    method: "POST",
    body: JSON.stringify(order.payload),
    ...overrides,
    headers: overrides.headers ?? (headers as Record<string, string>),
  };
}

function make(options: Partial<ReceiverOptions> = {}) {
  const errors: ReceiverError[] = [];
  const warnings: Warning[] = [];
  const receiver = createReceiver({
    auth: { value: TOKEN },
    onError: (e) => errors.push(e),
    onWarning: (w) => warnings.push(w),
    ...options,
  });
  return { receiver, errors, warnings };
}

function parse(body: string) {
  return JSON.parse(body) as { ok: boolean; code: string; message: string; problems?: unknown[] };
}

describe("receive: the answers, in order", () => {
  it("405 for anything but POST, with Allow: POST", async () => {
    const { receiver } = make();
    const result = await receiver.receive(request({ method: "GET" }));
    expect(result.status).toBe(405);
    expect(result.headers.allow).toBe("POST");
    expect(parse(result.body)).toMatchObject({ ok: false, code: "method_not_allowed" });
  });

  it("413 for a body over maxBodyBytes, counted in bytes (å is two)", async () => {
    const { receiver } = make({ maxBodyBytes: 10 });
    const result = await receiver.receive(request({ body: "ååååå+" }));
    expect(result.status).toBe(413);
    expect(parse(result.body)).toMatchObject({ code: "body_too_large" });
    const ok = await make({ maxBodyBytes: 10 }).receiver.receive(request({ body: "ååååå" }));
    expect(ok.status).not.toBe(413);
  });

  it("400 when the three standard headers are missing, each named (checked before auth)", async () => {
    const { receiver } = make();
    const result = await receiver.receive(
      request({
        set: {
          "norce-event-message-id": undefined,
          "norce-event-type": undefined,
          "norce-event-timestamp": undefined,
          authorization: undefined,
        },
      }),
    );
    expect(result.status).toBe(400);
    const body = parse(result.body);
    expect(body.code).toBe("bad_headers");
    expect(body.problems).toEqual([
      { path: "header Norce-Event-Message-Id", message: "is missing" },
      { path: "header Norce-Event-Type", message: "is missing" },
      { path: "header Norce-Event-Timestamp", message: "is missing" },
    ]);
  });

  it("400 for malformed headers: a timestamp without a zone, an id with spaces", async () => {
    const { receiver } = make();
    const result = await receiver.receive(
      request({
        set: { "norce-event-timestamp": "2025-11-16T07:32:28", "norce-event-message-id": "a b" },
      }),
    );
    expect(result.status).toBe(400);
    expect(parse(result.body).problems).toHaveLength(2);
    // Norce's header table writes a dot before the seconds; that is read, not refused.
    const docs = await make().receiver.receive(
      request({ set: { "norce-event-timestamp": "2025-11-16T07:32.28.326837+01:00" } }),
    );
    expect(docs.status).toBe(202);
  });

  it('validate: "warn" accepts bad headers and says so to onWarning', async () => {
    const { receiver, warnings } = make({ validate: "warn" });
    const handler = vi.fn();
    receiver.on("OrderConfirmedEvent", handler);
    const result = await receiver.receive(request({ set: { "norce-event-timestamp": undefined } }));
    expect(result.status).toBe(202);
    expect(handler).toHaveBeenCalledOnce();
    expect(warnings[0]).toMatchObject({ code: "bad_headers" });
    expect(warnings[0]?.message).toMatch(/Norce-Event-Timestamp is missing/);
  });

  it("401 without the auth header, with a wrong one, or one of another length; the body names no secret", async () => {
    const { receiver } = make();
    for (const value of [undefined, "Bearer t0ken-for-testz", "Bearer t0ken", `${TOKEN}x`]) {
      const result = await receiver.receive(request({ set: { authorization: value } }));
      expect(result.status).toBe(401);
      expect(parse(result.body)).toEqual({
        ok: false,
        code: "unauthorized",
        message: "missing or wrong Authorization",
      });
      expect(result.body).not.toContain("t0ken");
    }
  });

  it("auth: any header name, several values during a rotation, or a function", async () => {
    const rotated = make({ auth: { header: "X-Norce-Key", value: ["old-key-1", "new-key-2"] } });
    for (const key of ["old-key-1", "new-key-2"]) {
      const result = await rotated.receiver.receive(
        request({
          set: {
            authorization: undefined,
            "x-norce-key": key,
            "norce-event-message-id": crypto.randomUUID(),
          },
        }),
      );
      expect(result.status).toBe(202);
    }
    const fn = make({ auth: async (header) => header("x-api-key") === "k" });
    expect((await fn.receiver.receive(request({ set: { "x-api-key": "k" } }))).status).toBe(202);
    expect((await fn.receiver.receive(request({ set: { "x-api-key": "no" } }))).status).toBe(401);
  });

  it("a missing auth option, or an empty token (an unset environment variable), is refused at start", () => {
    expect(() => createReceiver({} as ReceiverOptions)).toThrow(UsageError);
    expect(() => createReceiver({ auth: { value: undefined } })).toThrow(/empty/);
    expect(() => createReceiver({ auth: { value: `Bearer ${undefined}` } })).toThrow(
      /is the environment variable set/,
    );
    expect(() => createReceiver({ auth: { value: "Bearer abc\n" } })).toThrow(/whitespace/);
    expect(() => createReceiver({ auth: false })).not.toThrow();
  });

  it("400 for a body that is not JSON, or empty", async () => {
    const { receiver } = make();
    const bad = await receiver.receive(request({ body: '{"ClientId": 1001, "OrderNo": ' }));
    expect(bad.status).toBe(400);
    expect(parse(bad.body)).toMatchObject({ code: "invalid_json" });
    const empty = await receiver.receive(request({ body: "" }));
    expect(parse(empty.body)).toMatchObject({ code: "invalid_json", message: /empty/ });
  });

  it("400 for a payload that breaks its schema, with the JSON paths", async () => {
    const { receiver } = make();
    const handler = vi.fn();
    receiver.on("OrderConfirmedEvent", handler);
    const { OrderNo: _, ...rest } = order.payload as unknown as Record<string, unknown>;
    const result = await receiver.receive(
      request({ body: JSON.stringify({ ...rest, ClientId: "1" }) }),
    );
    expect(result.status).toBe(400);
    const body = parse(result.body);
    expect(body.code).toBe("invalid_payload");
    expect(body.problems).toEqual(
      expect.arrayContaining([
        { path: "$.OrderNo", message: "is required but missing" },
        { path: "$.ClientId", message: "must be integer" },
      ]),
    );
    expect(handler).not.toHaveBeenCalled();
  });

  it('schema problems are warnings, not 400s, with validate: "warn" or for a type whose schema is partly known', async () => {
    const warn = make({ validate: "warn" });
    const result = await warn.receiver.receive(request({ body: "{}" }));
    expect(result.status).toBe(202);
    expect(warn.warnings[0]).toMatchObject({ code: "invalid_payload" });

    const partial = fakeEvent("OrderDeliveredEvent", { seed: 1 });
    const strict = make();
    const answer = await strict.receiver.receive(
      request({
        set: { "norce-event-type": partial.type, "norce-event-message-id": partial.messageId },
        body: JSON.stringify({ ClientId: "1001", SomethingNorceSends: true }),
      }),
    );
    expect(answer.status).toBe(202);
    expect(strict.warnings[0]?.message).toMatch(/partly known/);

    const off = make({ validate: false });
    expect((await off.receiver.receive(request({ body: "{}" }))).status).toBe(202);
  });

  it("202 and the handler runs once; a redelivery of the same message id gets 202 without calling it again", async () => {
    const { receiver } = make();
    const seen: unknown[] = [];
    receiver.on("OrderConfirmedEvent", (e) => {
      seen.push([e.type, e.messageId, e.timestamp, e.attempt, e.payload.OrderNo]);
    });
    const first = await receiver.receive(request());
    expect(first.status).toBe(202);
    expect(parse(first.body)).toMatchObject({ ok: true, code: "accepted" });
    const again = await receiver.receive(request());
    expect(again.status).toBe(202);
    expect(parse(again.body)).toMatchObject({ ok: true, code: "duplicate" });
    expect(seen).toEqual([
      [
        "OrderConfirmedEvent",
        order.messageId,
        order.timestamp,
        1,
        (order.payload as { OrderNo: string }).OrderNo,
      ],
    ]);
  });

  it("500 when a handler throws, with a HandlerError to onError; the retry runs the handler again (not acked and lost)", async () => {
    const { receiver, errors } = make();
    let calls = 0;
    receiver.on("OrderConfirmedEvent", (e) => {
      calls++;
      if (e.attempt === 1) throw new Error("database down");
    });
    const seenByStar: number[] = [];
    receiver.on("*", (e) => {
      seenByStar.push(e.attempt ?? 0);
    });
    const failed = await receiver.receive(request());
    expect(failed.status).toBe(500);
    expect(parse(failed.body)).toEqual({
      ok: false,
      code: "handler_failed",
      message: "the handler failed; see the server's log",
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(HandlerError);
    expect(errors[0]).toMatchObject({
      status: 500,
      code: "NORCE_EVENT_HANDLER_FAILED",
      event: { type: "OrderConfirmedEvent", messageId: order.messageId },
    });
    expect(errors[0]?.message).toMatch(/database down/);
    // "*" ran too (after the specific handler), even though the specific one threw.
    expect(seenByStar).toEqual([1]);

    const retried = await receiver.receive(request());
    expect(retried.status).toBe(202);
    expect(calls).toBe(2);
    expect(seenByStar).toEqual([1, 2]);
    expect(parse((await receiver.receive(request())).body).code).toBe("duplicate");
  });

  it("exposeErrors puts the handler's message in the 500 body; an onError that throws is ignored", async () => {
    const { receiver } = make({
      exposeErrors: true,
      onError: () => {
        throw new Error("logging broke");
      },
    });
    receiver.on("OrderConfirmedEvent", () => {
      throw new Error("stock service 503");
    });
    const result = await receiver.receive(request());
    expect(result.status).toBe(500);
    expect(parse(result.body).message).toMatch(/stock service 503/);
  });

  it("a slow handler: 500 at timeoutMs (signal aborted); a redelivery meanwhile gets 409; once it succeeds, 202 duplicate", async () => {
    const { receiver, errors } = make({ timeoutMs: 50 });
    let finish!: () => void;
    let signal: AbortSignal | undefined;
    receiver.on("OrderConfirmedEvent", (e) => {
      signal = e.signal;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    const started = performance.now();
    const slow = await receiver.receive(request());
    expect(performance.now() - started).toBeLessThan(2000);
    expect(slow.status).toBe(500);
    expect(parse(slow.body).code).toBe("handler_timeout");
    expect(errors[0]).toBeInstanceOf(HandlerTimeoutError);
    expect(signal?.aborted).toBe(true);

    const meanwhile = await receiver.receive(request());
    expect(meanwhile.status).toBe(409);
    expect(parse(meanwhile.body).code).toBe("in_flight");

    finish();
    await receiver.drain();
    const after = await receiver.receive(request());
    expect(after.status).toBe(202);
    expect(parse(after.body).code).toBe("duplicate");
  });

  it("two deliveries of one message id at once: one runs the handler, the other gets 409", async () => {
    const { receiver } = make();
    const handler = vi.fn(() => new Promise((resolve) => setTimeout(resolve, 20)));
    receiver.on("OrderConfirmedEvent", handler);
    const [a, b] = await Promise.all([receiver.receive(request()), receiver.receive(request())]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    expect(handler).toHaveBeenCalledOnce();
  });

  it('an unknown type (Norce added one): 202 and onUnknown, never a 4xx; "*" is not called', async () => {
    const unknown = vi.fn();
    const { receiver } = make({ onUnknown: unknown });
    const star = vi.fn();
    receiver.on("*", star);
    const result = await receiver.receive(
      request({
        set: { "norce-event-type": "GiftCardIssuedEvent" },
        body: '{"ClientId":1,"GiftCardNo":"G1"}',
      }),
    );
    expect(result.status).toBe(202);
    expect(parse(result.body)).toMatchObject({ ok: true, code: "unknown_type" });
    expect(unknown).toHaveBeenCalledWith(
      expect.objectContaining({
        type: "GiftCardIssuedEvent",
        messageId: order.messageId,
        payload: { ClientId: 1, GiftCardNo: "G1" },
      }),
    );
    expect(star).not.toHaveBeenCalled();
    // Without a hook it is still a 202.
    const bare = await make().receiver.receive(
      request({ set: { "norce-event-type": "GiftCardIssuedEvent" }, body: "{}" }),
    );
    expect(bare.status).toBe(202);
  });

  it("a parsed body (a framework parsed the JSON) and Fetch Headers are read too", async () => {
    const { receiver } = make();
    const handler = vi.fn();
    receiver.on("OrderConfirmedEvent", handler);
    const headers = new Headers({
      "Norce-Event-Message-Id": order.messageId,
      "Norce-Event-Type": order.type,
      "Norce-Event-Timestamp": order.timestamp,
      Authorization: TOKEN,
    });
    const result = await receiver.receive({ headers, body: order.payload });
    expect(result.status).toBe(202);
    expect(handler).toHaveBeenCalledWith(expect.objectContaining({ payload: order.payload }));
    // Mixed-case keys in a plain record are found too.
    const mixed = await make().receiver.receive({
      headers: Object.fromEntries(headers),
      body: new TextEncoder().encode(JSON.stringify(order.payload)),
    });
    expect(mixed.status).toBe(202);
  });
});

describe('queue: "background"', () => {
  it("answers 202 before the handler runs, runs it after; a failure goes to onError and frees the id for a replay", async () => {
    const { receiver, errors } = make({ queue: "background" });
    const log: string[] = [];
    receiver.on("OrderConfirmedEvent", async (e) => {
      log.push(`start ${e.attempt}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (e.attempt === 1) throw new Error("mail server down");
      log.push("done");
    });
    const result = await receiver.receive(request());
    log.push("answered");
    expect(result.status).toBe(202);
    expect(parse(result.body).message).toMatch(/queued/);
    // A redelivery while the handler runs is a duplicate: it was recorded before the answer.
    expect(parse((await receiver.receive(request())).body).code).toBe("duplicate");
    await receiver.drain();
    expect(log).toEqual(["answered", "start 1"]);
    expect(errors[0]).toBeInstanceOf(HandlerError);
    expect(errors[0]).toMatchObject({ status: 202, background: true });
    // What Norce will not send again is on the error, to keep; hidden from loggers that dump it.
    expect((errors[0] as HandlerError).received).toEqual({
      timestamp: order.timestamp,
      payload: order.payload,
    });
    expect(Object.keys(errors[0]!)).not.toContain("received");
    // Released: a replay of the same message is handled again.
    expect((await receiver.receive(request())).status).toBe(202);
    await receiver.drain();
    expect(log).toEqual(["answered", "start 1", "start 2", "done"]);
  });
});

describe("on()", () => {
  it("an unknown name throws with a suggestion; the returned function removes the handler", async () => {
    const { receiver } = make();
    expect(() => receiver.on("OrderConfirmd" as "OrderConfirmedEvent", () => {})).toThrow(
      UnknownEventTypeError,
    );
    expect(() => receiver.on("OrderConfirmd" as "OrderConfirmedEvent", () => {})).toThrow(
      /did you mean OrderConfirmedEvent/,
    );
    const handler = vi.fn();
    const off = receiver.on(["OrderConfirmedEvent", "OrderCancelledEvent"], handler);
    off();
    await receiver.receive(request());
    expect(handler).not.toHaveBeenCalled();
  });
});

describe("dedupe across Norce's retry schedule (fake clock)", () => {
  const HOUR = 3_600_000;
  /** When Norce sends attempt n (0 = first), in ms after the first, by its minimum delays. */
  const sentAt = [
    0,
    ...NORCE_RETRY_DELAYS_MS.map((_, i) =>
      NORCE_RETRY_DELAYS_MS.slice(0, i + 1).reduce((a, b) => a + b, 0),
    ),
  ];

  it("the schedule spans about 22 h, inside the default 24 h window", () => {
    expect(sentAt).toHaveLength(17);
    expect(sentAt.at(-1)! / HOUR).toBeGreaterThan(21);
    expect(sentAt.at(-1)! / HOUR).toBeLessThan(24);
  });

  it("a handler failing until the last retry runs on every attempt (1..17) and is then done", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const { receiver } = make({ dedupe: memoryDedupe({ now: () => now }) });
    const attempts: number[] = [];
    receiver.on("OrderConfirmedEvent", (e) => {
      attempts.push(e.attempt ?? 0);
      if (attempts.length < 17) throw new Error("not yet");
    });
    const start = now;
    const statuses: number[] = [];
    for (const offset of sentAt) {
      now = start + offset;
      statuses.push((await receiver.receive(request())).status);
    }
    expect(statuses).toEqual([...Array(16).fill(500), 202]);
    expect(attempts).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
  });

  it("handled once, every redelivery on Norce's schedule is a duplicate; after the 24 h window it is new again", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const { receiver } = make({ dedupe: memoryDedupe({ now: () => now }) });
    const handler = vi.fn();
    receiver.on("OrderConfirmedEvent", handler);
    const start = now;
    const codes: string[] = [];
    for (const offset of sentAt) {
      now = start + offset;
      codes.push(parse((await receiver.receive(request())).body).code);
    }
    expect(codes).toEqual(["accepted", ...Array(16).fill("duplicate")]);
    expect(handler).toHaveBeenCalledOnce();
    // The window counts from the completion: 24 h later the id is forgotten.
    now = start + 24 * HOUR + 1;
    expect(parse((await receiver.receive(request())).body).code).toBe("accepted");
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it("the LRU keeps at most maxEntries ids, never evicting one being handled", async () => {
    const store = memoryDedupe({ maxEntries: 2 });
    const options = { windowMs: 1000, leaseMs: 1000 };
    expect(store.claim("a", options)).toMatchObject({ state: "new" });
    store.complete("b", options);
    store.complete("c", options);
    expect(store.size).toBe(2);
    expect(store.claim("a", options)).toMatchObject({ state: "busy" });
    expect(store.claim("b", options)).toMatchObject({ state: "new" });
  });
});
