/**
 * Checks of the numbers a library caller passes (the relay's timers and limits): each names the
 * option it refuses, as the CLI's parsers name the flag.
 */
import { formatDuration, MAX_TIMER_MS } from "./duration.js";
import { UsageError } from "./errors.js";

/**
 * A library option that sets a timer: a number of milliseconds from 1 to MAX_TIMER_MS, or a
 * UsageError naming it (below 1 Node fires every millisecond; above MAX_TIMER_MS at once).
 */
export function timerOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new UsageError(`${name} must be a number of milliseconds, not a ${typeof value}`);
  }
  if (!(value >= 1 && value <= MAX_TIMER_MS)) {
    throw new UsageError(`${name} must be from 1 to ${MAX_TIMER_MS} ms (got ${value})`);
  }
  return value;
}

/** A library option that counts (bytes, events): a whole number of at least 1, or a UsageError. */
export function countOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(
      `${name} must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER} (got ${typeof value === "number" ? value : `a ${typeof value}`})`,
    );
  }
  return value;
}

/** Silence for `idleMs` ends a connection: it must outlast the wait between two pings. */
export function checkIdleAfterPing(
  idleMs: number,
  pingMs: number,
  names = ["idleTimeoutMs", "pingIntervalMs"],
): void {
  if (idleMs <= pingMs) {
    throw new UsageError(
      `${names[0]} (${formatDuration(idleMs)}) must be longer than ${names[1]} (${formatDuration(pingMs)}): a connection would be judged silent between two pings`,
    );
  }
}
