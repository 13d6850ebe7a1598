/** Parsers for command-line option values; they throw commander's InvalidArgumentError. */
import { InvalidArgumentError } from "commander";
import { MAX_TIMER_MS, parseDuration } from "../shared/duration.js";
import { UsageError } from "../shared/errors.js";
import { isDecimal, isWholeNumber } from "../shared/numbers.js";

/** A repeatable option: `-H a -H b` → `["a", "b"]`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A whole number within bounds. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!isWholeNumber(value)) {
      throw new InvalidArgumentError(`"${value}" is not a whole number.`);
    }
    const n = Number(value);
    if (n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? n > max
            ? `must be at most ${max} (larger whole numbers are not exact).`
            : `must be ${min} or more.`
          : `must be from ${min} to ${max}.`,
      );
    }
    return n;
  };
}

/** A decimal number within bounds (e.g. `--fail-rate 0.25`, `--time-scale 3600`). */
export function decimal(min: number, max = Number.POSITIVE_INFINITY) {
  return (value: string): number => {
    const n = Number(value);
    // Written in decimal, as typed: Number() also reads 0x10, 0b1 and 0o7.
    if (!isDecimal(value) || Number.isNaN(n)) {
      throw new InvalidArgumentError(`"${value}" is not a decimal number.`);
    }
    if (!Number.isFinite(n)) {
      throw new InvalidArgumentError(`"${value}" is not a finite number.`);
    }
    if (n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.POSITIVE_INFINITY
          ? `must be ${min} or more.`
          : `must be from ${min} to ${max}.`,
      );
    }
    return n;
  };
}

/** A comma-separated list: `--types A,B` (repeatable too). */
export function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** A duration with a unit (`5s`, `200ms`); a bare number is refused with a hint to add one. */
export function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    if (error instanceof UsageError) {
      throw new InvalidArgumentError(`${error.message}: ${error.hint ?? ""}`.replace(/: $/, ""));
    }
    throw error;
  }
}

/** A duration that must be more than zero (`--timeout`): `0ms` is a usage error, not a crash. */
export function positiveDuration(value: string): number {
  const ms = duration(value);
  if (!(ms > 0)) {
    throw new InvalidArgumentError(`"${value}" must be more than zero (e.g. 5s or 200ms).`);
  }
  return withinTimer(value, ms);
}

/** A wait of zero or more, held by one timer (`listen --delay`). */
export function waitDuration(value: string): number {
  return withinTimer(value, duration(value));
}

// A timer holds at most 2^31-1 ms; beyond it Node fires after 1 ms (an answer not late at all,
// every attempt a timeout).
function withinTimer(value: string, ms: number): number {
  if (ms > MAX_TIMER_MS) {
    throw new InvalidArgumentError(`"${value}" is longer than a timer can wait (24 days).`);
  }
  return ms;
}

/** A size: bytes, or with a unit (`512kb`, `1mb`, `1MiB`; k and m are 1024-based). */
export function size(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|k|mb|mib|m)?\s*$/i.exec(value);
  if (!match) throw new InvalidArgumentError(`"${value}" is not a size (write e.g. 1mb or 512kb).`);
  const unit = (match[2] ?? "b").toLowerCase();
  const factor = unit.startsWith("m") ? 1024 * 1024 : unit.startsWith("k") ? 1024 : 1;
  return Math.round(Number(match[1]) * factor);
}

/** An HTTP status code to answer with. */
export function httpStatus(value: string): number {
  const n = Number(value);
  if (!/^\d{3}$/.test(value.trim()) || n < 100 || n > 599) {
    throw new InvalidArgumentError(`"${value}" is not an HTTP status (100–599).`);
  }
  return n;
}
