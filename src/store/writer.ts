/**
 * The store's writes, done by a worker thread with its own SQLite connection (WAL lets it write
 * while other connections read). The sending or receiving thread only queues rows and hands them
 * over in batches; inserting and committing happen on another core. A batch that someone waits
 * for (a pending delivery before its wait) goes at once and resolves when committed; others go
 * together every BATCH_MS or BATCH_OPS rows.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** Rows no one waits on go together within this time… */
const BATCH_MS = 10;
/** …or as soon as this many are queued. */
const BATCH_OPS = 500;

/** One write: `["save", key, …columns, final]` or `["received", …columns]`. */
export type WriteOp = readonly unknown[];

export interface StoreWriter {
  /** Queue a write; resolves once it is committed. */
  write(op: WriteOp, urgent?: boolean): Promise<void>;
  /** Send what is queued now and wait for it to be committed. */
  flush(): Promise<void>;
  /** Flush and stop the worker. Safe to call twice. */
  close(): Promise<void>;
}

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
const insert = db && db.prepare(\`INSERT INTO deliveries (message_id, type, url, headers, body, timestamp,
  state, attempts, attempt_list, last_status, last_error, next_attempt, next_due_at, policy, owner_pid,
  created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)\`);
const update = db && db.prepare(\`UPDATE deliveries SET state = ?, attempts = ?, attempt_list = ?,
  last_status = ?, last_error = ?, next_attempt = ?, next_due_at = ?, owner_pid = ?, updated_at = ?
  WHERE id = ?\`);
const received = db && db.prepare(\`INSERT INTO received (message_id, type, method, path, headers, body,
  status, attempt, problems, received_at, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)\`);
// A delivery's row id by the key its process gave it, until the delivery is done.
const rows = new Map();
const apply = db && db.transaction((ops) => {
  for (const op of ops) {
    if (op[0] === "received") {
      received.run(op[1], op[2], op[3], op[4], op[5], op[6], op[7], op[8], op[9], op[10], op[11]);
    } else if (op[0] === "bind") {
      rows.set(op[1], op[2]);
    } else if (op[0] === "save") {
      const key = op[1];
      const id = rows.get(key);
      if (id === undefined) {
        const info = insert.run(op[2], op[3], op[4], op[5], op[6], op[7], op[8], op[9], op[10], op[11],
          op[12], op[13], op[14], op[15], op[16], op[17], op[18]);
        if (!op[19]) rows.set(key, info.lastInsertRowid);
      } else {
        update.run(op[8], op[9], op[10], op[11], op[12], op[13], op[14], op[16], op[18], id);
        if (op[19]) rows.delete(key);
      }
    }
  }
});
parentPort.on("message", (message) => {
  if (message.close) {
    if (db) db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  if (!db) return;
  try {
    apply(message.ops);
    parentPort.postMessage({ done: message.seq });
  } catch (error) {
    parentPort.postMessage({ done: message.seq, error: { message: error.message, code: error.code } });
  }
});
`;

export function startWriter(
  path: string,
  onError: (error: { message: string; code?: string }) => void,
): StoreWriter {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  // The worker only turns rows into SQL: a small heap is plenty, and keeps memory flat under load.
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, driver },
    resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 },
  });
  let queue: WriteOp[] = [];
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let waiting: { seq: number; resolve: () => void }[] = [];
  let current: { promise: Promise<void>; resolve: () => void } | undefined;
  let failed = false;
  let closing: Promise<void> | undefined;

  const settle = (upTo: number) => {
    const ready = waiting.filter((w) => w.seq <= upTo);
    waiting = waiting.filter((w) => w.seq > upTo);
    for (const w of ready) w.resolve();
  };
  worker.on(
    "message",
    (message: {
      done?: number;
      error?: { message: string; code?: string };
      fatal?: { message: string; code?: string };
    }) => {
      if (message.fatal || message.error) {
        if (!failed) onError((message.fatal ?? message.error)!);
        failed = true;
      }
      if (message.done !== undefined) settle(message.done);
      if (message.fatal) settle(Number.POSITIVE_INFINITY);
    },
  );
  worker.on("error", (error) => {
    if (!failed) onError({ message: error.message });
    failed = true;
    settle(Number.POSITIVE_INFINITY);
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
    if (queue.length === 0) {
      batch?.resolve();
      return;
    }
    const ops = queue;
    queue = [];
    seq++;
    if (failed) {
      batch?.resolve();
      return;
    }
    worker.ref();
    const sent = seq;
    waiting.push({
      seq: sent,
      resolve: () => {
        batch?.resolve();
        if (waiting.length === 0) worker.unref();
      },
    });
    worker.postMessage({ seq: sent, ops });
  };

  return {
    write(op, urgent = false) {
      if (failed || closing) return Promise.resolve();
      queue.push(op);
      if (!current) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => {
          resolve = r;
        });
        current = { promise, resolve };
      }
      const promise = current.promise;
      if (queue.length >= BATCH_OPS) send();
      else if (urgent && !immediate) immediate = setImmediate(send);
      else if (!timer && !immediate) timer = setTimeout(send, BATCH_MS);
      return promise;
    },
    flush() {
      const pending = current?.promise ?? Promise.resolve();
      send();
      const last = seq;
      const inFlight = waiting.filter((w) => w.seq <= last).length > 0;
      if (!inFlight) return pending;
      return new Promise<void>((resolve) => {
        waiting.push({ seq: last, resolve });
      });
    },
    close() {
      closing ??= (async () => {
        await this.flush();
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
