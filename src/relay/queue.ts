/**
 * The relay's durable queue: one SQLite file (better-sqlite3, WAL) holding channels and the
 * events waiting for their laptop. An event is committed with `synchronous = FULL` (fsync'd)
 * before Norce is answered 202, so a crash or power cut after the answer loses nothing. Errors
 * are explained as the event store explains them (`explainSqliteError`). The relay secret is
 * never written here.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { StoreError } from "../shared/errors.js";
import { explainSqliteError } from "../store/db.js";

export interface QueuedEvent {
  seq: number;
  channel: string;
  messageId: string | null;
  method: string;
  path: string;
  rawHeaders: string[];
  body: Buffer;
  receivedAt: number;
  /** Who posted it (Norce's address, or the TLS proxy's). */
  remoteAddress: string | null;
}

export interface ChannelStatus {
  id: string;
  createdAt: number;
  /** Events stored and not yet acknowledged by a laptop. */
  waiting: number;
  /** Dropped by retention, not yet told to a laptop. */
  dropped: number;
  lastContactAt: number | null;
}

export type EnqueueResult = { stored: true; seq: number } | { stored: false; duplicateOf: number };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS channels (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    last_contact_at INTEGER,
    dropped INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    message_id TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    raw_headers TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    remote_address TEXT,
    acked_at INTEGER
  );
  -- A Norce retry of an event the channel holds is answered 202 and not stored again.
  CREATE UNIQUE INDEX IF NOT EXISTS events_message ON events (channel, message_id)
    WHERE message_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS events_waiting ON events (channel, seq) WHERE acked_at IS NULL;
  CREATE INDEX IF NOT EXISTS events_time ON events (received_at);
`;
const QUEUE_VERSION = 1;

export class RelayQueue {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
  }

  static open(path: string): RelayQueue {
    let db: Database.Database | undefined;
    try {
      if (path !== ":memory:" && !existsSync(dirname(path))) {
        mkdirSync(dirname(path), { recursive: true });
      }
      db = new Database(path, { timeout: 5000 });
      db.pragma("journal_mode = WAL");
      // Every commit reaches the disk before Norce hears 202.
      db.pragma("synchronous = FULL");
      const version = db.pragma("user_version", { simple: true }) as number;
      if (version > QUEUE_VERSION) {
        throw new StoreError(path, `was written by a newer norce-event (relay store ${version})`, {
          hint: "update norce-event, or use another --store",
        });
      }
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'")
        .get();
      if (tables) {
        throw new StoreError(path, "is a laptop's event store, not a relay store", {
          hint: "give the relay its own file, e.g. --store relay.db",
        });
      }
      db.exec(SCHEMA);
      db.pragma(`user_version = ${QUEUE_VERSION}`);
      return new RelayQueue(path, db);
    } catch (error) {
      db?.close();
      throw explainSqliteError(path, error);
    }
  }

  private sql(source: string): Database.Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
  }

  private run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw explainSqliteError(this.path, error);
    }
  }

  createChannel(id: string, now = Date.now()): void {
    this.run(() => this.sql("INSERT INTO channels (id, created_at) VALUES (?, ?)").run(id, now));
  }

  hasChannel(id: string): boolean {
    return this.run(() => this.sql("SELECT 1 FROM channels WHERE id = ?").get(id) !== undefined);
  }

  /** Store an event durably; a message id the channel already holds is not stored twice. */
  enqueue(event: Omit<QueuedEvent, "seq">): EnqueueResult {
    return this.run(() => {
      const result = this.sql(
        `INSERT OR IGNORE INTO events
           (channel, message_id, method, path, raw_headers, body, received_at, remote_address)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        event.channel,
        event.messageId,
        event.method,
        event.path,
        JSON.stringify(event.rawHeaders),
        event.body,
        event.receivedAt,
        event.remoteAddress,
      );
      if (result.changes === 1) return { stored: true, seq: Number(result.lastInsertRowid) };
      const existing = this.sql("SELECT seq FROM events WHERE channel = ? AND message_id = ?").get(
        event.channel,
        event.messageId,
      ) as { seq: number };
      return { stored: false, duplicateOf: existing.seq };
    });
  }

  /**
   * Store several events in one commit (one fsync): the requests that arrived in the same turn
   * of the event loop are answered together once it is on disk.
   */
  enqueueMany(events: readonly Omit<QueuedEvent, "seq">[]): EnqueueResult[] {
    if (events.length === 1) return [this.enqueue(events[0]!)];
    return this.run(() => this.db.transaction(() => events.map((e) => this.enqueue(e)))());
  }

  /** Unacknowledged events of a channel after `afterSeq`, oldest first. */
  waiting(channel: string, afterSeq: number, limit: number): QueuedEvent[] {
    const rows = this.run(
      () =>
        this.sql(
          `SELECT seq, channel, message_id, method, path, raw_headers, body, received_at, remote_address
           FROM events
           WHERE channel = ? AND acked_at IS NULL AND seq > ? ORDER BY seq LIMIT ?`,
        ).all(channel, afterSeq, limit) as {
          seq: number;
          channel: string;
          message_id: string | null;
          method: string;
          path: string;
          raw_headers: string;
          body: Buffer;
          received_at: number;
          remote_address: string | null;
        }[],
    );
    return rows.map((row) => ({
      seq: row.seq,
      channel: row.channel,
      messageId: row.message_id,
      method: row.method,
      path: row.path,
      rawHeaders: JSON.parse(row.raw_headers) as string[],
      body: row.body,
      receivedAt: row.received_at,
      remoteAddress: row.remote_address,
    }));
  }

  countWaiting(channel: string): number {
    return this.run(
      () =>
        (
          this.sql("SELECT count(*) AS n FROM events WHERE channel = ? AND acked_at IS NULL").get(
            channel,
          ) as { n: number }
        ).n,
    );
  }

  /** The laptop has `seq` (or, with `upTo`, everything up to it). */
  ack(channel: string, seq: number, upTo = false, now = Date.now()): number {
    return this.run(
      () =>
        this.sql(
          `UPDATE events SET acked_at = ? WHERE channel = ? AND acked_at IS NULL AND seq ${upTo ? "<=" : "="} ?`,
        ).run(now, channel, seq).changes,
    );
  }

  touch(channel: string, now = Date.now()): void {
    this.run(() =>
      this.sql("UPDATE channels SET last_contact_at = ? WHERE id = ?").run(now, channel),
    );
  }

  /** Take (and reset) the count of events dropped before a laptop took them. */
  takeDropped(channel: string): number {
    return this.run(() =>
      this.db.transaction(() => {
        const row = this.sql("SELECT dropped FROM channels WHERE id = ?").get(channel) as
          | { dropped: number }
          | undefined;
        if (row?.dropped) this.sql("UPDATE channels SET dropped = 0 WHERE id = ?").run(channel);
        return row?.dropped ?? 0;
      })(),
    );
  }

  /**
   * Remove events received before `cutoff`: acknowledged ones quietly (they were kept only to
   * recognise Norce's retries), waiting ones counted per channel so the next laptop is told.
   */
  expire(cutoff: number): number {
    return this.run(() =>
      this.db.transaction(() => {
        const lost = this.sql(
          `SELECT channel, count(*) AS n FROM events WHERE received_at < ? AND acked_at IS NULL
           GROUP BY channel`,
        ).all(cutoff) as { channel: string; n: number }[];
        for (const { channel, n } of lost) {
          this.sql("UPDATE channels SET dropped = dropped + ? WHERE id = ?").run(n, channel);
        }
        this.sql("DELETE FROM events WHERE received_at < ?").run(cutoff);
        return lost.reduce((sum, { n }) => sum + n, 0);
      })(),
    );
  }

  channels(): ChannelStatus[] {
    return this.run(
      () =>
        this.sql(
          `SELECT c.id, c.created_at AS createdAt, c.last_contact_at AS lastContactAt, c.dropped,
                  (SELECT count(*) FROM events e WHERE e.channel = c.id AND e.acked_at IS NULL) AS waiting
           FROM channels c ORDER BY c.created_at`,
        ).all() as ChannelStatus[],
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
