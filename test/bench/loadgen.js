// The load generator, in its own process so it never shares an event loop with what it measures.
// Every request is built before the clock starts (requests.js); the timed loop only writes those
// buffers and counts answers.
//
// Forked by the benchmarks (lib.js, startGenerator), it answers { id, options } messages with
// { id, result }, keeping the built requests between runs; run directly, it runs once:
//   node test/bench/loadgen.js '{"url":"http://127.0.0.1:PORT/path","duration":5}'
// and prints one JSON line { kind, distinct, responses, ms, rps, non2xx, errors }. Options:
//   url          where to POST
//   kind         "raw" (default): pre-serialised requests over keep-alive sockets, `pipelining`
//                in flight per connection, one cycle shared by all connections so no id comes
//                back sooner than `distinct` requests later; "autocannon": autocannon with the
//                same pre-built requests (each connection cycles the array from its start, so
//                each id is sent once per connection, and autocannon builds every request once
//                per connection before it starts)
//   connections  32 by default; pipelining 1 by default (a webhook sender does not pipeline)
//   warmup       seconds of load before the clock starts; warmupAmount: answers before it starts
//   duration     seconds timed, or amount: exactly this many requests, all timed
//   distinct     how many distinct requests to cycle (requests.js); offset: where to start
import { createConnection } from "node:net";
import autocannon from "autocannon";
import { buildRequests, DISTINCT } from "./requests.js";

const DEFAULTS = {
  kind: "raw",
  connections: 32,
  pipelining: 1,
  warmup: 0,
  warmupAmount: 0,
  distinct: DISTINCT,
  offset: 0,
};

const built = new Map();
function requestsFor(options) {
  const key = `${new URL(options.url).pathname} ${options.distinct}`;
  if (!built.has(key)) built.set(key, buildRequests(options.url, options.distinct));
  return built.get(key);
}

export async function generate(given) {
  const options = { ...DEFAULTS, ...given };
  const requests = requestsFor(options);
  const result =
    options.kind === "autocannon"
      ? await viaAutocannon(options, requests)
      : await viaSockets(options, requests);
  return { kind: options.kind, distinct: requests.length, ...result };
}

async function viaAutocannon(options, requests) {
  const target = new URL(options.url);
  const prebuilt = requests.map((r) => ({
    method: "POST",
    path: target.pathname,
    headers: r.headers,
    body: r.body,
  }));
  const common = {
    url: options.url,
    connections: options.connections,
    pipelining: options.pipelining,
    requests: prebuilt,
  };
  if (options.warmup > 0) await autocannon({ ...common, duration: options.warmup });
  if (options.warmupAmount > 0) await autocannon({ ...common, amount: options.warmupAmount });
  const run = await autocannon(
    options.amount
      ? { ...common, amount: options.amount }
      : { ...common, duration: options.duration },
  );
  // The mean of autocannon's per-second samples: its own duration includes building the requests
  // once per connection, which is not load.
  return {
    responses: run.requests.total,
    ms: run.duration * 1000,
    rps: run.requests.average,
    non2xx: run.non2xx,
    errors: run.errors + run.timeouts,
  };
}

const END = Buffer.from("\r\n\r\n");
const LENGTH = [Buffer.from("Content-Length:"), Buffer.from("content-length:")];
const CHUNKED = [
  Buffer.from("Transfer-Encoding: chunked"),
  Buffer.from("transfer-encoding: chunked"),
];
const LAST_CHUNK = Buffer.from("\r\n0\r\n\r\n");

/** Where the response starting at `at` ends, or -1 when it is not all here yet. */
function responseEnd(buffer, at) {
  const head = buffer.indexOf(END, at);
  if (head < 0) return -1;
  for (const name of LENGTH) {
    const found = buffer.indexOf(name, at);
    if (found >= 0 && found < head) {
      let i = found + name.length;
      let length = 0;
      while (buffer[i] === 0x20) i++;
      while (buffer[i] >= 0x30 && buffer[i] <= 0x39) length = length * 10 + buffer[i++] - 0x30;
      return head + 4 + length <= buffer.length ? head + 4 + length : -1;
    }
  }
  for (const name of CHUNKED) {
    const found = buffer.indexOf(name, at);
    if (found >= 0 && found < head) {
      const last = buffer.indexOf(LAST_CHUNK, head);
      return last < 0 ? -1 : last + LAST_CHUNK.length;
    }
  }
  return head + 4; // no body
}

function viaSockets(options, requests) {
  const target = new URL(options.url);
  const buffers = requests.map((r) => r.buffer);
  let next = options.offset % buffers.length;
  let sent = 0;
  let answered = 0; // all answers, warm-up included
  let responses = 0; // answers while the clock runs
  let counting = false;
  let stopping = false;
  let non2xx = 0;
  let errors = 0;
  let started = 0;
  const sockets = new Set();

  return new Promise((resolve) => {
    const done = () => {
      const ms = performance.now() - started;
      stopping = true;
      for (const socket of sockets) socket.destroy();
      resolve({ responses, ms, rps: (responses * 1000) / ms, non2xx, errors });
    };
    const startClock = () => {
      counting = true;
      started = performance.now();
      if (!options.amount) setTimeout(done, options.duration * 1000);
    };
    let warmedFor = options.warmup <= 0;
    const maybeStart = () => {
      if (!counting && warmedFor && answered >= options.warmupAmount) startClock();
    };

    const open = () => {
      const socket = createConnection({ host: target.hostname, port: Number(target.port) });
      sockets.add(socket);
      socket.setNoDelay(true);
      let inFlight = 0;
      let rest = null;
      const fill = () => {
        if (stopping) return;
        socket.cork();
        while (inFlight < options.pipelining && (!options.amount || sent < options.amount)) {
          socket.write(buffers[next]);
          next = next + 1 === buffers.length ? 0 : next + 1;
          inFlight++;
          sent++;
        }
        socket.uncork();
      };
      socket.on("connect", fill);
      socket.on("data", (chunk) => {
        if (stopping) return;
        const buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
        let at = 0;
        for (let end = responseEnd(buffer, at); end >= 0; end = responseEnd(buffer, at)) {
          if (buffer[at + 9] !== 0x32) non2xx++; // "HTTP/1.1 2xx"
          answered++;
          if (counting) responses++;
          inFlight--;
          at = end;
        }
        rest = at < buffer.length ? Buffer.from(buffer.subarray(at)) : null;
        if (!counting) maybeStart();
        if (options.amount && responses >= options.amount) return done();
        fill();
      });
      socket.on("error", () => {
        errors++;
      });
      socket.on("close", () => {
        sockets.delete(socket);
        if (stopping) return;
        // The server closed the connection: what was in flight is lost; open another.
        errors += inFlight;
        sent -= inFlight;
        setImmediate(open);
      });
    };

    // With an amount, everything is timed: sending starts with the clock.
    if (options.amount) {
      warmedFor = true;
      options.warmupAmount = 0;
      startClock();
    } else if (!warmedFor) {
      setTimeout(() => {
        warmedFor = true;
        maybeStart();
      }, options.warmup * 1000);
      // A server that never answers `warmupAmount` times gets measured anyway (at its rate: 0),
      // rather than hanging the benchmark.
      setTimeout(
        () => {
          if (!counting) startClock();
        },
        (options.warmup + 10) * 1000,
      ).unref();
    } else {
      maybeStart();
    }
    for (let c = 0; c < options.connections; c++) open();
  });
}

// Last, so every constant above is initialised before the first run.
if (process.send) {
  process.on("message", async ({ id, options }) => {
    try {
      process.send({ id, result: await generate(options) });
    } catch (error) {
      process.send({ id, error: String(error?.stack ?? error) });
    }
  });
  process.on("disconnect", () => process.exit(0));
} else {
  const result = await generate(JSON.parse(process.argv[2] ?? "{}"));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
