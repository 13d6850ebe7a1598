/**
 * The clock the delivery engine asks for the time and for waits, so tests can run Norce's
 * 22-hour schedule instantly (fake clock) and users can compress it (`timeScale`).
 */
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
    for (;;) {
      const wait = dueAt - Date.now();
      if (wait <= 0) return;
      await sleep(wait, signal);
    }
  },
};

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
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
