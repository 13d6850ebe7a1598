/**
 * `send --timeout` as users type it: a zero value is a usage error, and each attempt against a
 * server that never answers ends within a few ms of the value. It bounds a time, so it runs alone,
 * after the rest of the suite (vitest.config.ts); the rest of the sending options are in
 * send-options.test.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { notABug, runCli } from "../helpers/cli.js";
import { until } from "../helpers/until.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("--timeout", () => {
  it("0ms is a usage error at the option, not an internal crash", async () => {
    const result = await runCli([
      "--no-store",
      "send",
      "OrderConfirmedEvent",
      "--to",
      "http://127.0.0.1:9/",
      "--timeout",
      "0ms",
      "--no-retry",
    ]);
    notABug(result);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("must be more than zero");
  });

  it("each attempt against a server that never answers ends within a few ms of the value", async () => {
    // Our own server: when the request arrives, and when the sender gave up (its socket closed).
    const seen: { arrived: number; closed?: number; value: string }[] = [];
    const server: Server = createServer((req) => {
      const entry = { arrived: performance.now(), value: String(req.url).slice(1) };
      seen.push(entry);
      req.socket.on("close", () => {
        (entry as { closed?: number }).closed = performance.now();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const values = { "100ms": 100, "250ms": 250, "600ms": 600, "900ms": 900, "1.2s": 1200 };
    const results = await Promise.all(
      Object.keys(values).map((value) =>
        runCli([
          "--no-store",
          "send",
          "OrderConfirmedEvent",
          "--to",
          `${url}/${value}`,
          "--timeout",
          value,
          "--max-retries",
          "2",
          "--time-scale",
          "1000",
          "--json",
        ]),
      ),
    );
    for (const result of results) expect(result.code).toBe(1);
    for (const [value, ms] of Object.entries(values)) {
      // The sender really let go of the request (its connection closed), when the request got
      // there at all (on a loaded machine a 100 ms attempt can end while still connecting).
      const entry = seen.find((e) => e.value === value);
      if (entry) await until(() => entry.closed !== undefined, 2000);
      const attempts = results
        .flatMap((r) =>
          r.stdout
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l)),
        )
        .filter((line) => line.kind === "attempt" && line.url.endsWith(`/${value}`));
      expect(attempts.map((a) => a.error.code)).toEqual(["TIMEOUT", "TIMEOUT", "TIMEOUT"]);
      // Never early: undici's coarse timers ended a 900 ms attempt after 600 ms.
      for (const attempt of attempts) {
        expect(attempt.latencyMs, value).toBeGreaterThanOrEqual(ms - 1);
      }
      // Not late: undici's timers ended 100/250/600/900 ms after ~1 s and 1.2 s after ~1.5 s.
      // A loaded machine can delay any one timer (the process is not scheduled), so the best of
      // three attempts is checked; with our own timer it is within a few ms.
      const best = Math.min(...attempts.map((a) => a.latencyMs));
      expect(best, value).toBeLessThan(ms + 100);
    }
  });
});
