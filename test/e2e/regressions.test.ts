/**
 * Crashes the property-based CLI test found, and what an outside-in run found, each pinned by
 * name through the built CLI.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { startListen } from "../helpers/listen.js";
import { startReceiver, type TestReceiver } from "../helpers/receiver.js";

const TOKEN = "fwdsecrettoken55556666";
/** A send to a port nothing listens on (these tests end before anything is sent). */
const SEND_NOWHERE = ["send", "OrderConfirmedEvent", "--to", "http://127.0.0.1:9/receiver"];
let receiver: TestReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

describe("regressions (built CLI)", () => {
  it("init --config in a folder that does not exist: one line naming the file, exit 2", async () => {
    const result = await runCli([
      "--config",
      "/nonexistent-norce-event-folder/norce-event.config.json",
      "init",
      "--url",
      "http://127.0.0.1:9/receiver",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: cannot write \/nonexistent-norce-event-folder\/norce-event\.config\.json \(ENOENT\)/,
    );
    expect(result.stderr).not.toContain("This is a bug");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("listen --forward-to an app that echoes the request: the sender's token is in no output and not in the store", async () => {
    receiver = await startReceiver((request, response) => {
      response.writeHead(202).end(`accepted ${JSON.stringify(request.headers)}`);
    });
    const cwd = mkdtempSync(join(tmpdir(), "norce-event-echo-"));
    const listen = await startListen(["--forward-to", receiver.url, "--json"], { cwd });
    const sent = await runCli(
      [
        "send",
        "OrderConfirmedEvent",
        "--to",
        listen.url,
        "-H",
        `Authorization: Bearer ${TOKEN}`,
        "--no-retry",
        "--no-store",
      ],
      { cwd },
    );
    expect(sent.code).toBe(0);
    const id = /OrderConfirmedEvent ([0-9a-f-]{36})/.exec(sent.stdout)![1]!;
    expect(await listen.stop()).toBe(0);
    expect(listen.stdout()).toContain("accepted");
    expect(listen.stdout()).not.toContain(TOKEN);
    const shown = await runCli(["show", id, "--json"], { cwd });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("forwarded");
    expect(shown.stdout).not.toContain(TOKEN);
    for (const file of ["events.db", "events.db-wal"]) {
      const path = join(cwd, ".norce-event", file);
      if (existsSync(path)) expect(readFileSync(path).includes(TOKEN), file).toBe(false);
    }
  });

  it("a scenario file with a gap too large for a date: one line, exit 2, not an internal error", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "norce-event-gap-"));
    writeFileSync(
      join(cwd, "huge.json"),
      JSON.stringify({
        name: "x",
        steps: [{ id: "a", type: "OrderReceivedEvent", after: "99999999d" }],
      }),
    );
    for (const args of [
      ["scenario", "show", "huge.json"],
      ["scenario", "run", "huge.json", "--to", "http://127.0.0.1:9/receiver"],
    ]) {
      const result = await runCli(args, { cwd });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).not.toContain("This is a bug");
    }
  });

  it("a file argument that is a device is refused, not read without end", async () => {
    for (const args of [
      ["scenario", "show", "/dev/zero"],
      ["--config", "/dev/zero", "log"],
      ["validate", "-", "--type", "OrderConfirmedEvent"],
    ]) {
      const result = await runCli(args, {
        timeoutMs: 10_000,
        ...(args[0] === "validate" ? { stdinFile: "/dev/zero" } : {}),
      });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).not.toContain("This is a bug");
    }
  });

  it("--timeout beyond what a timer can hold is refused, not a 1 ms timeout", async () => {
    const result = await runCli([...SEND_NOWHERE, "--timeout", "25d", "--dry-run"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--timeout/);
    expect(result.stderr).not.toContain("TimeoutOverflowWarning");
  });

  it("listen --delay beyond a timer, --ping-interval 0s and relay --idle-timeout 0s are refused (exit 2), before anything listens", async () => {
    for (const [args, option, message] of [
      [["listen", "--delay", "30d"], "--delay", "longer than a timer can wait"],
      [["listen", "--ping-interval", "0s"], "--ping-interval", "must be more than zero"],
      [["relay", "--idle-timeout", "0s"], "--idle-timeout", "must be more than zero"],
    ] as const) {
      const result = await runCli([...args, "--port", "0"]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toContain(option);
      expect(result.stderr).toContain(message);
      expect(result.stdout).toBe("");
    }
  });

  it("relay timings that contradict each other are refused (exit 2) before anything listens", async () => {
    const env = { NORCE_RELAY_SECRET: "s3cret-team-relay" };
    for (const [args, message] of [
      [
        ["relay", "--idle-timeout", "200ms"],
        "--idle-timeout (200ms) must be longer than the default --ping-interval (15s)",
      ],
      [["--retention", "0s", "relay"], "--retention must be more than zero for the relay"],
      [["--retention", "3000000000h", "relay"], 'duration "3000000000h" is too long'],
      [
        [
          "listen",
          "--relay",
          "http://127.0.0.1:9",
          "--channel",
          "AAAAAAAAAAAAAAAAAAAAAA",
          "--ping-interval",
          "1m",
        ],
        "the default --idle-timeout (30s) must be longer than --ping-interval (1m)",
      ],
      // The relay's own options without a relay were accepted and did nothing.
      [["listen", "--ping-interval", "5s"], "--ping-interval only applies with --relay"],
      [
        ["listen", "--takeover", "--idle-timeout", "9s"],
        "--takeover and --idle-timeout only apply with --relay",
      ],
      [
        ["listen", "--takeover", "--ping-interval", "5s", "--idle-timeout", "9s"],
        "--takeover, --ping-interval and --idle-timeout only apply with --relay",
      ],
      // An option left to its default is named as the default: the user never typed it.
      [
        [
          "listen",
          "--relay",
          "http://127.0.0.1:9",
          "--channel",
          "AAAAAAAAAAAAAAAAAAAAAA",
          "--idle-timeout",
          "9s",
        ],
        "--idle-timeout (9s) must be longer than the default --ping-interval (15s)",
      ],
      [
        ["relay", "--ping-interval", "40s"],
        "the default --idle-timeout (30s) must be longer than --ping-interval (40s)",
      ],
    ] as const) {
      const result = await runCli([...args, "--port", "0"], { env });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain("listening on");
    }
  });

  it("listen --delay 24d says so in days in its banner, not in milliseconds", async () => {
    const listen = await startListen(["--delay", "24d", "--no-store"]);
    try {
      await listen.waitForStderr("· 24d late ·");
    } finally {
      await listen.stop();
    }
  });

  it("a usage error repeating the argument as typed escapes its control characters", async () => {
    const result = await runCli([...SEND_NOWHERE, "--time-scale", "\u001b[2J\u001b[31mX\u0007"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("\\u001b[2J\\u001b[31mX\\u0007");
    expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it("an unknown name with a line break is shown escaped (\\n), not with the break turned into a space", async () => {
    const [type, command] = await Promise.all([
      runCli(["send", "Order\nX", "--to", "http://127.0.0.1:1/"]),
      runCli(["help", "re\nlay"]),
    ]);
    // They read `unknown event type "Order X"` and `unknown command 're lay'`.
    expect(type.code).toBe(2);
    expect(type.stderr).toBe(
      'error: unknown event type "Order\\nX" (run `norce-event types` to list the 19 Norce event types)\n',
    );
    expect(command.code).toBe(2);
    expect(command.stderr).toBe(
      "error: unknown command 're\\nlay' for norce-event (did you mean norce-event relay?)\n",
    );
  });

  it("a number option takes decimal notation only: --time-scale 0x10 or --fail-rate 0b1 is a usage error", async () => {
    const cases: [string[], string][] = [
      [[...SEND_NOWHERE, "--time-scale", "0x10"], '"0x10" is not a decimal number'],
      [[...SEND_NOWHERE, "--time-scale", "0o7"], '"0o7" is not a decimal number'],
      [[...SEND_NOWHERE, "--time-scale", "1e999"], '"1e999" is not a finite number'],
      [["listen", "--fail-rate", "0b1", "--port", "0"], '"0b1" is not a decimal number'],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    for (const [i, [args, message]] of cases.entries()) {
      expect(results[i]!.code, args.join(" ")).toBe(2);
      expect(results[i]!.stderr, args.join(" ")).toContain(message);
    }
    // --set reads a number the same way: Amount=0x10 was sent as 16.
    const hex = await runCli([
      "send",
      "OrderPaymentReceivedEvent",
      "--to",
      "http://127.0.0.1:9/receiver",
      "--dry-run",
      "--set",
      "Amount=0x10",
    ]);
    expect(hex.code).toBe(2);
    expect(hex.stderr).toContain("cannot set Amount=0x10: Amount is a number");
    // Decimal forms still read as before: a fraction, an exponent, a leading dot.
    const dry = await runCli([...SEND_NOWHERE, "--time-scale", "3.6e3", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect((await runCli([...SEND_NOWHERE, "--time-scale", ".5", "--dry-run"])).code).toBe(0);
    // Whole numbers take a sign as decimals do (+2 was refused where --time-scale +2 was not),
    // and --inspect reads its port as --port does.
    const plus = await runCli([...SEND_NOWHERE, "--count", "+2", "--dry-run"]);
    expect(plus.code).toBe(0);
    expect(plus.stderr).toContain("2 requests shown");
    const port = await runCli(["listen", "--port", "0", "--inspect", " +70000 "]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--inspect "+70000" is not a port');
  });

  it("--application-id naming no id (a lone comma) is a usage error, not the default ids in silence", async () => {
    const result = await runCli([...SEND_NOWHERE, "--application-id", ",", "--dry-run"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"," names no id');
  });

  it("test -H resolves ${VAR} as send does, and an unset one is a usage error", async () => {
    const unset = await runCli([
      "test",
      "--to",
      "http://127.0.0.1:9/receiver",
      "-H",
      "Authorization: Bearer ${UNSET_NORCE_VAR_X}",
    ]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("${UNSET_NORCE_VAR_X} is not set");
  });
});
