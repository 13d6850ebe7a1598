/** The read-side commands (log, show) and `test`, through the built CLI. */
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, chmodSync, constants, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cliEnv, runCli, stripAnsi } from "../helpers/cli.js";
import { startListen } from "../helpers/listen.js";
import { accept, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let receiver: TestReceiver | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  for (const undo of cleanups.splice(0)) undo();
});

function project(): string {
  return mkdtempSync(join(tmpdir(), "norce-event-read-"));
}

const ID_A = "7e57a11d-0000-4000-8000-000000000001";
const ID_B = "7e57a11d-0000-4000-8000-000000000002";

/** A project whose store holds two delivered events with ids that share their first characters. */
async function storeWithTwoEvents(to: string): Promise<string> {
  const cwd = project();
  for (const id of [ID_A, ID_B]) {
    const sent = await runCli(
      ["send", "OrderConfirmedEvent", "--to", `${to}/receiver`, "--message-id", id],
      { cwd },
    );
    expect(sent.code, sent.stderr).toBe(0);
  }
  return cwd;
}

/** One such project for the tests that only read it, and the receiver its events went to. */
let shared: Promise<{ cwd: string; url: string }> | undefined;
function readOnlyProject(): Promise<{ cwd: string; url: string }> {
  shared ??= startReceiver(accept()).then(async (r) => {
    const cwd = await storeWithTwoEvents(r.url);
    await r.close();
    return { cwd, url: r.url };
  });
  return shared;
}

/**
 * Run the CLI as a user the store's permissions apply to. Tests often run as root, which
 * ignores file modes: then the CLI runs as `nobody` (setpriv, util-linux). Undefined when that
 * is not possible here (no setpriv, or nobody cannot read the checkout).
 */
function runAsUnprivileged(args: string[], cwd: string) {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot
    ? [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        process.execPath,
        BIN,
        ...args,
      ]
    : [process.execPath, BIN, ...args];
  if (asRoot) {
    const probe = spawnSync(command[0]!, [...command.slice(1, 4), process.execPath, BIN, "-v"], {
      encoding: "utf8",
    });
    if (probe.status !== 0) return undefined;
  }
  return spawnSync(command[0]!, command.slice(1), { cwd, env: cliEnv(), encoding: "utf8" });
}

/** Run the CLI in a pseudo-terminal of `columns` (util-linux `script`); undefined without one. */
function runInTerminal(args: string[], cwd: string, columns: number): string | undefined {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" ");
  return stripAnsi(
    execFileSync("script", ["-qec", `stty cols ${columns} rows 40; exec ${quoted}`, "/dev/null"], {
      cwd,
      env: cliEnv(),
      encoding: "utf8",
    }),
  ).replace(/\r/g, "");
}

describe("log and show (built CLI)", () => {
  it("log and show read a store they cannot write (file 444 in a folder 555): nothing is written", async () => {
    receiver = await startReceiver(accept());
    const cwd = await storeWithTwoEvents(receiver.url);
    const folder = join(cwd, ".norce-event");
    chmodSync(join(folder, "events.db"), 0o444);
    chmodSync(folder, 0o555);
    chmodSync(cwd, 0o755);
    cleanups.push(() => chmodSync(folder, 0o755));

    const log = runAsUnprivileged(["log"], cwd);
    if (!log) {
      console.warn("skipped: cannot run the CLI as an unprivileged user here");
      return;
    }
    expect(log.stderr).toMatch(/^2 shown, newest first/);
    expect(log.status).toBe(0);
    expect(log.stdout).toContain(ID_A);
    expect(log.stdout).toContain(ID_B);
    const show = runAsUnprivileged(["show", ID_A], cwd)!;
    expect(show.stderr).toBe("");
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(`OrderConfirmedEvent ${ID_A}`);
    // Proof that the permissions bite for this user: a write is refused.
    const send = runAsUnprivileged(
      ["send", "OrderConfirmedEvent", "--to", `${receiver!.url}/receiver`, "--no-retry"],
      cwd,
    )!;
    expect(send.stderr).toMatch(/events\.db/);
    expect(() => accessSync(join(folder, "events.db-shm"), constants.F_OK)).toThrow();
  });

  it("log --type with a typo gets the hint every command gives, exit 2", async () => {
    const { cwd } = await readOnlyProject();
    const typo = await runCli(["log", "--type", "OrderConfirmd"], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /unknown event type "OrderConfirmd" — did you mean OrderConfirmedEvent\?/,
    );
    // Any case of a real type is fine, even with nothing of it stored.
    const lower = await runCli(["log", "--type", "orderconfirmedevent", "--json"], { cwd });
    expect(lower.code).toBe(0);
    expect(JSON.parse(lower.stdout)).toHaveLength(2);
    const none = await runCli(["log", "--type", "JobCompletedEvent"], { cwd });
    expect(none.code).toBe(0);
    expect(none.stderr).toMatch(/no events match/);
  });

  it("log --state received lists what listen recorded, as the STATE column shows it", async () => {
    const cwd = project();
    const listen = await startListen([], { cwd });
    const sent = await runCli(
      ["send", "JobCompletedEvent", "--to", listen.url, "--no-store", "--json"],
      { cwd },
    );
    expect(sent.code).toBe(0);
    await listen.waitFor("JobCompletedEvent");
    await listen.stop();
    const log = await runCli(["log", "--state", "received"], { cwd });
    expect(log.stderr).toMatch(/1 shown/);
    expect(log.code).toBe(0);
    const [header, row] = log.stdout.trim().split("\n");
    expect(header).toMatch(/STATE/);
    expect(row).toMatch(/received\s+JobCompletedEvent.*\breceived\b/);
    const conflict = await runCli(["log", "--state", "received", "--direction", "sent"], { cwd });
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/--state received and --direction sent/);
  });

  it("log fits an 80- and a 120-column terminal without wrapping, and keeps the target readable; full width in a pipe", async () => {
    const { cwd, url } = await readOnlyProject();
    for (const columns of [80, 120]) {
      const out = runInTerminal(["log"], cwd, columns);
      if (out === undefined) {
        console.warn("skipped: no `script` to make a terminal");
        return;
      }
      const lines = out.trim().split("\n");
      const table = lines.filter((l) => l.includes("OrderConfirme"));
      expect(table, out).toHaveLength(2);
      for (const line of lines.slice(0, 3)) expect(line.length, line).toBeLessThanOrEqual(columns);
      // TARGET cut in the middle: the host's start and the path both show.
      expect(table[0]).toMatch(/127\.0\.0\.1:\S*\/receiver$/);
      expect(table[0]).toContain("7e57a11d");
      if (columns === 120) expect(table[0]).toContain(`${new URL(url).host}/receiver`);
    }
    const piped = await runCli(["log"], { cwd });
    expect(piped.stdout).toContain(`${url}/receiver`);
    expect(piped.stdout).toContain(ID_A);
  });

  it("show: an unknown id exits 1, an ambiguous prefix 2 naming the candidates", async () => {
    const { cwd } = await readOnlyProject();
    const unknown = await runCli(["show", "0000dead"], { cwd });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no event with message id 0000dead/);
    const ambiguous = await runCli(["show", "7e57a11d"], { cwd });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(ID_A);
    expect(ambiguous.stderr).toContain(ID_B);
    expect((await runCli(["show", ID_B.toUpperCase()], { cwd })).code).toBe(0);
  });

  it("a redirect loop names each hop once, with the status it answered", async () => {
    receiver = await startReceiver((req, res) => {
      res.writeHead(302, { location: req.path === "/a" ? "/b" : "/a" });
      res.end();
    });
    const cwd = project();
    const self = await startReceiver((req, res) => {
      res.writeHead(302, { location: req.path });
      res.end();
    });
    try {
      const one = await runCli(
        ["send", "OrderConfirmedEvent", "--to", `${self.url}/receiver`, "--no-retry"],
        { cwd },
      );
      expect(one.code).toBe(1);
      expect(one.stdout).toContain("redirect loop: /receiver (302) → /receiver");
      expect(one.stdout).not.toContain(" via ");
      const two = await runCli(
        ["send", "OrderConfirmedEvent", "--to", `${receiver.url}/a`, "--no-retry"],
        { cwd },
      );
      expect(two.stdout).toContain("redirect loop: /a (302) → /b (302) → /a");
      const id = /OrderConfirmedEvent ([0-9a-f-]{36})/.exec(two.stdout)![1]!;
      const show = await runCli(["show", id], { cwd });
      expect(show.stdout).toContain("redirect loop: /a (302) → /b (302) → /a");
    } finally {
      await self.close();
    }
  });
});

describe("regressions found by the property test (test/e2e/cli-property.test.ts)", () => {
  it("show with an empty id, a wildcard or too short a prefix: no event is picked at random", async () => {
    const { cwd } = await readOnlyProject();
    for (const [input, code, message] of [
      ["", 2, /the message id is empty/],
      [" ", 2, /the message id is empty/],
      ["%", 2, /"%" is too short to look up/],
      ["7e5", 2, /"7e5" is too short/],
      ["7e57%", 1, /no event with message id 7e57%/],
      ["____", 1, /no event with message id ____/],
    ] as const) {
      const run = await runCli(["show", input], { cwd });
      expect(run.code, `show "${input}": ${run.stderr}`).toBe(code);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe("");
    }
    expect((await runCli(["replay", "%"], { cwd })).code).toBe(2);
  });

  it("log --type '' is a usage error, not every event", async () => {
    const { cwd } = await readOnlyProject();
    const run = await runCli(["log", "--type", ""], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--type is empty/);
  });

  it("test --timeout 0ms is a usage error, not seven failed cases", async () => {
    const run = await runCli(["test", "--to", "http://127.0.0.1:1/", "--timeout", "0ms"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--timeout <duration>' argument '0ms' is invalid\. "0ms" must be more than zero/,
    );
    expect(run.stdout).toBe("");
  });
});

describe("test (built CLI)", () => {
  it("--help shows the default timeout as 5s", async () => {
    const help = await runCli(["test", "--help"]);
    expect(help.stdout).toMatch(/--timeout <duration>\s+Norce's per-attempt limit \(default: 5s\)/);
  });

  it("against a closed port: refused connections are not answers, nothing is 'fast enough'", async () => {
    const closed = await startReceiver(accept());
    const url = `${closed.url}/receiver`;
    await closed.close();
    const run = await runCli(["test", "--to", url, "--types", "OrderConfirmedEvent"]);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(/✓ fast enough/);
    expect(run.stdout).toMatch(
      /- fast enough: every answer within 5s\n\s+skipped: no answers to judge: 5 requests got no answer \(ECONNREFUSED/,
    );
    expect(run.stdout).toMatch(/\n7 cases: .* · no answers · /);
    const json = await runCli(["test", "--to", url, "--types", "OrderConfirmedEvent", "--json"]);
    const fast = JSON.parse(json.stdout).cases.find((c: { id: string }) => c.id === "fast-enough");
    expect(fast.status).toBe("skipped");
  });
});
