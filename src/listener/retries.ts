/**
 * Recognises Norce's retries on the receiving side: the same `Norce-Event-Message-Id` again is
 * attempt N, and the gap since the previous attempt should be at least Norce's next backoff delay
 * (norce-commerce-event-docs.md, "Retries and TTL"). Remembers a bounded number of message ids, so
 * memory stays flat under any load.
 */
import { NORCE_RETRY_DELAYS_MS } from "../delivery/policy.js";

export interface RetryInfo {
  /** 1 the first time a message id is seen. */
  attempt: number;
  /** Time since the previous attempt of this message id. */
  sincePreviousMs?: number;
  /** Norce's minimum gap before this attempt (divided by the time scale). */
  expectedMinMs?: number;
  /** The gap is shorter than Norce's minimum: a sender that retries too early. */
  early: boolean;
  /** More attempts than Norce makes (1 + 16). */
  beyondSchedule: boolean;
  /** What changed since the previous attempt, though a retry carries the same event. */
  changed: ("timestamp" | "body" | "type")[];
}

interface Seen {
  count: number;
  lastAt: number;
  timestamp: string | undefined;
  type: string | undefined;
  bodyHash: number;
}

/** A cheap fingerprint of a body (FNV-1a over its characters, mixed with its length): enough to tell a changed retry. */
function fingerprint(text: string): number {
  let hash = 0x811c9dc5 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Message ids remembered at most (the oldest are forgotten first). */
export const RETRY_MEMORY = 20_000;

export class RetryTracker {
  private readonly seen = new Map<string, Seen>();
  private readonly timeScale: number;
  private readonly capacity: number;

  constructor(options: { timeScale?: number; capacity?: number } = {}) {
    this.timeScale = options.timeScale ?? 1;
    this.capacity = options.capacity ?? RETRY_MEMORY;
  }

  observe(
    messageId: string | undefined,
    at: number,
    details: { timestamp: string | undefined; type: string | undefined; body: string },
  ): RetryInfo {
    if (!messageId) return { attempt: 1, early: false, beyondSchedule: false, changed: [] };
    const bodyHash = fingerprint(details.body);
    const previous = this.seen.get(messageId);
    if (!previous) {
      this.remember(messageId, {
        count: 1,
        lastAt: at,
        timestamp: details.timestamp,
        type: details.type,
        bodyHash,
      });
      return { attempt: 1, early: false, beyondSchedule: false, changed: [] };
    }
    const attempt = previous.count + 1;
    const delay = NORCE_RETRY_DELAYS_MS[attempt - 2];
    const expectedMinMs = delay === undefined ? undefined : delay / this.timeScale;
    const sincePreviousMs = at - previous.lastAt;
    const changed: RetryInfo["changed"] = [];
    if (previous.timestamp !== details.timestamp) changed.push("timestamp");
    if (previous.bodyHash !== bodyHash) changed.push("body");
    if (previous.type !== details.type) changed.push("type");
    this.seen.delete(messageId);
    this.remember(messageId, {
      count: attempt,
      lastAt: at,
      timestamp: details.timestamp,
      type: details.type,
      bodyHash,
    });
    return {
      attempt,
      sincePreviousMs,
      ...(expectedMinMs === undefined ? {} : { expectedMinMs }),
      early: expectedMinMs !== undefined && sincePreviousMs < expectedMinMs,
      beyondSchedule: delay === undefined,
      changed,
    };
  }

  /** How many attempts of `messageId` have been seen. */
  attempts(messageId: string): number {
    return this.seen.get(messageId)?.count ?? 0;
  }

  private remember(messageId: string, seen: Seen): void {
    this.seen.set(messageId, seen);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
