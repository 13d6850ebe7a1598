/**
 * Options no other end-to-end test used (test/e2e/options.test.ts finds them): each one run
 * through the built CLI against real local servers, with what it should change checked.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cliEnv, runCli, stripAnsi } from "../helpers/cli.js";
import { type ListenProcess, startListen } from "../helpers/listen.js";
import { accept, failFirst, startReceiver, type TestReceiver } from "../helpers/receiver.js";

const receivers: TestReceiver[] = [];
let listen: ListenProcess | undefined;
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  await listen?.stop();
  listen = undefined;
});

async function receiver(handler = accept()): Promise<TestReceiver> {
  const r = await startReceiver(handler);
  receivers.push(r);
  return r;
}

function project(): string {
  return mkdtempSync(join(tmpdir(), "norce-event-surface-"));
}

function lastJson(stdout: string) {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

describe("global options (built CLI)", () => {
  it("--no-color: no colour even in a terminal", () => {
    let plain: string;
    let coloured: string;
    try {
      const run = (args: string[]) =>
        execFileSync("script", ["-qec", [process.execPath, BIN, ...args].join(" "), "/dev/null"], {
          // CI=true makes chalk's colour detection say "no colour" even in a terminal.
          env: cliEnv({ NO_COLOR: undefined, CI: undefined }),
          encoding: "utf8",
        });
      coloured = run(["types"]);
      plain = run(["--no-color", "types"]);
    } catch {
      console.warn("skipped: no `script` to make a terminal");
      return;
    }
    expect(coloured).toContain("\u001b[");
    expect(plain).not.toContain("\u001b[");
    expect(plain.replace(/\r/g, "")).toBe(stripAnsi(coloured).replace(/\r/g, ""));
  });

  it("--config points at a config elsewhere; --store at another store; --retention hides older records", async () => {
    const r = await receiver();
    const home = project();
    const elsewhere = project();
    expect((await runCli(["init", "--url", `${r.url}/cfg`], { cwd: home })).code).toBe(0);
    const store = join(elsewhere, "mine.db");
    const sent = await runCli(
      [
        "--config",
        join(home, "norce-event.config.json"),
        "--store",
        store,
        "send",
        "OrderConfirmedEvent",
        "--json",
      ],
      { cwd: elsewhere },
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(r.requests[0]?.path).toBe("/cfg");
    expect(existsSync(store)).toBe(true);
    expect(existsSync(join(elsewhere, ".norce-event"))).toBe(false);
    const logged = await runCli(["--store", store, "log", "--json"], { cwd: elsewhere });
    expect(JSON.parse(logged.stdout)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const kept = await runCli(["--store", store, "--retention", "10ms", "log", "--json"], {
      cwd: elsewhere,
    });
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout)).toEqual([]);
    const bad = await runCli(["--retention", "7", "log"], { cwd: elsewhere });
    expect(bad.code).toBe(2);
  });
});

describe("demo, schedule, generate, init (built CLI)", () => {
  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    );
    const run = await runCli(["--version"]);
    expect(run.stdout.trim()).toBe(version);
    expect((await runCli(["-v"])).stdout.trim()).toBe(version);
  });

  it("demo --time-scale --seed: the backoff compressed as asked, the same events for the same seed", async () => {
    const one = await runCli(["demo", "--time-scale", "1000", "--seed", "7"]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout + one.stderr).toMatch(/1000× faster than Norce's/);
    const two = await runCli(["demo", "--time-scale", "1000", "--seed", "7"]);
    const bodies = (text: string) => text.match(/"OrderNo": "[^"]+"/g);
    expect(bodies(two.stdout + two.stderr)).toEqual(bodies(one.stdout + one.stderr));
  });

  it("schedule --max-retries: only the first n retries", async () => {
    const run = await runCli(["schedule", "--max-retries", "2", "--json"]);
    expect(JSON.parse(run.stdout).retries).toHaveLength(2);
  });

  it("generate --optionals none: only the required properties", async () => {
    const run = await runCli(["generate", "OrderConfirmedEvent", "--optionals", "none"]);
    expect(Object.keys(JSON.parse(run.stdout)).sort()).toEqual(
      ["ApplicationId", "ClientId", "ClientOrderRef", "OrderId", "OrderNo", "Source"].sort(),
    );
  });

  it("init --time-scale is written to the config; --force writes over an existing one", async () => {
    const cwd = project();
    expect((await runCli(["init", "--url", "http://127.0.0.1:9/x"], { cwd })).code).toBe(0);
    const again = await runCli(["init", "--url", "http://127.0.0.1:9/y", "--time-scale", "60"], {
      cwd,
    });
    expect(again.code).not.toBe(0);
    const forced = await runCli(
      ["init", "--url", "http://127.0.0.1:9/y", "--time-scale", "60", "--force"],
      { cwd },
    );
    expect(forced.code).toBe(0);
    const config = JSON.parse(readFileSync(join(cwd, "norce-event.config.json"), "utf8"));
    expect(config).toMatchObject({ url: "http://127.0.0.1:9/y", timeScale: 60 });
  });
});

describe("send's payload and delivery options (built CLI)", () => {
  it("--set, --unset, --data, --optionals, --allow-invalid shape the payload sent", async () => {
    const r = await receiver();
    const cwd = project();
    writeFileSync(join(cwd, "extra.json"), JSON.stringify({ Source: "ERP", OrderNo: "X-1" }));
    const ok = await runCli(
      [
        "send",
        "OrderConfirmedEvent",
        "--to",
        r.url,
        "--optionals",
        "all",
        "--set",
        "ClientId=77",
        "--unset",
        "LastName",
        "--data",
        "extra.json",
      ],
      { cwd },
    );
    expect(ok.code, ok.stderr).toBe(0);
    const body = JSON.parse(r.requests[0]!.body);
    expect(body).toMatchObject({ ClientId: 77, Source: "ERP", OrderNo: "X-1" });
    expect(body).not.toHaveProperty("LastName");
    expect(body).toHaveProperty("FirstName");
    const refused = await runCli(
      ["send", "OrderConfirmedEvent", "--to", r.url, "--unset", "OrderId"],
      { cwd },
    );
    expect(refused.code).toBe(2);
    const invalid = await runCli(
      ["send", "OrderConfirmedEvent", "--to", r.url, "--unset", "OrderId", "--allow-invalid"],
      { cwd },
    );
    expect(invalid.code).toBe(0);
    expect(JSON.parse(r.requests[1]!.body)).not.toHaveProperty("OrderId");
  });

  it("--max-retries 1 stops after two attempts", async () => {
    const r = await receiver(failFirst(5));
    const run = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      r.url,
      "--max-retries",
      "1",
      "--time-scale",
      "1000",
    ]);
    expect(run.code).toBe(1);
    expect(r.requests).toHaveLength(2);
    expect(run.stdout).toMatch(/dead after 2 attempts/);
  });
});

describe("listen's options (built CLI)", () => {
  it("--host, --path, --status, --headers, --show-secrets", async () => {
    listen = await startListen([
      "--host",
      "127.0.0.1",
      "--path",
      "/hooks",
      "--status",
      "200",
      "--headers",
      "--show-secrets",
    ]);
    const base = listen.url.replace(/\/receiver$/, "").replace(/\/hooks$/, "");
    const sent = await runCli([
      "send",
      "JobCompletedEvent",
      "--to",
      `${base}/hooks`,
      "-H",
      "Authorization: Bearer topsecret-1234",
      "--no-store",
    ]);
    expect(sent.stdout).toMatch(/#1\s+\+0s\s+200 OK/);
    await listen.waitFor("topsecret-1234");
    expect(listen.stdout()).toMatch(/norce-event-type: JobCompletedEvent/i);
    const wrong = await runCli([
      "send",
      "JobCompletedEvent",
      "--to",
      `${base}/elsewhere`,
      "--no-retry",
      "--no-store",
    ]);
    expect(wrong.stdout).toMatch(/404/);
  });

  it("--fail-rate 1 answers 500; --delay answers late; --max-body answers 413", async () => {
    listen = await startListen(["--fail-rate", "1", "--delay", "300ms", "--max-body", "120"]);
    await listen.waitForStderr("· 300ms late ·");
    const small = await runCli([
      "send",
      "JobCompletedEvent",
      "--to",
      listen.url,
      "--no-retry",
      "--no-store",
      "--json",
    ]);
    const attempt = JSON.parse(small.stdout.trim().split("\n")[0]!);
    expect(attempt.status).toBe(500);
    expect(attempt.latencyMs).toBeGreaterThanOrEqual(290);
    const big = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--optionals",
      "all",
      "--to",
      listen.url,
      "--no-retry",
      "--no-store",
      "--json",
    ]);
    expect(JSON.parse(big.stdout.trim().split("\n")[0]!).status).toBe(413);
  });
});

describe("test, log, show options (built CLI)", () => {
  it("test --seed and --timeout: the header says them, a slow receiver fails the timeout", async () => {
    const slow = await receiver((_req, res) => {
      setTimeout(() => {
        res.writeHead(202);
        res.end();
      }, 400);
    });
    const run = await runCli([
      "test",
      "--to",
      slow.url,
      "--types",
      "JobCompletedEvent",
      "--seed",
      "3",
      "--timeout",
      "150ms",
    ]);
    expect(run.stdout).toMatch(/seed 3, timeout 150ms/);
    expect(run.stdout).toMatch(/timed out after 150ms/);
    expect(run.code).toBe(1);
  });

  it("log --since and --limit; show --json", async () => {
    const r = await receiver();
    const cwd = project();
    for (let i = 0; i < 3; i++) {
      expect((await runCli(["send", "JobCompletedEvent", "--to", r.url], { cwd })).code).toBe(0);
    }
    const limited = await runCli(["log", "--limit", "2", "--json"], { cwd });
    const rows = JSON.parse(limited.stdout);
    expect(rows).toHaveLength(2);
    const since = await runCli(["log", "--since", "1h", "--json"], { cwd });
    expect(JSON.parse(since.stdout)).toHaveLength(3);
    const shown = await runCli(["show", rows[0].messageId, "--json"], { cwd });
    expect(JSON.parse(shown.stdout)).toMatchObject({
      messageId: rows[0].messageId,
      deliveries: [{ state: "delivered" }],
    });
  });
});

describe("replay and resume options (built CLI)", () => {
  it("replay --to --timeout --max-retries --time-scale, and --no-retry", async () => {
    const first = await receiver();
    const flaky = await receiver(failFirst(1));
    const cwd = project();
    const sent = await runCli(["send", "JobCompletedEvent", "--to", first.url, "--json"], { cwd });
    const { messageId } = lastJson(sent.stdout);
    const again = await runCli(
      [
        "replay",
        messageId,
        "--to",
        flaky.url,
        "--timeout",
        "2s",
        "--max-retries",
        "1",
        "--time-scale",
        "1000",
      ],
      { cwd },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/delivered after 2 attempts/);
    expect(flaky.requests).toHaveLength(2);
    const down = await receiver(failFirst(9));
    const once = await runCli(["replay", messageId, "--to", down.url, "--no-retry"], { cwd });
    expect(once.code).toBe(1);
    expect(down.requests).toHaveLength(1);
  });

  it("resume --to --header --time-scale --json continues a delivery stopped with Ctrl-C", async () => {
    const failing = await receiver(failFirst(99));
    const healthy = await receiver();
    const cwd = project();
    const child: ChildProcess = spawn(
      process.execPath,
      // Backoff ÷10: the pending retry is due 500 ms later, so resume never waits long.
      [
        BIN,
        "send",
        "JobCompletedEvent",
        "--to",
        failing.url,
        "-H",
        "X-Shop: nordic",
        "--time-scale",
        "10",
      ],
      { cwd, env: cliEnv() },
    );
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    for (let i = 0; i < 100 && !out.includes("retry #2"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill("SIGINT");
    expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(130);
    const resumed = await runCli(
      [
        "resume",
        "--to",
        healthy.url,
        "--header",
        "X-Shop: nordic",
        "--time-scale",
        "1000",
        "--json",
      ],
      { cwd },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    const lines = resumed.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ outcome: "delivered" });
    expect(healthy.requests).toHaveLength(1);
    expect(healthy.requests[0]!.headers["x-shop"]).toBe("nordic");
  });
});
