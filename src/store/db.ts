/**
 * The event store: an embedded SQLite file (better-sqlite3) like Norce's Admin UI event log,
 * kept 7 days ("The log is saved for 7 days", norce-commerce-event-docs.md). WAL mode, so a
 * running `listen` and a `log` in another terminal work at once.
 *
 * One row per delivery, its attempts inside it as JSON. Writes are queued and committed together
 * in one transaction by a worker (writer.ts): at once when someone waits on them, otherwise in
 * batches. What survives a crash (kill -9, a power cut aside):
 * - a batch's events are committed as pending rows before any of them is sent, so an event whose
 *   first attempt failed, or was cut short, is in the store for `resume`;
 * - a pending delivery's state is committed before each wait;
 * - a delivered or dead state is committed within BATCH_MS (10 ms) of the answer: an event
 *   delivered in those last milliseconds before a crash is sent once more by `resume`
 *   (at least once, as Norce itself delivers).
 * Every pending row has one owner (a run of send or resume: its pid and a lease it renews); another
 * process takes a row over only when its owner is gone or its lease has run out.
 * Secret header values are never written: templates and masked values only.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Attempt, NextAttempt } from "../delivery/engine.js";
import type { DeliveryPolicy } from "../delivery/policy.js";
import type { NorceEvent } from "../events/event.js";
import { maskedForward } from "../listener/forwarded.js";
import { maskedHeadersJson, problemsJson, type ReceivedEvent } from "../listener/server.js";
import { StoreError, UsageError } from "../shared/errors.js";
import { jsonNumber, jsonString } from "../shared/json.js";
import { maskPath, maskText, maskUrl } from "../shared/secrets.js";
import { isAlive } from "./restore.js";
import type { StoredHeader } from "./templates.js";
import {
  BIG_BODY,
  type StoreWriter,
  startWriter,
  type WriteLosses,
  type WriteOp,
} from "./writer.js";

/** Norce keeps its event log for 7 days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;

/**
 * How long a claim on a pending row holds without being renewed: a process renews its claims every
 * third of it, so only one that is gone (or frozen that long) loses them.
 */
export const LEASE_MS = 30_000;

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
  /** `signed`: sent with `--sign-secret` (the key itself is never stored). */
  policy: Pick<DeliveryPolicy, "timeoutMs" | "maxRetries" | "timeScale"> &
    Partial<Pick<DeliveryPolicy, "keepAuthOnRedirect">> & { signed?: boolean };
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
  /** What the answer was beyond its status (recorded since store version 2). */
  extra: ReceivedExtra | null;
}

/** A received request's answer in detail: why, how long, and what the app said (`--forward-to`). */
export interface ReceivedExtra {
  note?: string;
  latencyMs?: number;
  forwarded?: {
    url: string;
    status?: number;
    latencyMs: number;
    error?: string;
    response: string;
  };
}

/** One entry of the change feed: a row of `received` or `deliveries` was written. */
export interface Change {
  kind: "received" | "sent";
  record: ReceivedRecord | DeliveryRecord;
}

/** A place in the change feed: the last received row, delivery row and delivery update seen. */
export interface FeedPosition {
  received: number;
  deliveries: number;
  updates: number;
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

/** A new delivery's row, written ahead of sending it (`admitDeliveries`). */
export interface AdmittedRow {
  ref: RowRef;
  event: NorceEvent;
  body: string;
}

/** What the deliveries of one run share, serialised once (see `recordingRun`). */
export interface RecordingRun {
  /** The target with its credentials masked (see `toStoredUrl`). */
  url: string;
  headersJson: string;
  policyJson: string;
  /** Secret values of the run, masked in what is stored of each attempt (see `knownSecrets`). */
  secrets: readonly string[];
}

/** A delivery's row as it stands, for `saveDelivery`. */
export interface DeliveryRow {
  ref: RowRef;
  event: NorceEvent;
  /** The body as sent (JSON text); undefined when an earlier write of this row carried it. */
  body: string | undefined;
  url: string;
  /** Headers and policy are the same for every event of a run: serialised once by the caller. */
  headersJson: string;
  policyJson: string;
  state: DeliveryState;
  attempts: readonly AttemptRecord[];
  next?: Pick<NextAttempt, "attempt" | "dueAt"> | undefined;
  /** This process is sending it (cleared once it is done or stopped). */
  owned: boolean;
  createdAt: number;
  /**
   * A row written by an earlier run takes this run's policy (a resume with another
   * `--time-scale`): its due times are on the new scale, so a later resume must rescale from it.
   */
  rewritePolicy?: boolean;
}

/** What `recordScenarioRun` keeps of a run. */
/** One event of a scenario run: its place in the run, its step and the shared ids it carries. */
export interface ScenarioRunEvent {
  position: number;
  repetition: number;
  step: number;
  stepId: string;
  type: string;
  messageId: string;
  ids: Record<string, string | number>;
}

export interface ScenarioRunRecord {
  runId: string;
  scenario: string;
  seed: number;
  createdAt: number;
  events: ScenarioRunEvent[];
}

export interface ScenarioRunSummary {
  runId: string;
  scenario: string;
  seed: number;
  events: number;
  createdAt: number;
}

export interface ScenarioEventRow extends ScenarioRunEvent {
  scenario: string;
  seed: number;
  createdAt: number;
  /** The delivery's state (null: not recorded, e.g. skipped or interrupted before sending). */
  state: DeliveryState | null;
  attempts: number | null;
  lastStatus: number | null;
  url: string | null;
  /** Requests a listener recording to this store got with this message id. */
  received: number;
  firstReceivedAt: number | null;
}

export class EventStore {
  readonly path: string;
  /**
   * This run's name on the rows it owns (with its pid and a lease): rows it releases keep it, so
   * the run can count what it left pending.
   */
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  /** Told once when a write fails (the CLI prints a warning; `losses()` counts what was lost). */
  onError: ((error: StoreError) => void) | undefined;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private writer: StoreWriter | undefined;
  private keys = 0;
  private closed = false;
  /** Records older than this (epoch ms) are not shown: a read-only store cannot remove them. */
  private visibleFrom = 0;
  private leaseTimer: NodeJS.Timeout | undefined;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    // For claims: a row whose owner process is gone is free (see claimPending).
    db.function("pid_alive", { deterministic: false }, (pid: unknown) =>
      isAlive(typeof pid === "number" ? pid : Number(pid)) ? 1 : 0,
    );
  }

  /**
   * Open (or create) the store at `path`, removing records older than `retentionMs`. With
   * `readOnly` (log, show) nothing is written: older records are only hidden, and a store in a
   * folder this user cannot write (where SQLite cannot create its WAL index) is read from a copy in
   * memory, as it was last checkpointed.
   */
  static open(
    path: string,
    options: { retentionMs?: number; mustExist?: boolean; readOnly?: boolean } = {},
  ): EventStore {
    if (options.readOnly) {
      const store = EventStore.openReadOnly(path);
      if (store) {
        store.visibleFrom = Date.now() - (options.retentionMs ?? DEFAULT_RETENTION_MS);
        return store;
      }
      // An older store: it needs its migrations, which write (and say so if they cannot).
    }
    const isNew = !existsSync(path);
    if (isNew && options.mustExist) {
      throw new StoreError(path, "no event store here yet", {
        hint: "send or listen first: they record events; or point --store at the right file",
      });
    }
    let db: Database.Database | undefined;
    try {
      if (isNew) {
        makeFolders(path, dirname(path));
        // The store holds payloads and masked headers: keep it out of version control.
        const ignore = `${dirname(path)}/.gitignore`;
        try {
          if (!existsSync(ignore)) writeFileSync(ignore, "# norce-event's local event store\n*\n");
        } catch (error) {
          throw cannotCreate(path, dirname(path), error);
        }
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
      if (error instanceof StoreError || error instanceof UsageError) throw error;
      throw explainSqliteError(path, error);
    }
  }

  /**
   * The store opened without writing anything, or undefined when it needs a migration first.
   * SQLite opens a WAL-mode file read-only only where it can create (or find) the `-shm` index
   * beside it; in a folder this user cannot write, the file is read into memory instead.
   */
  private static openReadOnly(path: string): EventStore | undefined {
    if (!existsSync(path)) {
      throw new StoreError(path, "no event store here yet", {
        hint: "send or listen first: they record events; or point --store at the right file",
      });
    }
    let db: Database.Database | undefined;
    try {
      try {
        db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
        db.pragma("user_version", { simple: true });
      } catch (error) {
        const code = (error as { code?: string }).code ?? "";
        if (!/^SQLITE_(READONLY|CANTOPEN)/.test(code)) throw error;
        db?.close();
        const image = readFileSync(path);
        // An in-memory copy cannot use a WAL: mark the copy as a rollback-journal file.
        if (image.length > 19 && image[18] === 2) image[18] = image[19] = 1;
        db = new Database(image, { readonly: true });
      }
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
      if (version < SCHEMA_VERSION) {
        db.close();
        return undefined;
      }
      return new EventStore(path, db);
    } catch (error) {
      db?.close();
      throw explainSqliteError(path, error);
    }
  }

  /**
   * Delete records last touched before `cutoff` (epoch ms); returns how many. A pending delivery
   * is kept however old: `resume` still owes it its attempts (nothing lost, whatever --retention).
   */
  removeOlderThan(cutoff: number): number {
    return this.run(() => {
      const removed =
        this.sql("DELETE FROM deliveries WHERE updated_at < ? AND state != 'pending'").run(cutoff)
          .changes +
        this.sql("DELETE FROM received WHERE received_at < ?").run(cutoff).changes +
        this.sql("DELETE FROM scenario_events WHERE created_at < ?").run(cutoff).changes;
      // The feed of updates keeps its last 100,000: an inspector catches up from any of them.
      this.sql(
        "DELETE FROM delivery_updates WHERE id < (SELECT max(id) FROM delivery_updates) - 100000",
      ).run();
      return removed;
    });
  }

  // Sent events ---------------------------------------------------------------------------------

  /**
   * Write a delivery's row as it stands (insert it, or update the earlier version). A pending
   * row is committed at once (a wait is about to start); others with the next batch. Resolves
   * true once committed, false when the write failed (counted in `losses()`).
   */
  saveDelivery(row: DeliveryRow): Promise<boolean> {
    const now = Date.now();
    const last = row.attempts.at(-1);
    const pending = row.state === "pending";
    if (row.owned) this.renewLeases();
    const attempts = row.attempts.length;
    const columns = [
      row.state,
      last?.attempt ?? 0,
      attempts === 0 ? "[]" : attemptListJson(row.attempts),
      last?.status ?? null,
      last?.error ?? null,
      row.next?.attempt ?? (pending ? (last?.attempt ?? 0) + 1 : null),
      row.next ? Math.round(row.next.dueAt) : pending ? now : null,
      row.owned ? process.pid : null,
      now,
      row.owned ? now + LEASE_MS : null,
    ];
    // A row written before changes only its state: no need to hand over the event again.
    if (row.body === undefined) {
      const op = ["update", row.ref.key, !pending, this.owner, ...columns];
      if (row.rewritePolicy) op.push(row.policyJson);
      return this.write(op, pending);
    }
    const body = toStored(row.body);
    return this.write(
      [
        "save",
        row.ref.key,
        !pending,
        this.owner,
        ...columns,
        row.event.messageId,
        row.event.type,
        row.url,
        row.headersJson,
        body,
        row.event.timestamp,
        row.policyJson,
        row.createdAt,
      ],
      pending,
      typeof body === "string" ? body.length : body.byteLength,
    );
  }

  /**
   * Write new rows ahead, pending (attempt 1 due now) and owned by this run, in one write committed
   * at once: a batch does this before sending them. Resolves true once committed.
   */
  admitDeliveries(run: RecordingRun, rows: readonly AdmittedRow[]): Promise<boolean> {
    if (rows.length === 0) return Promise.resolve(true);
    this.renewLeases();
    const now = Date.now();
    const keys: number[] = [];
    const ids: string[] = [];
    const types: string[] = [];
    const timestamps: string[] = [];
    const bodies: (string | Uint8Array)[] = [];
    let bytes = 0;
    for (const row of rows) {
      const body = toStored(row.body);
      keys.push(row.ref.key);
      ids.push(row.event.messageId);
      types.push(row.event.type);
      timestamps.push(row.event.timestamp);
      bodies.push(body);
      bytes += typeof body === "string" ? body.length : body.byteLength;
    }
    return this.write(
      [
        "admit",
        this.owner,
        process.pid,
        now,
        now + LEASE_MS,
        run.url,
        run.headersJson,
        run.policyJson,
        keys,
        ids,
        types,
        timestamps,
        bodies,
      ],
      true,
      bytes,
    );
  }

  /** A new key for a delivery's row (see RowRef); `existing` binds it to a stored row. */
  rowRef(existing?: number): RowRef {
    const ref = { key: ++this.keys };
    if (existing !== undefined) void this.write(["bind", ref.key, existing], true);
    return ref;
  }

  /** Remove a row this run wrote ahead but never sent (the run was stopped first). */
  discardDelivery(ref: RowRef): void {
    void this.write(["discard", ref.key, this.owner]);
  }

  /**
   * Claim the pending deliveries no live run owns, in one transaction: those never owned, released,
   * whose owner process is gone, or whose lease ran out. Two processes claiming at the same
   * instant get disjoint sets. The claimed rows are this run's until it releases or ends them.
   */
  claimPending(): DeliveryRecord[] {
    const now = Date.now();
    const claim = this.db.transaction(
      () =>
        this.sql(
          `UPDATE deliveries SET owner = @owner, owner_pid = @pid, lease_until = @lease
           WHERE state = 'pending' AND (owner_pid IS NULL OR lease_until < @now
             OR NOT pid_alive(owner_pid))
           RETURNING *`,
        ).all({
          owner: this.owner,
          pid: process.pid,
          lease: now + LEASE_MS,
          now,
        }) as DeliveryRowData[],
    );
    const rows = this.run(() => claim.immediate());
    if (rows.length > 0) this.renewLeases();
    return rows.map(toDelivery).sort((a, b) => (a.nextDueAt ?? 0) - (b.nextDueAt ?? 0));
  }

  /**
   * Claimed rows whose schedule is used up (stored pending after their last attempt, by a process
   * gone before it wrote their end): dead, as Norce leaves them. Never sent again.
   */
  endExhausted(ids: readonly number[]): void {
    const end = this.sql(
      `UPDATE deliveries SET state = 'dead', next_attempt = NULL, next_due_at = NULL,
       owner_pid = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND owner = ?`,
    );
    const now = Date.now();
    this.run(() =>
      this.db.transaction(() => {
        for (const id of ids) end.run(now, id, this.owner);
      })(),
    );
  }

  /** Give back claimed rows untouched (a run that stops before sending them). */
  releaseClaims(ids: readonly number[]): void {
    const release = this.sql(
      "UPDATE deliveries SET owner_pid = NULL, lease_until = NULL WHERE id = ? AND owner = ?",
    );
    this.run(() =>
      this.db.transaction(() => {
        for (const id of ids) release.run(id, this.owner);
      })(),
    );
  }

  /** Pending deliveries this run wrote or claimed, as committed (wait for `flush` first). */
  countPending(): number {
    return (
      this.sql("SELECT count(*) AS n FROM deliveries WHERE state = 'pending' AND owner = ?").get(
        this.owner,
      ) as { n: number }
    ).n;
  }

  /** Writes that failed so far (a full disk, a store that became unreadable). */
  losses(): WriteLosses {
    return this.writer?.losses() ?? { deliveries: 0, received: 0, receivedIds: [] };
  }

  /** Keep this run's claims while it runs: renewed every third of LEASE_MS, from the first one. */
  private renewLeases(): void {
    if (this.leaseTimer || this.closed) return;
    this.leaseTimer = setInterval(
      () => void this.write(["lease", this.owner, Date.now() + LEASE_MS]),
      LEASE_MS / 3,
    );
    this.leaseTimer.unref();
  }

  // Received events -----------------------------------------------------------------------------

  /** Resolves true once committed, false when the write failed (counted in `losses()`). */
  recordReceived(event: ReceivedEvent): Promise<boolean> {
    const body = toStored(event.bodyText);
    return this.write(
      [
        "received",
        event.messageId ?? null,
        event.type ?? null,
        event.method,
        maskPath(event.path),
        maskedHeadersJson(event),
        body,
        event.status,
        event.attempt,
        problemsJson(event),
        Date.parse(event.receivedAt),
        receivedExtraJson(event),
      ],
      false,
      typeof body === "string" ? body.length : body.byteLength,
    );
  }

  // Scenario runs -------------------------------------------------------------------------------

  /**
   * Remember which events a scenario run sends (before the first is sent). One small transaction
   * on this thread, beside the writer's: the deliveries themselves are recorded as any send's.
   */
  recordScenarioRun(run: ScenarioRunRecord): void {
    const insert = this.sql(
      `INSERT INTO scenario_events (run_id, scenario, seed, position, repetition, step, step_id, type,
         message_id, ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.run(() =>
      this.db.transaction(() => {
        for (const e of run.events) {
          insert.run(
            run.runId,
            run.scenario,
            run.seed,
            e.position,
            e.repetition,
            e.step,
            e.stepId,
            e.type,
            e.messageId,
            JSON.stringify(e.ids),
            run.createdAt,
          );
        }
      })(),
    );
  }

  /** Recent scenario runs, newest first. */
  scenarioRuns(limit = 20): ScenarioRunSummary[] {
    return this.sql(
      `SELECT run_id AS runId, scenario, seed, COUNT(*) AS events, MIN(created_at) AS createdAt
       FROM scenario_events GROUP BY run_id ORDER BY createdAt DESC LIMIT ?`,
    ).all(limit) as ScenarioRunSummary[];
  }

  /**
   * One run's events in plan order, with what became of each: the sending side's delivery and
   * what a listener recording to this store received under the same message id.
   */
  scenarioRun(idOrPrefix: string): { runId: string; events: ScenarioEventRow[] } | undefined {
    const needle = idOrPrefix.trim().toLowerCase().replace(/[%_]/g, "");
    const ids = this.sql(
      "SELECT DISTINCT run_id AS id FROM scenario_events WHERE run_id LIKE ? LIMIT 10",
    ).all(`${needle}%`) as { id: string }[];
    const exact = ids.find((r) => r.id === needle);
    if (!exact && ids.length > 1) {
      throw new StoreError(
        this.path,
        `"${idOrPrefix}" matches several scenario runs: ${ids.map((r) => r.id).join(", ")}`,
        { hint: "give more of the run id" },
      );
    }
    const runId = exact?.id ?? ids[0]?.id;
    if (!runId) return undefined;
    const rows = this.sql(
      `SELECT s.scenario, s.seed, s.position, s.repetition, s.step, s.step_id AS stepId, s.type,
              s.message_id AS messageId, s.ids, s.created_at AS createdAt,
              d.state, d.attempts, d.last_status AS lastStatus, d.url,
              (SELECT COUNT(*) FROM received r WHERE r.message_id = s.message_id) AS received,
              (SELECT MIN(received_at) FROM received r WHERE r.message_id = s.message_id) AS firstReceivedAt
       FROM scenario_events s
       LEFT JOIN deliveries d ON d.id = (SELECT MAX(id) FROM deliveries WHERE message_id = s.message_id)
       WHERE s.run_id = ? ORDER BY s.position`,
    ).all(runId) as (Omit<ScenarioEventRow, "ids"> & { ids: string })[];
    return {
      runId,
      events: rows.map((r) => ({
        ...r,
        ids: JSON.parse(r.ids) as Record<string, string | number>,
      })),
    };
  }

  // Queries -------------------------------------------------------------------------------------

  log(filter: LogFilter = {}): LogRow[] {
    const limit = filter.limit ?? 50;
    const rows: LogRow[] = [];
    const since = Math.max(filter.since ?? 0, this.visibleFrom);
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

  /**
   * Deliveries and received requests of a message id, or of a unique prefix of one (4+
   * characters; a shorter one must be the whole id).
   */
  find(
    idOrPrefix: string,
  ): { messageId: string; deliveries: DeliveryRecord[]; received: ReceivedRecord[] } | undefined {
    const needle = idOrPrefix.trim().toLowerCase();
    // LIKE is case-insensitive for ASCII, as message ids are; % and _ in the input are literal.
    const literal = needle.replace(/[\\%_]/g, (c) => `\\${c}`);
    const ids = this.sql(
      `SELECT message_id AS id FROM deliveries WHERE message_id LIKE @p ESCAPE '\\'
       UNION SELECT message_id FROM received WHERE message_id LIKE @p ESCAPE '\\' LIMIT 10`,
    ).all({ p: needle.length >= 4 ? `${literal}%` : literal }) as { id: string }[];
    const exact = ids.find((r) => r.id.toLowerCase() === needle);
    if (!exact && ids.length > 1) {
      throw new UsageError(
        `"${idOrPrefix}" matches several message ids in ${this.path}: ${ids.map((r) => r.id).join(", ")}`,
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

  // The change feed (the inspector) -----------------------------------------------------------

  /** Where the feed stands now: nothing written before it is new. */
  feedPosition(): FeedPosition {
    const row = this.sql(
      `SELECT (SELECT max(id) FROM received) AS r, (SELECT max(id) FROM deliveries) AS d,
              (SELECT max(id) FROM delivery_updates) AS u`,
    ).get() as { r: number | null; d: number | null; u: number | null };
    return { received: row.r ?? 0, deliveries: row.d ?? 0, updates: row.u ?? 0 };
  }

  /**
   * Rows written after `after`: new received requests, new deliveries, and deliveries updated
   * since (each once, as it is now), at most `limit` of each. Every writer appends in one order
   * (SQLite's write lock), so a reader that keeps the position it was given misses nothing.
   */
  changesSince(after: FeedPosition, limit = 500): { changes: Change[]; position: FeedPosition } {
    const received = this.sql("SELECT * FROM received WHERE id > ? ORDER BY id LIMIT ?").all(
      after.received,
      limit,
    ) as ReceivedRowData[];
    const inserted = this.sql("SELECT * FROM deliveries WHERE id > ? ORDER BY id LIMIT ?").all(
      after.deliveries,
      limit,
    ) as DeliveryRowData[];
    const updates = this.sql(
      "SELECT id, row FROM delivery_updates WHERE id > ? ORDER BY id LIMIT ?",
    ).all(after.updates, limit) as { id: number; row: number }[];
    const position: FeedPosition = {
      received: received.at(-1)?.id ?? after.received,
      deliveries: inserted.at(-1)?.id ?? after.deliveries,
      updates: updates.at(-1)?.id ?? after.updates,
    };
    const changes: Change[] = received.map((r) => ({
      kind: "received",
      record: toReceived(r),
    }));
    const seen = new Set<number>();
    for (const d of inserted) seen.add(d.id);
    for (const update of updates) {
      // An update of a row this read also found new (or already listed) adds nothing.
      if (seen.has(update.row) || update.row > position.deliveries) continue;
      seen.add(update.row);
      const row = this.sql("SELECT * FROM deliveries WHERE id = ?").get(update.row) as
        | DeliveryRowData
        | undefined;
      if (row) inserted.push(row);
    }
    for (const d of inserted) changes.push({ kind: "sent", record: toDelivery(d) });
    return { changes, position };
  }

  /** The newest rows, for a first view: `limit` of each kind, newest first. */
  recent(limit = 300): Change[] {
    const received = (
      this.sql("SELECT * FROM received ORDER BY id DESC LIMIT ?").all(limit) as ReceivedRowData[]
    ).map((r): Change => ({ kind: "received", record: toReceived(r) }));
    const sent = (
      this.sql("SELECT * FROM deliveries ORDER BY id DESC LIMIT ?").all(limit) as DeliveryRowData[]
    ).map((r): Change => ({ kind: "sent", record: toDelivery(r) }));
    return [...received, ...sent];
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
  private write(op: WriteOp, urgent = false, bytes = 0): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return this.startWriting().write(op, urgent, bytes);
  }

  /** Start the writer now (it takes a moment), before the first write needs it. */
  startWriting(): StoreWriter {
    this.writer ??= startWriter(this.path, (error) =>
      this.onError?.(explainSqliteError(this.path, error)),
    );
    return this.writer;
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
    if (this.leaseTimer) clearInterval(this.leaseTimer);
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
  // 2: what a received request's answer was beyond its status (note, forwarding result, latency),
  // and the updates of deliveries' state or attempts in one order (the inspector's feed: new rows
  // of both tables come in id order already; a lease renewal or a claim is not a change to show).
  `
    ALTER TABLE received ADD COLUMN extra TEXT;
    CREATE TABLE IF NOT EXISTS delivery_updates (id INTEGER PRIMARY KEY, row INTEGER NOT NULL);
    CREATE TRIGGER IF NOT EXISTS deliveries_updated AFTER UPDATE OF state, attempts ON deliveries
      BEGIN INSERT INTO delivery_updates (row) VALUES (NEW.id); END;
  `,
  // Scenario runs: which stored events one run sent, at which step, on which shared ids. Norce
  // sends no run id on the wire; the run is known here, on the sending side, by message id.
  `
    CREATE TABLE IF NOT EXISTS scenario_events (
      run_id TEXT NOT NULL,
      scenario TEXT NOT NULL,
      seed INTEGER NOT NULL,
      position INTEGER NOT NULL,
      repetition INTEGER NOT NULL,
      step INTEGER NOT NULL,
      step_id TEXT NOT NULL,
      type TEXT NOT NULL,
      message_id TEXT NOT NULL,
      ids TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS scenario_events_run ON scenario_events (run_id);
  `,
  // One owner per pending delivery: the run that holds it (owner, kept after it lets go, so it can
  // count what it left) and how long its claim holds without renewal (lease_until, epoch ms).
  `ALTER TABLE deliveries ADD COLUMN owner TEXT;
   ALTER TABLE deliveries ADD COLUMN lease_until INTEGER;`,
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

/**
 * `mkdir -p` without `{ recursive: true }`: Node's recursive mkdir spins forever on a path it
 * cannot create under some file systems (e.g. /proc/forbidden/x.db, 100% CPU). Walk up to the
 * first folder that exists and create the rest one by one; any failure is a one-line usage error.
 */
function makeFolders(path: string, folder: string): void {
  const missing: string[] = [];
  let at = folder;
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw cannotCreate(path, dir, error);
    }
  }
}

function cannotCreate(path: string, dir: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code ?? "error";
  return new UsageError(`event store ${path}: cannot write in the folder ${dir} (${code})`, {
    hint: "point --store at a file in a folder you can write, or use --no-store",
  });
}

/** A body as the writer takes it: large ones as bytes, transferred rather than copied. */
function toStored(body: string): string | Uint8Array {
  if (body.length < BIG_BODY) return body;
  const bytes = Buffer.from(body, "utf8");
  // Its own memory, whole, so it can be transferred (a pooled or sliced one cannot).
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : Uint8Array.prototype.slice.call(bytes);
}

/**
 * `JSON.stringify(records)`, written out for the one shape an attempt record has: a batch writes
 * one per event, and the general serialiser costs twice as much (the same text; a test checks).
 */
export function attemptListJson(records: readonly AttemptRecord[]): string {
  let out = "[";
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    out += `${i === 0 ? "" : ","}{"attempt":${jsonNumber(r.attempt)},"scheduleMs":${jsonNumber(r.scheduleMs)},"startedAt":${jsonNumber(r.startedAt)},"latencyMs":${jsonNumber(r.latencyMs)},"status":${jsonNumber(r.status)},"error":${r.error === null ? "null" : jsonString(r.error)},"response":${jsonString(r.response)},"url":${jsonString(r.url)}}`;
  }
  return `${out}]`;
}

/**
 * An attempt as the store keeps it. The receiver's answer, the error and the URL are masked with
 * the run's known secret values (a receiver that echoes the request would otherwise put the
 * token in the store) and URL credentials, before anything is queued for writing.
 */
export function toAttemptRecord(attempt: Attempt, secrets: readonly string[] = []): AttemptRecord {
  return {
    attempt: attempt.attempt,
    scheduleMs: attempt.scheduleMs,
    startedAt: attempt.startedAt,
    latencyMs: Math.round(attempt.latencyMs * 100) / 100,
    status: attempt.status ?? null,
    error: attempt.error
      ? maskText(`${attempt.error.code}: ${attempt.error.message}`, secrets)
      : null,
    response: maskText(attempt.response, secrets).slice(0, RESPONSE_BYTES),
    url: maskUrl(attempt.url),
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
  extra: string | null;
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
    extra: row.extra ? (JSON.parse(row.extra) as ReceivedExtra) : null,
  };
}

/** The details of a received request's answer, as the store keeps them (null when there are none). */
function receivedExtraJson(event: ReceivedEvent): string | null {
  if (!event.note && !event.forwarded) return null;
  // Masked as output masks it: an app that echoes the request must not put the token here.
  return JSON.stringify({
    ...(event.note ? { note: maskText(event.note, []) } : {}),
    latencyMs: Math.round(event.latencyMs * 100) / 100,
    ...(event.forwarded ? { forwarded: maskedForward(event) } : {}),
  });
}
