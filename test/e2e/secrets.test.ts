/**
 * Nothing leaked, through the built CLI: secrets stay out of the store (db and WAL bytes) and out
 * of every output; a received `${VAR}` is replayed literally; text from the network reaches the
 * terminal escaped; credentials are not sent on to another origin by a redirect.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { type ListenProcess, startListen } from "../helpers/listen.js";
import { accept, startReceiver, type TestReceiver } from "../helpers/receiver.js";

const receivers: TestReceiver[] = [];
let listen: ListenProcess | undefined;
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  await listen?.stop();
  listen = undefined;
});

function project(): string {
  return mkdtempSync(join(tmpdir(), "norce-event-secrets-"));
}

function lastJson(stdout: string) {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

/** A receiver that answers with everything it was sent: headers and URL (as some frameworks do on errors). */
async function echoingReceiver(status = 500): Promise<TestReceiver> {
  const r = await startReceiver((req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "boom", url: req.path, headers: req.headers }));
  });
  receivers.push(r);
  return r;
}

/** The store's bytes: the database and its WAL (held open by `hold` so it is not checkpointed away). */
function storeBytes(path: string): Buffer {
  const parts = [readFileSync(path)];
  if (existsSync(`${path}-wal`)) parts.push(readFileSync(`${path}-wal`));
  return Buffer.concat(parts);
}

/** POST raw bytes to the listener (headers the fetch API would refuse). */
function rawPost(port: number, path: string, headers: string[], body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        Buffer.concat([
          Buffer.from(
            `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n`,
            "latin1",
          ),
          Buffer.from(`${headers.join("\r\n")}\r\n\r\n`, "latin1"),
          body,
        ]),
      );
    });
    let answer = "";
    socket.setEncoding("latin1").on("data", (d: string) => {
      answer += d;
    });
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function waitForRows(cwd: string, direction: string, count = 1) {
  for (let i = 0; i < 50; i++) {
    const log = await runCli(["log", "--json", "--direction", direction], { cwd });
    const rows = JSON.parse(log.stdout) as { messageId: string }[];
    if (rows.length >= count) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${direction} rows in the store`);
}

const TOKEN = "tok-e2e-0123456789abcdef";
const X_AUTH = "xauth-e2e-9876543210";
const QUERY_TOKEN = "qtok-e2e-5555555555";

describe("secrets never reach the store or the output (built CLI)", () => {
  it("a receiver that echoes the request leaves no token in the db, the WAL or any output", async () => {
    const echo = await echoingReceiver(500);
    const cwd = project();
    const store = join(cwd, "events.db");
    const to = `${echo.url}/receiver?token=${QUERY_TOKEN}`;
    const args = [
      "send",
      "OrderConfirmedEvent",
      "--to",
      to,
      "-H",
      `Authorization: Bearer ${TOKEN}`,
      "-H",
      `X-Authorization: ${X_AUTH}`,
      "--store",
      store,
      "--max-retries",
      "1",
      "--time-scale",
      "1000",
    ];
    // The first run creates the store; a connection held open keeps the WAL file in place.
    const first = await runCli([...args, "--json"], { cwd });
    expect(first.code).toBe(1);
    const hold = new Database(store, { fileMustExist: true });
    hold.prepare("SELECT count(*) FROM deliveries").get(); // opens the WAL index: a reader is present
    try {
      const pretty = await runCli(args, { cwd });
      expect(pretty.code).toBe(1);
      expect(echo.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      const id = lastJson(first.stdout).messageId as string;
      const outputs = [
        first.stdout,
        first.stderr,
        pretty.stdout,
        pretty.stderr,
        ...(await Promise.all(
          [["show", id, "--json"], ["show", id], ["log"], ["log", "--json"]].map(async (a) => {
            const r = await runCli([...a, "--store", store], { cwd });
            expect(r.code, r.stderr).toBe(0);
            return r.stdout + r.stderr;
          }),
        )),
      ];
      const bytes = storeBytes(store);
      expect(existsSync(`${store}-wal`)).toBe(true);
      for (const secret of [TOKEN, X_AUTH, QUERY_TOKEN]) {
        expect(bytes.includes(secret), `${secret} in the store`).toBe(false);
        for (const output of outputs) expect(output).not.toContain(secret);
      }
      // What was masked is still recognisable, and the echo itself was kept.
      const shown = JSON.parse(outputs[4]!) as {
        deliveries: { url: string; attemptList: { response: string }[] }[];
      };
      expect(shown.deliveries[0]?.url).toBe(`${echo.url}/receiver?token=••••5555`);
      expect(shown.deliveries[0]?.attemptList[0]?.response).toContain("Bearer ••••cdef");
      expect(pretty.stdout).toContain("to http://127.0.0.1");
      expect(pretty.stdout).toContain("?token=••••");
    } finally {
      hold.close();
    }
  });

  it("values from ${VAR} in the config (headers, and a key in the url) are masked in echoes and the store; replay takes the url from the config", async () => {
    const echo = await echoingReceiver(200);
    const cwd = project();
    writeFileSync(
      join(cwd, "norce-event.config.json"),
      JSON.stringify({
        url: `${echo.url}/api/norce?code=\${FN_KEY}`,
        headers: { "X-Custom": "${CUSTOM_VALUE}", Authorization: "Bearer ${NORCE_TOKEN}" },
      }),
    );
    const env = {
      FN_KEY: "function-key-e2e-777",
      CUSTOM_VALUE: "custom-value-e2e-888",
      NORCE_TOKEN: TOKEN,
    };
    const sent = await runCli(["send", "OrderConfirmedEvent", "--json"], { cwd, env });
    expect(sent.code, sent.stderr).toBe(0);
    expect(echo.requests[0]?.path).toBe("/api/norce?code=function-key-e2e-777");
    expect(echo.requests[0]?.headers["x-custom"]).toBe("custom-value-e2e-888");
    const { messageId } = lastJson(sent.stdout);
    const replayed = await runCli(["replay", messageId], { cwd, env });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(echo.requests[1]?.path).toBe("/api/norce?code=function-key-e2e-777");
    const shown = await runCli(["show", messageId, "--json"], { cwd });
    const store = join(cwd, ".norce-event", "events.db");
    await runCli(["log"], { cwd }); // the writer has closed: everything is in the db file
    const bytes = storeBytes(store);
    for (const secret of Object.values(env)) {
      expect(bytes.includes(secret), `${secret} in the store`).toBe(false);
      for (const output of [sent.stdout, sent.stderr, replayed.stdout, shown.stdout]) {
        expect(output).not.toContain(secret);
      }
    }
    expect(shown.stdout).toContain("Bearer ${NORCE_TOKEN}");
    expect(shown.stdout).toContain("?code=••••");
  });

  it("X-Authorization and Authentication are masked in listen's output and store, shown with --show-secrets", async () => {
    const cwd = project();
    listen = await startListen(["--headers"], { cwd });
    const sent = await runCli(
      [
        "send",
        "JobCompletedEvent",
        "--to",
        `${listen.url}?access_token=${QUERY_TOKEN}`,
        "-H",
        `X-Authorization: ${X_AUTH}`,
        "-H",
        `Authentication: Bearer ${TOKEN}`,
        "--no-store",
        "--json",
      ],
      { cwd },
    );
    expect(sent.code).toBe(0);
    const { messageId } = lastJson(sent.stdout);
    await listen.waitFor("authentication:");
    const out = listen.stdout();
    expect(out).toMatch(/x-authorization: ••••/);
    expect(out).toMatch(/authentication: Bearer ••••cdef/);
    expect(out).toContain("?access_token=••••");
    await waitForRows(cwd, "received");
    const shown = await runCli(["show", messageId, "--json"], { cwd });
    await listen.stop();
    const bytes = storeBytes(join(cwd, ".norce-event", "events.db"));
    for (const secret of [X_AUTH, TOKEN, QUERY_TOKEN]) expect(bytes.includes(secret)).toBe(false);
    for (const text of [out, shown.stdout, sent.stdout]) {
      expect(text).not.toContain(X_AUTH);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(QUERY_TOKEN);
    }
    // The dry run shows them masked too, and in clear only when asked.
    const dry = await runCli([
      "send",
      "JobCompletedEvent",
      "--to",
      "http://127.0.0.1:9/r",
      "-H",
      `X-Authorization: ${X_AUTH}`,
      "--dry-run",
    ]);
    expect(dry.stdout).toMatch(/^X-Authorization: ••••3210$/m);
    const clear = await runCli([
      "send",
      "JobCompletedEvent",
      "--to",
      "http://127.0.0.1:9/r",
      "-H",
      `X-Authorization: ${X_AUTH}`,
      "--dry-run",
      "--show-secrets",
    ]);
    expect(clear.stdout).toContain(`X-Authorization: ${X_AUTH}`);
  });

  it("listen --forward-to --json masks the sender's token when the app echoes it", async () => {
    const app = await echoingReceiver(200);
    listen = await startListen(["--forward-to", `${app.url}/app`, "--json", "--no-store"]);
    const sent = await runCli([
      "send",
      "JobCompletedEvent",
      "--to",
      listen.url,
      "-H",
      `Authorization: Bearer ${TOKEN}`,
      "--no-store",
    ]);
    expect(sent.code).toBe(0);
    await listen.waitFor('"forwarded"');
    expect(app.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const line = JSON.parse(listen.stdout().trim().split("\n")[0]!);
    expect(line.forwarded.status).toBe(200);
    expect(line.forwarded.response).toContain("Bearer ••••cdef");
    expect(listen.stdout()).not.toContain(TOKEN);
    expect(sent.stdout).not.toContain(TOKEN);
  });
});

describe("templates only where the user wrote them (built CLI)", () => {
  it("a received ${VAR} is replayed literally, not expanded from the environment", async () => {
    const cwd = project();
    const app = await startReceiver(accept());
    receivers.push(app);
    listen = await startListen([], { cwd });
    const body = (await runCli(["generate", "OrderConfirmedEvent", "--seed", "3"])).stdout;
    const messageId = "0f0e0d0c-0b0a-4908-8706-050403020100";
    const status = await post(
      listen.url,
      {
        "content-type": "application/json",
        "Norce-Event-Message-Id": messageId,
        "Norce-Event-Type": "OrderConfirmedEvent",
        "Norce-Event-Timestamp": new Date().toISOString().replace("Z", "+00:00"),
        "X-Leak": "${NORCE_SECRET} and ${HOME}",
        "X-Literal": "$${NORCE_SECRET}",
      },
      body,
    );
    expect(status).toBe(202);
    await waitForRows(cwd, "received");
    const replayed = await runCli(["replay", messageId, "--to", `${app.url}/r`], {
      cwd,
      env: { NORCE_SECRET: "environment-secret-value" },
    });
    expect(replayed.code, replayed.stderr).toBe(0);
    const got = app.requests[0]!;
    expect(got.headers["x-leak"]).toBe("${NORCE_SECRET} and ${HOME}");
    expect(got.headers["x-literal"]).toBe("$${NORCE_SECRET}");
    expect(JSON.stringify(got)).not.toContain("environment-secret-value");
    expect(got.headers["norce-event-message-id"]).toBe(messageId);
  });
});

describe("text from the network reaches the terminal escaped (built CLI)", () => {
  const HOSTILE = "\x1b[2J\x1b]0;PWNED\x07";
  const RAW = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/;

  it("listen --no-color escapes a hostile body, JSON strings and header values; --json stays exact", async () => {
    const cwd = project();
    listen = await startListen(["--no-color", "--headers"], { cwd });
    const headers = [
      "Norce-Event-Type: OrderConfirmedEvent",
      "Norce-Event-Timestamp: 2026-01-01T00:00:00.000000+00:00",
      "Content-Type: text/plain",
    ];
    // Not JSON: printed as text, once raw.
    await rawPost(
      listen.port,
      "/receiver",
      ["Norce-Event-Message-Id: hostile-1", ...headers],
      Buffer.from(HOSTILE),
    );
    // JSON whose strings hold control characters (escaped in JSON, and a raw C1 CSI, which JSON allows).
    const json = Buffer.from(
      `{"LastName":"\\u001b[31mred\\u0007","Note":"\u009b2J\u202eevil"}`,
      "utf8",
    );
    await rawPost(
      listen.port,
      "/receiver",
      ["Norce-Event-Message-Id: hostile-2", ...headers],
      json,
    );
    // A header value with a C1 control byte (HTTP allows bytes 0x80–0xFF in values).
    await rawPost(
      listen.port,
      "/receiver",
      ["Norce-Event-Message-Id: \x9b2J\x9b0;0H", "X-Note: \x9b31m", ...headers],
      Buffer.from("{}"),
    );
    await listen.waitFor(/\\u009b31m/);
    const out = listen.stdout() + listen.stderr();
    expect(out).not.toMatch(RAW);
    expect(out).toContain("\\u001b[2J\\u001b]0;PWNED\\u0007");
    expect(out).toContain("\\u009b2J\\u202eevil");
    expect(out).not.toContain("\u202e");
    await listen.stop();
    expect(listen.stderr()).not.toMatch(RAW);

    // --json: the same requests, exact.
    listen = await startListen(["--json", "--no-store"]);
    await rawPost(
      listen.port,
      "/receiver",
      ["Norce-Event-Message-Id: hostile-1", ...headers],
      Buffer.from(HOSTILE),
    );
    await rawPost(
      listen.port,
      "/receiver",
      ["Norce-Event-Message-Id: hostile-2", ...headers],
      json,
    );
    await listen.waitFor("hostile-2");
    const lines = listen
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(listen.stdout()).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
    expect(lines[0].body).toBe(HOSTILE);
    expect(lines[1].body).toEqual({ LastName: "\x1b[31mred\x07", Note: "\u009b2J\u202eevil" });

    // show and log print the stored hostile request escaped too.
    await waitForRows(cwd, "received", 3);
    for (const args of [["show", "hostile-1"], ["show", "hostile-2"], ["log"]]) {
      const r = await runCli(args, { cwd });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(RAW);
    }
  });

  it("send's attempt line escapes a receiver's hostile answer; --json keeps it exact", async () => {
    const hostile = await startReceiver((_req, res) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`\u009b2J${HOSTILE} boom`);
    });
    receivers.push(hostile);
    const sent = await runCli([
      "send",
      "JobCompletedEvent",
      "--to",
      hostile.url,
      "--no-retry",
      "--no-store",
    ]);
    expect(sent.code).toBe(1);
    expect(sent.stdout).not.toMatch(RAW);
    expect(sent.stdout).toContain("\\u009b2J\\u001b[2J");
    const json = await runCli([
      "send",
      "JobCompletedEvent",
      "--to",
      hostile.url,
      "--no-retry",
      "--no-store",
      "--json",
    ]);
    expect(JSON.parse(json.stdout.split("\n")[0]!).response).toBe(`\u009b2J${HOSTILE} boom`);
  });
});

describe("credentials and redirects (built CLI)", () => {
  /** A receiver that sends every request on to `to` with a 307. */
  async function redirecting(to: () => string): Promise<TestReceiver> {
    const r = await startReceiver((req, res) => {
      if (req.path.startsWith("/r")) {
        res.writeHead(307, { location: to() });
        res.end();
      } else {
        res.writeHead(202);
        res.end("accepted");
      }
    });
    receivers.push(r);
    return r;
  }

  const headers = [
    "-H",
    `Authorization: Bearer ${TOKEN}`,
    "-H",
    "X-Api-Key: key-e2e-12345678",
    "-H",
    "X-Tenant: acme",
  ];

  it("a cross-origin 307 does not carry Authorization or other credentials; a same-origin one does", async () => {
    const target = await startReceiver(accept());
    receivers.push(target);
    const cross = await redirecting(() => `${target.url}/x`);
    const sent = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      `${cross.url}/r`,
      ...headers,
      "--no-store",
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    const arrived = target.requests[0]!;
    expect(arrived.method).toBe("POST");
    expect(arrived.headers.authorization).toBeUndefined();
    expect(arrived.headers["x-api-key"]).toBeUndefined();
    expect(arrived.headers["x-tenant"]).toBe("acme");
    expect(arrived.headers["norce-event-type"]).toBe("OrderConfirmedEvent");
    // The attempt line names the new host and what was not sent there.
    expect(sent.stdout).toContain(
      `via 307 → ${target.url}/x (Authorization, X-Api-Key not sent to another origin)`,
    );

    const same = await redirecting(() => "/x");
    const ok = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      `${same.url}/r`,
      ...headers,
      "--no-store",
    ]);
    expect(ok.code).toBe(0);
    expect(same.requests[1]?.path).toBe("/x");
    expect(same.requests[1]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(ok.stdout).toContain("via 307 → /x ");
    expect(ok.stdout).not.toContain("not sent");
  });

  it("--keep-auth-on-redirect sends them on (send and replay)", async () => {
    const cwd = project();
    const target = await startReceiver(accept());
    receivers.push(target);
    const cross = await redirecting(() => `${target.url}/x`);
    const sent = await runCli(
      [
        "send",
        "OrderConfirmedEvent",
        "--to",
        `${cross.url}/r`,
        ...headers,
        "--keep-auth-on-redirect",
        "--json",
      ],
      { cwd },
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(target.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(target.requests[0]?.headers["x-api-key"]).toBe("key-e2e-12345678");
    expect(lastJson(sent.stdout).outcome).toBe("delivered");
    const { messageId } = lastJson(sent.stdout);

    const again = [
      "replay",
      messageId,
      "-H",
      `Authorization: Bearer ${TOKEN}`,
      "-H",
      "X-Api-Key: key-e2e-12345678",
    ];
    const dropped = await runCli(again, { cwd });
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(target.requests[1]?.headers.authorization).toBeUndefined();
    const kept = await runCli([...again, "--keep-auth-on-redirect"], { cwd });
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain("(Authorization, X-Api-Key sent on: --keep-auth-on-redirect)");
    expect(target.requests[2]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("resume --keep-auth-on-redirect continues a pending delivery with the credentials", async () => {
    const cwd = project();
    // Pending: the first attempt fails, then the process is killed while it waits for the retry.
    const failing = await startReceiver((_req, res) => {
      res.writeHead(500);
      res.end("down");
    });
    receivers.push(failing);
    const interrupted = await runCli(
      [
        "send",
        "OrderConfirmedEvent",
        "--to",
        `${failing.url}/r`,
        ...headers,
        "--timeout",
        "1s",
        "--time-scale",
        "2",
      ],
      { cwd, timeoutMs: 1500 },
    ).catch(() => undefined);
    expect(interrupted).toBeUndefined(); // killed while waiting 2.5 s for retry #2
    expect(await waitForRows(cwd, "sent")).toHaveLength(1);

    const target = await startReceiver(accept());
    receivers.push(target);
    const cross = await redirecting(() => `${target.url}/x`);
    const resumed = await runCli(
      [
        "resume",
        "--to",
        `${cross.url}/r`,
        "-H",
        `Authorization: Bearer ${TOKEN}`,
        "-H",
        "X-Api-Key: key-e2e-12345678",
        "--keep-auth-on-redirect",
        "--time-scale",
        "1000",
      ],
      { cwd },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("sent on: --keep-auth-on-redirect");
    expect(target.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
});
