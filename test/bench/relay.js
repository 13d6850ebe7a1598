// The tunnel: (1) durable ingest in buffered mode, `send --count N --concurrency 32` to a relay's
// ingest URL (each event fsync'd before its 202) against the same `send` straight to a bare
// node:http server; (2) send → app latency through relay + `listen --relay --forward-to`, one
// event at a time (posted as Norce posts, timed until the app has it), against posting straight
// to the same app. Both pairs run side by side in each round.
import { createServer } from "node:http";
import { join } from "node:path";
import { request } from "undici";
import {
  BIN,
  median,
  medianRatio,
  NODE,
  percentile,
  run,
  scratch,
  sendArgs,
  start,
  startServer,
} from "./lib.js";

const SECRET = "bench-relay-secret-0123456789";

export async function benchRelay({ smoke }) {
  const count = smoke ? 50 : 2000;
  const latencyCount = smoke ? 20 : 300;
  const rounds = smoke ? 1 : 3;
  const env = { NORCE_RELAY_SECRET: SECRET };
  const rates = { relay: [], direct: [] };
  const latency = { relay: [], direct: [] };
  const server = await startServer(202);
  const app = await startApp();
  try {
    for (let r = 0; r < rounds; r++) {
      const dir = scratch("relay");
      const relay = await start(
        NODE,
        [BIN, "relay", "--port", "0", "--store", join(dir, "relay.db")],
        { cwd: dir, env, ready: /relay on (http:\/\/\S+)/ },
      );
      try {
        const url = relay.match[1];
        const created = await run(NODE, [BIN, "relay", "channel", "create", "--relay", url], {
          cwd: dir,
          env,
        });
        const ingest = created.stdout.trim();
        rates.direct.push(await sendRate(server.url, count, dir));
        // Ingest with no laptop connected: every event waits on disk.
        rates.relay.push(await sendRate(ingest, count, dir));

        const listen = await start(
          NODE,
          [
            BIN,
            "--no-store",
            "listen",
            "--port",
            "0",
            "--relay",
            "--forward-to",
            app.url,
            "--json",
          ],
          { cwd: dir, env, stdout: "ignore", ready: /relay: connected/ },
        );
        try {
          await app.drain(count);
          for (let i = 0; i < latencyCount; i++) {
            latency.direct.push(await timed(app, app.url, `d-${r}-${i}`));
            latency.relay.push(await timed(app, ingest, `r-${r}-${i}`));
          }
        } finally {
          await listen.stop();
        }
      } finally {
        await relay.stop();
      }
    }
  } finally {
    await server.stop();
    await app.close();
  }
  const ms = (v) => `${v.toFixed(1)} ms`;
  return {
    raw: { rates, latency },
    rows: [
      {
        target: `relay: durable ingest, ${count.toLocaleString("en")} events, 32 in flight`,
        baseline: `send to node:http: ${Math.round(median(rates.direct)).toLocaleString("en")}/s`,
        measured: `${Math.round(median(rates.relay)).toLocaleString("en")}/s`,
        ratio: medianRatio(rates.relay, rates.direct),
        goal: "—",
        pass: undefined,
      },
      {
        target: "relay: post → app latency, one at a time",
        baseline: `direct: p50 ${ms(percentile(latency.direct, 0.5))}, p99 ${ms(percentile(latency.direct, 0.99))}`,
        measured: `p50 ${ms(percentile(latency.relay, 0.5))}, p99 ${ms(percentile(latency.relay, 0.99))}`,
        ratio: undefined,
        goal: "—",
        pass: undefined,
      },
    ],
  };
}

async function sendRate(url, count, cwd) {
  const result = await run(NODE, sendArgs(url, count, ["--seed", "1"], ["--no-store"]), { cwd });
  const delivered = Number(/(\d+) delivered/.exec(result.stdout)?.[1]);
  if (result.code !== 0 || delivered !== count) {
    throw new Error(`send delivered ${delivered} of ${count}: ${result.stdout}${result.stderr}`);
  }
  return Number(/([\d.]+) events\/s/.exec(result.stdout)?.[1]);
}

/** Post one event as Norce does; resolve with the ms until the app has it. */
async function timed(app, url, id) {
  const arrived = app.expect(id);
  const started = performance.now();
  const res = await request(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "Norce-Event-Message-Id": id,
      "Norce-Event-Type": "OrderConfirmedEvent",
      "Norce-Event-Timestamp": new Date().toISOString(),
    },
    body: '{"ClientId":1,"ApplicationId":2,"OrderId":3,"OrderNo":"4"}',
  });
  await res.body.dump();
  await arrived;
  return performance.now() - started;
}

/** The app: answers 200 and tells who waits for a message id when it arrives. */
async function startApp() {
  const waiting = new Map();
  let seen = 0;
  let drained;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      seen++;
      if (drained && seen >= drained.n) drained.resolve();
      const id = req.headers["norce-event-message-id"];
      waiting.get(id)?.();
      waiting.delete(id);
      res.writeHead(200).end("ok");
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/receiver`,
    expect: (id) => new Promise((resolve) => waiting.set(id, resolve)),
    /** Wait until `n` more requests have arrived (the queued ingest events). */
    drain: (n) =>
      new Promise((resolve) => {
        const target = seen + n;
        if (seen >= target) return resolve();
        drained = { n: target, resolve };
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
