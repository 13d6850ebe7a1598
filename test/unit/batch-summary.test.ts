import { describe, expect, it } from "vitest";
import { formatBatchSummary } from "../../src/cli/render/batch.js";
import { plainStyle } from "../../src/cli/render/delivery.js";
import type { BatchSummary } from "../../src/delivery/batch.js";

const summary = (eventsPerSecond: number): BatchSummary => ({
  count: 3,
  delivered: 3,
  dead: 0,
  interrupted: 0,
  notStarted: 0,
  attempts: 3,
  latencyMs: { p50: 1, p95: 2, p99: 3, max: 4 },
  durationMs: 15_100,
  eventsPerSecond,
});

const lines = (rate: number, timeScale = 1) =>
  formatBatchSummary(
    "OrderConfirmedEvent",
    "http://127.0.0.1:3000/receiver",
    { seed: 7, timeScale },
    summary(rate),
    [],
    plainStyle,
  ).split("\n");

describe("send --count's summary", () => {
  it("names the seed, and the backoff's scale when it is not 1", () => {
    expect(lines(100)[0]).toBe(
      "OrderConfirmedEvent × 3 to http://127.0.0.1:3000/receiver (seed 7)",
    );
    expect(lines(100, 3600)[0]).toBe(
      "OrderConfirmedEvent × 3 to http://127.0.0.1:3000/receiver (seed 7, backoff ÷3600)",
    );
  });

  it("shows a slow batch's rate with a decimal, not as 0 events/s", () => {
    expect(lines(0.2)[3]).toBe("  0.2 events/s over 15.1s");
    expect(lines(9.96)[3]).toBe("  10 events/s over 15.1s");
    expect(lines(2088.4)[3]).toBe("  2088 events/s over 15.1s");
  });
});
