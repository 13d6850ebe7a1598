import { mkdtempSync } from "node:fs";
import { createServer, connect as dialTcp, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { connectRelay, type RelayClientState, type RelayedEvent } from "../../src/relay/client.js";
import { AUTH_HEADER, endToEndHeaders, signAuth } from "../../src/relay/protocol.js";
import { type RelayLogEntry, startRelay } from "../../src/relay/server.js";
import { until } from "../helpers/until.js";

const SECRET = "s3cret-team-relay";
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function dir() {
  return mkdtempSync(join(tmpdir(), "norce-relay-"));
}

async function relay(options: Partial<Parameters<typeof startRelay>[0]> = {}) {
  const log: RelayLogEntry[] = [];
  const started = await startRelay({
    secret: SECRET,
    port: 0,
    storePath: join(dir(), "relay.db"),
    onLog: (entry) => log.push(entry),
    ...options,
  });
  cleanups.push(() => started.close());
  return { relay: started, log };
}

function connect(
  r: { url: string },
  channel: string,
  extra: Partial<Parameters<typeof connectRelay>[0]> = {},
) {
  const events: RelayedEvent[] = [];
  const states: RelayClientState[] = [];
  const connection = connectRelay({
    url: r.url,
    channel,
    secret: SECRET,
    minBackoffMs: 50,
    maxBackoffMs: 200,
    onEvent: (event) => {
      events.push(event);
      return undefined;
    },
    onState: (state) => states.push(state),
    ...extra,
  });
  cleanups.push(() => connection.close());
  return { connection, events, states };
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
  return { status: res.statusCode, text: await res.body.text() };
}

describe("relay core", () => {
  it("stores before answering 202, delivers raw bytes and header order, and dedupes Norce's retries", async () => {
    const { relay: r, log } = await relay();
    const channel = r.createChannel();
    expect(channel).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const body = '{"a": 1,  "ü": "x"}';
    const headers = { "X-Odd-Case": "1", "Norce-Event-Message-Id": "m-1" };
    expect((await post(`${r.url}/in/${channel}/receiver?x=1`, body, headers)).status).toBe(202);
    expect((await post(`${r.url}/in/${channel}/receiver?x=1`, body, headers)).status).toBe(202);
    expect(r.status().channels[0]).toMatchObject({ id: channel, waiting: 1, connected: false });
    const { events } = connect(r, channel);
    await until(() => events.length === 1);
    const event = events[0]!;
    expect(event.body.toString("utf8")).toBe(body);
    expect(event.path).toBe("/receiver?x=1");
    const names = endToEndHeaders(event.rawHeaders).filter((_, i) => i % 2 === 0);
    expect(names).toEqual(["content-type", "X-Odd-Case", "Norce-Event-Message-Id"]);
    await until(() => r.status().channels[0]?.waiting === 0);
    expect(log.map((e) => e.event)).toEqual(
      expect.arrayContaining(["ingest", "duplicate", "connect", "delivery", "ack"]),
    );
  });

  it("group commit: concurrent posts share commits, each answered 202 once stored, a retry in the same batch stored once", async () => {
    const { relay: r, log } = await relay();
    const channel = r.createChannel();
    const ids = [...Array.from({ length: 30 }, (_, i) => `g-${i}`), "g-7"];
    const answers = await Promise.all(
      ids.map((id) =>
        post(`${r.url}/in/${channel}/r`, `{"id":"${id}"}`, { "Norce-Event-Message-Id": id }),
      ),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    expect(r.status().channels[0]?.waiting).toBe(30);
    expect(log.filter((e) => e.event === "ingest")).toHaveLength(30);
    expect(log.filter((e) => e.event === "duplicate")).toHaveLength(1);
  });

  it("answers 404 to an unknown channel, 413 to an oversized body, and serves /healthz", async () => {
    const { relay: r } = await relay({ maxBodyBytes: 100 });
    const channel = r.createChannel();
    expect((await post(`${r.url}/in/AAAAAAAAAAAAAAAAAAAAAA/receiver`, "{}")).status).toBe(404);
    expect((await post(`${r.url}/in/${channel}/receiver`, "x".repeat(101))).status).toBe(413);
    const health = await request(`${r.url}/healthz`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ ok: true, mode: "buffered" });
  });

  it("refuses a wrong secret (401), a replayed nonce (401), an unknown channel (404), a second consumer (409)", async () => {
    const { relay: r } = await relay();
    const channel = r.createChannel();
    const wrong = connect(r, channel, { secret: "not-it" });
    await expect(wrong.connection.done).rejects.toMatchObject({ status: 401 });
    const unknown = connect(r, "AAAAAAAAAAAAAAAAAAAAAA");
    await expect(unknown.connection.done).rejects.toMatchObject({ status: 404 });

    const auth = signAuth(SECRET, "admin");
    const first = await request(`${r.url}/status`, { headers: { [AUTH_HEADER]: auth } });
    expect(first.statusCode).toBe(200);
    await first.body.dump();
    const again = await request(`${r.url}/status`, { headers: { [AUTH_HEADER]: auth } });
    expect(again.statusCode).toBe(401);
    expect(await again.body.text()).toContain("nonce already used");

    const one = connect(r, channel);
    await until(() => one.states.some((s) => s.state === "connected"));
    const two = connect(r, channel);
    await expect(two.connection.done).rejects.toMatchObject({ status: 409 });
    const three = connect(r, channel, { takeover: true });
    await until(() => three.states.some((s) => s.state === "connected"));
    await expect(one.connection.done).rejects.toThrow(/took this channel over/);
  });

  it("resends what was not acknowledged, in order, and the client drops duplicates by message id", async () => {
    const { relay: r } = await relay();
    const channel = r.createChannel();
    for (const id of ["a", "b", "c"]) {
      await post(`${r.url}/in/${channel}/r`, `{"id":"${id}"}`, { "Norce-Event-Message-Id": id });
    }
    // The first laptop records "a" and dies before acknowledging.
    const recorded = new Set<string>();
    const crashing = connect(r, channel, {
      onEvent: async (event) => {
        recorded.add(event.messageId!);
        void crashing.connection.close();
        throw new Error("crashed");
      },
    });
    await until(() => recorded.size === 1 && r.status().channels[0]?.connected === false);
    const second = connect(r, channel, { seen: (id) => recorded.has(id) });
    await until(() => second.events.length === 2);
    expect(second.events.map((e) => e.messageId)).toEqual(["b", "c"]);
    expect(second.states).toContainEqual({ state: "duplicate", seq: 1, messageId: "a" });
    await until(() => r.status().channels[0]?.waiting === 0);
  });

  it("keeps an event across a relay crash: the queue is on disk before 202", async () => {
    const storePath = join(dir(), "relay.db");
    const first = await startRelay({ secret: SECRET, port: 0, storePath });
    const channel = first.createChannel();
    expect((await post(`${first.url}/in/${channel}/r`, '{"k":1}')).status).toBe(202);
    await first.close();
    const { relay: second } = await relay({ storePath });
    const { events } = connect(second, channel);
    await until(() => events.length === 1);
    expect(events[0]?.body.toString()).toBe('{"k":1}');
  });

  it("tells the next laptop how many events retention dropped", async () => {
    const storePath = join(dir(), "relay.db");
    const first = await startRelay({ secret: SECRET, port: 0, storePath });
    const channel = first.createChannel();
    await post(`${first.url}/in/${channel}/r`, "{}");
    await first.close();
    const { relay: second } = await relay({ storePath, retentionMs: 1 });
    const { states } = connect(second, channel);
    await until(() => states.some((s) => s.state === "connected"));
    expect(states).toContainEqual({ state: "gap", dropped: 1 });
  });

  it("notices a connection that freezes and dials again through a fresh one", async () => {
    // The relay would notice later: this is the laptop noticing on its own.
    const { relay: r } = await relay({ pingIntervalMs: 100, idleTimeoutMs: 10_000 });
    const channel = r.createChannel();
    const proxy = await freezingProxy(r.port);
    const started = Date.now();
    const { states, events } = connect({ url: `http://127.0.0.1:${proxy.port}` }, channel, {
      pingIntervalMs: 100,
      idleTimeoutMs: 400,
    });
    await until(() => states.some((s) => s.state === "connected"));
    proxy.freeze();
    await until(() => states.filter((s) => s.state === "connected").length === 2, 5000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(states.find((s) => s.state === "disconnected")).toMatchObject({
      reason: expect.stringMatching(/nothing heard/),
    });
    await post(`${r.url}/in/${channel}/r`, '{"after":"freeze"}');
    await until(() => events.length === 1);
    expect(proxy.connections()).toBe(2);
  });

  it("a jump of the wall clock (the laptop woke from sleep) re-dials at once", async () => {
    const { relay: r } = await relay();
    const channel = r.createChannel();
    let offset = 0;
    const { states } = connect(r, channel, {
      clockCheckMs: 50,
      now: () => Date.now() + offset,
      minBackoffMs: 10_000,
      maxBackoffMs: 10_000,
    });
    await until(() => states.some((s) => s.state === "connected"));
    offset = 3_600_000;
    await until(() => states.filter((s) => s.state === "connected").length === 2, 3000);
    expect(states).toContainEqual({ state: "clock-jump", jumpedMs: expect.any(Number) });
    expect(states).toContainEqual({
      state: "disconnected",
      reason: "the clock jumped (woke from sleep?)",
      retryInMs: 0,
    });
  });

  it("live mode: 503 with no laptop, the laptop's status otherwise, 504 by 4.5 s", async () => {
    const { relay: r } = await relay({ mode: "live", liveTimeoutMs: 300 });
    const channel = r.createChannel();
    const t0 = Date.now();
    expect((await post(`${r.url}/in/${channel}/r`, "{}")).status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(5000);
    let status = 500;
    const { states } = connect(r, channel, {
      onEvent: (event) =>
        event.body.toString() === "slow"
          ? new Promise((resolve) => setTimeout(() => resolve({ status: 202 }), 1000))
          : { status, body: "from the app" },
    });
    await until(() => states.some((s) => s.state === "connected"));
    const failed = await post(`${r.url}/in/${channel}/r`, "{}");
    expect(failed).toEqual({ status: 500, text: "from the app\n" });
    status = 202;
    expect((await post(`${r.url}/in/${channel}/r`, "{}")).status).toBe(202);
    expect((await post(`${r.url}/in/${channel}/r`, "slow")).status).toBe(504);
    expect(r.status().channels[0]?.waiting).toBe(0);
  });

  it("refuses a timer option below 1 ms or beyond one timer's reach, a count below 1, and timings that contradict each other, naming the option (library)", async () => {
    const { relay: r } = await relay();
    const onEvent = () => undefined;
    const client = (extra: Partial<Parameters<typeof connectRelay>[0]>) => () =>
      connectRelay({ url: r.url, channel: "c", secret: SECRET, onEvent, ...extra });
    const server = (extra: Partial<Parameters<typeof startRelay>[0]>) =>
      startRelay({ secret: SECRET, port: 0, storePath: join(dir(), "r.db"), ...extra });
    for (const value of [0, 0.5, -1, Number.NaN, 2 ** 31, Number.POSITIVE_INFINITY]) {
      await expect(server({ pingIntervalMs: value })).rejects.toThrow(
        /pingIntervalMs must be from 1 to 2147483647 ms/,
      );
      expect(client({ idleTimeoutMs: value })).toThrow(/idleTimeoutMs must be from 1/);
    }
    expect(client({ pingIntervalMs: "100" as unknown as number })).toThrow(
      "pingIntervalMs must be a number of milliseconds, not a string",
    );
    expect(client({ maxBackoffMs: 2 ** 31 })).toThrow(/maxBackoffMs/);
    expect(client({ minBackoffMs: 2000, maxBackoffMs: 100 })).toThrow(
      "minBackoffMs (2000) must not be above maxBackoffMs (100)",
    );
    expect(client({ pingIntervalMs: 15_000, idleTimeoutMs: 200 })).toThrow(
      "idleTimeoutMs (200ms) must be longer than pingIntervalMs (15s)",
    );
    await expect(server({ pingIntervalMs: 15_000, idleTimeoutMs: 200 })).rejects.toThrow(
      /idleTimeoutMs \(200ms\) must be longer/,
    );
    for (const name of ["retentionMs", "maxBodyBytes", "maxWaiting"] as const) {
      for (const value of [0, -5, Number.NaN, 1.5]) {
        await expect(server({ [name]: value })).rejects.toThrow(
          `${name} must be a whole number from 1 to`,
        );
      }
    }
  });
});

/** A TCP proxy that can stop passing bytes without closing anything (a laptop lid closing). */
async function freezingProxy(target: number) {
  let frozen = false;
  let count = 0;
  const sockets: Socket[] = [];
  const server: Server = createServer((client) => {
    count++;
    const upstream = dialTcp(target, "127.0.0.1");
    sockets.push(client, upstream);
    // Connections made after the freeze pass bytes: the network is back, the old path is dead.
    const fresh = frozen;
    client.on("data", (d) => {
      if (!frozen || fresh) upstream.write(d);
    });
    upstream.on("data", (d) => {
      if (!frozen || fresh) client.write(d);
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    port: (server.address() as { port: number }).port,
    freeze() {
      frozen = true;
    },
    connections: () => count,
  };
}
