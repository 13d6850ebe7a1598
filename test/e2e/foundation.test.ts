import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventTypeInfos } from "../../src/events/catalog.js";
import { fakeEvent } from "../../src/events/factory.js";
import { BIN, moduleLogger, runCli, runNode } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "norce-event-e2e-"));

describe("norce-event (built CLI)", () => {
  it("--help and types load the CLI's bundle only: a few chunks, no module of ours unbundled, no commander file", async () => {
    const register = moduleLogger(dir);
    for (const [args, most] of [
      [["--help"], 3],
      [["types"], 8],
    ] as const) {
      const log = join(dir, `modules-${args[0]}.log`);
      writeFileSync(log, "");
      const { code } = await runNode(["--import", register, BIN, ...args], {
        env: { MODULE_LOG: log },
      });
      expect(code).toBe(0);
      const loaded = readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .filter((url) => url.startsWith("file:"))
        .map((url) => url.replace(/^.*\/(bin|dist|node_modules)\//, "$1/"));
      // Each module costs Node its own resolving and compiling: the reason for the bundle.
      const outside = loaded.filter(
        (url) => !url.startsWith("dist/bundle/") && url !== "bin/norce-event.js",
      );
      expect(outside, args[0]).toEqual([]);
      expect(loaded.length, loaded.join("\n")).toBeLessThanOrEqual(most + 1);
    }
  });

  it("every duration and size default in --help carries its unit (so it can be typed back)", async () => {
    const option = /--([\w-]+) <(?:duration|size)>((?:(?!\n {2}-)[\s\S])*?)\(default: ([^)]*)\)/g;
    let checked = 0;
    for (const command of [
      ["listen"],
      ["relay"],
      ["scenario", "run"],
      ["send"],
      ["test"],
      ["replay"],
    ]) {
      const { stdout } = await runCli([...command, "--help"]);
      for (const [, name, , shown] of stdout.matchAll(option)) {
        checked++;
        expect(shown, `${command.join(" ")} --${name}`).toMatch(
          /^\d+(\.\d+)?(ms|s|m|h|d|b|kb|mb)$/,
        );
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("help reaches nested commands: relay help [command], help relay channel create, help scenario run", async () => {
    const cases: [string[], string][] = [
      // relay runs a server and has subcommands: `help` was taken as an argument to the server.
      [["relay", "help"], "Usage: norce-event relay [options] [command]"],
      [["relay", "help", "status"], "Usage: norce-event relay status [options]"],
      // `help a b` showed a's help: commander's help command looks one level down only.
      [["help", "relay", "channel"], "Usage: norce-event relay channel [options] [command]"],
      [["help", "relay", "channel", "create"], "Usage: norce-event relay channel create [options]"],
      [["--store", "x.db", "help", "scenario", "run"], "Usage: norce-event scenario run [options]"],
      [["help", "send"], "Usage: norce-event send [options] [type]"],
      // The deepest command named, wherever `help` is and whatever options come after it.
      [["relay", "help", "channel", "create"], "Usage: norce-event relay channel create [options]"],
      [["relay", "channel", "help", "create"], "Usage: norce-event relay channel create [options]"],
      [["help", "scenario", "help", "run"], "Usage: norce-event scenario run [options]"],
      [["help", "relay", "--port", "0", "status"], "Usage: norce-event relay status [options]"],
      [["help", "help"], "Usage: norce-event [options] [command]"],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    for (const [i, [args, usage]] of cases.entries()) {
      expect(results[i]!.stderr, args.join(" ")).toBe("");
      expect(results[i]!.stdout.split("\n")[0], args.join(" ")).toContain(usage);
      expect(results[i]!.code, args.join(" ")).toBe(0);
    }
    // A name help does not know is a usage error that says so (commander printed its whole
    // usage to stderr, or the parent's help with exit 0), with the closest name when there is one.
    const unknown: [string[], string][] = [
      [["relay", "help", "nope"], "error: unknown command 'nope' for norce-event relay"],
      [["help", "bogus"], "error: unknown command 'bogus' for norce-event"],
      [["help", "relya"], "did you mean norce-event relay?"],
      [["help", "relay", "chanel"], "did you mean norce-event relay channel?"],
      [["help", "send", "bogus"], "norce-event send has no commands; 'bogus' is not one"],
    ];
    // Where a command takes an argument, the word is its argument: `show help` is the event
    // whose id is "help", `send help` an unknown type; `-- help` and an unknown option before
    // help are commander's (the root help; its unknown-option error).
    const words = await Promise.all([
      runCli(["--store", "none.db", "show", "help"]),
      runCli(["send", "help"]),
      runCli(["--", "help"]),
      runCli(["--bogus", "help", "relay"]),
    ]);
    expect(words[0]!.stdout).not.toContain("Usage:");
    expect(words[0]!.stderr).toContain("no event store here yet");
    expect(words[1]!.code).toBe(2);
    expect(words[1]!.stderr).toContain('unknown event type "help"');
    expect(words[2]!.code).toBe(0);
    expect(words[2]!.stdout).toContain("Usage: norce-event [options] [command]");
    expect(words[3]!.code).toBe(2);
    expect(words[3]!.stderr).toContain("unknown option '--bogus'");
    const refused = await Promise.all(unknown.map(([args]) => runCli(args)));
    for (const [i, [args, message]] of unknown.entries()) {
      expect(refused[i]!.code, args.join(" ")).toBe(2);
      expect(refused[i]!.stderr, args.join(" ")).toContain(message);
      expect(refused[i]!.stderr, args.join(" ")).not.toContain("Usage:");
      expect(refused[i]!.stdout, args.join(" ")).toBe("");
    }
  });

  it("help after a command's options: relay --port 0 help bogus names bogus, help status shows status", async () => {
    const [bogus, status, json] = await Promise.all([
      runCli(["relay", "--port", "0", "help", "bogus"]),
      runCli(["relay", "--port", "0", "help", "status"]),
      runCli(["relay", "--json", "--mode=live", "help", "stauts"]),
    ]);
    // It printed relay's whole usage on stderr, without a word about bogus.
    expect(bogus.code).toBe(2);
    expect(bogus.stdout).toBe("");
    expect(bogus.stderr).toBe(
      "error: unknown command 'bogus' for norce-event relay (norce-event relay --help lists its commands)\n",
    );
    expect(status.code).toBe(0);
    expect(status.stdout.split("\n")[0]).toBe("Usage: norce-event relay status [options]");
    expect(json.code).toBe(2);
    expect(json.stderr).toContain("did you mean norce-event relay status?");
    expect(json.stderr).not.toContain("Usage:");
  });

  it("help after a global option with a value: help --store x relay, even when the value names a command", async () => {
    const cases: [string[], string][] = [
      [["help", "--store", "x", "relay"], "Usage: norce-event relay [options] [command]"],
      // The store file's name was taken as the command: "norce-event send has no commands".
      [["help", "--store", "send", "relay"], "Usage: norce-event relay [options] [command]"],
      [
        ["help", "--config", "scenario", "relay", "status"],
        "Usage: norce-event relay status [options]",
      ],
      [["help", "--store", "send"], "Usage: norce-event [options] [command]"],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    for (const [i, [args, usage]] of cases.entries()) {
      expect(results[i]!.stderr, args.join(" ")).toBe("");
      expect(results[i]!.stdout.split("\n")[0], args.join(" ")).toBe(usage);
      expect(results[i]!.code, args.join(" ")).toBe(0);
    }
  });

  it("--help lists the commands, one line each", async () => {
    const { code, stdout } = await runCli(["--help"]);
    expect(code).toBe(0);
    const section = stdout.split("Commands:\n")[1]!.split("\n\n")[0]!.split("\n");
    const commands = [
      "demo",
      "send",
      "listen",
      "test",
      "schedule",
      "types",
      "generate",
      "validate",
      "init",
      "log",
      "show",
      "replay",
      "resume",
    ];
    for (const command of commands) {
      expect(
        section.some((line) => new RegExp(`^  ${command}\\b.*\\S$`).test(line)),
        command,
      ).toBe(true);
    }
    // No description wraps onto a second line.
    expect(section.every((line) => /^ {2}\S/.test(line))).toBe(true);
  });

  it("types lists all 19 types with category and kind", async () => {
    const { code, stdout } = await runCli(["types"]);
    expect(code).toBe(0);
    for (const info of eventTypeInfos()) {
      expect(stdout).toMatch(
        new RegExp(`^${info.name}\\s+${info.category}\\s+${info.kind}\\s`, "m"),
      );
    }
    expect(stdout).toMatch(/OrderDeliveredEvent\s+Order\s+Event\s+partial/);
  });

  it("types --json gives the same as data, with modeled fields", async () => {
    const { code, stdout } = await runCli(["types", "--json"]);
    expect(code).toBe(0);
    const data = JSON.parse(stdout) as {
      name: string;
      category: string;
      kind: string;
      completeness: string;
      modeled: { property: string }[];
    }[];
    expect(data).toHaveLength(19);
    expect(data.map((d) => [d.name, d.category, d.kind, d.completeness])).toEqual(
      eventTypeInfos().map((i) => [i.name, i.category, i.kind, i.completeness]),
    );
    const delivered = data.find((d) => d.name === "OrderDeliveredEvent");
    expect(delivered?.modeled.map((m) => m.property)).toContain("OrderNo");
  });

  it("generate with a seed is byte-identical across runs and matches the library", async () => {
    for (const info of eventTypeInfos()) {
      const [a, b] = await Promise.all([
        runCli(["generate", info.name, "--seed", "7", "--compact"]),
        runCli(["generate", info.name.toLowerCase(), "--seed", "7", "--compact"]),
      ]);
      expect(a.code).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      // The library's fakeEvent carries the same (default) tenant as the CLI.
      expect(a.stdout).toBe(`${JSON.stringify(fakeEvent(info.name, { seed: 7 }).payload)}\n`);
    }
  });

  it("generate --count prints one distinct object per line; no seed gives new payloads", async () => {
    const { stdout } = await runCli([
      "generate",
      "SkuChangedNotification",
      "--count",
      "50",
      "--seed",
      "3",
    ]);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(50);
    expect(new Set(lines).size).toBe(50);
    const [x, y] = await Promise.all([
      runCli(["generate", "OrderConfirmedEvent"]),
      runCli(["generate", "OrderConfirmedEvent"]),
    ]);
    expect(x.stdout).not.toBe(y.stdout);
  });

  it("generate without --seed names the seed it drew on stderr; that --seed gives the same payloads", async () => {
    const drawn = await runCli(["generate", "SkuChangedNotification", "--count", "3"]);
    expect(drawn.code).toBe(0);
    const seed = /^note: seed (\d+); --seed \1 gives the same payloads again$/m.exec(
      drawn.stderr,
    )?.[1];
    expect(seed, drawn.stderr).toBeDefined();
    // stdout stays data: one JSON object per line, nothing else.
    expect(
      drawn.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toHaveLength(3);
    const again = await runCli([
      "generate",
      "SkuChangedNotification",
      "--count",
      "3",
      "--seed",
      seed!,
    ]);
    expect(again.stdout).toBe(drawn.stdout);
    expect(again.stderr).not.toContain("note: seed");
  });

  it("generate with a typo exits 2 with the suggestion", async () => {
    const { code, stderr, stdout } = await runCli(["generate", "OrderConfirmedEvnt"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("did you mean OrderConfirmedEvent?");
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  it("generate --set coerces, --data merges, a schema break exits 2 naming the property", async () => {
    const data = join(dir, "data.json");
    writeFileSync(data, JSON.stringify({ Source: "Zalando" }));
    const ok = await runCli([
      "generate",
      "OrderConfirmedEvent",
      "--set",
      "OrderId=42",
      "--data",
      data,
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ OrderId: 42, Source: "Zalando" });
    const fromStdin = await runCli(["generate", "OrderConfirmedEvent", "--data", "-"], {
      input: '{"OrderNo":"SO1"}',
    });
    expect(JSON.parse(fromStdin.stdout).OrderNo).toBe("SO1");
    const bad = await runCli(["generate", "OrderConfirmedEvent", "--unset", "OrderNo"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\$\.OrderNo is required/);
    const allowed = await runCli([
      "generate",
      "OrderConfirmedEvent",
      "--unset",
      "OrderNo",
      "--allow-invalid",
    ]);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).not.toHaveProperty("OrderNo");
  });

  it("validate: exit 0 valid, exit 1 naming every JSON path, exit 2 on usage errors", async () => {
    const good = join(dir, "good.json");
    const gen = await runCli(["generate", "OrderConfirmedEvent", "--seed", "1"]);
    writeFileSync(good, gen.stdout);
    expect((await runCli(["validate", good, "--type", "OrderConfirmedEvent"])).code).toBe(0);

    const badFile = join(dir, "bad.json");
    writeFileSync(
      badFile,
      JSON.stringify({
        ClientId: "x",
        ApplicationId: 1,
        OrderId: 2,
        ClientOrderRef: "r",
        Source: "WEB",
      }),
    );
    const bad = await runCli(["validate", badFile, "--type", "OrderConfirmedEvent"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("$.ClientId must be integer");
    expect(bad.stdout).toContain("$.OrderNo is required but missing");

    const json = await runCli(["validate", "-", "--type", "orderconfirmedevent", "--json"], {
      input: JSON.stringify({ ClientId: 1 }),
    });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).problems.map((p: { path: string }) => p.path)).toContain(
      "$.OrderId",
    );

    const missing = await runCli([
      "validate",
      join(dir, "nope.json"),
      "--type",
      "OrderConfirmedEvent",
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
    const noType = await runCli(["validate", good]);
    expect(noType.code).toBe(2);
    const typo = await runCli(["validate", good, "--type", "OrderConfirmd"]);
    expect(typo.code).toBe(2);
  });

  it("a bad flag value exits 2 without a stack trace", async () => {
    const { code, stderr } = await runCli(["generate", "OrderConfirmedEvent", "--count", "lots"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/not a whole number/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
