/** Crashes the property-based CLI test found, each pinned by name through the built CLI. */
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("regressions found by the property test (built CLI)", () => {
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
});
