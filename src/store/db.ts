/**
 * The event store: an embedded SQLite file (better-sqlite3) like Norce's Admin UI event log,
 * kept 7 days ("The log is saved for 7 days", norce-commerce-event-docs.md). WAL mode, so a
 * running `listen` and a `log` in another terminal work at once. Writes are queued and committed
 * together once per turn of the event loop (one transaction for many events); a pending
 * delivery's state is committed before each wait, so a crash loses nothing that `resume` needs.
 * Secret header values are never written: templates and masked values only.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Attempt, NextAttempt, Outcome } from "../delivery/engine.js";
import type { DeliveryPolicy } from "../delivery/policy.js";
import type { NorceEvent } from "../events/event.js";
import type { ReceivedEvent } from "../listener/server.js";
import { StoreError } from "../shared/errors.js";
import { maskHeaders } from "../shared/secrets.js";
import type { StoredHeader } from "./templates.js";

/** Norce keeps its event log for 7 days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;
const SCHEMA_VERSION = 1;
/** The first bytes of a response body kept per attempt. */
const RESPONSE_BYTES = 1024;

export type DeliveryState = "pending" | "delivered" | "dead";

export interface DeliveryRecord {
  id: string;
  messageId: string;
  type: string;
  url: string;
  headers: StoredHeader[];
  body: string;
  timestamp: string;
  state: DeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttempt: number | null;
  nextDueAt: number | null;
  policy: Pick<DeliveryPolicy, "timeoutMs" | "maxRetries" | "timeScale">;
  ownerPid: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRecord {
  attempt: number;
  scheduleMs: number;
  startedAt: number;
  latencyMs: number;
  status: number | null;
  error: string | null;
  response: string;
  url: string;
}

export interface ReceivedRecord {
  id: number;
  messageId: string | null;
  type: string | null;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  attempt: number;
  problems: { severity: string; path: string; message: string }[];
  receivedAt: number;
}

export interface LogRow {
  time: number;
  direction: "sent" | "received";
  type: string | null;
  messageId: string | null;
  target: string;
  attempts: number;
  lastStatus: number | null;
  state: DeliveryState | "received";
  problems: number;
}

export interface LogFilter {
  type?: string;
  state?: DeliveryState;
  direction?: "sent" | "received";
  since?: number;
  limit?: number;
}

type Op = () => void;

export class EventStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private queue: Op[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Set after a write failed; nothing more is written. */
  private broken: StoreError | undefined;
  /** Told once when a write fails (the CLI prints a warning). */
  onError: ((error: StoreError) => void) | undefined;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
  }

  /** Open (or create) the store at `path`, removing records older than `retentionMs`. */
  static open(
    path: string,
    options: { retentionMs?: number; mustExist?: boolean } = {},
  ): EventStore {
    const isNew = !existsSync(path);
    if (isNew && options.mustExist) {
      throw new StoreError(path, "no event store here yet", {
        hint: "send or listen first (they record events), or point --store at the right file",
      });
    }
    let db: Database.Database | undefined;
    try {
      if (isNew) {
        mkdirSync(dirname(path), { recursive: true });
        // The store holds payloads and masked headers: keep it out of version control.
        const ignore = `${dirname(path)}/.gitignore`;
        if (!existsSync(ignore)) writeFileSync(ignore, "# norce-event's local event store\n*\n");
      }
      db = new Database(path, { timeout: 5000 });
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new StoreError(
          path,
          `was written by a newer norce-event (store version ${version})`,
          {
            hint: "update norce-event, or use another --store",
          },
        );
      }
      if (version < SCHEMA_VERSION) migrate(db);
      const store = new EventStore(path, db);
      store.removeOlderThan(Date.now() - (options.retentionMs ?? DEFAULT_RETENTION_MS));
      return store;
    } catch (error) {
      db?.close();
      if (error instanceof StoreError) throw error;
      throw explainSqliteError(path, error);
    }
  }

  /** Delete records last touched before `cutoff` (epoch ms). */
  removeOlderThan(cutoff: number): number {
    return this.run(() => {
      const a = this.sql("DELETE FROM deliveries WHERE updated_at < ?").run(cutoff).changes;
      const b = this.sql("DELETE FROM received WHERE received_at < ?").run(cutoff).changes;
      return a + b;
    });
  }

  // Sent events ---------------------------------------------------------------------------------

  beginDelivery(input: {
    id: string;
    event: NorceEvent;
    url: string;
    headers: StoredHeader[];
    policy: DeliveryRecord["policy"];
    /** For a resumed delivery: keep the row, take ownership. */
    resume?: boolean;
  }): void {
    const now = Date.now();
    this.enqueue(() => {
      if (input.resume) {
        this.sql("UPDATE deliveries SET owner_pid = ?, updated_at = ? WHERE id = ?").run(
          process.pid,
          now,
          input.id,
        );
        return;
      }
      this.sql(
        `INSERT INTO deliveries (id, message_id, type, url, headers, body, timestamp, state, attempts,
             next_attempt, next_due_at, policy, owner_pid, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, 1, ?, ?, ?, ?, ?)`,
      ).run(
        input.id,
        input.event.messageId,
        input.event.type,
        input.url,
        JSON.stringify(input.headers),
        JSON.stringify(input.event.payload),
        input.event.timestamp,
        now,
        JSON.stringify(input.policy),
        process.pid,
        now,
        now,
      );
    });
  }

  /** Resolves once committed (callers that show the attempt wait, so what they show is stored). */
  recordAttempt(deliveryId: string, attempt: Attempt): Promise<void> {
    this.enqueue(() => {
      this.sql(
        `INSERT OR REPLACE INTO attempts (delivery_id, attempt, schedule_ms, started_at, latency_ms, status, error, response, url)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        deliveryId,
        attempt.attempt,
        attempt.scheduleMs,
        attempt.startedAt,
        Math.round(attempt.latencyMs * 100) / 100,
        attempt.status ?? null,
        attempt.error ? `${attempt.error.code}: ${attempt.error.message}` : null,
        attempt.response.slice(0, RESPONSE_BYTES),
        attempt.url,
      );
      this.sql(
        "UPDATE deliveries SET attempts = ?, last_status = ?, last_error = ?, updated_at = ? WHERE id = ?",
      ).run(
        attempt.attempt,
        attempt.status ?? null,
        attempt.error ? `${attempt.error.code}: ${attempt.error.message}` : null,
        Date.now(),
        deliveryId,
      );
    });
    return this.flush();
  }

  /** Committed before the wait begins: the pending state `resume` continues from. */
  recordWait(deliveryId: string, next: NextAttempt): Promise<void> {
    this.enqueue(() => {
      this.sql(
        "UPDATE deliveries SET state = 'pending', next_attempt = ?, next_due_at = ?, updated_at = ? WHERE id = ?",
      ).run(next.attempt, Math.round(next.dueAt), Date.now(), deliveryId);
    });
    return this.flush();
  }

  finishDelivery(deliveryId: string, outcome: Outcome, pending?: NextAttempt): void {
    this.enqueue(() => {
      if (outcome === "interrupted") {
        this.sql(
          "UPDATE deliveries SET next_attempt = ?, next_due_at = ?, owner_pid = NULL, updated_at = ? WHERE id = ?",
        ).run(
          pending?.attempt ?? null,
          pending ? Math.round(pending.dueAt) : null,
          Date.now(),
          deliveryId,
        );
      } else {
        this.sql(
          "UPDATE deliveries SET state = ?, next_attempt = NULL, next_due_at = NULL, owner_pid = NULL, updated_at = ? WHERE id = ?",
        ).run(outcome, Date.now(), deliveryId);
      }
    });
  }

  // Received events -----------------------------------------------------------------------------

  recordReceived(event: ReceivedEvent): void {
    this.enqueue(() => {
      this.sql(
        `INSERT INTO received (message_id, type, method, path, headers, body, status, attempt, problems, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        event.messageId ?? null,
        event.type ?? null,
        event.method,
        event.path,
        JSON.stringify(maskHeaders(event.headers)),
        event.bodyIsJson ? JSON.stringify(event.body) : String(event.body),
        event.status,
        event.attempt,
        JSON.stringify(event.problems),
        Date.parse(event.receivedAt),
      );
    });
  }

  // Queries -------------------------------------------------------------------------------------

  log(filter: LogFilter = {}): LogRow[] {
    const limit = filter.limit ?? 50;
    const rows: LogRow[] = [];
    const since = filter.since ?? 0;
    const typeClause = filter.type ? " AND lower(type) = lower(@type)" : "";
    if (filter.direction !== "received") {
      const stateClause = filter.state ? " AND state = @state" : "";
      const sent = this.sql(
        `SELECT created_at AS time, type, message_id AS messageId, url AS target, attempts,
                  last_status AS lastStatus, state FROM deliveries
           WHERE created_at >= @since${typeClause}${stateClause} ORDER BY created_at DESC LIMIT @limit`,
      ).all({ since, type: filter.type ?? null, state: filter.state ?? null, limit }) as Omit<
        LogRow,
        "direction" | "problems"
      >[];
      for (const row of sent) rows.push({ ...row, direction: "sent", problems: 0 });
    }
    if (filter.direction !== "sent" && (!filter.state || filter.state === ("received" as never))) {
      const received = this.sql(
        `SELECT received_at AS time, type, message_id AS messageId, path AS target, attempt AS attempts,
                  status AS lastStatus, json_array_length(problems) AS problems FROM received
           WHERE received_at >= @since${typeClause} ORDER BY received_at DESC LIMIT @limit`,
      ).all({ since, type: filter.type ?? null, limit }) as Omit<LogRow, "direction" | "state">[];
      for (const row of received) rows.push({ ...row, direction: "received", state: "received" });
    }
    return rows.sort((a, b) => b.time - a.time).slice(0, limit);
  }

  /** Deliveries and received requests of a message id (or a unique prefix of one, 4+ characters). */
  find(idOrPrefix: string):
    | {
        messageId: string;
        deliveries: (DeliveryRecord & { attemptList: AttemptRecord[] })[];
        received: ReceivedRecord[];
      }
    | undefined {
    const needle = idOrPrefix.trim().toLowerCase();
    const ids = this.sql(
      `SELECT DISTINCT message_id AS id FROM (
           SELECT message_id FROM deliveries WHERE lower(message_id) LIKE @p
           UNION SELECT message_id FROM received WHERE lower(message_id) LIKE @p)
         LIMIT 10`,
    ).all({ p: `${needle.replace(/[%_]/g, "")}%` }) as { id: string }[];
    const exact = ids.find((r) => r.id.toLowerCase() === needle);
    if (!exact && ids.length > 1) {
      throw new StoreError(
        this.path,
        `"${idOrPrefix}" matches several message ids: ${ids.map((r) => r.id).join(", ")}`,
        {
          hint: "give more of the id",
        },
      );
    }
    const messageId = exact?.id ?? ids[0]?.id;
    if (!messageId) return undefined;
    const deliveries = (
      this.sql("SELECT * FROM deliveries WHERE message_id = ? ORDER BY created_at").all(
        messageId,
      ) as DeliveryRow[]
    ).map((row) => ({
      ...toDelivery(row),
      attemptList: (
        this.sql("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt").all(
          row.id,
        ) as AttemptRow[]
      ).map(toAttempt),
    }));
    const received = (
      this.sql("SELECT * FROM received WHERE message_id = ? ORDER BY received_at").all(
        messageId,
      ) as ReceivedRow[]
    ).map(toReceived);
    return { messageId, deliveries, received };
  }

  /** Deliveries waiting for their next attempt (not owned by a live process unless `all`). */
  pending(): DeliveryRecord[] {
    return (
      this.sql(
        "SELECT * FROM deliveries WHERE state = 'pending' ORDER BY next_due_at",
      ).all() as DeliveryRow[]
    ).map(toDelivery);
  }

  // Writing -------------------------------------------------------------------------------------

  /** A prepared statement, prepared once. */
  private sql(source: string): Database.Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
  }

  private enqueue(op: Op): void {
    if (this.closed) return;
    this.queue.push(op);
    if (this.queue.length === 1 && !this.flushing) {
      this.flushing = new Promise<void>((resolve) => {
        setImmediate(() => {
          try {
            this.commit();
          } catch (error) {
            // A failed write (full disk, a file removed) must not take down what is being sent
            // or received: report it once and go on without the store.
            this.failed(error);
          }
          this.flushing = undefined;
          resolve();
        });
      });
    }
  }

  /** Commit everything queued; resolves once it is on disk (in the WAL). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length > 0) {
      try {
        this.commit();
      } catch (error) {
        this.failed(error);
      }
    }
    return Promise.resolve();
  }

  private failed(error: unknown): void {
    if (this.broken) return;
    this.broken = error instanceof StoreError ? error : explainSqliteError(this.path, error);
    this.onError?.(this.broken);
  }

  private commit(): void {
    const ops = this.queue;
    this.queue = [];
    if (ops.length === 0 || this.closed || this.broken) return;
    this.run(() =>
      this.db.transaction(() => {
        for (const op of ops) op();
      })(),
    );
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw explainSqliteError(this.path, error);
    }
  }

  /** Commit what is queued and close. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    try {
      this.commit();
    } catch (error) {
      this.failed(error);
    }
    this.closed = true;
    this.db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS deliveries (
      id TEXT PRIMARY KEY,
      message_id TEXT NOT NULL,
      type TEXT NOT NULL,
      url TEXT NOT NULL,
      headers TEXT NOT NULL,
      body TEXT NOT NULL,
      timestamp TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
      attempts INTEGER NOT NULL DEFAULT 0,
      last_status INTEGER,
      last_error TEXT,
      next_attempt INTEGER,
      next_due_at INTEGER,
      policy TEXT NOT NULL,
      owner_pid INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS deliveries_message ON deliveries (message_id);
    CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries (state, next_due_at);
    CREATE INDEX IF NOT EXISTS deliveries_created ON deliveries (created_at);
    CREATE TABLE IF NOT EXISTS attempts (
      delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
      attempt INTEGER NOT NULL,
      schedule_ms INTEGER NOT NULL,
      started_at INTEGER NOT NULL,
      latency_ms REAL NOT NULL,
      status INTEGER,
      error TEXT,
      response TEXT NOT NULL,
      url TEXT NOT NULL,
      PRIMARY KEY (delivery_id, attempt)
    );
    CREATE TABLE IF NOT EXISTS received (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      message_id TEXT,
      type TEXT,
      method TEXT NOT NULL,
      path TEXT NOT NULL,
      headers TEXT NOT NULL,
      body TEXT NOT NULL,
      status INTEGER NOT NULL,
      attempt INTEGER NOT NULL,
      problems TEXT NOT NULL,
      received_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS received_message ON received (message_id);
    CREATE INDEX IF NOT EXISTS received_time ON received (received_at);
  `);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

function explainSqliteError(path: string, error: unknown): StoreError {
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message;
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") {
    return new StoreError(path, `is not a readable event store (${message})`, {
      hint: "it was left as it was: move it away to start a new store, or point --store elsewhere",
      cause: error,
    });
  }
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new StoreError(path, "is locked by another process", {
      hint: "wait for it, or use another --store",
      cause: error,
    });
  }
  if (
    code === "SQLITE_CANTOPEN" ||
    code === "SQLITE_READONLY" ||
    code === "SQLITE_PERM" ||
    code === "EACCES"
  ) {
    return new StoreError(path, `cannot be opened for writing (${message})`, {
      hint: "check the folder's permissions, or use --store / --no-store",
      cause: error,
    });
  }
  return new StoreError(path, message, { cause: error });
}

interface DeliveryRow {
  id: string;
  message_id: string;
  type: string;
  url: string;
  headers: string;
  body: string;
  timestamp: string;
  state: DeliveryState;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt: number | null;
  next_due_at: number | null;
  policy: string;
  owner_pid: number | null;
  created_at: number;
  updated_at: number;
}

interface AttemptRow {
  attempt: number;
  schedule_ms: number;
  started_at: number;
  latency_ms: number;
  status: number | null;
  error: string | null;
  response: string;
  url: string;
}

interface ReceivedRow {
  id: number;
  message_id: string | null;
  type: string | null;
  method: string;
  path: string;
  headers: string;
  body: string;
  status: number;
  attempt: number;
  problems: string;
  received_at: number;
}

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    messageId: row.message_id,
    type: row.type,
    url: row.url,
    headers: JSON.parse(row.headers) as StoredHeader[],
    body: row.body,
    timestamp: row.timestamp,
    state: row.state,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttempt: row.next_attempt,
    nextDueAt: row.next_due_at,
    policy: JSON.parse(row.policy) as DeliveryRecord["policy"],
    ownerPid: row.owner_pid,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    attempt: row.attempt,
    scheduleMs: row.schedule_ms,
    startedAt: row.started_at,
    latencyMs: row.latency_ms,
    status: row.status,
    error: row.error,
    response: row.response,
    url: row.url,
  };
}

function toReceived(row: ReceivedRow): ReceivedRecord {
  return {
    id: row.id,
    messageId: row.message_id,
    type: row.type,
    method: row.method,
    path: row.path,
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    status: row.status,
    attempt: row.attempt,
    problems: JSON.parse(row.problems) as ReceivedRecord["problems"],
    receivedAt: row.received_at,
  };
}
