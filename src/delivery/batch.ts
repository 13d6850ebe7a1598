/**
 * Many events at once (`send --count N --concurrency C`): each event follows the full policy on
 * its own, over one shared undici connection pool. `concurrency` bounds requests in flight, not
 * events: an event waiting for its retry holds only a timer, so thousands can wait at once. Events
 * are made only when a request slot is free (with `ahead`, a chunk at a time, at most two chunks
 * before they are sent), and only numbers are kept per attempt, so memory stays flat however many
 * are sent.
 */
import { setMaxListeners } from "node:events";
import type { NorceEvent } from "../events/event.js";
import { whenAborted } from "./clock.js";
import {
  type Attempt,
  createAgent,
  type DeliverOptions,
  type Delivery,
  type DeliveryHooks,
  prepareDelivery,
  runDelivery,
} from "./engine.js";
import { createPolicy } from "./policy.js";

export interface DeliverManyOptions
  extends Omit<DeliverOptions, "dispatcher" | "acquire" | "resume" | "hooks"> {
  /** How many events. */
  count: number;
  /** Make event number `index` (0-based); called when the event is about to start. */
  makeEvent: (index: number) => NorceEvent;
  /** Requests in flight at most. @default 8 */
  concurrency?: number;
  /**
   * Per event, as it is made: hooks for its attempts and waits, and what to do when it ends.
   */
  track?: (event: NorceEvent, body: string) => EventTracking;
  /**
   * Make and track events this many at a time, ahead of sending them; after each chunk is made,
   * `admit` is called, and none of the chunk is sent before it resolves (a store commits the
   * chunk's rows there, so a crash loses no event that was sent). The next chunks are made and
   * admitted while this one is sent. @default 1 (no admission)
   */
  ahead?: number;
  admit?: () => Promise<unknown>;
}

export interface EventTracking {
  hooks?: DeliveryHooks;
  done?: (delivery: Delivery) => void | Promise<void>;
  /** Made and tracked, but never started: the run was stopped first. */
  dropped?: () => void;
}

interface Made {
  event: NorceEvent;
  body: string;
  tracking: EventTracking | undefined;
}

/** Events made (and tracked) ahead, ready once `ready` resolves. */
interface Chunk {
  items: Made[];
  ready: Promise<unknown>;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface BatchSummary {
  count: number;
  delivered: number;
  dead: number;
  /** Stopped while waiting for a retry (or mid-attempt). */
  interrupted: number;
  /** Never started because the run was stopped. */
  notStarted: number;
  attempts: number;
  latencyMs: LatencySummary;
  durationMs: number;
  /** Events finished (delivered or dead) per second of wall time. */
  eventsPerSecond: number;
}

export async function deliverMany(options: DeliverManyOptions): Promise<BatchSummary> {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const slots = createSemaphore(concurrency);
  const policy = createPolicy(options.policy);
  const dispatcher = createAgent(policy.timeoutMs, concurrency);
  // Ctrl-C: requests in flight end with the connections under them; waiting events stop waiting.
  const onAbort = () => void dispatcher.destroy().catch(() => undefined);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // Every event waiting for a request slot listens for the abort: thousands may wait at once.
  if (options.signal) setMaxListeners(0, options.signal);
  const ctx = prepareDelivery({ ...options, policy, dispatcher });
  const latencies: number[] = [];
  const summary = { delivered: 0, dead: 0, interrupted: 0, attempts: 0, started: 0 };
  let running = 0;
  let allDone: (() => void) | undefined;
  const started = performance.now();
  const later = () => slots.acquire(options.signal).then((release) => release ?? noop);

  const ahead = Math.max(1, options.ahead ?? 1);
  let made = 0;
  const makeChunk = (size: number): Chunk | undefined => {
    if (made >= options.count) return undefined;
    const items: Made[] = [];
    for (const end = Math.min(options.count, made + size); made < end; made++) {
      const event = options.makeEvent(made);
      const body = JSON.stringify(event.payload);
      items.push({ event, body, tracking: options.track?.(event, body) });
    }
    return { items, ready: options.admit?.() ?? Promise.resolve() };
  };

  try {
    // The first chunk small, so sending starts at once; the later ones larger, made and recorded
    // while the ones before are sent.
    const queued: Chunk[] = [];
    const fill = () => {
      // Two chunks recorded ahead of the one being sent hide the time a commit takes.
      while (queued.length < (ahead > 1 ? 2 : 1)) {
        const chunk = makeChunk(made === 0 && ahead > 1 ? Math.min(ahead, concurrency * 2) : ahead);
        if (!chunk) break;
        queued.push(chunk);
      }
    };
    fill();
    let stopped = false;
    while (!stopped && queued.length > 0) {
      const chunk = queued.shift()!;
      await chunk.ready;
      fill();
      for (const [i, { event, body, tracking }] of chunk.items.entries()) {
        // Take the slot for the first attempt before starting the event: the loop runs only as
        // fast as requests can go out, and nothing waits in memory to be sent.
        const firstSlot = await slots.acquire(options.signal);
        if (!firstSlot) {
          for (const item of chunk.items.slice(i)) item.tracking?.dropped?.();
          stopped = true;
          break;
        }
        const hooks = tracking?.hooks;
        summary.started++;
        running++;
        let first: (() => void) | undefined = firstSlot;
        const onAttempt = (attempt: Attempt) => {
          summary.attempts++;
          latencies.push(attempt.latencyMs);
          return hooks?.onAttempt?.(attempt);
        };
        runDelivery(event, ctx, {
          body,
          acquire: () => {
            if (!first) return later();
            const release = first;
            first = undefined;
            return Promise.resolve(release);
          },
          hooks: hooks?.onWait ? { onAttempt, onWait: hooks.onWait } : { onAttempt },
        })
          .then((delivery) => {
            first?.();
            summary[delivery.outcome]++;
            return tracking?.done?.(delivery as Delivery);
          })
          .finally(() => {
            running--;
            if (running === 0) allDone?.();
          });
      }
    }
    // Stopped: what was made ahead and never started is dropped (once its record is written).
    for (const chunk of queued.splice(0)) {
      await chunk.ready.catch(noop);
      for (const item of chunk.items) item.tracking?.dropped?.();
    }
    if (running > 0) await new Promise<void>((resolve) => (allDone = resolve));
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    if (!dispatcher.destroyed) await dispatcher.close();
  }

  const durationMs = performance.now() - started;
  const finished = summary.delivered + summary.dead;
  return {
    count: options.count,
    delivered: summary.delivered,
    dead: summary.dead,
    interrupted: summary.interrupted,
    notStarted: options.count - summary.started,
    attempts: summary.attempts,
    latencyMs: percentiles(latencies),
    durationMs,
    eventsPerSecond: durationMs > 0 ? (finished * 1000) / durationMs : 0,
  };
}

function noop(): void {}

export function percentiles(values: number[]): LatencySummary {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

interface Semaphore {
  /** Resolves to the slot's release, or undefined when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined>;
}

function createSemaphore(size: number): Semaphore {
  let free = size;
  const waiting: ((release: (() => void) | undefined) => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next(once());
    else free++;
  };
  const once = () => {
    let done = false;
    return () => {
      if (!done) {
        done = true;
        release();
      }
    };
  };
  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.resolve(undefined);
      if (free > 0) {
        free--;
        return Promise.resolve(once());
      }
      return new Promise((resolve) => {
        const grant = (r: (() => void) | undefined) => {
          stopWatching?.();
          resolve(r);
        };
        // One listener on the signal for all waiters (see whenAborted), not one each.
        const stopWatching = signal
          ? whenAborted(signal, () => {
              const i = waiting.indexOf(grant);
              if (i >= 0) waiting.splice(i, 1);
              resolve(undefined);
            })
          : undefined;
        waiting.push(grant);
      });
    },
  };
}
