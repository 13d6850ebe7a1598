// Sending: `send --count N --concurrency 32` to a bare node:http server answering 202, against a
// minimal undici Pool loop posting N pre-built bodies with the same concurrency to the same
// server. Both rates are of the sending itself (ours from its own summary line); peak RSS of ours
// is the whole process (/usr/bin/time).
//
// The receiving server must have headroom over the Pool loop, or the loop measured the server:
// every round also measures the server's own ceiling (the most it answers under the load
// generator, loadgen.js, 32 connections), and a Pool loop above 80% of it is load-bound.
//
// Every round also runs the recording loop (servers/recording-loop.js): the Pool loop that also
// makes each event and writes the store's two writes per event, done as plainly as possible. Its
// ratio to the Pool loop is what the work of sending with a store allows on this machine (and the
// same loop without the store, what making the events alone costs), and `send` is shown against
// it too: how far the engine is from that least.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { MiB, NODE, ROOT, run, scratch, sendArgs, startGenerator, startServer } from "./lib.js";
import { ratioRow } from "./report.js";
import { DISTINCT } from "./requests.js";

export async function benchSend({ smoke }) {
  const count = smoke ? 100 : 20_000;
  const rounds = smoke ? 1 : 5;
  const server = await startServer(202);
  const rates = { receiver: [], ours: [], pool: [], making: [], recording: [], noStore: [] };
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
      rates.making.push(await recordingLoop(server.url, count, false));
      rates.recording.push(await recordingLoop(server.url, count, true));
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
      row(
        "sending: the recording loop without its store (for information)",
        rates.making,
        undefined,
      ),
      row("sending: the recording loop (for information)", rates.recording, undefined),
      ratioRow({
        target: "sending: ours against the recording loop (for information)",
        baselineName: "recording loop",
        baselineRounds: rates.recording,
        measuredRounds: rates.ours,
        ceilingName: "receiver",
        ceilingRounds: rates.receiver,
        unit: "events/s",
        goal: undefined,
      }),
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

/**
 * The recording loop's rate (events/s) for one round, on a store of its own removed after; or,
 * with `store` false, the same loop making its events without recording them.
 */
async function recordingLoop(url, count, store) {
  const dir = scratch("recording");
  const path = store ? join(dir, "events.db") : "-";
  try {
    const ran = await run(NODE, [
      join(ROOT, "test/bench/servers/recording-loop.js"),
      url,
      String(count),
      "32",
      path,
    ]);
    if (ran.code !== 0) throw new Error(`the recording loop failed: ${ran.stderr.trim()}`);
    const result = JSON.parse(ran.stdout);
    if (result.ok !== count) throw new Error(`the recording loop got ${result.ok} of ${count} 2xx`);
    return (count * 1000) / result.ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
