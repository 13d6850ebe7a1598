/**
 * Recognises Norce's retries on the receiving side: the same `Norce-Event-Message-Id` again is
 * attempt N, and the gap since the previous attempt should be at least Norce's next backoff delay
 * (norce-commerce-event-docs.md, "Retries and TTL").
 *
 * Remembers a bounded number of message ids (the oldest are forgotten first) in a hash table of
 * typed arrays: no object is allocated per request, so under load nothing lives long enough to be
 * promoted in V8's heap and memory stays flat. Ids and header values are kept as 32-bit
 * fingerprints (two per id, so two different ids look alike with a chance of 2^-64).
 */
import { hash } from "node:crypto";
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

/** Message ids remembered at most (the oldest are forgotten first). */
export const RETRY_MEMORY = 10_000;

const EMPTY = 0;
const USED = 1;
const GONE = 2;

export class RetryTracker {
  private readonly timeScale: number;
  private readonly capacity: number;
  private size = 0;
  private gone = 0;
  // Open addressing, linear probing; table size a power of two at most half full.
  private mask = 0;
  private state = new Uint8Array(0);
  private idA = new Uint32Array(0);
  private idB = new Uint32Array(0);
  private count = new Uint16Array(0);
  private lastAt = new Float64Array(0);
  private timestamp = new Uint32Array(0);
  private type = new Uint32Array(0);
  private body = new Uint32Array(0);
  // Table positions in the order ids were first seen, for forgetting the oldest.
  private order: Int32Array;
  private orderHead = 0;

  constructor(options: { timeScale?: number; capacity?: number } = {}) {
    this.timeScale = options.timeScale ?? 1;
    this.capacity = Math.max(1, options.capacity ?? RETRY_MEMORY);
    this.order = new Int32Array(this.capacity).fill(-1);
    this.allocate(tableSizeFor(this.capacity));
  }

  observe(
    messageId: string | undefined,
    at: number,
    details: { timestamp: string | undefined; type: string | undefined; body: string },
  ): RetryInfo {
    if (!messageId) return { attempt: 1, early: false, beyondSchedule: false, changed: [] };
    const a = fingerprint(messageId, 0x811c9dc5);
    const b = fingerprint2(messageId);
    const timestamp = fingerprint(details.timestamp ?? "", 0x811c9dc5);
    const type = fingerprint(details.type ?? "", 0x811c9dc5);
    const body =
      details.body.length > 4096
        ? Number.parseInt(hash("sha1", details.body).slice(0, 8), 16) >>> 0
        : fingerprint(details.body, 0x811c9dc5);
    const found = this.find(a, b);
    if (found < 0) {
      this.insert(a, b, at, timestamp, type, body);
      return { attempt: 1, early: false, beyondSchedule: false, changed: [] };
    }
    const attempt = this.count[found]! + 1;
    const sincePreviousMs = at - this.lastAt[found]!;
    const changed: RetryInfo["changed"] = [];
    if (this.timestamp[found] !== timestamp) changed.push("timestamp");
    if (this.body[found] !== body) changed.push("body");
    if (this.type[found] !== type) changed.push("type");
    this.count[found] = Math.min(attempt, 65_535);
    this.lastAt[found] = at;
    this.timestamp[found] = timestamp;
    this.type[found] = type;
    this.body[found] = body;
    const delay = NORCE_RETRY_DELAYS_MS[attempt - 2];
    const expectedMinMs = delay === undefined ? undefined : delay / this.timeScale;
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
    const found = this.find(fingerprint(messageId, 0x811c9dc5), fingerprint2(messageId));
    return found < 0 ? 0 : this.count[found]!;
  }

  private find(a: number, b: number): number {
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
    for (;;) {
      const state = this.state[i];
      if (state === EMPTY) return -1;
      if (state === USED && this.idA[i] === a && this.idB[i] === b) return i;
      i = (i + 1) & this.mask;
    }
  }

  private insert(
    a: number,
    b: number,
    at: number,
    timestamp: number,
    type: number,
    body: number,
  ): void {
    // Forget the oldest when full.
    const oldest = this.order[this.orderHead]!;
    if (oldest >= 0 && this.state[oldest] === USED) {
      this.state[oldest] = GONE;
      this.size--;
      this.gone++;
    }
    if ((this.size + this.gone + 1) * 2 > this.state.length) this.rebuild();
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
    while (this.state[i] === USED) i = (i + 1) & this.mask;
    if (this.state[i] === GONE) this.gone--;
    this.state[i] = USED;
    this.idA[i] = a;
    this.idB[i] = b;
    this.count[i] = 1;
    this.lastAt[i] = at;
    this.timestamp[i] = timestamp;
    this.type[i] = type;
    this.body[i] = body;
    this.size++;
    this.order[this.orderHead] = i;
    this.orderHead = (this.orderHead + 1) % this.capacity;
  }

  /** Drop the forgotten entries' places (rarely: when they fill a quarter of the table). */
  private rebuild(): void {
    const old = {
      state: this.state,
      idA: this.idA,
      idB: this.idB,
      count: this.count,
      lastAt: this.lastAt,
      timestamp: this.timestamp,
      type: this.type,
      body: this.body,
    };
    const moved = new Int32Array(old.state.length).fill(-1);
    this.allocate(old.state.length);
    for (let j = 0; j < old.state.length; j++) {
      if (old.state[j] !== USED) continue;
      let i = (old.idA[j]! ^ Math.imul(old.idB[j]!, 0x9e3779b1)) & this.mask;
      while (this.state[i] === USED) i = (i + 1) & this.mask;
      this.state[i] = USED;
      this.idA[i] = old.idA[j]!;
      this.idB[i] = old.idB[j]!;
      this.count[i] = old.count[j]!;
      this.lastAt[i] = old.lastAt[j]!;
      this.timestamp[i] = old.timestamp[j]!;
      this.type[i] = old.type[j]!;
      this.body[i] = old.body[j]!;
      moved[j] = i;
      this.size++;
    }
    for (let k = 0; k < this.order.length; k++) {
      const j = this.order[k]!;
      this.order[k] = j >= 0 ? moved[j]! : -1;
    }
  }

  private allocate(size: number): void {
    this.mask = size - 1;
    this.size = 0;
    this.gone = 0;
    this.state = new Uint8Array(size);
    this.idA = new Uint32Array(size);
    this.idB = new Uint32Array(size);
    this.count = new Uint16Array(size);
    this.lastAt = new Float64Array(size);
    this.timestamp = new Uint32Array(size);
    this.type = new Uint32Array(size);
    this.body = new Uint32Array(size);
  }
}

function tableSizeFor(capacity: number): number {
  let size = 16;
  while (size < capacity * 4) size *= 2;
  return size;
}

/** FNV-1a over a string's characters, from `seed`: enough to tell ids and values apart. */
function fingerprint(text: string, seed: number): number {
  let hash = (seed ^ text.length) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A second, differently built fingerprint (multiply-rotate, as in MurmurHash). */
function fingerprint2(text: string): number {
  let hash = 0x9747b28c ^ text.length;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    hash ^= k;
    hash = Math.imul((hash << 13) | (hash >>> 19), 5) + 0xe6546b64;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}
