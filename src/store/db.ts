/**
 * The event store: an embedded SQLite file (better-sqlite3) like Norce's Admin UI event log,
 * kept 7 days ("The log is saved for 7 days", norce-commerce-event-docs.md). WAL mode, so a
 * running `listen` and a `log` in another terminal work at once.
 *
 * One row per delivery, its attempts inside it as JSON, so an event delivered at its first
 * attempt costs one write. Writes are queued and committed together in one transaction: at once
 * when someone waits on them (a retry is about to wait, a person is watching), otherwise in
 * batches. A pending delivery's state is committed before each wait, so a crash loses nothing
 * that `resume` needs. Secret header values are never written: templates and masked values only.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Attempt, NextAttempt } from "../delivery/engine.js";
import type { DeliveryPolicy } from "../delivery/policy.js";
import type { NorceEvent } from "../events/event.js";
import { maskedHeadersJson, problemsJson, type ReceivedEvent } from "../listener/server.js";
import { StoreError } from "../shared/errors.js";
import type { StoredHeader } from "./templates.js";
import { type StoreWriter, startWriter, type WriteOp } from "./writer.js";

/** Norce keeps its event log for 7 days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;

/** The first bytes of a response body kept per attempt. */
const RESPONSE_BYTES = 512;

export type DeliveryState = "pending" | "delivered" | "dead";

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

export interface DeliveryRecord {
  id: number;
  messageId: string;
  type: string;
  url: string;
  headers: StoredHeader[];
  body: string;
  timestamp: string;
  state: DeliveryState;
  attempts: number;
  attemptList: AttemptRecord[];
  lastStatus: number | null;
  lastError: string | null;
  nextAttempt: number | null;
  nextDueAt: number | null;
  policy: Pick<DeliveryPolicy, "timeoutMs" | "maxRetries" | "timeScale">;
  ownerPid: number | null;
  createdAt: number;
  updatedAt: number;
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

/**
 * A delivery's row, as the writer knows it: a key this process gives it; SQLite assigns the row
 * id when it is first written (appending, cheaper than a random key), and the writer maps the key
 * to it for every later write. A resumed delivery binds its key to its existing row.
 */
export interface RowRef {
  key: number;
}

/** A delivery's row as it stands, for `saveDelivery`. */
export interface DeliveryRow {
  ref: RowRef;
  event: NorceEvent;
  /** The body as sent (JSON text). */
  body: string;
  url: string;
  /** Headers and policy are the same for every event of a run: serialised once by the caller. */
  headersJson: string;
  policyJson: string;
  state: DeliveryState;
  attempts: readonly AttemptRecord[];
  next?: NextAttempt | undefined;
  /** This process is sending it (cleared once it is done or stopped). */
  owned: boolean;
  createdAt: number;
}

export class EventStore {
  readonly path: string;
  /** Told once when a write fails (the CLI prints a warning and goes on without the store). */
  onError: ((error: StoreError) => void) | undefined;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private writer: StoreWriter | undefined;
  private keys = 0;
  private closed = false;
  private broken: StoreError | undefined;

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
      if (version < SCHEMA_VERSION) migrate(db, version);
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
    return this.run(
      () =>
        this.sql("DELETE FROM deliveries WHERE updated_at < ?").run(cutoff).changes +
        this.sql("DELETE FROM received WHERE received_at < ?").run(cutoff).changes,
    );
  }

  // Sent events ---------------------------------------------------------------------------------

  /**
   * Write a delivery's row as it stands (insert it, or update the earlier version). A pending
   * row is committed at once (a wait is about to start); others with the next batch.
   */
  saveDelivery(row: DeliveryRow): Promise<void> {
    const now = Date.now();
    const last = row.attempts.at(-1);
    const pending = row.state === "pending";
    return this.write(
      [
        "save",
        row.ref.key,
        row.event.messageId,
        row.event.type,
        row.url,
        row.headersJson,
        row.body,
        row.event.timestamp,
        row.state,
        last?.attempt ?? 0,
        JSON.stringify(row.attempts),
        last?.status ?? null,
        last?.error ?? null,
        row.next?.attempt ?? (pending ? (last?.attempt ?? 0) + 1 : null),
        row.next ? Math.round(row.next.dueAt) : pending ? now : null,
        row.policyJson,
        row.owned ? process.pid : null,
        row.createdAt,
        now,
        !pending,
      ],
      pending,
    );
  }

  /** A new key for a delivery's row (see RowRef); `existing` binds it to a stored row. */
  rowRef(existing?: number): RowRef {
    const ref = { key: ++this.keys };
    if (existing !== undefined) void this.write(["bind", ref.key, existing], true);
    return ref;
  }

  /**
   * An interrupted delivery: pending, due as it was, owned by no one (for `resume`). Written in
   * full, as the row may not exist yet (a batch writes rows lazily).
   */
  releaseDelivery(
    pending: NextAttempt | undefined,
    row: Omit<DeliveryRow, "state" | "next" | "owned">,
  ): Promise<void> {
    return this.saveDelivery({ ...row, state: "pending", next: pending, owned: false });
  }

  // Received events -----------------------------------------------------------------------------

  recordReceived(event: ReceivedEvent): void {
    void this.write([
      "received",
      event.messageId ?? null,
      event.type ?? null,
      event.method,
      event.path,
      maskedHeadersJson(event),
      event.bodyText,
      event.status,
      event.attempt,
      problemsJson(event),
      Date.parse(event.receivedAt),
    ]);
  }

  // Queries -------------------------------------------------------------------------------------

  log(filter: LogFilter = {}): LogRow[] {
    const limit = filter.limit ?? 50;
    const rows: LogRow[] = [];
    const since = filter.since ?? 0;
    const typeClause = filter.type ? " AND type = @type COLLATE NOCASE" : "";
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
    if (filter.direction !== "sent" && !filter.state) {
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
  find(
    idOrPrefix: string,
  ): { messageId: string; deliveries: DeliveryRecord[]; received: ReceivedRecord[] } | undefined {
    const needle = idOrPrefix.trim().toLowerCase().replace(/[%_]/g, "");
    // LIKE is case-insensitive for ASCII, as message ids are.
    const ids = this.sql(
      `SELECT message_id AS id FROM deliveries WHERE message_id LIKE @p
       UNION SELECT message_id FROM received WHERE message_id LIKE @p LIMIT 10`,
    ).all({ p: `${needle}%` }) as { id: string }[];
    const exact = ids.find((r) => r.id.toLowerCase() === needle);
    if (!exact && ids.length > 1) {
      throw new StoreError(
        this.path,
        `"${idOrPrefix}" matches several message ids: ${ids.map((r) => r.id).join(", ")}`,
        { hint: "give more of the id" },
      );
    }
    const messageId = exact?.id ?? ids[0]?.id;
    if (!messageId) return undefined;
    const deliveries = (
      this.sql("SELECT * FROM deliveries WHERE message_id = ? ORDER BY created_at").all(
        messageId,
      ) as DeliveryRowData[]
    ).map(toDelivery);
    const received = (
      this.sql("SELECT * FROM received WHERE message_id = ? ORDER BY received_at").all(
        messageId,
      ) as ReceivedRowData[]
    ).map(toReceived);
    return { messageId, deliveries, received };
  }

  /** Whether a request with this message id was received (and committed) before. */
  hasReceived(messageId: string): boolean {
    return this.run(
      () =>
        this.sql("SELECT 1 FROM received WHERE message_id = ? LIMIT 1").get(messageId) !==
        undefined,
    );
  }

  /** Deliveries waiting for their next attempt. */
  pending(): DeliveryRecord[] {
    return (
      this.sql(
        "SELECT * FROM deliveries WHERE state = 'pending' ORDER BY next_due_at",
      ).all() as DeliveryRowData[]
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

  /** Writes go to a worker thread (started on the first one): see writer.ts. */
  private write(op: WriteOp, urgent = false): Promise<void> {
    if (this.closed || this.broken) return Promise.resolve();
    this.writer ??= startWriter(this.path, (error) => {
      this.broken = explainSqliteError(this.path, error);
      this.onError?.(this.broken);
    });
    return this.writer.write(op, urgent);
  }

  /** Wait until everything written so far is committed. */
  async flush(): Promise<void> {
    await this.writer?.flush();
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
    this.closed = true;
    await this.writer?.close();
    this.db.close();
  }
}

/**
 * The store's schema, one step per version: `MIGRATIONS[i]` takes a store from version i to i + 1.
 * Append a step for a change (never edit one that has shipped); `SCHEMA_VERSION` follows the list.
 */
const MIGRATIONS: readonly string[] = [
  `    CREATE TABLE IF NOT EXISTS deliveries (
      id INTEGER PRIMARY KEY,
      message_id TEXT NOT NULL,
      type TEXT NOT NULL,
      url TEXT NOT NULL,
      headers TEXT NOT NULL,
      body TEXT NOT NULL,
      timestamp TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
      attempts INTEGER NOT NULL DEFAULT 0,
      attempt_list TEXT NOT NULL DEFAULT '[]',
      last_status INTEGER,
      last_error TEXT,
      next_attempt INTEGER,
      next_due_at INTEGER,
      policy TEXT NOT NULL,
      owner_pid INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    -- No index on message_id (here or in received): show and replay scan at most a week of
    -- events, while every write would pay for a randomly keyed index page, many a commit.
    CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (next_due_at) WHERE state = 'pending';
    CREATE INDEX IF NOT EXISTS deliveries_created ON deliveries (created_at);
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
    CREATE INDEX IF NOT EXISTS received_time ON received (received_at);
  
  `,
];

const SCHEMA_VERSION = MIGRATIONS.length;

function migrate(db: Database.Database, from: number): void {
  db.transaction(() => {
    for (let version = from; version < MIGRATIONS.length; version++) db.exec(MIGRATIONS[version]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}

/** A SQLite failure as a StoreError that says what to do (shared with the relay's queue). */
export function explainSqliteError(path: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
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

/** An attempt as the store keeps it. */
export function toAttemptRecord(attempt: Attempt): AttemptRecord {
  return {
    attempt: attempt.attempt,
    scheduleMs: attempt.scheduleMs,
    startedAt: attempt.startedAt,
    latencyMs: Math.round(attempt.latencyMs * 100) / 100,
    status: attempt.status ?? null,
    error: attempt.error ? `${attempt.error.code}: ${attempt.error.message}` : null,
    response: attempt.response.slice(0, RESPONSE_BYTES),
    url: attempt.url,
  };
}

interface DeliveryRowData {
  id: number;
  message_id: string;
  type: string;
  url: string;
  headers: string;
  body: string;
  timestamp: string;
  state: DeliveryState;
  attempts: number;
  attempt_list: string;
  last_status: number | null;
  last_error: string | null;
  next_attempt: number | null;
  next_due_at: number | null;
  policy: string;
  owner_pid: number | null;
  created_at: number;
  updated_at: number;
}

interface ReceivedRowData {
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

function toDelivery(row: DeliveryRowData): DeliveryRecord {
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
    attemptList: JSON.parse(row.attempt_list) as AttemptRecord[],
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

function toReceived(row: ReceivedRowData): ReceivedRecord {
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
