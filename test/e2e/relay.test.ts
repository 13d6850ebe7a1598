/**
 * The tunnel end to end, through the built CLI: `norce-event relay` (the public half), `relay
 * channel create`, `relay status`, and `listen --relay` on the laptop, with a recording app
 * behind `--forward-to`. Real sockets on 127.0.0.1, ports from 0.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTcpServer, connect as dialTcp, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { AUTH_HEADER, signAuth } from "../../src/relay/protocol.js";
import { runCli } from "../helpers/cli.js";
import { spawnCli } from "../helpers/spawn.js";
import { until } from "../helpers/until.js";

const SECRET = "s3cret-team-relay";
const ENV = { NORCE_RELAY_SECRET: SECRET };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function workdir() {
  return mkdtempSync(join(tmpdir(), "norce-relay-e2e-"));
}

async function startRelay(
  dir: string,
  args: string[] = [],
  port = 0,
  env: Record<string, string> = ENV,
) {
  const relay = spawnCli(
    ["relay", "--port", String(port), "--store", join(dir, "relay.db"), ...args],
    { env: { ...env }, cwd: dir },
  );
  cleanups.push(() => relay.stop("SIGKILL"));
  const match = (await relay.waitFor(/relay on (http:\/\/\S+)/)) as RegExpExecArray;
  return { relay, url: match[1]! };
}

async function createChannel(dir: string, relayUrl: string, args: string[] = []) {
  const result = await runCli(["relay", "channel", "create", "--relay", relayUrl, ...args], {
    env: ENV,
    cwd: dir,
  });
  expect(result.stderr).not.toMatch(/error/);
  expect(result.code).toBe(0);
  const ingest = result.stdout.trim();
  return { ingest, channel: /\/in\/([^/]+)\//.exec(ingest)?.[1] ?? "", result };
}

function startListen(dir: string, args: string[], env: Record<string, string> = ENV) {
  const listen = spawnCli(["listen", "--port", "0", "--no-body", ...args], { env, cwd: dir });
  cleanups.push(() => listen.stop("SIGKILL"));
  return listen;
}

interface Recorded {
  rawHeaders: string[];
  body: Buffer;
  at: number;
}

/** The app behind --forward-to: records raw headers and body bytes. */
async function startApp(answer: (index: number) => number = () => 200) {
  const requests: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ rawHeaders: req.rawHeaders, body: Buffer.concat(chunks), at: Date.now() });
      const status = answer(requests.length - 1);
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "down");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/receiver`,
    requests,
  };
}

let messageCounter = 0;
async function post(url: string, body: string | Buffer, headers: string[] = []) {
  const id = `00000000-0000-4000-8000-${String(++messageCounter).padStart(12, "0")}`;
  const res = await request(url, {
    method: "POST",
    body,
    headers: [
      "Content-Type",
      "application/json",
      "Norce-Event-Message-Id",
      id,
      "Norce-Event-Type",
      "OrderConfirmedEvent",
      "Norce-Event-Timestamp",
      new Date().toISOString(),
      ...headers,
    ],
  });
  return { status: res.statusCode, text: await res.body.text(), id, at: Date.now() };
}

const ORDER = JSON.stringify({ ClientId: 1, ApplicationId: 2, OrderId: 3, OrderNo: "4" });

/** Node-added and forwarding headers, which are not Norce's. */
const ADDED = /^(host|connection|content-length|transfer-encoding|x-forwarded-(for|proto|host))$/i;
function norceHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!ADDED.test(raw[i]!)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

describe("norce-event relay + listen --relay", () => {
  it("send → relay → listen --relay --forward-to → app: same bytes, same headers in order, 202 before the laptop had it", async () => {
    const dir = workdir();
    const { relay, url } = await startRelay(dir, ["--json"]);
    const { ingest } = await createChannel(dir, url);
    const app = await startApp();
    const listen = startListen(dir, ["--relay", "--forward-to", app.url]);
    await listen.waitFor("relay: connected");

    const body = Buffer.from(
      '{ "ClientId" : 1,\n  "OrderId": 3, "Note": "å ä ö \\u00e9", "OrderNo":"4","ApplicationId":2 }',
    );
    const extra = ["authorization", "Bearer t0k", "X-Odd-CASE", "a", "x-dup", "1", "X-Dup", "2"];
    const sent = await post(ingest, body, extra);
    expect(sent.status).toBe(202);
    await until(() => app.requests.length === 1);
    const got = app.requests[0]!;
    expect(got.body.equals(body)).toBe(true);
    expect(norceHeaders(got.rawHeaders)).toEqual([
      "Content-Type",
      "application/json",
      "Norce-Event-Message-Id",
      sent.id,
      "Norce-Event-Type",
      "OrderConfirmedEvent",
      "Norce-Event-Timestamp",
      expect.any(String),
      ...extra,
    ]);
    // 202 came from the relay's store, before the laptop had the event.
    expect(sent.at).toBeLessThanOrEqual(got.at);
    const log = relay
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string; messageId?: string });
    const mine = log.filter((e) => e.messageId === sent.id).map((e) => e.event);
    expect(mine).toEqual(["ingest", "delivery"]);
    await until(() => relay.stdout().includes('"event":"ack"'));

    // And `send` itself through the tunnel.
    const send = await runCli(["--no-store", "send", "OrderConfirmedEvent", "--to", ingest], {
      cwd: dir,
    });
    expect(send.code).toBe(0);
    expect(send.stdout).toContain("202");
    await until(() => app.requests.length === 2);
    await listen.waitFor(/OrderConfirmedEvent.*\n.*OrderConfirmedEvent/, "stdout");
    expect(await listen.stop()).toBe(0);
  });

  it("the laptop is killed, three events are posted (202), it restarts: all three arrive in order, once", async () => {
    const dir = workdir();
    const { url } = await startRelay(dir);
    const { ingest } = await createChannel(dir, url);
    const app = await startApp();
    const first = startListen(dir, ["--relay", "--forward-to", app.url]);
    await first.waitFor("relay: connected");
    await first.stop("SIGKILL");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const sent = await post(ingest, ORDER);
      expect(sent.status).toBe(202);
      ids.push(sent.id);
    }
    const second = startListen(dir, ["--relay", "--forward-to", app.url]);
    await second.waitFor("relay: connected (buffered) · 3 waiting events");
    await until(() => app.requests.length === 3);
    await new Promise((r) => setTimeout(r, 200));
    const got = app.requests.map(
      (r) => r.rawHeaders[r.rawHeaders.indexOf("Norce-Event-Message-Id") + 1],
    );
    expect(got).toEqual(ids);
  });

  it("buffered: the laptop plays Norce for the app (retries on Norce's schedule, --time-scale), and resume continues after a crash", async () => {
    const dir = workdir();
    const { url } = await startRelay(dir);
    const { ingest } = await createChannel(dir, url);
    const app = await startApp((i) => (i < 2 ? 500 : 200));
    const listen = startListen(dir, ["--relay", "--forward-to", app.url, "--time-scale", "1000"]);
    await listen.waitFor("relay: connected");
    const sent = await post(ingest, ORDER);
    const short = sent.id.slice(0, 8);
    await listen.waitFor(`app ${short}  ✓ delivered after 3 attempts`);
    expect(app.requests).toHaveLength(3);
    expect(app.requests.every((r) => r.body.toString() === ORDER)).toBe(true);
    expect(listen.stderr()).toMatch(new RegExp(`app ${short}  #1 .*500`));
    await listen.stop();

    // A crash while a retry waits (real schedule: 5 s): resume delivers it.
    const down = await startApp(() => 503);
    const crashing = startListen(dir, ["--relay", "--forward-to", down.url]);
    await crashing.waitFor("relay: connected");
    const second = await post(ingest, ORDER);
    await crashing.waitFor(new RegExp(`app ${second.id.slice(0, 8)}  #1 .*503`));
    await crashing.stop("SIGKILL");
    const resumed = await runCli(["resume", "--to", app.url, "--time-scale", "1000"], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout + resumed.stderr).toContain(second.id);
    expect(app.requests).toHaveLength(4);
    expect(app.requests[3]!.body.toString()).toBe(ORDER);
  });

  it("the relay is SIGKILLed right after 202; restarted on the same store, it delivers the event", async () => {
    const dir = workdir();
    const { relay, url } = await startRelay(dir);
    const { ingest } = await createChannel(dir, url);
    const sent = await post(ingest, ORDER);
    expect(sent.status).toBe(202);
    await relay.stop("SIGKILL");
    const port = new URL(url).port;
    await startRelay(dir, [], Number(port));
    const app = await startApp();
    const listen = startListen(dir, ["--relay", "--forward-to", app.url]);
    await listen.waitFor("1 waiting event");
    await until(() => app.requests.length === 1);
    expect(app.requests[0]!.body.toString()).toBe(ORDER);
  });

  it("the laptop crashes after recording, before its ack reaches the relay: the relay resends, the laptop drops the duplicate", async () => {
    const dir = workdir();
    const { url } = await startRelay(dir);
    const { ingest } = await createChannel(dir, url);
    const proxy = await tcpProxy(Number(new URL(url).port));
    const app = await startApp();
    const first = startListen(dir, [
      "--relay",
      `http://127.0.0.1:${proxy.port}`,
      "--forward-to",
      app.url,
    ]);
    await first.waitFor("relay: connected");
    proxy.dropUpstream(); // acks (laptop → relay) are lost from now on
    const sent = await post(ingest, ORDER);
    await first.waitFor(sent.id.slice(0, 8), "stdout");
    await until(() => app.requests.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    await first.stop("SIGKILL");
    const status = await runCli(["relay", "status", "--json"], { env: ENV, cwd: dir });
    expect(JSON.parse(status.stdout).channels[0]).toMatchObject({ waiting: 1 });

    const second = startListen(dir, ["--relay", "--takeover", "--forward-to", app.url]);
    await second.waitFor(`dropped a duplicate of ${sent.id}`);
    await new Promise((r) => setTimeout(r, 200));
    expect(app.requests).toHaveLength(1);
    const after = await runCli(["relay", "status", "--json"], { env: ENV, cwd: dir });
    expect(JSON.parse(after.stdout).channels[0]).toMatchObject({ waiting: 0, connected: true });
  });

  it("a link that freezes without closing: the laptop notices (--idle-timeout) and dials a fresh connection", async () => {
    const dir = workdir();
    const { url } = await startRelay(dir);
    const { ingest } = await createChannel(dir, url);
    const proxy = await tcpProxy(Number(new URL(url).port));
    const app = await startApp();
    const listen = startListen(dir, [
      "--relay",
      `http://127.0.0.1:${proxy.port}`,
      "--ping-interval",
      "100ms",
      "--idle-timeout",
      "600ms",
      "--forward-to",
      app.url,
    ]);
    await listen.waitFor("relay: connected");
    const frozeAt = Date.now();
    proxy.freeze();
    await listen.waitFor(/relay: nothing heard for \d+s, retrying in/);
    await listen.waitFor(/relay: connected[\s\S]*relay: connected/);
    expect(Date.now() - frozeAt).toBeLessThan(8000);
    expect(proxy.connections()).toBe(2);
    await post(ingest, ORDER);
    await until(() => app.requests.length === 1);
  });

  it("relay --ping-interval/--idle-timeout: the relay drops a laptop gone silent; the laptop dials again", async () => {
    const dir = workdir();
    const { relay, url } = await startRelay(dir, [
      "--ping-interval",
      "100ms",
      "--idle-timeout",
      "500ms",
      "--json",
    ]);
    await createChannel(dir, url);
    const proxy = await tcpProxy(Number(new URL(url).port));
    const first = startListen(dir, ["--relay", `http://127.0.0.1:${proxy.port}`]);
    await first.waitFor("relay: connected");
    proxy.freeze();
    await relay.waitFor(/"event":"disconnect"[^\n]*"reason":"silent"/, "stdout");
    // The relay closed its end; the laptop sees that and dials a fresh connection at once.
    await first.waitFor(/relay: connected[\s\S]*relay: connected/);
    expect(proxy.connections()).toBe(2);
    const status = await runCli(["relay", "status", "--relay", url, "--json"], {
      env: ENV,
      cwd: dir,
    });
    expect(JSON.parse(status.stdout).channels[0]).toMatchObject({ connected: true });
  });

  it("refuses: wrong secret (exit 2), replayed nonce 401, unknown channel 404, oversized 413, a second laptop unless --takeover", async () => {
    const dir = workdir();
    const { url } = await startRelay(dir, ["--max-body", "1kb"]);
    const { ingest, channel } = await createChannel(dir, url);

    const wrong = startListen(dir, ["--relay"], { NORCE_RELAY_SECRET: "not-the-team-secret" });
    expect(await wrong.exited()).toBe(2);
    expect(wrong.stderr()).toMatch(/error: the relay refused: wrong secret \(401\)/);
    const badStatus = await runCli(["relay", "status"], {
      env: { NORCE_RELAY_SECRET: "not-the-team-secret" },
      cwd: dir,
    });
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toMatch(/refused the secret/);

    const auth = signAuth(SECRET, "admin");
    const once = await request(`${url}/status`, { headers: { [AUTH_HEADER]: auth } });
    expect(once.statusCode).toBe(200);
    await once.body.dump();
    const twice = await request(`${url}/status`, { headers: { [AUTH_HEADER]: auth } });
    expect(twice.statusCode).toBe(401);
    await twice.body.dump();

    expect((await post(ingest.replace(channel, "AAAAAAAAAAAAAAAAAAAAAA"), ORDER)).status).toBe(404);
    expect((await post(ingest, "x".repeat(2000))).status).toBe(413);
    const unknown = startListen(dir, ["--relay", "--channel", "AAAAAAAAAAAAAAAAAAAAAA"]);
    expect(await unknown.exited()).toBe(2);
    expect(unknown.stderr()).toMatch(/no such channel \(404\)/);

    const one = startListen(dir, ["--relay"]);
    await one.waitFor("relay: connected");
    const two = startListen(dir, ["--relay"]);
    expect(await two.exited()).toBe(2);
    expect(two.stderr()).toMatch(
      /another laptop is connected.*\(409\) \(stop the other listener, or add --takeover\)/,
    );
    // Said once: the relay's own text names its query parameter, the laptop's hint the flag.
    expect(two.stderr().match(/--takeover/g)).toHaveLength(1);
    const three = startListen(dir, ["--relay", "--takeover"]);
    await three.waitFor("relay: connected");
    expect(await one.exited()).toBe(2);
    expect(one.stderr()).toMatch(/took this channel over/);
  });

  it("live mode: 503 with no laptop (within 5 s); the app's 500 goes back to Norce, and send's retries deliver once it is healed", async () => {
    const dir = workdir();
    const { relay, url } = await startRelay(dir, ["--mode", "live", "--no-store"]);
    await relay.waitFor("channels in memory only (--no-store)");
    const { ingest } = await createChannel(dir, url);
    const started = Date.now();
    expect((await post(ingest, ORDER)).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5000);

    const app = await startApp((i) => (i < 2 ? 500 : 200));
    const listen = startListen(dir, ["--relay", "--forward-to", app.url]);
    await listen.waitFor("relay: connected (live)");
    const send = await runCli(
      ["--no-store", "send", "OrderConfirmedEvent", "--to", ingest, "--time-scale", "1000"],
      { cwd: dir },
    );
    expect(send.code).toBe(0);
    expect(send.stdout).toMatch(/#1 .* 500/);
    expect(send.stdout).toMatch(/#2 .* 500/);
    expect(send.stdout).toMatch(/delivered after 3 attempts/);
    expect(app.requests).toHaveLength(3);
    expect(existsSync(join(dir, "relay.db"))).toBe(false);
  });

  it("retention: events older than --retention are dropped and the next laptop is told how many", async () => {
    const dir = workdir();
    const { url } = await startRelay(dir, ["--retention", "200ms"]);
    const { ingest } = await createChannel(dir, url);
    expect((await post(ingest, ORDER)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1300));
    const listen = startListen(dir, ["--relay"]);
    await listen.waitFor("relay: warning: 1 event was dropped by the relay's retention");
  });

  it("relay --host, GET /healthz, relay status, channel create --json --path --no-write-config --secret ${VAR}", async () => {
    const dir = workdir();
    const { url } = await startRelay(
      dir,
      ["--host", "127.0.0.1", "--secret", "${TEAM_SECRET}"],
      0,
      {
        TEAM_SECRET: SECRET,
        NORCE_RELAY_SECRET: "",
      },
    );
    const health = await request(`${url}/healthz`);
    expect(await health.body.json()).toEqual({ ok: true, mode: "buffered" });
    const created = await runCli(
      [
        "relay",
        "channel",
        "create",
        "--relay",
        url,
        "--secret",
        "${TEAM_SECRET}",
        "--path",
        "norce/events",
        "--no-write-config",
        "--json",
      ],
      { env: { TEAM_SECRET: SECRET }, cwd: dir },
    );
    expect(created.code).toBe(0);
    const json = JSON.parse(created.stdout) as { channel: string; ingestUrl: string; config: null };
    expect(json.ingestUrl).toBe(`${url}/in/${json.channel}/norce/events`);
    expect(json.config).toBeNull();
    expect(() => readFileSync(join(dir, "norce-event.config.json"))).toThrow();

    const made = await createChannel(dir, url);
    const config = JSON.parse(readFileSync(join(dir, "norce-event.config.json"), "utf8"));
    expect(config).toEqual({ relay: { url, channel: made.channel } });
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(made.result.stderr).toContain("paste this URL into Norce's Admin UI");

    const status = await runCli(["relay", "status"], { env: ENV, cwd: dir });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("· buffered · 2 channels");
    expect(status.stdout).toMatch(
      new RegExp(`${made.channel} +offline +0 waiting · no laptop yet`),
    );
    const unset = await runCli(["relay", "status", "--secret", "${NOPE}"], { cwd: dir });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("--secret uses ${NOPE}, which is not set");
    expect(readFileSync(join(dir, "relay.db")).includes(Buffer.from(SECRET))).toBe(false);
  });

  it("listen --relay refuses plain http to another machine, and a missing secret, with exit 2", async () => {
    const dir = workdir();
    writeFileSync(
      join(dir, "norce-event.config.json"),
      JSON.stringify({
        relay: { url: "http://relay.example.com", channel: "AAAAAAAAAAAAAAAAAAAAAA" },
      }),
    );
    const plain = await runCli(["listen", "--port", "0", "--relay"], { env: ENV, cwd: dir });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/plain http on another machine.*https/);
    const noSecret = await runCli(
      ["listen", "--port", "0", "--relay", "https://relay.example.com"],
      {
        cwd: dir,
      },
    );
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/no relay secret.*NORCE_RELAY_SECRET/);
  });
});

/** A TCP proxy that can freeze (pass nothing, close nothing) or drop the laptop → relay direction. */
async function tcpProxy(target: number) {
  let frozen = false;
  let dropUp = false;
  let count = 0;
  const sockets: Socket[] = [];
  const server = createTcpServer((client) => {
    count++;
    const upstream = dialTcp(target, "127.0.0.1");
    sockets.push(client, upstream);
    const fresh = frozen;
    client.on("data", (d) => {
      if ((!frozen || fresh) && !dropUp) upstream.write(d);
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
    dropUpstream() {
      dropUp = true;
    },
    connections: () => count,
  };
}
