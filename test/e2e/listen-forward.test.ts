/**
 * `listen --forward-to` as a reverse proxy should behave, through the built CLI and a real app:
 * Expect: 100-continue, hop-by-hop headers (and those named in Connection:), X-Forwarded-*, the
 * raw body bytes and header order, and a forward timeout that says when the sender had gone.
 */
import { createServer, request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { type ListenProcess, startListen } from "../helpers/listen.js";
import { accept, never, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let listen: ListenProcess | undefined;
let app: TestReceiver | undefined;
afterEach(async () => {
  await listen?.stop();
  await app?.close();
  listen = undefined;
  app = undefined;
});

const ID = "8c5a2f4e-1b7d-4e8a-9c3f-2d6b0a1e5f7c";
const BODY = JSON.stringify({
  ClientId: 1001,
  ApplicationId: 1,
  OrderId: 2,
  OrderNo: "1",
  ClientOrderRef: "2",
  Source: "WEB",
});

/** A raw POST with exactly these headers (names, case, order), optionally waiting for 100 Continue. */
function post(
  url: string,
  rawHeaders: [string, string][],
  body: string | Buffer,
  options: { expectContinue?: boolean; timeoutMs?: number } = {},
): Promise<{ status: number; body: string; continued: boolean; timedOut?: boolean }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    let continued = false;
    const req = request({
      host: "127.0.0.1",
      port: target.port,
      path: target.pathname,
      method: "POST",
      // An object keeps the names' case and order (Node writes them as given).
      headers: Object.fromEntries([
        ...rawHeaders,
        ["Content-Length", String(Buffer.byteLength(body))],
        ...(options.expectContinue ? [["Expect", "100-continue"]] : []),
      ]),
      ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
    });
    req.on("continue", () => {
      continued = true;
      req.end(body);
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, continued }));
    });
    req.on("error", (error) =>
      error.name === "AbortError"
        ? resolve({ status: 0, body: "", continued, timedOut: true })
        : reject(error),
    );
    if (!options.expectContinue) req.end(body);
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
}

const norce: [string, string][] = [
  ["Content-Type", "application/json"],
  ["Norce-Event-Message-Id", ID],
  ["Norce-Event-Type", "OrderConfirmedEvent"],
  ["Norce-Event-Timestamp", "2025-11-16T07:32:28.326837+01:00"],
];

describe("listen --forward-to, as a reverse proxy", () => {
  it("handles Expect: 100-continue (was 502 UND_ERR_NOT_SUPPORTED)", async () => {
    app = await startReceiver(accept(200, "ok"));
    listen = await startListen(["--forward-to", `${app.url}/hooks`]);
    const answer = await post(listen.url, norce, BODY, { expectContinue: true });
    expect(answer.continued).toBe(true);
    expect(answer.status).toBe(200);
    expect(app.requests[0]?.body).toBe(BODY);
    expect(app.requests[0]?.headers.expect).toBeUndefined();
  });

  it("Expect: 100-continue with a body over --max-body: 413 at once, the body never invited", async () => {
    listen = await startListen(["--max-body", "1kb"]);
    const answer = await post(listen.url, norce, "x".repeat(4096), { expectContinue: true });
    expect(answer.status).toBe(413);
    expect(answer.continued).toBe(false);
  });

  it("drops hop-by-hop headers and those named in Connection:, keeps the rest in order, relays the raw body bytes", async () => {
    // An app that records the raw header list and the raw body bytes.
    const raw: string[][] = [];
    const bodies: Buffer[] = [];
    const server = createServer((req, res) => {
      raw.push(req.rawHeaders);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        bodies.push(Buffer.concat(chunks));
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    listen = await startListen(["--forward-to", `http://127.0.0.1:${port}/hooks`]);
    try {
      // A body with a byte sequence that is not UTF-8 inside a JSON string would be mangled by a
      // decode/encode round trip; the app must get the bytes as sent.
      const bytes = Buffer.concat([
        Buffer.from('{"ClientId":1001,"Note":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]);
      const answer = await post(
        listen.url,
        [
          ...norce,
          ["X-Custom-Case", "Kept"],
          ["Connection", "keep-alive, X-Secret-Hop"],
          ["X-Secret-Hop", "must not pass"],
          ["Keep-Alive", "timeout=5"],
          ["X-Forwarded-For", "198.51.100.1"],
          ["Forwarded", "for=198.51.100.1;proto=https"],
        ],
        bytes,
      );
      expect(answer.status).toBe(200);
      expect(bodies[0]?.equals(bytes)).toBe(true);
      const names = raw[0]!.filter((_, i) => i % 2 === 0);
      const pairs = Object.fromEntries(
        names.map((n, i) => [n.toLowerCase(), raw[0]![i * 2 + 1]]),
      ) as Record<string, string>;
      // case and order as received, before what the proxy adds
      // (undici puts its own host/connection/content-length first)
      const relayed = names.filter(
        (n) => !["host", "connection", "content-length"].includes(n.toLowerCase()),
      );
      expect(relayed.slice(0, 5)).toEqual([
        "Content-Type",
        "Norce-Event-Message-Id",
        "Norce-Event-Type",
        "Norce-Event-Timestamp",
        "X-Custom-Case",
      ]);
      expect(pairs["x-secret-hop"]).toBeUndefined();
      expect(pairs["keep-alive"]).toBeUndefined();
      expect(pairs["x-forwarded-for"]).toBe("198.51.100.1, 127.0.0.1");
      expect(pairs.forwarded).toBe(
        `for=198.51.100.1;proto=https, for=127.0.0.1;proto=http;host="127.0.0.1:${listen.port}"`,
      );
      expect(pairs["x-forwarded-proto"]).toBe("http");
      expect(pairs["x-forwarded-host"]).toBe(`127.0.0.1:${listen.port}`);
      expect(pairs.host).toBe(`127.0.0.1:${port}`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("--forward-timeout: an app slower than it gets 504, and the line says the sender had gone", async () => {
    app = await startReceiver(never());
    listen = await startListen(["--forward-to", `${app.url}/hooks`, "--forward-timeout", "600ms"]);
    await until(() => listen!.stderr().includes("Ctrl-C to stop"));
    expect(listen.stderr()).toContain("504 after 600ms");
    // The sender gives up first (as Norce does at 5 s): the listener says so on the event's line.
    const early = await post(listen.url, norce, BODY, { timeoutMs: 250 });
    expect(early.timedOut).toBe(true);
    await listen.waitFor("did not answer within 600ms (--forward-timeout)");
    expect(listen.stdout()).toMatch(
      /→ 504 \(sender hung up after [\d.]+m?s, before the answer\)[^\n]*\n.*did not answer within 600ms \(--forward-timeout\)[^\n]*→ answered 504/,
    );
    // A patient sender gets the 504.
    const patient = await post(
      listen.url,
      norce.map(([n, v]) => [n, n === "Norce-Event-Message-Id" ? ID.replace("8c", "9c") : v]),
      BODY,
    );
    expect(patient.status).toBe(504);
  });

  it("the sender's disconnect is shown in --json too", async () => {
    app = await startReceiver(never());
    listen = await startListen([
      "--json",
      "--forward-to",
      `${app.url}/hooks`,
      "--forward-timeout",
      "500ms",
    ]);
    await post(listen.url, norce, BODY, { timeoutMs: 150 });
    await listen.waitFor("senderGoneAfterMs");
    const line = JSON.parse(listen.stdout().trim().split("\n")[0]!);
    expect(line.status).toBe(504);
    expect(line.senderGoneAfterMs).toBeGreaterThanOrEqual(100);
    expect(line.forwarded.timedOut).toBe(true);
  });
});
