// Sending: `send --count N --concurrency 32` to a bare node:http server answering 202, against a
// minimal undici Pool loop posting N pre-built bodies with the same concurrency to the same
// server. Both rates are of the sending itself (ours from its own summary line); peak RSS of ours
// is the whole process (/usr/bin/time).
//
// The receiving server must have headroom over the Pool loop, or the loop measured the server:
// every round also measures the server's own ceiling (the most it answers under the load
// generator, loadgen.js, 32 connections), and a Pool loop above 80% of it is load-bound.
import { join } from "node:path";
import { MiB, NODE, ROOT, run, scratch, sendArgs, startGenerator, startServer } from "./lib.js";
import { ratioRow } from "./report.js";
import { DISTINCT } from "./requests.js";

export async function benchSend({ smoke }) {
  const count = smoke ? 100 : 20_000;
  const rounds = smoke ? 1 : 5;
  const server = await startServer(202);
  const rates = { receiver: [], ours: [], pool: [], noStore: [] };
  const load = smoke
    ? { warmupAmount: 50, duration: 0.3, distinct: 1000 }
    : { warmup: 0.5, duration: 3, distinct: DISTINCT };
  const generator = startGenerator();
  const rss = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const ceiling = await generator.run(server.url, load);
      if (ceiling.non2xx || ceiling.errors)
        throw new Error("the receiving server failed under load");
      rates.receiver.push(ceiling.rps);
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
    await Promise.all([server.stop(), generator.stop()]);
  }
  const peak = rss.length ? Math.max(...rss) : undefined;
  const row = (target, rounds, goal) =>
    ratioRow({
      target,
      baselineName: "undici Pool loop",
      baselineRounds: rates.pool,
      measuredRounds: rounds,
      ceilingName: "receiver",
      ceilingRounds: rates.receiver,
      unit: "events/s",
      goal,
    });
  return {
    raw: { ...rates, receiverLoad: { kind: "raw", connections: 32, ...load }, peakRss: rss },
    rows: [
      row(`sending: ${count.toLocaleString("en")} events, 32 in flight`, rates.ours, 0.8),
      row("sending: the same with --no-store (for information)", rates.noStore, undefined),
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
  const result = await run(NODE, sendArgs(url, count, ["--seed", "1", ...extra]), {
    cwd: scratch("send"),
    measureMemory,
  });
  const delivered = Number(/(\d+) delivered/.exec(result.stdout)?.[1]);
  const rate = Number(/([\d.]+) events\/s/.exec(result.stdout)?.[1]);
  if (result.code !== 0 || delivered !== count) {
    throw new Error(`send delivered ${delivered} of ${count}: ${result.stdout}${result.stderr}`);
  }
  return { rate, peakRss: result.peakRss };
}
