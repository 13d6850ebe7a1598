/**
 * Nothing lost: a batch killed at any moment is resumed whole, two resumes split the work, and the
 * store's writer survives large bodies. Real processes, real sockets, a receiver that counts
 * requests per message id.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cliEnv, runCli } from "../helpers/cli.js";
import { startListen } from "../helpers/listen.js";

const ID = "norce-event-message-id";

/** Counts requests per message id, in two phases: `failing` (answers 500) then `healthy` (202). */
interface Counting {
  url: string;
  phase: "failing" | "healthy";
  failing: Map<string, number>;
  healthy: Map<string, number>;
  /** Requests seen in the failing phase. */
  failed: number;
  /** Called on each failing-phase request, before it is answered. */
  onFailing?: (n: number) => void;
  close(): Promise<void>;
}

const servers: Server[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function listenOn(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
}

async function countingReceiver(): Promise<Counting> {
  const counting = {
    phase: "failing",
    failing: new Map(),
    healthy: new Map(),
    failed: 0,
  } as Omit<Counting, "url" | "close">;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const id = String(req.headers[ID]);
      const map = counting.phase === "failing" ? counting.failing : counting.healthy;
      map.set(id, (map.get(id) ?? 0) + 1);
      if (counting.phase === "failing") {
        counting.failed++;
        counting.onFailing?.(counting.failed);
        res.writeHead(500).end("boom");
      } else res.writeHead(202).end();
    });
  });
  const url = await listenOn(server);
  return Object.assign(counting, { url, close: async () => undefined }) as Counting;
}

function project(): string {
  return mkdtempSync(join(tmpdir(), "norce-event-durable-"));
}

function startSend(cwd: string, args: readonly string[]) {
  const child = spawn(process.execPath, [BIN, "send", "OrderConfirmedEvent", ...args], {
    cwd,
    env: cliEnv(),
  });
  children.push(child);
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => resolve(code)),
  );
  return { child, exited, stderr: () => stderr };
}

/** `send --json` whose reader closes the pipe after `after` lines; resolves to how it ended. */
function sendUntilReaderGoes(cwd: string, url: string, timeScale: string, after: number) {
  const child = spawn(
    process.execPath,
    [BIN, "send", "OrderConfirmedEvent", "--to", url, "--time-scale", timeScale, "--json"],
    { cwd, env: cliEnv() },
  );
  children.push(child);
  child.stderr.resume();
  let lines = 0;
  let text = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    text += d;
    while (text.includes("\n") && lines < after) {
      text = text.slice(text.indexOf("\n") + 1);
      if (++lines === after) child.stdout.destroy();
    }
  });
  return new Promise<{ code: number | null; lines: number }>((resolve) =>
    child.on("close", (code) => resolve({ code, lines })),
  );
}

function storeRows(cwd: string, where = "1"): { message_id: string; state: string }[] {
  const db = new Database(join(cwd, ".norce-event", "events.db"), { readonly: true });
  try {
    return db.prepare(`SELECT message_id, state FROM deliveries WHERE ${where}`).all() as {
      message_id: string;
      state: string;
    }[];
  } finally {
    db.close();
  }
}

function pendingIds(cwd: string): Set<string> {
  return new Set(storeRows(cwd, "state = 'pending'").map((r) => r.message_id));
}

/** Every id the failing receiver saw got exactly one request from resume, and nothing else twice. */
function expectEachResumedOnce(receiver: Counting): void {
  const missing = [...receiver.failing.keys()].filter((id) => receiver.healthy.get(id) !== 1);
  expect(missing).toEqual([]);
  const twice = [...receiver.healthy].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);
}

const BATCH = ["--count", "200", "--concurrency", "16", "--time-scale", "10"];

describe("nothing lost (built CLI)", () => {
  it.each([
    ["at the first request", 1],
    ["mid-batch", 80],
    ["while retries run", 230],
  ])(
    "kill -9 %s of a 200-event batch, then resume delivers each tried event once",
    async (_, at) => {
      const receiver = await countingReceiver();
      const cwd = project();
      const send = startSend(cwd, ["--to", receiver.url, ...BATCH]);
      receiver.onFailing = (n) => {
        if (n === at) send.child.kill("SIGKILL");
      };
      await send.exited;
      receiver.phase = "healthy";
      expect(receiver.failed).toBeGreaterThanOrEqual(at);
      if (at > 200) expect(Math.max(...receiver.failing.values())).toBeGreaterThan(1);

      const resumed = await runCli(["resume", "--time-scale", "1000"], { cwd, timeoutMs: 30_000 });
      expect(resumed.stderr).not.toMatch(/nothing to resume/);
      expect(resumed.code).toBe(0);
      expectEachResumedOnce(receiver);
      // Whatever resume sent belongs to the batch (events queued but not yet tried go too).
      const stored = new Set(storeRows(cwd).map((r) => r.message_id));
      for (const id of receiver.healthy.keys()) expect(stored.has(id)).toBe(true);
      expect(storeRows(cwd, "state != 'delivered'")).toEqual([]);
      expect((await runCli(["resume"], { cwd })).stderr).toMatch(/nothing to resume/);
    },
    40_000,
  );

  it("kill -9 while a single event's first attempt is in flight, then resume delivers it", async () => {
    const receiver = await countingReceiver();
    const cwd = project();
    const send = startSend(cwd, ["--to", receiver.url]);
    receiver.onFailing = () => send.child.kill("SIGKILL");
    await send.exited;
    receiver.phase = "healthy";
    const resumed = await runCli(["resume"], { cwd });
    expect(resumed.code).toBe(0);
    expect(receiver.failing.size).toBe(1);
    expectEachResumedOnce(receiver);
  });

  it("Ctrl-C mid-batch: the summary counts what the store holds, and resume delivers the rest once", async () => {
    const receiver = await countingReceiver();
    const cwd = project();
    const send = startSend(cwd, ["--to", receiver.url, ...BATCH]);
    receiver.onFailing = (n) => {
      if (n === 80) send.child.kill("SIGINT");
    };
    expect(await send.exited).toBe(130);
    const said = /(\d+) events are pending in/.exec(send.stderr());
    expect(said, send.stderr()).not.toBeNull();
    const pending = storeRows(cwd, "state = 'pending'").length;
    expect(Number(said![1])).toBe(pending);
    // Every event tried is kept, and at most the 16 that were in flight on top (they may have
    // arrived): a clean stop keeps no event that was never started.
    for (const id of receiver.failing.keys()) expect(pendingIds(cwd).has(id)).toBe(true);
    expect(pending).toBeLessThanOrEqual(receiver.failing.size + 16);

    receiver.phase = "healthy";
    const resumed = await runCli(["resume", "--time-scale", "1000"], { cwd, timeoutMs: 30_000 });
    expect(resumed.code).toBe(0);
    expectEachResumedOnce(receiver);
    expect(receiver.healthy.size).toBe(pending);
  }, 40_000);

  it("two resumes started at the same instant deliver each event once between them", async () => {
    const receiver = await countingReceiver();
    const cwd = project();
    const send = startSend(cwd, ["--to", receiver.url, ...BATCH]);
    receiver.onFailing = (n) => {
      if (n === 200) send.child.kill("SIGKILL");
    };
    await send.exited;
    receiver.phase = "healthy";
    const pending = storeRows(cwd, "state = 'pending'").length;
    expect(pending).toBe(200);

    const [a, b] = await Promise.all([
      runCli(["resume", "--time-scale", "1000"], { cwd, timeoutMs: 30_000 }),
      runCli(["resume", "--time-scale", "1000"], { cwd, timeoutMs: 30_000 }),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expectEachResumedOnce(receiver);
    expect([...receiver.healthy.values()].reduce((x, y) => x + y, 0)).toBe(200);
  }, 40_000);

  it("resume takes over a claim whose lease ran out, and leaves a live one to its owner", async () => {
    const receiver = await countingReceiver();
    const cwd = project();
    const send = startSend(cwd, [
      "--to",
      receiver.url,
      ...BATCH.slice(0, 1),
      "20",
      ...BATCH.slice(2),
    ]);
    receiver.onFailing = (n) => {
      if (n === 20) send.child.kill("SIGKILL");
    };
    await send.exited;
    receiver.phase = "healthy";
    // Pretend a live process (this test runner) holds them: half with a lease run out.
    const db = new Database(join(cwd, ".norce-event", "events.db"));
    db.prepare("UPDATE deliveries SET owner_pid = ?, lease_until = ? WHERE id % 2 = 0").run(
      process.pid,
      Date.now() - 1000,
    );
    db.prepare("UPDATE deliveries SET owner_pid = ?, lease_until = ? WHERE id % 2 = 1").run(
      process.pid,
      Date.now() + 60_000,
    );
    const live = new Set(
      (
        db.prepare("SELECT message_id FROM deliveries WHERE id % 2 = 1").all() as {
          message_id: string;
        }[]
      ).map((r) => r.message_id),
    );
    db.close();

    const resumed = await runCli(["resume", "--time-scale", "1000"], { cwd, timeoutMs: 30_000 });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`10 pending events are being sent by process ${process.pid}`);
    expect(receiver.healthy.size).toBe(10);
    for (const id of receiver.healthy.keys()) expect(live.has(id)).toBe(false);
  }, 40_000);

  it("resume --time-scale keeps the new scale with the rescaled wait, through Ctrl-C and kill -9", async () => {
    const receiver = await countingReceiver();
    const cwd = project();
    // Runs the CLI until its output shows `text`, then stops it with `signal`.
    const runUntil = (args: readonly string[], text: string, signal: NodeJS.Signals) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv() });
      children.push(child);
      let out = "";
      const watch = (d: Buffer) => {
        out += d.toString();
        if (out.includes(text)) child.kill(signal);
      };
      child.stdout.on("data", watch);
      child.stderr.on("data", watch);
      return new Promise<string>((resolve) => child.on("close", () => resolve(out)));
    };
    const stored = () => {
      const db = new Database(join(cwd, ".norce-event", "events.db"), { readonly: true });
      try {
        const row = db
          .prepare("SELECT next_attempt, next_due_at, policy FROM deliveries")
          .get() as {
          next_attempt: number;
          next_due_at: number;
          policy: string;
        };
        return {
          next: row.next_attempt,
          dueIn: row.next_due_at - Date.now(),
          timeScale: (JSON.parse(row.policy) as { timeScale: number }).timeScale,
        };
      } finally {
        db.close();
      }
    };
    // Norce waits 5 s before retry #2: 500 s at 0.01, 50 s at 0.1.
    await runUntil(
      ["send", "OrderConfirmedEvent", "--to", receiver.url, "--time-scale", "0.01"],
      "retry #2",
      "SIGINT",
    );
    expect(stored()).toMatchObject({ next: 2, timeScale: 0.01 });
    expect(stored().dueIn).toBeGreaterThan(490_000);

    // Killed before its wait began: what the store holds is on the new scale already.
    await runUntil(["resume", "--time-scale", "0.1"], "→ OrderConfirmedEvent", "SIGKILL");
    const rescaled = stored();
    expect(rescaled).toMatchObject({ next: 2, timeScale: 0.1 });
    expect(rescaled.dueIn).toBeGreaterThan(45_000);
    expect(rescaled.dueIn).toBeLessThan(50_500);

    // Resumed again at the scale it has: nothing is rescaled a second time.
    const again = await runUntil(["resume"], "→ OrderConfirmedEvent", "SIGINT");
    expect(again).toContain("backoff ÷0.1");
    const after = stored();
    expect(after).toMatchObject({ next: 2, timeScale: 0.1 });
    expect(Math.abs(after.dueIn - rescaled.dueIn)).toBeLessThan(5_000);

    // --json prints nothing before an attempt: stopped once the run holds the row and waits.
    const json = spawn(process.execPath, [BIN, "resume", "--json"], { cwd, env: cliEnv() });
    children.push(json);
    let out = "";
    json.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const closed = new Promise((resolve) => json.on("close", resolve));
    const db = new Database(join(cwd, ".norce-event", "events.db"), { readonly: true });
    const held = () =>
      (db.prepare("SELECT owner_pid FROM deliveries").get() as { owner_pid: number | null })
        .owner_pid === json.pid;
    for (let i = 0; i < 200 && !held(); i++) await new Promise((r) => setTimeout(r, 25));
    db.close();
    await new Promise((r) => setTimeout(r, 300));
    json.kill("SIGINT");
    await closed;
    // The last answer it had, from the store: no attempt was made in this run.
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toMatchObject({
      outcome: "interrupted",
      attempts: 1,
      lastStatus: 500,
      timeScale: 0.1,
    });
    expect(receiver.failed).toBe(1);
  }, 40_000);

  it("a reader closing the pipe (send … | head -1) stops send as Ctrl-C does: exit 130, the event pending for resume", async () => {
    const receiver = await countingReceiver();
    const cwd = project();
    const { code, lines } = await sendUntilReaderGoes(cwd, receiver.url, "1000", 1);
    expect(lines).toBe(1);
    expect(code).toBe(130);
    const [row] = storeRows(cwd);
    expect(row?.state).toBe("pending");
    receiver.phase = "healthy";
    // However short the retention, a pending delivery is kept: resume still owes it.
    const resumed = await runCli(["--retention", "0s", "resume", "--time-scale", "1000"], { cwd });
    expect(resumed.code).toBe(0);
    expectEachResumedOnce(receiver);
  });

  it("the attempt that ends a delivery is stored as its end, and resume never sends after the 17th", async () => {
    const receiver = await countingReceiver();
    const cwd = project();
    // All 17 attempts fail within milliseconds; the reader goes after the 17th line.
    const { lines } = await sendUntilReaderGoes(cwd, receiver.url, "1000000", 17);
    expect(lines).toBe(17);
    expect(receiver.failed).toBe(17);
    expect(storeRows(cwd).map((r) => r.state)).toEqual(["dead"]);
    expect((await runCli(["resume"], { cwd })).stderr).toMatch(/nothing to resume/);
    // A row left pending after its 17th attempt (by a build before this fix): dead, not sent.
    const db = new Database(join(cwd, ".norce-event", "events.db"));
    db.prepare(
      "UPDATE deliveries SET state = 'pending', next_attempt = 18, next_due_at = ?, owner_pid = NULL",
    ).run(Date.now());
    db.close();
    const resumed = await runCli(["resume"], { cwd });
    expect(resumed.code).toBe(1);
    expect(resumed.stdout).toContain("dead after 17 attempts");
    expect(receiver.failed).toBe(17);
    expect(storeRows(cwd).map((r) => r.state)).toEqual(["dead"]);
  });

  it("a batch of large bodies that all end dead exits 1 (the 413 batch)", async () => {
    // Reads each body, then answers the eight together: 413, as a size-limited receiver would.
    const held: (() => void)[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        held.push(() => res.writeHead(413).end("too large"));
        if (held.length === 8) for (const answer of held.splice(0)) answer();
      });
    });
    const url = await listenOn(server);
    const cwd = project();
    const data = join(cwd, "big.json");
    writeFileSync(data, JSON.stringify({ Notes: "x".repeat(10 * 1024 * 1024) }));
    const sent = await runCli(
      [
        "send",
        "OrderConfirmedEvent",
        "--to",
        url,
        "--data",
        data,
        "--allow-invalid",
        "--count",
        "8",
        "--no-retry",
      ],
      { cwd, timeoutMs: 30_000 },
    );
    expect(sent.stdout).toMatch(/0 delivered · 8 dead/);
    expect(sent.code).toBe(1);
    expect(sent.stderr).not.toMatch(/not recorded|warning/);
    expect(storeRows(cwd, "state = 'dead'")).toHaveLength(8);
  }, 40_000);

  it("100 concurrent 1 MiB bodies into listen: every one answered and recorded", async () => {
    const cwd = project();
    const listen = await startListen([], { cwd });
    try {
      const body = JSON.stringify({ OrderId: 1, Padding: "y".repeat(1_000_000) });
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          fetch(listen.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              [ID]: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
              "norce-event-type": "OrderConfirmedEvent",
            },
            body,
          }).then((r) => r.status),
        ),
      );
      expect(answers.filter((s) => s > 0)).toHaveLength(100);
    } finally {
      expect(await listen.stop()).toBe(0);
    }
    expect(listen.stderr()).not.toMatch(/not recorded|without recording/);
    const db = new Database(join(cwd, ".norce-event", "events.db"), { readonly: true });
    const row = db
      .prepare("SELECT count(*) AS n, min(length(body)) AS min FROM received")
      .get() as {
      n: number;
      min: number;
    };
    db.close();
    expect(row).toEqual({
      n: 100,
      min: Buffer.byteLength(JSON.stringify({ OrderId: 1, Padding: "y".repeat(1_000_000) })),
    });
  }, 40_000);
});
