import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { type ListenProcess, startListen } from "../helpers/listen.js";
import { accept, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let listen: ListenProcess | undefined;
let app: TestReceiver | undefined;
afterEach(async () => {
  await listen?.stop();
  await app?.close();
  listen = undefined;
  app = undefined;
});

const NORCE_HEADERS = (id: string, type = "OrderConfirmedEvent") => ({
  "content-type": "application/json",
  "Norce-Event-Message-Id": id,
  "Norce-Event-Type": type,
  "Norce-Event-Timestamp": "2025-11-16T07:32:28.326837+01:00",
});

describe("norce-event listen (built CLI)", () => {
  it("shows an event from norce-event send, and the same from plain fetch", async () => {
    listen = await startListen();
    expect(listen.stderr()).toMatch(/listening on http:\/\/localhost:\d+\/receiver/);
    const sent = await runCli(["send", "OrderConfirmedEvent", "--to", listen.url, "--json"]);
    expect(sent.code).toBe(0);
    const { messageId } = JSON.parse(sent.stdout.trim().split("\n").at(-1)!);
    await listen.waitFor(messageId.slice(0, 8));
    expect(listen.stdout()).toMatch(
      new RegExp(`OrderConfirmedEvent  ${messageId.slice(0, 8)}  /receiver  → 202`),
    );
    expect(listen.stdout()).toContain('"ClientId"');

    const id = "8c5a2f4e-1b7d-4e8a-9c3f-2d6b0a1e5f7c";
    const response = await fetch(`${listen.url}`, {
      method: "POST",
      headers: NORCE_HEADERS(id, "SkuChangedNotification"),
      body: JSON.stringify({
        ClientId: 1001,
        PartNo: "10482-BLK-M",
        EntityChanged: "tClientProductSku",
      }),
    });
    expect(response.status).toBe(202);
    await listen.waitFor("8c5a2f4e");
    expect(listen.stdout()).toMatch(/SkuChangedNotification {2}8c5a2f4e {2}\/receiver {2}→ 202/);
  });

  it("--json: one parseable line per request, with type, message id and problems; a schema violation names its path", async () => {
    listen = await startListen(["--json"]);
    const id = "0f2b6c1d-3e4a-4b5c-8d9e-0a1b2c3d4e5f";
    await fetch(listen.url, {
      method: "POST",
      headers: NORCE_HEADERS(id),
      body: JSON.stringify({
        ClientId: "x",
        ApplicationId: 1,
        OrderId: 2,
        OrderNo: "1",
        ClientOrderRef: "2",
        Source: "WEB",
      }),
    });
    await fetch(listen.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{oops",
    });
    await listen.waitFor(/\n.*\n/);
    const lines = listen
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      type: "OrderConfirmedEvent",
      messageId: id,
      status: 202,
      attempt: 1,
      method: "POST",
    });
    expect(lines[0].problems).toContainEqual({
      severity: "error",
      path: "$.ClientId",
      message: "must be integer",
    });
    expect(lines[1]).toMatchObject({ status: 400, body: "{oops", type: null });
    expect(lines[1].problems.map((p: { path: string }) => p.path)).toContain(
      "header Norce-Event-Message-Id",
    );
  });

  it("--fail-first 2 with send --time-scale 1000: attempts 1–3 shown, delivered on the third", async () => {
    listen = await startListen(["--fail-first", "2", "--time-scale", "1000"]);
    const sent = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      listen.url,
      "--time-scale",
      "1000",
    ]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain("✓ delivered after 3 attempts");
    await listen.waitFor("attempt 3");
    const out = listen.stdout();
    expect(out).toMatch(/OrderConfirmedEvent {2}\w{8} {2}\/receiver {2}→ 500 age/);
    expect(out).toMatch(/→ 500 attempt 2/);
    expect(out).toMatch(/→ 202 attempt 3/);
    expect(out).toMatch(/retry: .* after attempt 1 ✓ Norce waits ≥ 5ms/);
  });

  it("answers invalid JSON 400, a 2 MiB body 413, a GET 405, and keeps serving", async () => {
    listen = await startListen(["--no-body"]);
    const bad = await fetch(listen.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "not json",
    });
    expect(bad.status).toBe(400);
    const big = await fetch(listen.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    const get = await fetch(listen.url);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const ok = await fetch(listen.url, {
      method: "POST",
      headers: NORCE_HEADERS("11111111-2222-4333-8444-555555555555", "JobCompletedEvent"),
      body: JSON.stringify({ ClientId: 1, JobId: 2, StatusId: 2 }),
    });
    expect(ok.status).toBe(202);
    await listen.waitFor("11111111");
    expect(listen.stdout().trim().split("\n"), listen.stdout()).toHaveLength(4);
    expect(await listen.stop()).toBe(0);
    expect(listen.stderr()).toMatch(/stopped after 4 requests .* 3 answered ≥ 400/);
  });

  it("--forward-to relays to the app and passes its status back; with nothing there the sender gets 502", async () => {
    app = await startReceiver(accept(201, "created by app"));
    listen = await startListen(["--forward-to", `${app.url}/hooks/norce`]);
    const sent = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      listen.url,
      "-H",
      "Authorization: Bearer t0k3n",
    ]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/201 Created/);
    expect(app.requests).toHaveLength(1);
    expect(app.requests[0]?.path).toBe("/hooks/norce");
    expect(app.requests[0]?.headers["norce-event-type"]).toBe("OrderConfirmedEvent");
    expect(app.requests[0]?.headers.authorization).toBe("Bearer t0k3n");
    await listen.waitFor("created by app");
    await listen.stop();

    const port = app.port;
    await app.close();
    app = undefined;
    listen = await startListen(["--forward-to", `http://localhost:${port}/receiver`]);
    const down = await runCli(["send", "OrderConfirmedEvent", "--to", listen.url, "--no-retry"]);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/502 Bad Gateway/);
    await listen.waitFor(`cannot reach http://localhost:${port}/receiver (ECONNREFUSED)`);
  });

  it("--require-header answers 401 without it; --types hides other types but still answers them", async () => {
    listen = await startListen([
      "--require-header",
      "Authorization: Bearer x",
      "--types",
      "Sku*",
      "--no-body",
    ]);
    const without = await runCli([
      "send",
      "SkuChangedNotification",
      "--to",
      listen.url,
      "--no-retry",
    ]);
    expect(without.code).toBe(1);
    expect(without.stdout).toContain("401");
    const withIt = await runCli([
      "send",
      "SkuChangedNotification",
      "--to",
      listen.url,
      "-H",
      "Authorization: Bearer x",
    ]);
    expect(withIt.code).toBe(0);
    const hidden = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      listen.url,
      "-H",
      "Authorization: Bearer x",
    ]);
    expect(hidden.code).toBe(0);
    await listen.waitFor("→ 202");
    await listen.stop();
    expect(listen.stdout()).not.toContain("OrderConfirmedEvent");
    expect(listen.stdout().trim().split("\n"), listen.stdout()).toHaveLength(2);
  });

  it("--host 127.0.0.2 is loopback: no warning about other machines", async () => {
    listen = await startListen(["--host", "127.0.0.2"]);
    await listen.waitForStderr("recording to"); // the banner's last line
    expect(listen.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/receiver$/);
    expect(listen.stderr()).not.toContain("warning");
    expect((await fetch(listen.url, { method: "POST", body: "{}" })).status).toBe(202);
  });

  it("pretty output abridges a 1,000,000-element array with a note; --json prints it whole", async () => {
    const body = `[${"1,".repeat(999_999)}1]`;
    listen = await startListen(["--max-body", "4mb"]);
    await fetch(listen.url, {
      method: "POST",
      headers: NORCE_HEADERS("5a5a2f4e-1b7d-4e8a-9c3f-2d6b0a1e5f7c"),
      body,
    });
    await listen.waitFor("--json prints it whole");
    expect(listen.stdout()).toContain(
      "… body abridged (1.9 MiB; 999,980 items not shown): --json prints it whole",
    );
    expect(listen.stdout()).toContain('"… 999980 more items"');
    expect(listen.stdout().length).toBeLessThan(4000);
    await listen.stop();

    listen = await startListen(["--max-body", "4mb", "--json"]);
    await fetch(listen.url, {
      method: "POST",
      headers: NORCE_HEADERS("6a5a2f4e-1b7d-4e8a-9c3f-2d6b0a1e5f7c"),
      body,
    });
    await listen.waitFor("\n");
    expect(JSON.parse(listen.stdout()).body).toHaveLength(1_000_000);
  });

  it("requests answered 413 or 404 show the type and id they carried", async () => {
    listen = await startListen(["--path", "/receiver", "--max-body", "1kb", "--no-body"]);
    const base = listen.url.replace(/\/receiver$/, "");
    const big = await fetch(listen.url, {
      method: "POST",
      headers: NORCE_HEADERS("7b5a2f4e-1b7d-4e8a-9c3f-2d6b0a1e5f7c"),
      body: "x".repeat(4096),
    });
    expect(big.status).toBe(413);
    const elsewhere = await fetch(`${base}/elsewhere`, {
      method: "POST",
      headers: NORCE_HEADERS("8b5a2f4e-1b7d-4e8a-9c3f-2d6b0a1e5f7c", "SkuChangedNotification"),
      body: "{}",
    });
    expect(elsewhere.status).toBe(404);
    await listen.waitFor("→ 404");
    expect(listen.stdout()).toMatch(/OrderConfirmedEvent {2}7b5a2f4e {2}\/receiver {2}→ 413/);
    expect(listen.stdout()).toMatch(/SkuChangedNotification {2}8b5a2f4e {2}\/elsewhere {2}→ 404/);
    expect(listen.stdout()).not.toContain("(no Norce-Event-Type)");
  });

  it("Ctrl-C (or SIGTERM) is a listener's normal stop: exit 0 after the summary", async () => {
    listen = await startListen();
    expect(await listen.stop()).toBe(0);
    expect(listen.stderr()).toMatch(/stopped after 0 requests/);
    listen = await startListen();
    const exited = new Promise<number | null>((r) => listen!.child.once("exit", r));
    listen.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const help = await runCli(["listen", "--help"]);
    expect(help.stdout).toContain("the exit status is 0");
  });

  it("a port in use exits 2 with a clear message", async () => {
    listen = await startListen();
    const { code, stderr } = await runCli(["listen", "--port", String(listen.port)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/port \d+ on 127\.0\.0\.1 is in use .*--port 0/);
  });
});

describe("norce-event demo", () => {
  it('Ctrl-C says it stopped (no "Done." nor next steps) and exits 130', async () => {
    const { spawn } = await import("node:child_process");
    const { BIN, cliEnv, SCRATCH } = await import("../helpers/cli.js");
    const child = spawn(process.execPath, [BIN, "demo"], { cwd: SCRATCH, env: cliEnv() });
    let out = "";
    let stopped = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (!stopped && out.includes("2. OrderPaymentReceivedEvent")) {
        stopped = true;
        child.kill("SIGINT");
      }
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(130);
    expect(out).toMatch(/Stopped \(Ctrl-C\) at event \d of 6/);
    expect(out).not.toContain("Done.");
    expect(out).not.toContain("Next:");
  });

  it("runs to the end by itself, well under 30 s, and shows the retries", async () => {
    const started = Date.now();
    const { code, stdout } = await runCli(["demo"], { timeoutMs: 30_000 });
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(stdout).toContain("✓ delivered after 3 attempts");
    expect(stdout).toMatch(/→ 500 attempt 2/);
    expect(stdout).toMatch(/2 were Norce's retries/);
  });
});
