import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const RUNNER = fileURLToPath(new URL("../bench/run.js", import.meta.url));

describe("benchmarks (smoke run, tiny sizes)", () => {
  it("every benchmark runs and reports its target, with raw numbers as JSON", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "norce-event-bench-")), "smoke.json");
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve, reject) => {
      const child = spawn(process.execPath, [RUNNER, "--smoke", "--out", out], {
        env: { ...process.env, NO_COLOR: "1" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(code, stderr).toBe(0);
    for (const target of [
      "start-up: norce-event --help",
      "start-up: norce-event types",
      "generation: OrderConfirmedEvent",
      "generation: SkuChangedNotification",
      "sending:",
      "listening: --json",
      "listening: pretty",
      "listening: RSS",
      "retries:",
    ]) {
      expect(stdout).toContain(target);
    }
    const results = JSON.parse(readFileSync(out, "utf8"));
    expect(results.smoke).toBe(true);
    expect(Object.keys(results.raw)).toEqual(["startup", "generate", "send", "listen", "retries"]);
    expect(results.rows.every((row: { measured: string }) => row.measured.length > 0)).toBe(true);
    // Even at tiny sizes, what is checked exactly holds: determinism and no early retry.
    expect(results.raw.generate.OrderConfirmedEvent.deterministic).toBe(true);
    expect(results.raw.retries.lateness.early).toBe(0);
  }, 120_000);
});
