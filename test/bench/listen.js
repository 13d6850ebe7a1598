// Listening: 32 keep-alive connections posting valid OrderConfirmedEvent deliveries with Norce's
// standard headers, each request distinct and built before the clock starts, from a load
// generator in its own process (loadgen.js). `listen --json > /dev/null` and the pretty output
// written to a file, against a bare node:http server answering 202. Every round first measures
// the generator's own ceiling against a server that does the least work per request
// (servers/canned.js); a bare baseline above 80% of it is load-bound (report.js). Then memory:
// RSS of `listen --json` after 2k requests and after 200k.
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import {
  BIN,
  MiB,
  median,
  NODE,
  rssOf,
  scratch,
  start,
  startCannedServer,
  startGenerator,
  startServer,
} from "./lib.js";
import { ratioRow } from "./report.js";
import { DISTINCT } from "./requests.js";

async function startListen(mode) {
  const dir = scratch("listen");
  const out = openSync(mode.startsWith("json") ? "/dev/null" : join(dir, "pretty.log"), "w");
  const args = [
    BIN,
    "listen",
    "--port",
    "0",
    ...(mode.startsWith("json") ? ["--json"] : []),
    ...(mode.endsWith("no-store") ? ["--no-store"] : []),
  ];
  const listener = await start(NODE, args, {
    cwd: dir,
    stdout: out,
    ready: /listening on (http:\/\/\S+)/,
  });
  return {
    // It listens on 127.0.0.1 and prints localhost: connect to the address, not a name lookup.
    url: listener.match[1].replace("//localhost:", "//127.0.0.1:"),
    pid: listener.child.pid,
    stop: async () => {
      await listener.stop();
      closeSync(out);
    },
  };
}

const STARTERS = {
  ceiling: startCannedServer,
  bare: () => startServer(202),
  json: () => startListen("json"),
  pretty: () => startListen("pretty"),
  "json-no-store": () => startListen("json-no-store"),
};

export async function benchListen({ smoke }) {
  const load = smoke
    ? { warmupAmount: 50, duration: 0.3, distinct: 1000 }
    : { warmup: 1, duration: 5, distinct: DISTINCT };
  const rounds = smoke ? 1 : 6;
  const generator = startGenerator();
  try {
    return await measure(generator, load, rounds, smoke);
  } finally {
    await generator.stop();
  }
}

async function measure(generator, load, rounds, smoke) {
  const runs = Object.fromEntries(Object.keys(STARTERS).map((mode) => [mode, []]));
  // Rounds interleave the modes, so a noisy minute hits them all alike; per-round ratios, then
  // their median, are reported. This machine's speed drifts by the minute: short runs keep each
  // pair close in time, and every other round runs the modes in reverse order, so no mode is
  // always measured later after the baseline than another (three rounds of 10 s in fixed order
  // gave per-round --json ratios of 0.37, 0.53 and 0.41 in one run).
  const order = Object.entries(STARTERS);
  for (let round = 0; round < rounds; round++) {
    for (const [mode, startTarget] of round % 2 === 0 ? order : [...order].reverse()) {
      const target = await startTarget();
      try {
        const result = await generator.run(target.url, load);
        runs[mode].push({ rps: result.rps, non2xx: result.non2xx, errors: result.errors });
      } finally {
        await target.stop();
      }
    }
  }
  const results = Object.fromEntries(
    Object.entries(runs).map(([mode, list]) => [
      mode,
      {
        rps: median(list.map((r) => r.rps)),
        rounds: list.map((r) => r.rps),
        non2xx: list.reduce((sum, r) => sum + r.non2xx, 0),
        errors: list.reduce((sum, r) => sum + r.errors, 0),
      },
    ]),
  );
  const memory = await measureMemory(generator, smoke, load.distinct);
  const ok = (mode) => results[mode].non2xx === 0 && results[mode].errors === 0;
  const row = (mode, label, goal) =>
    ratioRow({
      target: `listening: ${label}`,
      baselineName: "node:http",
      baselineRounds: results.bare.rounds,
      measuredRounds: results[mode].rounds,
      ceilingName: "generator",
      ceilingRounds: results.ceiling.rounds,
      goal,
      ok: ok(mode) && ok("bare"),
      note: ok(mode) ? "" : ` (${results[mode].non2xx} non-2xx, ${results[mode].errors} errors)`,
    });
  return {
    raw: {
      generator: { kind: "raw", connections: 32, pipelining: 1, ...load },
      ...results,
      memory,
    },
    rows: [
      row("json", "--json > /dev/null", 0.5),
      row("pretty", "pretty > file", 0.35),
      row("json-no-store", "--json --no-store (for information)", undefined),
      {
        target: `listening: RSS after ${memory.large.toLocaleString("en")} vs ${memory.small.toLocaleString("en")} requests`,
        baseline: `${(memory.after.small / MiB).toFixed(0)} MiB`,
        measured: `${(memory.after.large / MiB).toFixed(0)} MiB (+${((memory.after.large - memory.after.small) / MiB).toFixed(1)})`,
        ratio: undefined,
        goal: "≤ +50 MiB",
        pass:
          memory.after.large - memory.after.small <= 50 * MiB &&
          memory.non2xx === 0 &&
          memory.errors === 0,
      },
      {
        target: "listening: RSS along the way (for information)",
        baseline: `${(memory.after.small / MiB).toFixed(0)} MiB at ${memory.small.toLocaleString("en")}`,
        measured: memory.along.map((a) => `${(a.rss / MiB).toFixed(0)}`).join(" → ") + " MiB",
        ratio: undefined,
        goal: "—",
        pass: undefined,
      },
    ],
  };
}

async function measureMemory(generator, smoke, distinct) {
  const small = smoke ? 100 : 2000;
  const large = smoke ? 500 : 200_000;
  const steps = 4;
  const listener = await startListen("json");
  try {
    // Each batch continues the generator's cycle where the last one stopped (offset), so ids do
    // not come back sooner than in one long run.
    const batch = (amount, offset) => generator.run(listener.url, { amount, offset, distinct });
    const first = await batch(small, 0);
    let non2xx = first.non2xx;
    let errors = first.errors;
    const afterSmall = rssOf(listener.pid);
    // RSS along the way, to tell growth that stops from growth that does not.
    const along = [];
    let done = small;
    for (let step = 1; step <= steps; step++) {
      const target = small + Math.round(((large - small) * step) / steps);
      const result = await batch(target - done, done);
      non2xx += result.non2xx;
      errors += result.errors;
      done = target;
      along.push({ requests: done, rss: rssOf(listener.pid) });
    }
    return {
      small,
      large,
      along,
      after: { small: afterSmall, large: along.at(-1).rss },
      non2xx,
      errors,
    };
  } finally {
    await listener.stop();
  }
}
