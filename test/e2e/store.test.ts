import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cliEnv, runCli } from "../helpers/cli.js";
import { type ListenProcess, startListen } from "../helpers/listen.js";
import { accept, failFirst, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let receiver: TestReceiver | undefined;
let listen: ListenProcess | undefined;
afterEach(async () => {
  await receiver?.close();
  await listen?.stop();
  receiver = undefined;
  listen = undefined;
});

function project(): string {
  return mkdtempSync(join(tmpdir(), "norce-event-project-"));
}

function lastJson(stdout: string) {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

describe("config and store (built CLI)", () => {
  it("init without a TTY writes a valid config that send then uses; an off type is refused; a broken config names the path", async () => {
    receiver = await startReceiver(accept());
    const cwd = project();
    const init = await runCli(
      [
        "init",
        "--url",
        `${receiver.url}/hooks`,
        "-H",
        "Authorization: Bearer ${NORCE_TOKEN}",
        "-H",
        "X-Shop: nordic",
        "--types",
        "Order*,JobCompletedEvent",
      ],
      { cwd },
    );
    expect(init.code).toBe(0);
    const config = JSON.parse(readFileSync(join(cwd, "norce-event.config.json"), "utf8"));
    expect(config.url).toBe(`${receiver.url}/hooks`);
    expect(config.headers).toEqual({ Authorization: "Bearer ${NORCE_TOKEN}", "X-Shop": "nordic" });
    expect(Object.keys(config.events)).toHaveLength(19);
    expect(config.events.OrderConfirmedEvent).toEqual({ enabled: true });
    expect(config.events.SkuChangedNotification).toEqual({ enabled: false });
    expect(config.$schema).toMatch(/norce-event\.config\.schema\.json$/);

    // From a subfolder: the config is found by walking up; its url and headers are used.
    const sub = join(cwd, "src", "deep");
    mkdirSync(sub, { recursive: true });
    const sent = await runCli(["send", "OrderConfirmedEvent"], {
      cwd: sub,
      env: { NORCE_TOKEN: "tok-123" },
    });
    expect(sent.code).toBe(0);
    expect(receiver.requests[0]?.path).toBe("/hooks");
    expect(receiver.requests[0]?.headers.authorization).toBe("Bearer tok-123");
    expect(receiver.requests[0]?.headers["x-shop"]).toBe("nordic");

    const unset = await runCli(["send", "OrderConfirmedEvent"], { cwd });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("norce-event.config.json: ${NORCE_TOKEN} is not set");

    const off = await runCli(["send", "SkuChangedNotification"], {
      cwd,
      env: { NORCE_TOKEN: "t" },
    });
    expect(off.code).toBe(1);
    expect(off.stderr).toContain(
      "SkuChangedNotification is off in norce-event.config.json — Norce does not track events while off",
    );
    const forced = await runCli(["send", "SkuChangedNotification", "--force"], {
      cwd,
      env: { NORCE_TOKEN: "t" },
    });
    expect(forced.code).toBe(0);

    const all = await runCli(["send", "--all"], { cwd, env: { NORCE_TOKEN: "t" } });
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(
      "8 of 8 enabled types delivered (11 off in norce-event.config.json",
    );

    writeFileSync(
      join(cwd, "norce-event.config.json"),
      JSON.stringify({ url: "http://x", events: { OrderConfirmedEvent: { enabled: "yes" } } }),
    );
    const broken = await runCli(["send", "OrderConfirmedEvent"], { cwd });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(
      "norce-event.config.json: $.events.OrderConfirmedEvent.enabled must be a boolean",
    );
    writeFileSync(
      join(cwd, "norce-event.config.json"),
      JSON.stringify({ events: { OrderConfirmedEvnt: {} } }),
    );
    const typo = await runCli(["send", "OrderConfirmedEvent", "--to", receiver.url], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      "$.events.OrderConfirmedEvnt is not one of Norce's event types — did you mean OrderConfirmedEvent?",
    );
  });

  it("log shows a delivery after 3 attempts and show lists the three attempts; secrets are never stored", async () => {
    receiver = await startReceiver(failFirst(2));
    const cwd = project();
    const sent = await runCli(
      [
        "send",
        "OrderConfirmedEvent",
        "--to",
        receiver.url,
        "--time-scale",
        "1000",
        "-H",
        "Authorization: Bearer very-secret-token-9876",
        "--json",
      ],
      { cwd },
    );
    expect(sent.code).toBe(0);
    const { messageId } = lastJson(sent.stdout);

    const log = await runCli(["log", "--json"], { cwd });
    const [row] = JSON.parse(log.stdout);
    expect(row).toMatchObject({
      direction: "sent",
      type: "OrderConfirmedEvent",
      messageId,
      attempts: 3,
      lastStatus: 202,
      state: "delivered",
    });
    const table = await runCli(["log"], { cwd });
    expect(table.stdout).toMatch(
      new RegExp(`sent\\s+OrderConfirmedEvent\\s+${messageId}\\s+3\\s+202\\s+delivered`),
    );

    const show = await runCli(["show", messageId.slice(0, 8)], { cwd });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/#1\s+\+0s .* 500/);
    expect(show.stdout).toMatch(/#2\s+\+5s .* 500/);
    expect(show.stdout).toMatch(/#3\s+\+15s .* 202/);
    expect(show.stdout).toContain("Authorization: Bearer ••••9876 (not stored)");
    expect(show.stdout).toContain('"ClientId"');

    const db = readFileSync(join(cwd, ".norce-event", "events.db"));
    const wal = (() => {
      try {
        return readFileSync(join(cwd, ".norce-event", "events.db-wal"));
      } catch {
        return Buffer.alloc(0);
      }
    })();
    expect(Buffer.concat([db, wal]).includes("very-secret-token")).toBe(false);
    expect(readFileSync(join(cwd, ".norce-event", ".gitignore"), "utf8")).toContain("*");
  });

  it("SIGKILL mid-schedule, then resume against a healthy receiver: delivered with the original message id", async () => {
    let healthy = false;
    receiver = await startReceiver((_req, res) => {
      res.writeHead(healthy ? 202 : 503);
      res.end();
    });
    const cwd = project();
    const child = spawn(
      process.execPath,
      [BIN, "send", "OrderConfirmedEvent", "--to", receiver.url, "--time-scale", "5"],
      { cwd, env: cliEnv() },
    );
    let out = "";
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("retry #2")) resolve();
      });
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("close", resolve));
    const messageId = /→ OrderConfirmedEvent (\S+)/.exec(out)![1]!;

    const pending = JSON.parse(
      (await runCli(["log", "--json", "--state", "pending"], { cwd })).stdout,
    );
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ messageId, attempts: 1, state: "pending" });

    healthy = true;
    const resumed = await runCli(["resume"], { cwd });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/#2\s+\+5s\s+202/);
    expect(resumed.stdout).toContain("✓ delivered after 2 attempts");
    expect(receiver.requests.map((r) => r.headers["norce-event-message-id"])).toEqual([
      messageId,
      messageId,
    ]);
    expect(new Set(receiver.requests.map((r) => r.headers["norce-event-timestamp"])).size).toBe(1);

    const [row] = JSON.parse((await runCli(["log", "--json"], { cwd })).stdout);
    expect(row).toMatchObject({ messageId, state: "delivered", attempts: 2 });
    expect((await runCli(["resume"], { cwd })).stderr).toMatch(/nothing to resume/);
  });

  it("replay redelivers with the same message id; --new-id with a new one", async () => {
    receiver = await startReceiver(accept());
    const cwd = project();
    const sent = await runCli(["send", "SkuChangedNotification", "--to", receiver.url, "--json"], {
      cwd,
    });
    const { messageId, timestamp } = lastJson(sent.stdout);
    const same = await runCli(["replay", messageId], { cwd });
    expect(same.code).toBe(0);
    const fresh = await runCli(["replay", messageId.slice(0, 8), "--new-id", "--json"], { cwd });
    expect(fresh.code).toBe(0);
    const ids = receiver.requests.map((r) => r.headers["norce-event-message-id"]);
    expect(ids[0]).toBe(messageId);
    expect(ids[1]).toBe(messageId);
    expect(ids[2]).not.toBe(messageId);
    expect(receiver.requests[1]?.headers["norce-event-timestamp"]).toBe(timestamp);
    expect(receiver.requests[2]?.body).toBe(receiver.requests[0]?.body);
    // An id that is not there is a failed lookup (1), as in show.
    const missing = await runCli(["replay", "ffffffff"], { cwd });
    expect(missing.code).toBe(1);
  });

  it("listen records what it receives while log reads it from another process", async () => {
    const cwd = project();
    listen = await startListen([], { cwd });
    const sent = await runCli(
      ["send", "JobCompletedEvent", "--to", listen.url, "--no-store", "--json"],
      { cwd },
    );
    const { messageId } = lastJson(sent.stdout);
    await listen.waitFor(messageId.slice(0, 8));
    let rows: { direction: string; messageId: string }[] = [];
    for (let i = 0; i < 20 && rows.length === 0; i++) {
      const log = await runCli(["log", "--json", "--direction", "received"], { cwd });
      expect(log.stderr).toBe("");
      rows = JSON.parse(log.stdout);
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows[0]).toMatchObject({
      direction: "received",
      messageId,
      type: "JobCompletedEvent",
      lastStatus: 202,
    });
    // The sender used --no-store: nothing sent was recorded.
    expect(
      JSON.parse((await runCli(["log", "--json", "--direction", "sent"], { cwd })).stdout),
    ).toEqual([]);
  });

  it("a corrupt store gives a clear error and is left as it was", async () => {
    const cwd = project();
    mkdirSync(join(cwd, ".norce-event"));
    writeFileSync(
      join(cwd, ".norce-event", "events.db"),
      "this is not a database, but somebody's data",
    );
    receiver = await startReceiver(accept());
    const result = await runCli(["send", "OrderConfirmedEvent", "--to", receiver.url], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/events\.db: is not a readable event store .*left as it was/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(join(cwd, ".norce-event", "events.db"), "utf8")).toBe(
      "this is not a database, but somebody's data",
    );
    expect(receiver.requests).toHaveLength(0);
  });
});
