// Listening: autocannon, 32 connections, posting a valid OrderConfirmedEvent with Norce's
// standard headers (a new message id per request). `listen --json > /dev/null` and the pretty
// output written to a file, against a bare node:http server answering 202. Then memory: RSS of
// `listen --json` after 2k requests and after 200k.
import { randomUUID } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { fakeEvent, formatTimestamp } from "../../dist/index.js";
import { BIN, MiB, median, medianRatio, NODE, rssOf, scratch, start, startServer } from "./lib.js";

const body = JSON.stringify(fakeEvent("OrderConfirmedEvent", { seed: 1 }).payload);

function load(url, options) {
  return autocannon({
    url,
    connections: 32,
    method: "POST",
    headers: {
      "content-type": "application/json; charset=utf-8",
      "Norce-Event-Type": "OrderConfirmedEvent",
      "Norce-Event-Timestamp": formatTimestamp(new Date()),
    },
    body,
    requests: [
      {
        setupRequest: (request) => {
          request.headers = { ...request.headers, "Norce-Event-Message-Id": randomUUID() };
          return request;
        },
      },
    ],
    ...options,
  });
}

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
    url: listener.match[1],
    pid: listener.child.pid,
    stop: async () => {
      await listener.stop();
      closeSync(out);
    },
  };
}

export async function benchListen({ smoke }) {
  const duration = smoke ? 0.3 : 10;
  const rounds = smoke ? 1 : 3;
  const runs = { bare: [], json: [], pretty: [], "json-no-store": [] };
  // Rounds interleave the modes, so a noisy minute hits them all alike; medians are reported.
  for (let round = 0; round < rounds; round++) {
    for (const mode of Object.keys(runs)) {
      const target = mode === "bare" ? await startServer(202) : await startListen(mode);
      try {
        await load(target.url, smoke ? { amount: 50 } : { duration: 1 }); // warm-up
        const result = await load(target.url, { duration });
        runs[mode].push({
          rps: result.requests.average,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        });
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
  const memory = await measureMemory(smoke);
  const ok = (mode) => results[mode].non2xx === 0 && results[mode].errors === 0;
  const row = (mode, label, goal) => ({
    target: `listening: ${label}`,
    baseline: `node:http: ${Math.round(results.bare.rps).toLocaleString("en")} req/s`,
    measured: `${Math.round(results[mode].rps).toLocaleString("en")} req/s${ok(mode) ? "" : ` (${results[mode].non2xx} non-2xx, ${results[mode].errors} errors)`}`,
    ratio: medianRatio(results[mode].rounds, results.bare.rounds),
    goal: `≥ ${goal}×`,
    pass: medianRatio(results[mode].rounds, results.bare.rounds) >= goal && ok(mode),
  });
  return {
    raw: { ...results, memory },
    rows: [
      row("json", "--json > /dev/null", 0.5),
      row("pretty", "pretty > file", 0.3),
      {
        ...row("json-no-store", "--json --no-store (for information)", 0),
        goal: "—",
        pass: undefined,
      },
      {
        target: `listening: RSS after ${memory.large.toLocaleString("en")} vs ${memory.small.toLocaleString("en")} requests`,
        baseline: `${(memory.after.small / MiB).toFixed(0)} MiB`,
        measured: `${(memory.after.large / MiB).toFixed(0)} MiB (+${((memory.after.large - memory.after.small) / MiB).toFixed(1)})`,
        ratio: undefined,
        goal: "≤ +50 MiB",
        pass: memory.after.large - memory.after.small <= 50 * MiB && memory.non2xx === 0,
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

async function measureMemory(smoke) {
  const small = smoke ? 100 : 2000;
  const large = smoke ? 500 : 200_000;
  const steps = 4;
  const listener = await startListen("json");
  try {
    let non2xx = (await load(listener.url, { amount: small })).non2xx;
    const afterSmall = rssOf(listener.pid);
    // RSS along the way, to tell growth that stops from growth that does not.
    const along = [];
    let done = small;
    for (let step = 1; step <= steps; step++) {
      const target = small + Math.round(((large - small) * step) / steps);
      non2xx += (await load(listener.url, { amount: target - done })).non2xx;
      done = target;
      along.push({ requests: done, rss: rssOf(listener.pid) });
    }
    return { small, large, along, after: { small: afterSmall, large: along.at(-1).rss }, non2xx };
  } finally {
    await listener.stop();
  }
}
