// The load generators themselves, each against the same least-work server (servers/canned.js),
// 32 connections, in interleaved rounds: how much load each can offer on this machine at all.
//   raw sockets      loadgen.js: pre-serialised requests over keep-alive sockets, own process
//                    (what the listening benchmark and the receiver's ceiling use)
//   autocannon       pre-built requests through autocannon, own process (1,000 of them: autocannon
//                    builds each once per connection before it starts, and every connection
//                    cycles them from the start, so ids repeat 32 times a cycle)
//   in-process       the method before: autocannon in the benchmark's own process, building a
//                    fresh UUID header per request in JavaScript
// For information; the rule that uses a ceiling is in report.js.
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { formatTimestamp } from "../../dist/index.js";
import { median, startCannedServer, startGenerator } from "./lib.js";
import { buildRequests, DISTINCT } from "./requests.js";

function inProcess(url, options) {
  const [sample] = buildRequests(url, 1);
  return autocannon({
    url,
    connections: 32,
    method: "POST",
    headers: {
      "content-type": "application/json; charset=utf-8",
      "Norce-Event-Type": "OrderConfirmedEvent",
      "Norce-Event-Timestamp": formatTimestamp(new Date()),
    },
    body: sample.body,
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

const GENERATORS = {
  raw: {
    label: "raw sockets, pre-built, own process (used)",
    run: (url, load, generator) => generator.run(url, load),
  },
  autocannon: {
    label: "autocannon, pre-built, own process",
    run: (url, load, generator) =>
      generator.run(url, { ...load, kind: "autocannon", distinct: load.autocannonDistinct }),
  },
  "in-process": {
    label: "autocannon in-process, a UUID per request (before)",
    run: async (url, load) => {
      await inProcess(url, load.warmup ? { duration: load.warmup } : { amount: load.warmupAmount });
      const result = await inProcess(url, { duration: load.duration });
      return { rps: result.requests.average, non2xx: result.non2xx, errors: result.errors };
    },
  },
};

export async function benchLoad({ smoke }) {
  const load = smoke
    ? { warmupAmount: 50, duration: 0.3, distinct: 1000, autocannonDistinct: 50 }
    : { warmup: 1, duration: 5, distinct: DISTINCT, autocannonDistinct: 1000 };
  const rounds = smoke ? 1 : 3;
  const generator = startGenerator();
  const rates = Object.fromEntries(Object.keys(GENERATORS).map((name) => [name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, { run }] of Object.entries(GENERATORS)) {
        const server = await startCannedServer();
        try {
          rates[name].push((await run(server.url, load, generator)).rps);
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await generator.stop();
  }
  return {
    raw: { ...rates, load },
    rows: Object.entries(GENERATORS).map(([name, generator]) => ({
      target: `load generator: ${generator.label}`,
      baseline: "canned net server",
      measured: `${Math.round(median(rates[name])).toLocaleString("en")} req/s`,
      ratio: undefined,
      goal: "—",
      pass: undefined,
    })),
  };
}
