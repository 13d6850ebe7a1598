/**
 * Every option of every command is exercised by an end-to-end test.
 *
 * The commands and options come from commander itself (`buildProgram([], { all: true })`), so an
 * option is checked the moment it is declared in src/cli/main.ts. An option counts as exercised
 * when an end-to-end test passes it to the built CLI (see test/helpers/coverage.ts: a quoted
 * flag in test/e2e/*.test.ts, after the command's quoted name or `startListen(`, or a `$
 * norce-event …` line in the README, which test/e2e/readme.test.ts runs).
 *
 * When this fails for an option you added: write a test in test/e2e/ that runs the command with
 * it and checks what it changes (test/e2e/surface.test.ts collects such tests per command). Only
 * when that truly cannot be done, add it to EXCEPTIONS with the reason.
 */
import { describe, expect, it } from "vitest";
import { usedFlags } from "../helpers/coverage.js";
import { cliSurface } from "../helpers/surface.js";

/** `command --option` → why no end-to-end test passes it. Keep this short. */
const EXCEPTIONS: Record<string, string> = {};

describe("the CLI surface", () => {
  const surface = cliSurface();
  const used = usedFlags(surface);

  it("has commands and options to check (the walk sees the whole program)", () => {
    const names = surface.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["send", "listen", "test", "log", "show"]));
    expect(surface.find((c) => c.name === "send")!.options.length).toBeGreaterThan(10);
  });

  it("every option of every command is used by at least one end-to-end test", () => {
    const missing: string[] = [];
    for (const command of surface) {
      const flags = used.get(command.name)!;
      for (const option of command.options) {
        const key = `${command.name} ${option.long}`;
        if (key in EXCEPTIONS) continue;
        if (flags.has(option.long) || (option.short && flags.has(option.short))) continue;
        missing.push(
          command.name === "(global)"
            ? `global option ${option.long}`
            : `norce-event ${command.name} ${option.long}`,
        );
      }
    }
    expect(
      missing,
      `${missing.length} option(s) no end-to-end test uses:\n  ${missing.join("\n  ")}\n` +
        "Add a test in test/e2e/ (e.g. test/e2e/surface.test.ts, under the command's describe) that runs " +
        'the built CLI with the option, e.g. runCli(["send", …, "--the-option", "value"]), and checks ' +
        "what it changes; or, if it truly cannot be tested end to end, list it in EXCEPTIONS in " +
        "test/e2e/options.test.ts with the reason.",
    ).toEqual([]);
  });

  it("lists no exception for an option that is gone or now tested", () => {
    const stale = Object.keys(EXCEPTIONS).filter((key) => {
      const [name, long] = key.split(" ");
      const command = surface.find((c) => c.name === name);
      const option = command?.options.find((o) => o.long === long);
      return !option || used.get(name!)!.has(long!);
    });
    expect(stale, "remove these from EXCEPTIONS").toEqual([]);
  });
});
