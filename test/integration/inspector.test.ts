/**
 * The inspector's HTTP side on real sockets: the API's answers, SSE framing and resume, the Host,
 * Origin and token checks, the security headers, and a replay recorded in the store.
 */

import { mkdtempSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverEvent } from "../../src/delivery/engine.js";
import { createPolicy } from "../../src/delivery/policy.js";
import { fakeEvent } from "../../src/events/factory.js";
import { createSwitchableResponder } from "../../src/inspector/answers.js";
import { type Inspector, startInspector } from "../../src/inspector/server.js";
import type { EventDetail, FeedRecord } from "../../src/inspector/web/types.js";
import { createListener, type Listener } from "../../src/listener/server.js";
import { EventStore } from "../../src/store/db.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request (fetch may not set Host or Origin). */
function call(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Read SSE frames until `count` record events arrived (or the time is up). */
function readStream(
  port: number,
  headers: Record<string, string>,
  count: number,
  timeoutMs = 4000,
): Promise<{ ids: string[]; records: FeedRecord[]; raw: string }> {
  return new Promise((resolve, reject) => {
    const ids: string[] = [];
    const records: FeedRecord[] = [];
    let raw = "";
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/api/stream",
        headers: { host: `localhost:${port}`, ...headers },
      },
      (res) => {
        res.setEncoding("utf8").on("data", (d: string) => {
          raw += d;
          const frames = raw.split("\n\n");
          ids.length = 0;
          records.length = 0;
          for (const frame of frames) {
            if (!frame.includes("event: record")) continue;
            const id = /^id: (\S+)$/m.exec(frame);
            const data = /^data: (.*)$/m.exec(frame);
            if (id) ids.push(id[1]!);
            if (data) records.push(JSON.parse(data[1]!) as FeedRecord);
          }
          if (records.length >= count) {
            req.destroy();
            resolve({ ids, records, raw });
          }
        });
      },
    );
    req.on("error", () => undefined);
    req.end();
    setTimeout(() => {
      req.destroy();
      if (records.length >= count) resolve({ ids, records, raw });
      else reject(new Error(`got ${records.length} of ${count} records:\n${raw}`));
    }, timeoutMs);
  });
}

describe("inspector HTTP", () => {
  let store: EventStore;
  let listener: Listener;
  let inspector: Inspector;
  let answers: ReturnType<typeof createSwitchableResponder>;
  const event = fakeEvent("OrderConfirmedEvent", { seed: 5 });

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "norce-inspector-"));
    store = EventStore.open(join(dir, "events.db"));
    answers = createSwitchableResponder(
      { status: 202, failFirst: 1, failRate: 0, delayMs: 0, requireHeader: "" },
      {},
    );
    listener = await createListener({
      port: 0,
      timeScale: 1000,
      respond: answers.respond,
      sinks: [{ write: (e) => void store.recordReceived(e) }],
    });
    inspector = await startInspector({
      store,
      port: 0,
      listener: { url: listener.url, origin: `http://127.0.0.1:${listener.port}`, answers },
      policy: createPolicy({ timeScale: 1000 }),
      timeScale: 1000,
      pollMs: 50,
    });
    const delivery = await deliverEvent(event, {
      to: `http://127.0.0.1:${listener.port}/receiver`,
      policy: { timeScale: 1000 },
    });
    expect(delivery.outcome).toBe("delivered");
    await store.flush();
  });

  afterAll(async () => {
    await inspector.close();
    await listener.close();
    await answers.close();
    await store.close();
  });

  it("answers 421 to a Host other than this port on localhost, 127.0.0.1 or [::1] (DNS rebinding)", async () => {
    for (const host of [`evil.example:${inspector.port}`, `127.0.0.1:1`, "localhost"]) {
      expect((await call(inspector.port, "/api/events", { headers: { host } })).status).toBe(421);
    }
    for (const host of [
      `localhost:${inspector.port}`,
      `127.0.0.1:${inspector.port}`,
      `[::1]:${inspector.port}`,
    ]) {
      expect((await call(inspector.port, "/api/meta", { headers: { host } })).status).toBe(200);
    }
  });

  it("serves the page with a strict CSP, its token in a meta tag, and no CORS headers", async () => {
    const page = await call(inspector.port, "/");
    expect(page.status).toBe(200);
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["access-control-allow-origin"]).toBeUndefined();
    expect(page.body).toContain(`content="${inspector.token}"`);
    expect((await call(inspector.port, "/../package.json")).status).toBe(404);
  });

  it("lists the stored event and details its three attempts, with no diff between them", async () => {
    const list = JSON.parse((await call(inspector.port, "/api/events")).body) as {
      cursor: number;
      records: FeedRecord[];
    };
    const mine = list.records.filter((r) => r.messageId === event.messageId);
    expect(mine.map((r) => r.attempt).sort()).toEqual([1, 2]);
    const detail = JSON.parse(
      (await call(inspector.port, `/api/events/${event.messageId}`)).body,
    ) as EventDetail;
    expect(detail.received.map((r) => r.status)).toEqual([500, 202]);
    expect(detail.received[1]!.gapMs).toBeGreaterThanOrEqual(5);
    expect(detail.received[1]!.early).toBe(false);
    expect(detail.diffs).toEqual([{ from: 1, to: 2, changes: [] }]);
    expect(detail.replay).toEqual({ target: `http://127.0.0.1:${listener.port}/receiver` });
  });

  it("refuses actions without the token, from another origin or none, or without a JSON body (403)", async () => {
    const path = `/api/events/${event.messageId}/replay`;
    const json = {
      "content-type": "application/json",
      origin: `http://127.0.0.1:${inspector.port}`,
    };
    const noOrigin = await call(inspector.port, path, {
      method: "POST",
      headers: { "content-type": "application/json", "x-inspector-token": inspector.token },
      body: "{}",
    });
    expect(noOrigin.status).toBe(403);
    const noToken = await call(inspector.port, path, { method: "POST", headers: json, body: "{}" });
    expect(noToken.status).toBe(403);
    const foreign = await call(inspector.port, path, {
      method: "POST",
      headers: { ...json, "x-inspector-token": inspector.token, origin: "http://evil.example" },
      body: "{}",
    });
    expect(foreign.status).toBe(403);
    const form = await call(inspector.port, path, {
      method: "POST",
      headers: {
        "content-type": "text/plain",
        "x-inspector-token": inspector.token,
        origin: `http://127.0.0.1:${inspector.port}`,
      },
      body: "{}",
    });
    expect(form.status).toBe(403);
  });

  it("streams changes as SSE with ids, and resumes after Last-Event-ID without missing any", async () => {
    const first = await readStream(inspector.port, { "last-event-id": "0.0.0" }, 2);
    expect(first.raw).toMatch(/^retry: 1000$/m);
    expect(first.records.map((r) => r.messageId)).toEqual([event.messageId, event.messageId]);
    expect(first.ids.at(-1)).toMatch(/^2\.\d+\.\d+$/);
    // Resume after the first request: only what came after it.
    const resumed = await readStream(inspector.port, { "last-event-id": "1.0.0" }, 1);
    expect(resumed.records.map((r) => r.attempt)).toEqual([2]);
    // A position from the end: nothing old comes again.
    const end = first.ids.at(-1)!;
    const none = await readStream(inspector.port, { "last-event-id": end }, 0, 600);
    expect(none.records).toEqual([]);
  });

  it("replays from the page through the delivery policy, recorded in the store", async () => {
    const reply = await call(inspector.port, `/api/events/${event.messageId}/replay`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-inspector-token": inspector.token,
        origin: `http://127.0.0.1:${inspector.port}`,
      },
      body: JSON.stringify({ newId: false }),
    });
    expect(reply.status).toBe(202);
    expect(JSON.parse(reply.body)).toMatchObject({ messageId: event.messageId });
    await expect
      .poll(async () => {
        await store.flush();
        const found = store.find(event.messageId);
        return [found?.received.length, found?.deliveries.at(-1)?.state];
      })
      .toEqual([3, "delivered"]);
    const found = store.find(event.messageId)!;
    expect(found.received[2]!.attempt).toBe(3);
    expect(found.received[2]!.body).toBe(found.received[0]!.body);
  });

  it("refuses an edited body that breaks the schema with the schema's message (422)", async () => {
    const reply = await call(inspector.port, `/api/events/${event.messageId}/replay`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-inspector-token": inspector.token,
        origin: `http://localhost:${inspector.port}`,
      },
      body: JSON.stringify({ newId: true, body: JSON.stringify({ ClientId: "x" }) }),
    });
    expect(reply.status).toBe(422);
    const body = JSON.parse(reply.body) as { problems: { path: string }[] };
    expect(body.problems.map((p) => p.path)).toContain("$.ClientId");
  });

  it("answers 400, not 500, to a bad id in the path, a body that is not a JSON object, or bad JSON", async () => {
    const headers = {
      "content-type": "application/json",
      "x-inspector-token": inspector.token,
      origin: `http://localhost:${inspector.port}`,
    };
    expect((await call(inspector.port, "/api/events/%E0%A4%A")).status).toBe(400);
    const nullBody = await call(inspector.port, `/api/events/${event.messageId}/replay`, {
      method: "POST",
      headers,
      body: "null",
    });
    expect(nullBody.status).toBe(400);
    const badJson = await call(inspector.port, "/api/answers", {
      method: "POST",
      headers,
      body: "{bad",
    });
    expect(badJson.status).toBe(400);
    expect(answers.get().status).toBe(202);
  });

  it("switches the listener's answers live", async () => {
    const set = await call(inspector.port, "/api/answers", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-inspector-token": inspector.token,
        origin: `http://localhost:${inspector.port}`,
      },
      body: JSON.stringify({ status: 503, failFirst: 0 }),
    });
    expect(set.status).toBe(200);
    const delivery = await deliverEvent(fakeEvent("SkuChangedNotification", { seed: 1 }), {
      to: `http://127.0.0.1:${listener.port}/receiver`,
      policy: { maxRetries: 0 },
    });
    expect(delivery.attempts[0]!.status).toBe(503);
    const bad = await call(inspector.port, "/api/answers", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-inspector-token": inspector.token,
        origin: `http://localhost:${inspector.port}`,
      },
      body: JSON.stringify({ status: 99 }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toContain("status");
    // Numbers as strings are read as the command line reads them: decimal only (0x1F4 was 500).
    for (const [body, what] of [
      [{ status: "0x1F4" }, "status"],
      [{ failRate: "0x1" }, "fail rate"],
      [{ failFirst: "0b11" }, "fail-first"],
      [{ delayMs: "0x10" }, "delay"],
      [{ failRate: "  " }, "fail rate"],
    ] as const) {
      const refused = await call(inspector.port, "/api/answers", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-inspector-token": inspector.token,
          origin: `http://localhost:${inspector.port}`,
        },
        body: JSON.stringify(body),
      });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(refused.body).error).toContain(what);
    }
    expect(answers.get().status).toBe(503);
  });
});
