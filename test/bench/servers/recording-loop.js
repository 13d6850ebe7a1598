// The least a sender that makes its events and records them can do: the undici Pool loop (see
// undici-pool.js) plus the two things `send` must do beyond it with the store on, done as plainly
// as possible.
// - It makes each event as it goes (`fakeEvent`, as `send` does), in chunks of 64, two chunks
//   ahead of the one being sent.
// - It writes each chunk's rows ahead, as pending, with the store's own INSERT, and waits for that
//   commit before any of the chunk is sent, so a crash loses no event that may have been received.
// - It writes each event's outcome with the store's own UPDATE, in the next chunk's transaction.
// The SQLite work runs on a worker thread, as the store's writer does, so it can use the time the
// sending thread leaves on the other core. No retries, no hooks, no progress, no summary: every
// answer here is a 2xx. `send` can come close to this loop, not beat it; a ratio of this loop to the
// Pool loop below a goal says the goal is beyond what the work allows on this machine.
// With STORE_PATH `-`, the same loop without the store: what making each event costs alone.
//   node recording-loop.js URL N C STORE_PATH|-
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { Pool } from "undici";
import { fakeEvent } from "../../../dist/index.js";
import { EventStore } from "../../../dist/store/db.js";
import { INSERT_DELIVERY, UPDATE_DELIVERY } from "../../../dist/store/writer.js";

const [url, n = "20000", c = "32", path] = process.argv.slice(2);
if (!url || !path) {
  console.error("usage: node recording-loop.js URL N C STORE_PATH|-");
  process.exit(2);
}
const count = Number(n);
const concurrency = Number(c);
const CHUNK = 64;
const POLICY = JSON.stringify({ timeoutMs: 5000, maxRetries: 16, timeScale: 1 });
const OWNER = `loop-${process.pid}`;
const recording = path !== "-";

// A store with norce-event's schema (its indexes and the inspector's change-feed trigger).
if (recording) EventStore.open(path).close();
const WORKER = `
const { parentPort, workerData: w } = require("node:worker_threads");
const db = new (require(w.driver))(w.path);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
const insert = db.prepare(w.insert);
const update = db.prepare(w.update);
// Rows: [message_id, type, body, timestamp] after one another; finals: [id, status, attempt_list].
const apply = db.transaction((rows, finals) => {
  const now = Date.now();
  for (let i = 0; i < finals.length; i += 3) {
    update.run("delivered", 1, finals[i + 2], finals[i + 1], null, null, null, null, now, null,
      finals[i], w.owner);
  }
  const ids = [];
  for (let i = 0; i < rows.length; i += 4) {
    ids.push(Number(insert.run(rows[i], rows[i + 1], w.url, "[]", rows[i + 2], rows[i + 3],
      "pending", 0, "[]", null, null, 1, now, w.policy, w.pid, now, now, w.owner, now + 30000)
      .lastInsertRowid));
  }
  return ids;
});
parentPort.on("message", (m) => {
  if (m.close) {
    db.close();
    parentPort.postMessage({ closed: true });
  } else parentPort.postMessage({ seq: m.seq, ids: apply(m.rows, m.finals) });
});`;
const worker = recording
  ? new Worker(WORKER, {
      eval: true,
      workerData: {
        path,
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        insert: INSERT_DELIVERY,
        update: UPDATE_DELIVERY,
        url,
        policy: POLICY,
        pid: process.pid,
        owner: OWNER,
      },
    })
  : undefined;
const committed = new Map();
let seq = 0;
worker?.on("message", (m) => {
  if (m.seq === undefined) return;
  committed.get(m.seq)(m.ids);
  committed.delete(m.seq);
});
let finals = [];
/** One transaction: these rows ahead, and the outcomes so far; resolves to the rows' ids. */
function write(rows) {
  if (!worker) return Promise.resolve([]);
  const s = ++seq;
  const outcomes = finals;
  finals = [];
  return new Promise((resolve) => {
    committed.set(s, resolve);
    worker.postMessage({ seq: s, rows, finals: outcomes });
  });
}

let made = 0;
function nextChunk() {
  if (made >= count) return undefined;
  const items = [];
  const rows = [];
  for (const end = Math.min(count, made + CHUNK); made < end; made++) {
    const event = fakeEvent("OrderConfirmedEvent", { seed: 1, index: made });
    const body = JSON.stringify(event.payload);
    items.push({
      body,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "Norce-Event-Message-Id": event.messageId,
        "Norce-Event-Type": event.type,
        "Norce-Event-Timestamp": event.timestamp,
      },
    });
    if (recording) rows.push(event.messageId, event.type, body, event.timestamp);
  }
  return { items, ids: write(rows) };
}

const target = new URL(url);
const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
let ok = 0;
let inFlight = 0;
let wake;
const slot = () => new Promise((resolve) => (wake = resolve));
const freed = () => {
  inFlight--;
  const resolve = wake;
  wake = undefined;
  resolve?.();
};
const started = performance.now();
const queued = [nextChunk(), nextChunk()].filter(Boolean);
while (queued.length > 0) {
  const chunk = queued.shift();
  const ids = await chunk.ids;
  const next = nextChunk();
  if (next) queued.push(next);
  for (let i = 0; i < chunk.items.length; i++) {
    while (inFlight >= concurrency) await slot();
    inFlight++;
    const { body, headers } = chunk.items[i];
    const id = ids[i];
    const sentAt = Date.now();
    const t0 = performance.now();
    pool
      .request({ path: target.pathname, method: "POST", headers, body })
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode < 300) ok++;
        const latency = (performance.now() - t0).toFixed(2);
        if (recording)
          finals.push(
            id,
            response.statusCode,
            `[{"attempt":1,"status":${response.statusCode},"latencyMs":${latency},"startedAt":${sentAt}}]`,
          );
        freed();
      }, freed);
  }
}
while (inFlight > 0) await slot();
await write([]);
const ms = performance.now() - started;
if (worker) {
  await new Promise((resolve) => {
    worker.once("message", resolve);
    worker.postMessage({ close: true });
  });
  await worker.terminate();
}
await pool.close();
process.stdout.write(`${JSON.stringify({ count, ok, ms })}\n`);
