/**
 * The clock the delivery engine asks for the time and for waits, so tests can run Norce's
 * 22-hour schedule instantly (fake clock) and users can compress it (`timeScale`).
 */
import { MAX_TIMER_MS } from "../shared/duration.js";
import { AbortedError } from "../shared/errors.js";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolve at `dueAt` (never before it); reject with `AbortedError` when `signal` aborts. */
  sleepUntil(dueAt: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock. A timer can fire a little early; we sleep again until the due time has come. */
export const realClock: Clock = {
  now: () => Date.now(),
  async sleepUntil(dueAt, signal) {
    // Date.now() counts whole milliseconds: the wait ends only once the clock is past the due
    // millisecond, so the real time waited is never shorter than asked (at most 1 ms longer).
    // A wait beyond one timer's reach (a 6 h backoff at --time-scale 0.001 is 250 days) is
    // slept in parts; one timer for all of it would fire at once, again and again.
    for (;;) {
      const wait = dueAt - Date.now();
      if (wait < 0) return;
      await sleep(Math.min(wait + 1, MAX_TIMER_MS), signal);
    }
  },
};

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    const stopWatching = signal
      ? whenAborted(signal, () => {
          clearTimeout(timer);
          reject(new AbortedError());
        })
      : undefined;
    const timer = setTimeout(() => {
      stopWatching?.();
      resolve();
    }, ms);
  });
}

const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Call `callback` when `signal` aborts; returns a function that stops watching. However many
 * waits and deliveries watch one signal (thousands of events waiting for their retries), the
 * signal gets ONE listener: one per wait made Node warn `MaxListenersExceededWarning` past 10.
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = watchers.get(signal);
  if (!callbacks) {
    const created = new Set<() => void>();
    callbacks = created;
    watchers.set(signal, created);
    signal.addEventListener(
      "abort",
      () => {
        const now = [...created];
        created.clear();
        for (const call of now) call();
      },
      { once: true },
    );
  }
  const own = callbacks;
  own.add(callback);
  return () => {
    own.delete(callback);
  };
}

/** A clock that only moves when asked to wait: every sleep returns at once and is recorded. */
export interface FakeClock extends Clock {
  /** The waits asked for, in milliseconds, in order. */
  readonly sleeps: number[];
  /** Move time forward (e.g. to stand for a slow attempt). */
  advance(ms: number): void;
}

export function createFakeClock(start = Date.UTC(2025, 10, 16, 6, 32, 28)): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance(ms) {
      now += ms;
    },
    async sleepUntil(dueAt, signal) {
      if (signal?.aborted) throw new AbortedError();
      const wait = Math.max(0, dueAt - now);
      sleeps.push(wait);
      now = Math.max(now, dueAt);
    },
  };
}
