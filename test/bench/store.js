#!/usr/bin/env node
// What the event store's two writes per sent event cost in SQLite alone, without norce-event
// around them: the floor under `send`'s store (see the README's "What bounds each miss").
//   node test/bench/store.js [--events N]
// A store made by norce-event (its real schema: indexes, the inspector's change-feed trigger)
// gets, as `send --count` writes it, each chunk of 64 events written ahead as pending rows in one
// transaction, together with the previous chunk's final states, using the writer's own
// statements, one thread, WAL with synchronous = NORMAL as the writer opens it. It prints the CPU
// time per event of the whole (both writes) and of the same run with the final states left out
// (the write ahead alone), interleaved over 5 rounds, medians.
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fakeEvent } from "../../dist/index.js";
import { EventStore } from "../../dist/store/db.js";
import { INSERT_DELIVERY, UPDATE_DELIVERY } from "../../dist/store/writer.js";
import { median, scratch } from "./lib.js";

const args = process.argv.slice(2);
const at = args.indexOf("--events");
const events = at < 0 ? 20_000 : Number(args[at + 1]);
if (!Number.isSafeInteger(events) || events < 64) {
  console.error("usage: node test/bench/store.js [--events N] (N a whole number of at least 64)");
  process.exit(2);
}
const Database = createRequire(import.meta.url)("better-sqlite3");
const CHUNK = 64;
const OWNER = "bench-owner";
// The payload `send` would record (the benchmark's seed): what a row really holds.
const body = JSON.stringify(fakeEvent("OrderConfirmedEvent", { seed: 1 }).payload);
const dir = scratch("store");

/** CPU µs per event for one run: ahead-of-sending rows, with or without the final states. */
function round(withFinals, n) {
  const path = join(dir, `events-${n}.db`);
  EventStore.open(path).close();
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  const insert = db.prepare(INSERT_DELIVERY);
  const update = db.prepare(UPDATE_DELIVERY);
  const chunk = db.transaction((start, previous) => {
    const now = Date.now();
    const ids = [];
    for (let i = start; i < Math.min(events, start + CHUNK); i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
      ids.push(
        insert.run(
          id,
          "OrderConfirmedEvent",
          "http://127.0.0.1:3000/receiver",
          "[]",
          body,
          "2026-12-02T02:32:38.324030+00:00",
          "pending",
          0,
          "[]",
          null,
          null,
          1,
          now,
          '{"timeoutMs":5000,"maxRetries":16,"timeScale":1}',
          process.pid,
          now,
          now,
          OWNER,
          now + 30_000,
        ).lastInsertRowid,
      );
    }
    if (withFinals) {
      const list = `[{"attempt":1,"status":202,"latencyMs":3.21,"startedAt":${now}}]`;
      for (const id of previous)
        update.run("delivered", 1, list, 202, null, null, null, null, now, null, id, OWNER);
    }
    return ids;
  });
  const before = process.cpuUsage();
  let previous = [];
  for (let start = 0; start < events; start += CHUNK) previous = chunk(start, previous);
  if (withFinals) chunk(events, previous);
  const used = process.cpuUsage(before);
  db.close();
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  return (used.user + used.system) / events;
}

const both = [];
const ahead = [];
for (let r = 0; r < 5; r++) {
  both.push(round(true, 2 * r));
  ahead.push(round(false, 2 * r + 1));
}
rmSync(dir, { recursive: true, force: true });
const b = median(both);
const a = median(ahead);
console.log(
  `SQLite alone, ${events.toLocaleString("en")} events, chunks of ${CHUNK}, CPU per event (median of 5):`,
);
console.log(`  both writes            ${b.toFixed(1)} µs`);
console.log(
  `  the write ahead alone  ${a.toFixed(1)} µs (the final state's UPDATE: ~${(b - a).toFixed(1)} µs)`,
);
