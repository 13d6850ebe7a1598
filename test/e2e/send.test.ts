import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cliEnv, runCli, SCRATCH } from "../helpers/cli.js";
import { accept, failFirst, never, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let receiver: TestReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("norce-event send (built CLI)", () => {
  it("delivers to a real server; -H arrives; a system header name is not overridden", async () => {
    receiver = await startReceiver(accept());
    const { code, stdout, stderr } = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      `${receiver.url}/receiver`,
      "-H",
      "Authorization: Bearer abc",
      "-H",
      "Norce-Event-Type: X",
    ]);
    expect(code).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.headers.authorization).toBe("Bearer abc");
    expect(req.headers["norce-event-type"]).toBe("OrderConfirmedEvent");
    expect(stderr).toContain("header Norce-Event-Type dropped");
    expect(stdout).toMatch(/#1\s+\+0s\s+202 Accepted/);
    expect(stdout).toContain("✓ delivered after 1 attempt");
    expect(stdout).toContain(String(req.headers["norce-event-message-id"]));
  });

  it("retries a receiver that fails 3 times: 4 attempts, one id, gaps ≥ 5/10/15 ms at --time-scale 1000", async () => {
    receiver = await startReceiver(failFirst(3));
    const { code, stdout } = await runCli([
      "send",
      "SkuChangedNotification",
      "--to",
      receiver.url,
      "--time-scale",
      "1000",
    ]);
    expect(code).toBe(0);
    expect(receiver.requests).toHaveLength(4);
    expect(new Set(receiver.requests.map((r) => r.headers["norce-event-message-id"])).size).toBe(1);
    expect(new Set(receiver.requests.map((r) => r.headers["norce-event-timestamp"])).size).toBe(1);
    const gaps = receiver.requests.slice(1).map((r, i) => r.at - receiver!.requests[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(5);
    expect(gaps[1]).toBeGreaterThanOrEqual(10);
    expect(gaps[2]).toBeGreaterThanOrEqual(15);
    expect(stdout).toMatch(/#2\s+\+5s\s+500/);
    expect(stdout).toMatch(/#4\s+\+30s\s+202/);
    expect(stdout).toContain("✓ delivered after 4 attempts");
  });

  it("an always-failing receiver at --time-scale 100000 gets exactly 17 attempts; dead; exit 1", async () => {
    receiver = await startReceiver(accept(500, "nope"));
    const { code, stdout } = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      receiver.url,
      "--time-scale",
      "100000",
    ]);
    expect(code).toBe(1);
    expect(receiver.requests).toHaveLength(17);
    expect(stdout).toContain("✗ dead after 17 attempts");
    expect(stdout).toMatch(/#17\s+\+22h 4m/);
  });

  it("a receiver that never answers: --timeout 200ms --no-retry fails with a timeout; exit 1", async () => {
    receiver = await startReceiver(never());
    const { code, stdout } = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      receiver.url,
      "--timeout",
      "200ms",
      "--no-retry",
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain("timed out after 200ms");
    expect(receiver.requests).toHaveLength(1);
  });

  it("a 307 to another path delivers with the same body", async () => {
    receiver = await startReceiver((req, res) => {
      res.writeHead(
        req.path === "/old" ? 307 : 202,
        req.path === "/old" ? { location: "/new" } : {},
      );
      res.end();
    });
    const { code } = await runCli(["send", "OrderConfirmedEvent", "--to", `${receiver.url}/old`]);
    expect(code).toBe(0);
    expect(receiver.requests.map((r) => r.path)).toEqual(["/old", "/new"]);
    expect(receiver.requests[1]?.body).toBe(receiver.requests[0]?.body);
  });

  it("nothing listening: a clear message, exit 1", async () => {
    receiver = await startReceiver();
    const port = receiver.port;
    await receiver.close();
    receiver = undefined;
    const { code, stdout } = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      `http://localhost:${port}/receiver`,
      "--no-retry",
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `ECONNREFUSED: nothing listens on localhost:${port} — is your receiver running?`,
    );
  });

  it("--json prints one object per attempt and a summary, nothing else; secrets masked", async () => {
    receiver = await startReceiver(failFirst(1));
    const { code, stdout } = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      receiver.url,
      "--json",
      "--time-scale",
      "1000",
      "-H",
      "Authorization: Bearer verysecrettoken-1234",
    ]);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.kind)).toEqual(["attempt", "attempt", "summary"]);
    expect(lines[0]).toMatchObject({
      attempt: 1,
      status: 500,
      schedule: "+0s",
      next: { attempt: 2, schedule: "+5s" },
    });
    expect(lines[2]).toMatchObject({ outcome: "delivered", attempts: 2, timeScale: 1000 });
    expect(stdout).not.toContain("verysecrettoken");
  });

  it("--dry-run prints the exact request, secrets masked unless --show-secrets, and sends nothing", async () => {
    receiver = await startReceiver(accept());
    const args = [
      "send",
      "OrderConfirmedEvent",
      "--to",
      `${receiver.url}/r`,
      "--dry-run",
      "--seed",
      "4",
      "-H",
      "Authorization: Bearer verysecrettoken-1234",
    ];
    const masked = await runCli(args);
    expect(masked.code).toBe(0);
    expect(masked.stdout).toMatch(/^POST \/r HTTP\/1\.1\n/);
    expect(masked.stdout).toMatch(/^Norce-Event-Message-Id: [0-9a-f-]{36}$/m);
    expect(masked.stdout).toMatch(/^Norce-Event-Type: OrderConfirmedEvent$/m);
    expect(masked.stdout).toMatch(/^Norce-Event-Timestamp: .+[+-]\d\d:\d\d$/m);
    expect(masked.stdout).toMatch(/^content-type: application\/json; charset=utf-8$/m);
    expect(masked.stdout).toMatch(/^Authorization: Bearer ••••1234$/m);
    const body = masked.stdout.trim().split("\n").at(-1)!;
    expect(masked.stdout).toMatch(new RegExp(`^content-length: ${Buffer.byteLength(body)}$`, "m"));
    const shown = await runCli([...args, "--show-secrets"]);
    expect(shown.stdout).toContain("Authorization: Bearer verysecrettoken-1234");
    expect(receiver.requests).toHaveLength(0);
  });

  it("usage errors exit 2: bare duration, bad URL, unknown type, no type without a TTY", async () => {
    const bare = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      "http://localhost:1/",
      "--timeout",
      "5",
    ]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/has no unit.*5s/);
    const url = await runCli(["send", "OrderConfirmedEvent", "--to", "localhost:3000"]);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/not an http\(s\) URL|is not a URL/);
    const type = await runCli(["send", "OrderConfirmd", "--to", "http://localhost:1/"]);
    expect(type.code).toBe(2);
    expect(type.stderr).toContain("did you mean OrderConfirmedEvent?");
    const none = await runCli(["send"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/send needs an event type and --to/);
    const noTo = await runCli(["send", "OrderConfirmedEvent"]);
    expect(noTo.code).toBe(2);
  });

  /** `send OrderConfirmedEvent --count <count> --seed 9 …extra` to a receiver that accepts. */
  const sendBatch = async (count: number, ...extra: string[]) => {
    const started = await startReceiver(accept());
    receiver = started;
    const result = await runCli([
      "send",
      "OrderConfirmedEvent",
      "--to",
      started.url,
      "--count",
      String(count),
      "--seed",
      "9",
      ...extra,
    ]);
    return { ...result, requests: started.requests };
  };

  it("--count sends N distinct seeded events and prints a summary", async () => {
    const { code, stdout, requests } = await sendBatch(100, "--concurrency", "8");
    expect(code).toBe(0);
    expect(requests).toHaveLength(100);
    expect(new Set(requests.map((r) => r.body)).size).toBe(100);
    expect(stdout).toMatch(/100 delivered · 0 dead · 100 attempts/);
    expect(stdout).toMatch(/latency p50 .* p95 .* p99/);
    expect(stdout).toMatch(/events\/s/);
    expect(stdout).toMatch(/^OrderConfirmedEvent × 100 to \S+ \(seed 9\)$/m);
  });

  it("--count with --time-scale says the backoff is scaled, as a single send does", async () => {
    const { code, stdout } = await sendBatch(5, "--time-scale", "1000");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^OrderConfirmedEvent × 5 to \S+ \(seed 9, backoff ÷1000\)$/m);
    const json = await sendBatch(5, "--time-scale", "1000", "--json");
    expect(JSON.parse(json.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      kind: "summary",
      seed: 9,
      timeScale: 1000,
      delivered: 5,
    });
  });

  it("a backoff longer than a timer holds (--time-scale 0.000001: 58 days) is waited quietly, and Ctrl-C still ends it", async () => {
    receiver = await startReceiver(accept(500));
    const child = spawn(
      process.execPath,
      [BIN, "send", "OrderConfirmedEvent", "--to", receiver.url, "--time-scale", "0.000001"],
      { cwd: SCRATCH, env: cliEnv() },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    while (!stdout.includes("retry #2")) await new Promise((r) => setTimeout(r, 20));
    // One timer for the whole wait fires after 1 ms, again and again, with a warning each time.
    await new Promise((r) => setTimeout(r, 1000));
    expect(stderr).not.toContain("TimeoutOverflowWarning");
    expect(receiver.requests).toHaveLength(1);
    expect(stdout).toMatch(/retry #2 at \+5s \(waits 5s, real 57d 20h\)/);
    child.kill("SIGINT");
    expect(await closed).toBe(130);
  });

  it("timeScale in the config is checked as --time-scale is: finite and at least 0.000001", async () => {
    for (const [value, message] of [
      ["1e400", "$.timeScale is too large to be a number (JSON reads it as infinity)"],
      ["1e-9", "$.timeScale must be >= 0.000001"],
    ] as const) {
      const cwd = mkdtempSync(join(tmpdir(), "norce-event-scale-"));
      writeFileSync(
        join(cwd, "norce-event.config.json"),
        `{"url": "http://127.0.0.1:9/r", "timeScale": ${value}}`,
      );
      const { code, stderr } = await runCli(["send", "OrderConfirmedEvent", "--count", "2"], {
        cwd,
      });
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(message);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("Ctrl-C while waiting for a retry prints what happened and exits 130", async () => {
    receiver = await startReceiver(accept(500));
    const send = spawnSend(receiver.url);
    await send.output("retry #2");
    send.child.kill("SIGINT");
    expect(await send.closed).toBe(130);
    expect(send.stdout()).toContain(
      "■ interrupted after 1 attempt: attempt #2 (due at +5s) was not sent",
    );
  });

  it("Ctrl-C while attempt #1 is in flight says it was cut short, not that it was not sent", async () => {
    // A receiver that reads the request and never answers: the attempt is in flight.
    receiver = await startReceiver(never());
    const waiting = receiver;
    const send = spawnSend(receiver.url);
    for (let i = 0; i < 200 && waiting.requests.length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(waiting.requests.length).toBe(1);
    send.child.kill("SIGINT");
    expect(await send.closed).toBe(130);
    expect(send.stdout()).toContain(
      "■ interrupted after 0 attempts: attempt #1 was cut short in flight (the receiver may have it; resume sends it again)",
    );
  });
});

/** `send OrderConfirmedEvent --to url` as a child process, its stdout collected as it comes. */
function spawnSend(url: string) {
  const child = spawn(process.execPath, [BIN, "send", "OrderConfirmedEvent", "--to", url], {
    cwd: SCRATCH,
    env: cliEnv(),
  });
  let stdout = "";
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  return {
    child,
    closed,
    stdout: () => stdout,
    /** Resolves once stdout contains `text`. */
    async output(text: string): Promise<void> {
      while (!stdout.includes(text)) await new Promise<void>((wake) => waiters.push(wake));
    },
  };
}

describe("norce-event schedule", () => {
  it("prints the 16 retries over about 22 hours, with real times at a time scale", async () => {
    const { code, stdout } = await runCli(["schedule", "--time-scale", "3600"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\s+16\s+17\s+6h\s+\+22h 4m\s+6s\s+\+22\.1s$/m);
    expect(stdout).toContain("16 retries over 22h 4m");
    const json = JSON.parse((await runCli(["schedule", "--json"])).stdout);
    expect(json.retries).toHaveLength(16);
    expect(json.retries[0]).toMatchObject({ retry: 1, attempt: 2, delayMs: 5000, atMs: 5000 });
  });
});
