/**
 * The store's writes, done by a worker thread with its own SQLite connection (WAL lets it write
 * while other connections read). The sending or receiving thread only queues rows and hands them
 * over in batches; inserting and committing happen on another core. A batch that someone waits
 * for (a pending delivery before its wait) goes at once and resolves when committed; others go
 * together every BATCH_MS or BATCH_OPS rows.
 *
 * Memory is bounded whatever arrives: a body above BIG_BODY bytes is handed over as bytes whose
 * memory is transferred, not copied (it never enters the worker's heap: SQLite reads it in place),
 * and at most MAX_IN_FLIGHT bytes of bodies are handed over and not yet committed; the rest waits
 * in the queue, and the promise of every write resolves only when it is committed, so a caller
 * that awaits its writes slows down to the disk's pace (back-pressure). A write that fails is
 * counted and reported, never dropped silently.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** Rows no one waits on go together within this time… */
const BATCH_MS = 10;
/** …or as soon as this many are queued. */
const BATCH_OPS = 500;
/** A body this large goes over as transferred bytes, off the worker's heap. */
export const BIG_BODY = 64 * 1024;
/** `["update", key, final, owner, …10 state columns]`. */
const FINAL_WIDTH = 14;
/**
 * A finished delivery's final write, as handed over: `key, owner, state, attempts, attempt_list,
 * last_status, last_error, updated_at` (its next attempt, due time, owner pid and lease are null
 * once it is finished, so they are not sent: fewer values to copy per event).
 */
const FINAL_STRIDE = 8;
/** Body bytes handed to the worker and not yet committed, at most (one batch may exceed it). */
const MAX_IN_FLIGHT = 16 * 1024 * 1024;

/**
 * One write. `["admit", owner, pid, now, lease, url, headers, policy, keys, ids, types, timestamps,
 * bodies]` (new deliveries ahead of sending), `["save", key, final, owner, …columns]` (a delivery
 * in full), `["update", key, final,
 * owner, …state columns, policy?]` (a delivery written before; its policy when a resume changed it), `["received", …columns]`,
 * `["bind", key, id]`, `["discard", key, owner]`, `["lease", owner, until]`. A body column may be
 * a Uint8Array (see BIG_BODY).
 */
export type WriteOp = readonly unknown[];

/** What could not be written: deliveries by key, received requests by count. */
export interface WriteLosses {
  deliveries: number;
  received: number;
  /** The message ids of the first received requests lost (up to 10; null for a request without one). */
  receivedIds: (string | null)[];
  /** The first error, as SQLite or the worker gave it. */
  error?: { message: string; code?: string };
}

export interface StoreWriter {
  /** Queue a write; resolves once it is committed (true) or has failed (false). */
  write(op: WriteOp, urgent?: boolean, bytes?: number): Promise<boolean>;
  /** Send what is queued now and wait for it to be committed. */
  flush(): Promise<void>;
  /** What was lost so far. */
  losses(): WriteLosses;
  /** Flush and stop the worker. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * A delivery's row as first written (ahead of sending, or in full). A body may arrive as bytes (a
 * large one): CAST keeps it TEXT without copying it into the worker's heap. Exported for the
 * store's benchmark (test/bench/store.js), which times these statements alone.
 */
export const INSERT_DELIVERY = `INSERT INTO deliveries (message_id, type, url, headers, body, timestamp,
  state, attempts, attempt_list, last_status, last_error, next_attempt, next_due_at, policy, owner_pid,
  created_at, updated_at, owner, lease_until)
  VALUES (?, ?, ?, ?, CAST(? AS TEXT), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
/** A delivery's state after an attempt or a wait. Only the run that owns a row changes it. */
export const UPDATE_DELIVERY = `UPDATE deliveries SET state = ?, attempts = ?, attempt_list = ?,
  last_status = ?, last_error = ?, next_attempt = ?, next_due_at = ?, owner_pid = ?, updated_at = ?,
  lease_until = ? WHERE id = ? AND owner IS ?`;

// The worker's code, plain CommonJS run with `eval`, so it needs no build step of its own.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.path, { timeout: 5000 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
} catch (error) {
  parentPort.postMessage({ fatal: { message: error.message, code: error.code } });
}
const insert = db && db.prepare(\`${INSERT_DELIVERY}\`);
// Only the run that owns a row changes it: one taken over by another process stays theirs.
const update = db && db.prepare(\`${UPDATE_DELIVERY}\`);
const policy = db && db.prepare("UPDATE deliveries SET policy = ? WHERE id = ? AND owner IS ?");
const remove = db && db.prepare("DELETE FROM deliveries WHERE id = ? AND owner IS ?");
const lease = db && db.prepare(\`UPDATE deliveries SET lease_until = ? WHERE owner = ?
  AND state = 'pending' AND owner_pid IS NOT NULL\`);
const received = db && db.prepare(\`INSERT INTO received (message_id, type, method, path, headers, body,
  status, attempt, problems, received_at, extra) VALUES (?, ?, ?, ?, ?, CAST(? AS TEXT), ?, ?, ?, ?, ?)\`);
const bytes = (v) => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
// A delivery's row id by the key its process gave it, until the delivery is done.
const rows = new Map();
const apply = db && db.transaction((ops) => {
  for (const op of ops) {
    if (op[0] === "received") {
      received.run(op[1], op[2], op[3], op[4], op[5], bytes(op[6]), op[7], op[8], op[9], op[10], op[11]);
    } else if (op[0] === "bind") {
      rows.set(op[1], op[2]);
    } else if (op[0] === "lease") {
      lease.run(op[2], op[1]);
    } else if (op[0] === "discard") {
      const id = rows.get(op[1]);
      if (id !== undefined) remove.run(id, op[2]);
      rows.delete(op[1]);
    } else if (op[0] === "finals") {
      // Flat: [key, owner, state, attempts, attempt_list, last_status, last_error, updated_at]
      // after one another (the next attempt, due time, owner pid and lease are null).
      const f = op[1];
      for (let i = 0; i < f.length; i += ${FINAL_STRIDE}) {
        const id = rows.get(f[i]);
        if (id === undefined) continue;
        update.run(f[i + 2], f[i + 3], f[i + 4], f[i + 5], f[i + 6], null, null, null, f[i + 7],
          null, id, f[i + 1]);
        rows.delete(f[i]);
      }
    } else if (op[0] === "admit") {
      // [kind, owner, pid, now, lease, url, headers, policy, keys, ids, types, timestamps, bodies]
      const keys = op[8];
      for (let i = 0; i < keys.length; i++) {
        const info = insert.run(op[9][i], op[10][i], op[5], op[6], bytes(op[12][i]), op[11][i],
          "pending", 0, "[]", null, null, 1, op[3], op[7], op[2], op[3], op[3], op[1], op[4]);
        rows.set(keys[i], info.lastInsertRowid);
      }
    } else if (op[0] === "save" || op[0] === "update") {
      // [kind, key, final, owner, state, attempts, attempt_list, last_status, last_error,
      //  next_attempt, next_due_at, owner_pid, updated_at, lease_until, (save only:) message_id,
      //  type, url, headers, body, timestamp, policy, created_at] (update only, when the policy
      //  changed: policy)
      const key = op[1];
      const id = rows.get(key);
      if (id !== undefined) {
        update.run(op[4], op[5], op[6], op[7], op[8], op[9], op[10], op[11], op[12], op[13], id, op[3]);
        if (op[0] === "update" && op.length > ${FINAL_WIDTH}) policy.run(op[${FINAL_WIDTH}], id, op[3]);
        if (op[2]) rows.delete(key);
      } else if (op[0] === "save") {
        const info = insert.run(op[14], op[15], op[16], op[17], bytes(op[18]), op[19], op[4], op[5],
          op[6], op[7], op[8], op[9], op[10], op[20], op[11], op[21], op[12], op[3], op[13]);
        if (!op[2]) rows.set(key, info.lastInsertRowid);
      }
      // An update of a row whose first write failed (counted there): nothing to update.
    }
  }
});
parentPort.on("message", (message) => {
  if (message.close) {
    if (db) db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  if (!db) {
    parentPort.postMessage({ done: message.seq, error: { message: "the store could not be opened" } });
    return;
  }
  try {
    apply(message.ops);
    parentPort.postMessage({ done: message.seq });
  } catch (error) {
    parentPort.postMessage({ done: message.seq, error: { message: error.message, code: error.code } });
  }
});
`;

interface Batch {
  seq: number;
  ops: WriteOp[];
  bytes: number;
  resolve: (committed: boolean) => void;
}

export function startWriter(
  path: string,
  onError: (error: { message: string; code?: string }) => void,
): StoreWriter {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  // The worker only turns rows into SQL: large bodies never enter its heap (they are transferred
  // bytes) and at most MAX_IN_FLIGHT bytes of small ones do, so a fixed heap is enough.
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, driver },
    resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 },
  });
  let queue: WriteOp[] = [];
  let finals: unknown[] = [];
  let queuedBytes = 0;
  let current: { promise: Promise<boolean>; resolve: (committed: boolean) => void } | undefined;
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  /** Handed to the worker, not yet committed, in order. */
  const inFlight: Batch[] = [];
  let inFlightBytes = 0;
  /** Cut from the queue, waiting for room in flight. */
  const held: Batch[] = [];
  let dead = false;
  let exited = false;
  let closing: Promise<void> | undefined;
  const lost: WriteLosses = { deliveries: 0, received: 0, receivedIds: [] };
  const lostKeys = new Set<unknown>();
  const flushWaiters: { seq: number; resolve: () => void }[] = [];

  const fail = (batch: Batch, error: { message: string; code?: string }) => {
    if (!lost.error) {
      lost.error = error;
      onError(error);
    }
    for (const op of batch.ops) {
      if (op[0] === "received") {
        lost.received++;
        if (lost.receivedIds.length < 10) lost.receivedIds.push((op[1] as string | null) ?? null);
      } else if (op[0] === "finals") {
        const flat = op[1] as unknown[];
        for (let i = 0; i < flat.length; i += FINAL_STRIDE) {
          if (!lostKeys.has(flat[i])) {
            lostKeys.add(flat[i]);
            lost.deliveries++;
          }
        }
      } else if (op[0] === "admit") {
        for (const key of op[8] as unknown[]) {
          if (!lostKeys.has(key)) {
            lostKeys.add(key);
            lost.deliveries++;
          }
        }
      } else if ((op[0] === "save" || op[0] === "update") && !lostKeys.has(op[1])) {
        lostKeys.add(op[1]);
        lost.deliveries++;
      }
    }
  };
  const settle = (batch: Batch, committed: boolean) => {
    batch.resolve(committed);
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      if (flushWaiters[i]!.seq <= batch.seq) flushWaiters.splice(i, 1)[0]!.resolve();
    }
  };
  const pump = () => {
    while (held.length > 0) {
      const next = held[0]!;
      if (dead) {
        held.shift();
        fail(next, lost.error ?? { message: "the store's writer stopped" });
        settle(next, false);
        continue;
      }
      // Always let one batch through, however large: it is transferred, not copied.
      if (inFlight.length > 0 && inFlightBytes + next.bytes > MAX_IN_FLIGHT) break;
      held.shift();
      inFlight.push(next);
      inFlightBytes += next.bytes;
      worker.ref();
      const transfer: ArrayBuffer[] = [];
      for (const op of next.ops) {
        for (const value of op) {
          if (value instanceof Uint8Array) transfer.push(value.buffer as ArrayBuffer);
          else if (op[0] === "admit" && Array.isArray(value)) {
            for (const item of value)
              if (item instanceof Uint8Array) transfer.push(item.buffer as ArrayBuffer);
          }
        }
      }
      worker.postMessage({ seq: next.seq, ops: next.ops }, transfer);
    }
    if (inFlight.length === 0 && held.length === 0) worker.unref();
  };
  const done = (upTo: number, error?: { message: string; code?: string }) => {
    while (inFlight.length > 0 && inFlight[0]!.seq <= upTo) {
      const batch = inFlight.shift()!;
      inFlightBytes -= batch.bytes;
      if (error) fail(batch, error);
      settle(batch, !error);
    }
    pump();
  };
  const die = (error: { message: string; code?: string }) => {
    dead = true;
    done(Number.POSITIVE_INFINITY, error);
  };

  worker.on(
    "message",
    (message: {
      done?: number;
      error?: { message: string; code?: string };
      fatal?: { message: string; code?: string };
    }) => {
      if (message.fatal) die(message.fatal);
      else if (message.done !== undefined) done(message.done, message.error);
    },
  );
  worker.on("error", (error) => die({ message: error.message }));
  worker.on("exit", () => {
    exited = true;
    die(lost.error ?? { message: "the store's writer stopped" });
  });
  // Nothing queued, nothing in flight: the worker must not keep the process alive.
  worker.unref();

  const send = () => {
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
    const batch = current;
    current = undefined;
    if (!batch) return;
    const ops = queue;
    // A delivery's final write is its last: the batch's final writes go last, as one flat op.
    if (finals.length > 0) ops.push(["finals", finals]);
    finals = [];
    const bytes = queuedBytes;
    queue = [];
    queuedBytes = 0;
    held.push({ seq: ++seq, ops, bytes, resolve: batch.resolve });
    pump();
  };

  return {
    write(op, urgent = false, bytes = 0) {
      if (closing && exited) return Promise.resolve(false);
      // Most writes are an event's final state: kept flat, so handing them over costs little.
      if (
        op[0] === "update" &&
        op[2] === true &&
        op.length === FINAL_WIDTH &&
        op[9] === null &&
        op[10] === null &&
        op[11] === null &&
        op[13] === null
      ) {
        finals.push(op[1], op[3], op[4], op[5], op[6], op[7], op[8], op[12]);
      } else queue.push(op);
      queuedBytes += bytes;
      if (!current) {
        let resolve!: (committed: boolean) => void;
        const promise = new Promise<boolean>((r) => {
          resolve = r;
        });
        current = { promise, resolve };
      }
      const promise = current.promise;
      const ops = queue.length + finals.length / FINAL_STRIDE;
      if (ops >= BATCH_OPS || queuedBytes >= MAX_IN_FLIGHT) send();
      else if (urgent && !immediate) immediate = setImmediate(send);
      else if (!timer && !immediate) timer = setTimeout(send, BATCH_MS);
      return promise;
    },
    flush() {
      send();
      const last = seq;
      const waiting = inFlight.some((b) => b.seq <= last) || held.some((b) => b.seq <= last);
      if (!waiting) return Promise.resolve();
      worker.ref();
      return new Promise<void>((resolve) => {
        flushWaiters.push({ seq: last, resolve });
      });
    },
    losses() {
      return { ...lost, receivedIds: [...lost.receivedIds] };
    },
    close() {
      closing ??= (async () => {
        await this.flush();
        if (exited) return;
        worker.ref();
        await new Promise<void>((resolve) => {
          worker.once("message", () => resolve());
          worker.once("exit", () => resolve());
          worker.postMessage({ close: true });
        });
        await worker.terminate();
      })();
      return closing;
    },
  };
}
