// Sending: `send --count N --concurrency 32` to a bare node:http server answering 202, against a
// minimal undici Pool loop posting N pre-built bodies with the same concurrency to the same
// server. Both rates are of the sending itself (ours from its --json summary); peak RSS of ours
// is the whole process (/usr/bin/time).
import { join } from "node:path";
import { BIN, MiB, median, NODE, ROOT, run, scratch, startServer } from "./lib.js";

export async function benchSend({ smoke }) {
  const count = smoke ? 100 : 20_000;
  const rounds = smoke ? 1 : 5;
  const server = await startServer(202);
  const rates = { ours: [], pool: [], noStore: [] };
  const rss = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const pool = await run(NODE, [
        join(ROOT, "test/bench/servers/undici-pool.js"),
        server.url,
        String(count),
        "32",
      ]);
      const baseline = JSON.parse(pool.stdout);
      if (baseline.ok !== count) throw new Error(`the baseline got ${baseline.ok} of ${count} 2xx`);
      rates.pool.push((count * 1000) / baseline.ms);
      const mine = await run(
        NODE,
        [
          BIN,
          "send",
          "OrderConfirmedEvent",
          "--to",
          server.url,
          "--count",
          String(count),
          "--concurrency",
          "32",
          "--seed",
          "1",
          "--json",
        ],
        { cwd: scratch("send"), measureMemory: true },
      );
      const summary = JSON.parse(mine.stdout.trim().split("\n").at(-1));
      if (mine.code !== 0 || summary.delivered !== count)
        throw new Error(`send delivered ${summary.delivered} of ${count}: ${mine.stderr}`);
      rates.ours.push((count * 1000) / summary.durationMs);
      if (mine.peakRss) rss.push(mine.peakRss);
      // The same without the event store, to show what recording every event costs.
      const bare = await run(
        NODE,
        [
          BIN,
          "send",
          "OrderConfirmedEvent",
          "--to",
          server.url,
          "--count",
          String(count),
          "--concurrency",
          "32",
          "--seed",
          "1",
          "--json",
          "--no-store",
        ],
        { cwd: scratch("send") },
      );
      rates.noStore.push(
        (count * 1000) / JSON.parse(bare.stdout.trim().split("\n").at(-1)).durationMs,
      );
    }
  } finally {
    await server.stop();
  }
  const ratio = median(rates.ours) / median(rates.pool);
  const peak = rss.length ? Math.max(...rss) : undefined;
  return {
    raw: { ...rates, peakRss: rss },
    rows: [
      {
        target: `sending: ${count.toLocaleString("en")} events, 32 in flight`,
        baseline: `undici Pool loop: ${Math.round(median(rates.pool)).toLocaleString("en")}/s`,
        measured: `${Math.round(median(rates.ours)).toLocaleString("en")}/s`,
        ratio,
        goal: "≥ 0.8×",
        pass: ratio >= 0.8,
      },
      {
        target: "sending: the same with --no-store (for information)",
        baseline: `undici Pool loop: ${Math.round(median(rates.pool)).toLocaleString("en")}/s`,
        measured: `${Math.round(median(rates.noStore)).toLocaleString("en")}/s`,
        ratio: median(rates.noStore) / median(rates.pool),
        goal: "—",
        pass: undefined,
      },
      {
        target: "sending: peak RSS",
        baseline: "—",
        measured: peak === undefined ? "n/a (no /usr/bin/time)" : `${(peak / MiB).toFixed(0)} MiB`,
        ratio: undefined,
        goal: "≤ 150 MiB",
        pass: peak === undefined ? undefined : peak <= 150 * MiB,
      },
    ],
  };
}
