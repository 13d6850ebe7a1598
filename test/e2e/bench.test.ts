import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runNode } from "../helpers/cli.js";

const RUNNER = fileURLToPath(new URL("../bench/run.js", import.meta.url));

describe("benchmarks (smoke run, tiny sizes)", () => {
  it("every benchmark runs and reports its target, with raw numbers as JSON", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "norce-event-bench-")), "smoke.json");
    const { code, stdout, stderr } = await runNode([RUNNER, "--smoke", "--out", out], {
      timeoutMs: 110_000,
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
      "relay: durable ingest",
      "relay: post → app latency",
    ]) {
      expect(stdout).toContain(target);
    }
    const results = JSON.parse(readFileSync(out, "utf8"));
    expect(results.smoke).toBe(true);
    expect(Object.keys(results.raw)).toEqual([
      "startup",
      "generate",
      "send",
      "listen",
      "retries",
      "relay",
    ]);
    expect(results.rows.every((row: { measured: string }) => row.measured.length > 0)).toBe(true);
    // Even at tiny sizes, what is checked exactly holds: determinism and no early retry.
    expect(results.raw.generate.OrderConfirmedEvent.deterministic).toBe(true);
    expect(results.raw.retries.lateness.early).toBe(0);
  }, 120_000);
});
