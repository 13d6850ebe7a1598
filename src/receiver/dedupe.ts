/**
 * Deduplication by `Norce-Event-Message-Id`. Norce redelivers the same message (same id, timestamp
 * and body) after any non-2xx answer or a 5 s timeout, for about 22 hours (16 retries,
 * norce-commerce-event-docs.md "Retries and TTL"), so a receiver must remember the ids it has
 * handled for at least that long. An id is claimed before the handlers run and completed only
 * after they succeed: a failed attempt is released, so Norce's retry runs the handlers again
 * instead of being acknowledged and lost.
 */

/** What a store knows about a message id when a delivery of it arrives. */
export type ClaimState = "new" | "busy" | "done";

/** The answer of `claim`: a state, or a state with how many times the id has been claimed. */
export type ClaimResult = ClaimState | { state: ClaimState; attempt?: number };

export interface ClaimOptions {
  /** How long a completed id is remembered (the dedupe window). */
  windowMs: number;
  /**
   * How long a claim may stay `busy` if the process dies before `complete` or `release` (a store
   * shared between processes needs it; the in-memory store dies with the process anyway).
   */
  leaseMs: number;
}

/**
 * Where handled message ids are kept. Three calls, each may be sync or async, so Redis or SQL fit
 * in a few lines (see the README's "Dedupe stores"):
 * - `claim(id)`: atomically mark the id busy if it is unknown (or released) and answer `"new"`;
 *   answer `"busy"` while another delivery of it is being handled, `"done"` once completed.
 * - `complete(id)`: the handlers succeeded; remember the id as done for `windowMs`.
 * - `release(id)`: the handlers failed; forget the claim (busy or done) so a redelivery is
 *   handled again.
 */
export interface DedupeStore {
  claim(id: string, options: ClaimOptions): ClaimResult | Promise<ClaimResult>;
  complete(id: string, options: ClaimOptions): void | Promise<void>;
  release(id: string): void | Promise<void>;
}

export interface MemoryDedupeOptions {
  /**
   * The most ids remembered; the least recently used go first. At 36-character UUIDs this is
   * about 15 MB at the default. @default 100_000
   */
  maxEntries?: number;
  /** The clock, in epoch milliseconds (tests pass a fake one). @default Date.now */
  now?: () => number;
}

interface Entry {
  /** `failed`: a claim was released; the id counts as new, but its attempts are remembered. */
  state: "busy" | "done" | "failed";
  /** When a done or failed entry stops counting (busy entries never expire here). */
  expiresAt: number;
  attempts: number;
}

/** The default store: an in-memory LRU map of message ids. One process only; lost on restart. */
export function memoryDedupe(options: MemoryDedupeOptions = {}): DedupeStore & {
  /** How many ids are remembered now. */
  readonly size: number;
} {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: deleting and setting again moves an id to the end.
  const entries = new Map<string, Entry>();
  const touch = (id: string, entry: Entry) => {
    entries.delete(id);
    entries.set(id, entry);
    if (entries.size <= maxEntries) return;
    // Evict the least recently used ids, but never one being handled: its handler still runs.
    for (const [oldest, old] of entries) {
      if (entries.size <= maxEntries) break;
      if (old.state !== "busy") entries.delete(oldest);
    }
  };
  return {
    get size() {
      return entries.size;
    },
    claim(id, { windowMs }) {
      const time = now();
      const entry = entries.get(id);
      const live = entry !== undefined && (entry.state === "busy" || entry.expiresAt > time);
      if (live && entry.state === "busy") return { state: "busy", attempt: entry.attempts + 1 };
      if (live && entry.state === "done") {
        touch(id, entry);
        return { state: "done", attempt: entry.attempts + 1 };
      }
      const attempts = live ? entry.attempts + 1 : 1;
      touch(id, { state: "busy", expiresAt: time + windowMs, attempts });
      return { state: "new", attempt: attempts };
    },
    complete(id, { windowMs }) {
      const attempts = entries.get(id)?.attempts ?? 1;
      touch(id, { state: "done", expiresAt: now() + windowMs, attempts });
    },
    release(id) {
      const entry = entries.get(id);
      if (!entry || entry.state === "failed") return;
      // Remember the failed attempt for the window (for `attempt`); the next claim is "new".
      entry.state = "failed";
    },
  };
}
