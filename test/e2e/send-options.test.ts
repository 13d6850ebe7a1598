/**
 * The sending side of the command line as users type it: signing (send, listen, resume, replay,
 * the config), input limits, refused and conflicting options, and what
 * send/replay/resume say when they stop. Every test runs the built CLI against real sockets. The
 * per-attempt timeout, which bounds a time, is in send-timeout.test.ts (run alone, after the rest).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, type CliResult, cliEnv, notABug, runCli, SCRATCH } from "../helpers/cli.js";
import { startListen } from "../helpers/listen.js";
import {
  accept,
  type Handler,
  type Received,
  startReceiver,
  type TestReceiver,
} from "../helpers/receiver.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const OTHER_SECRET = `whsec_${randomBytes(24).toString("base64")}`;

let receiver: TestReceiver | undefined;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function freshStore(): string {
  return join(mkdtempSync(join(tmpdir(), "norce-event-send-")), "events.db");
}

/** True when the request carries a valid Standard Webhooks signature for `secret`. */
function verifies(request: Received, secret = SECRET): boolean {
  try {
    new Webhook(secret).verify(request.body, {
      "webhook-id": String(request.headers["webhook-id"]),
      "webhook-timestamp": String(request.headers["webhook-timestamp"]),
      "webhook-signature": String(request.headers["webhook-signature"]),
    });
    return true;
  } catch {
    return false;
  }
}

/** A handler that can be switched while the test runs. */
function switchable(initial: Handler): { handler: Handler; use(next: Handler): void } {
  let current = initial;
  return {
    handler: (req, res, index) => current(req, res, index),
    use: (next) => {
      current = next;
    },
  };
}

/** Run the CLI and press Ctrl-C once `ready` says so; resolves like runCli. */
function runAndInterrupt(
  args: readonly string[],
  ready: (out: { stdout: string; stderr: string }) => boolean,
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? SCRATCH,
      env: cliEnv(options.env),
    });
    const out = { stdout: "", stderr: "" };
    let sent = false;
    const check = () => {
      if (!sent && ready(out)) {
        sent = true;
        child.kill("SIGINT");
      }
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out.stdout += d;
      check();
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      out.stderr += d;
      check();
    });
    const poll = setInterval(check, 20);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`did not finish: ${args.join(" ")}\n${out.stdout}\n${out.stderr}`));
    }, 15_000);
    child.on("close", (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, signal, ...out });
    });
  });
}

/** Run the CLI with an endless stream of spaces on stdin (as `< /dev/zero` would be). */
function endlessStdin(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: SCRATCH, env: cliEnv() });
    const out = { stdout: "", stderr: "" };
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out.stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      out.stderr += d;
    });
    const chunk = Buffer.alloc(1024 * 1024, " ");
    let stopped = false;
    child.stdin.on("error", () => {
      stopped = true;
    });
    const pump = () => {
      while (!stopped && child.stdin.write(chunk)) {}
      if (!stopped) child.stdin.once("drain", pump);
    };
    pump();
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the CLI read stdin without end"));
    }, 15_000);
    child.on("close", (code, signal) => {
      stopped = true;
      clearTimeout(timer);
      resolve({ code, signal, ...out });
    });
  });
}

describe("--sign-secret through the CLI", () => {
  it("send --sign-secret: the request verifies with the standardwebhooks library", async () => {
    receiver = await startReceiver(accept());
    const result = await runCli([
      "--no-store",
      "send",
      "OrderConfirmedEvent",
      "--to",
      receiver.url,
      "--sign-secret",
      SECRET,
    ]);
    notABug(result);
    expect(result.code).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    expect(request.headers["webhook-id"]).toBe(request.headers["norce-event-message-id"]);
    expect(verifies(request)).toBe(true);
    expect(verifies(request, OTHER_SECRET)).toBe(false);
  });

  it("listen --sign-secret accepts a correctly signed event, answers 401 to a wrong or missing signature", async () => {
    const listen = await startListen(["--sign-secret", SECRET]);
    cleanups.push(() => listen.stop());
    const send = (extra: string[]) =>
      runCli([
        "--no-store",
        "send",
        "OrderConfirmedEvent",
        "--to",
        `${listen.url}/receiver`,
        "--no-retry",
        ...extra,
      ]);
    const good = await send(["--sign-secret", SECRET]);
    notABug(good);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/#1\s+\+0s\s+202/);
    const wrong = await send(["--sign-secret", OTHER_SECRET]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/#1\s+\+0s\s+401/);
    const missing = await send([]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/#1\s+\+0s\s+401/);
  });

  it("a signed delivery interrupted and resumed: without the key exit 2 naming --sign-secret; with it, signed attempts; --time-scale shortens the pending wait", async () => {
    const mode = switchable(accept(500, "down"));
    receiver = await startReceiver(mode.handler);
    const env = { NORCE_EVENT_STORE: freshStore() };
    const sent = await runAndInterrupt(
      ["send", "OrderConfirmedEvent", "--to", receiver.url, "--sign-secret", SECRET],
      (out) => out.stdout.includes("retry #2"),
      { env },
    );
    expect(sent.code).toBe(130);
    expect(sent.stderr).toContain("norce-event resume");
    expect(verifies(receiver.requests[0]!)).toBe(true);

    const unsigned = await runCli(["resume", "--time-scale", "1000"], { env });
    notABug(unsigned);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toMatch(/^error: .*sent signed.*--sign-secret/m);
    expect(receiver.requests).toHaveLength(1);

    mode.use((req, res) => {
      const ok = verifies(req);
      res.writeHead(ok ? 202 : 401);
      res.end(ok ? "ok" : "bad signature");
    });
    // The wait for attempt #2 is 5 s at scale 1; at --time-scale 1000 what is left takes ≤ 5 ms.
    const started = performance.now();
    const resumed = await runCli(["resume", "--sign-secret", SECRET, "--time-scale", "1000"], {
      env,
    });
    const took = performance.now() - started;
    notABug(resumed);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/#2\s+\+5s\s+202/);
    expect(took).toBeLessThan(3500);
    expect(verifies(receiver.requests[1]!)).toBe(true);
  });

  it("replay of a signed event: exit 2 without the key; signed with --sign-secret", async () => {
    receiver = await startReceiver(accept());
    const env = { NORCE_EVENT_STORE: freshStore() };
    const first = await runCli(
      ["send", "OrderConfirmedEvent", "--to", receiver.url, "--sign-secret", SECRET],
      { env },
    );
    expect(first.code).toBe(0);
    const id = String(receiver.requests[0]!.headers["norce-event-message-id"]);
    const without = await runCli(["replay", id], { env });
    notABug(without);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/^error: .*sent signed.*replay needs --sign-secret/m);
    expect(receiver.requests).toHaveLength(1);
    const withKey = await runCli(["replay", id, "--sign-secret", SECRET], { env });
    expect(withKey.code).toBe(0);
    expect(receiver.requests).toHaveLength(2);
    expect(verifies(receiver.requests[1]!)).toBe(true);
  });

  it('the config\'s signSecret: "${VAR}" signs every send; a literal key in the file is refused', async () => {
    receiver = await startReceiver(accept());
    const dir = mkdtempSync(join(tmpdir(), "norce-event-sign-"));
    writeFileSync(
      join(dir, "norce-event.config.json"),
      JSON.stringify({ url: receiver.url, signSecret: "${NORCE_SIGN_SECRET}" }),
    );
    const signed = await runCli(["--no-store", "send", "OrderConfirmedEvent"], {
      cwd: dir,
      env: { NORCE_SIGN_SECRET: SECRET },
    });
    expect(signed.code).toBe(0);
    expect(verifies(receiver.requests[0]!)).toBe(true);
    const unset = await runCli(["--no-store", "send", "OrderConfirmedEvent"], { cwd: dir });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("${NORCE_SIGN_SECRET} is not set");

    writeFileSync(
      join(dir, "norce-event.config.json"),
      JSON.stringify({ url: receiver.url, signSecret: SECRET }),
    );
    const literal = await runCli(["--no-store", "send", "OrderConfirmedEvent"], { cwd: dir });
    expect(literal.code).toBe(2);
    expect(literal.stderr).toContain("signSecret must be a ${VAR} reference");
    expect(literal.stderr).not.toContain(SECRET);
    expect(receiver.requests).toHaveLength(1);
  });
});

describe("input and refusals", () => {
  it("--store in a folder that cannot be created: one line, exit 2, no hang", async () => {
    const result = await runCli(
      [
        "--store",
        "/proc/forbidden/x.db",
        "send",
        "OrderConfirmedEvent",
        "--to",
        "http://127.0.0.1:9/",
        "--no-retry",
      ],
      { timeoutMs: 8000 },
    );
    notABug(result);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("cannot write in the folder /proc/forbidden");
    // A file where the folder should be.
    const file = join(mkdtempSync(join(tmpdir(), "norce-event-store-")), "a-file");
    writeFileSync(file, "");
    const notDir = await runCli([
      "--store",
      join(file, "x.db"),
      "send",
      "OrderConfirmedEvent",
      "--to",
      "http://127.0.0.1:9/",
      "--no-retry",
    ]);
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toContain("(ENOTDIR)");
  });

  it("--data: stdin is bounded (16 MiB), a device, a folder and a missing file are clear usage errors", async () => {
    const send = (data: string) =>
      runCli([
        "--no-store",
        "send",
        "OrderConfirmedEvent",
        "--to",
        "http://127.0.0.1:9/",
        "--data",
        data,
      ]);
    const huge = await endlessStdin([
      "--no-store",
      "send",
      "OrderConfirmedEvent",
      "--to",
      "http://127.0.0.1:9/",
      "--data",
      "-",
    ]);
    notABug(huge);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain("--data - (stdin) is larger than the 16 MiB limit");
    const device = await send("/dev/zero");
    expect(device.code).toBe(2);
    expect(device.stderr).toContain("--data /dev/zero is a device");
    const folder = await send(tmpdir());
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain("is a folder");
    const missing = await send(join(tmpdir(), "no-such-file.json"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file");
    // generate shares the payload options
    const generate = await runCli(["generate", "OrderConfirmedEvent", "--data", "/dev/zero"]);
    expect(generate.code).toBe(2);
    expect(generate.stderr).toContain("is a device");
  });

  it("a line break in a header after ${VAR} expansion, or in --message-id, is a usage error; nothing is sent, the id is never printed raw", async () => {
    receiver = await startReceiver(accept());
    const header = await runCli(
      ["--no-store", "send", "OrderConfirmedEvent", "--to", receiver.url, "-H", "X-Token: ${EVIL}"],
      { env: { EVIL: "abc\r\nX-Injected: 1" } },
    );
    notABug(header);
    expect(header.code).toBe(2);
    expect(header.stderr).toContain("header X-Token has a line break");
    expect(header.stderr).not.toContain("X-Injected");
    const withId = (id: string) =>
      runCli([
        "--no-store",
        "send",
        "OrderConfirmedEvent",
        "--to",
        receiver!.url,
        "--message-id",
        id,
      ]);
    const id = await withId("abc\r\nX-Injected: 1");
    expect(id.code).toBe(2);
    expect(id.stderr).toContain("--message-id");
    expect(`${id.stdout}${id.stderr}`).not.toContain("X-Injected");
    // A C1 CSI or a bidi override: as refused as a line break, never printed raw.
    for (const evil of ["ab\u009b31mX", "ab\u202eX", "ab\u2028X"]) {
      const refused = await withId(evil);
      expect(refused.code, JSON.stringify(evil)).toBe(2);
      expect(`${refused.stdout}${refused.stderr}`).not.toContain(evil);
    }
    expect(receiver.requests).toHaveLength(0);

    const notUuid = await withId("order-1001");
    expect(notUuid.code).toBe(0);
    expect(notUuid.stderr).toContain(
      'warning: --message-id "order-1001" is not a UUID; Norce\'s message ids are UUIDs',
    );
    expect(receiver.requests[0]!.headers["norce-event-message-id"]).toBe("order-1001");
  });

  it("conflicting options: --message-id with --count, --no-retry with --max-retries; --dry-run --count prints every request", async () => {
    const base = ["--no-store", "send", "OrderConfirmedEvent", "--to", "http://127.0.0.1:9/"];
    const id = await runCli([...base, "--message-id", crypto.randomUUID(), "--count", "3"]);
    expect(id.code).toBe(2);
    expect(id.stderr).toMatch(/^error: --message-id .*--count 3/m);
    const retries = await runCli([...base, "--no-retry", "--max-retries", "3"]);
    expect(retries.code).toBe(2);
    expect(retries.stderr).toContain("--no-retry and --max-retries 3 contradict each other");
    const replay = await runCli(["replay", "abc", "--no-retry", "--max-retries", "3"]);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toContain("contradict");
    const dry = await runCli([...base, "--dry-run", "--count", "3", "--seed", "5"]);
    expect(dry.code).toBe(0);
    const ids = [...dry.stdout.matchAll(/^Norce-Event-Message-Id: (\S+)$/gm)].map((m) => m[1]);
    expect(dry.stdout.match(/^POST \/ HTTP\/1.1$/gm)).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    expect(dry.stderr).toContain("3 requests shown");
  });

  it("a dead event says what cut its schedule short: --no-retry, --max-retries", async () => {
    receiver = await startReceiver(accept(500, "down"));
    const base = ["--no-store", "send", "OrderConfirmedEvent", "--to", receiver.url];
    const once = await runCli([...base, "--no-retry"]);
    expect(once.code).toBe(1);
    expect(once.stdout).toContain(
      "✗ dead after 1 attempt: no retries (--no-retry); Norce would retry 16 times, until +22h 4m",
    );
    expect(once.stdout).not.toContain("never retries it");
    const cut = await runCli([...base, "--max-retries", "2", "--time-scale", "100000"]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain(
      "✗ dead after 3 attempts: retries cut to 2 by --max-retries; Norce would go on until +22h 4m",
    );
    // Resumed, the stored schedule is still the cut one, and the line says so.
    const env = { NORCE_EVENT_STORE: freshStore() };
    const stopped = await runAndInterrupt(
      ["send", "OrderConfirmedEvent", "--to", receiver.url, "--max-retries", "1"],
      (out) => out.stdout.includes("retry #2"),
      { env },
    );
    expect(stopped.code).toBe(130);
    const resumed = await runCli(["resume", "--time-scale", "1000"], { env });
    expect(resumed.code).toBe(1);
    expect(resumed.stdout).toContain(
      "✗ dead after 2 attempts: retries cut to 1 by --max-retries, as first sent; Norce would go on until +22h 4m",
    );
  });
});

describe("stopping and resuming many", () => {
  it("send --count with retries, then resume of 12: no MaxListenersExceededWarning; a compact view; the pending wait rescaled", async () => {
    const mode = switchable(accept(500, "down"));
    receiver = await startReceiver(mode.handler);
    const env = { NORCE_EVENT_STORE: freshStore() };
    const sent = await runAndInterrupt(
      ["send", "OrderConfirmedEvent", "--to", receiver.url, "--count", "12", "--concurrency", "12"],
      () => receiver!.requests.length >= 12,
      { env },
    );
    expect(sent.code).toBe(130);
    expect(sent.stderr).not.toContain("MaxListenersExceededWarning");
    expect(sent.stderr).toContain("12 events are pending");
    mode.use(accept());
    const started = performance.now();
    const resumed = await runCli(["resume", "--time-scale", "1000"], { env });
    expect(performance.now() - started).toBeLessThan(4000);
    notABug(resumed);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).not.toContain("MaxListenersExceededWarning");
    expect(resumed.stdout).toContain("resuming 12 pending events");
    expect(resumed.stdout).toContain("12 events resumed: 12 delivered · 0 dead");
    expect(resumed.stdout).not.toContain("→ OrderConfirmedEvent");
    expect(resumed.stdout.trim().split("\n").length).toBeLessThanOrEqual(3);
  });

  it("resume of a few events: each line starts with the event's short id", async () => {
    const mode = switchable(accept(500, "down"));
    receiver = await startReceiver(mode.handler);
    const env = { NORCE_EVENT_STORE: freshStore() };
    const sent = await runAndInterrupt(
      ["send", "OrderConfirmedEvent", "--to", receiver.url, "--count", "3"],
      () => receiver!.requests.length >= 3,
      { env },
    );
    expect(sent.code).toBe(130);
    mode.use(accept());
    const resumed = await runCli(["resume", "--time-scale", "1000"], { env });
    expect(resumed.code).toBe(0);
    const ids = new Set(
      receiver.requests.map((r) => String(r.headers["norce-event-message-id"]).slice(0, 8)),
    );
    const lines = resumed.stdout.trim().split("\n").slice(1, -1);
    expect(lines).toHaveLength(6); // an attempt line and a final line per event
    for (const line of lines) expect(ids.has(line.slice(0, 8)), line).toBe(true);
  });

  it("replay Ctrl-C: says the event is pending and names resume; exit 130", async () => {
    receiver = await startReceiver(accept(500, "down"));
    const env = { NORCE_EVENT_STORE: freshStore() };
    const first = await runCli(
      ["send", "OrderConfirmedEvent", "--to", receiver.url, "--no-retry"],
      {
        env,
      },
    );
    expect(first.code).toBe(1);
    const id = String(receiver.requests[0]!.headers["norce-event-message-id"]);
    const replay = await runAndInterrupt(["replay", id], (out) => out.stdout.includes("retry #2"), {
      env,
    });
    expect(replay.code).toBe(130);
    expect(replay.stdout).toContain("■ interrupted after 1 attempt");
    expect(replay.stderr).toContain("The event is pending in");
    expect(replay.stderr).toContain("norce-event resume continues where it left off");
  });
});
