// Sending: `send --count N --concurrency 32` to a bare node:http server answering 202, against a
// minimal undici Pool loop posting N pre-built bodies with the same concurrency to the same
// server. Both rates are of the sending itself (ours from its own summary line); peak RSS of ours
// is the whole process (/usr/bin/time).
import { join } from "node:path";
import { BIN, MiB, median, medianRatio, NODE, ROOT, run, scratch, startServer } from "./lib.js";

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
      // As the user runs it (`send … --count N --concurrency 32`), reading its own summary.
      const mine = await sendRun(server.url, count, [], true);
      rates.ours.push(mine.rate);
      if (mine.peakRss) rss.push(mine.peakRss);
      // The same without the event store, to show what recording every event costs.
      rates.noStore.push((await sendRun(server.url, count, ["--no-store"], false)).rate);
    }
  } finally {
    await server.stop();
  }
  const ratio = medianRatio(rates.ours, rates.pool);
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
        ratio: medianRatio(rates.noStore, rates.pool),
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

async function sendRun(url, count, extra, measureMemory) {
  const result = await run(
    NODE,
    [
      BIN,
      "send",
      "OrderConfirmedEvent",
      "--to",
      url,
      "--count",
      String(count),
      "--concurrency",
      "32",
      "--seed",
      "1",
      ...extra,
    ],
    { cwd: scratch("send"), measureMemory },
  );
  const delivered = Number(/(\d+) delivered/.exec(result.stdout)?.[1]);
  const rate = Number(/(\d+) events\/s/.exec(result.stdout)?.[1]);
  if (result.code !== 0 || delivered !== count) {
    throw new Error(`send delivered ${delivered} of ${count}: ${result.stdout}${result.stderr}`);
  }
  return { rate, peakRss: result.peakRss };
}
