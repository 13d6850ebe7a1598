/** Durations as people write them: `200ms`, `5s`, `1.5s`, `10m`, `1h`, `1h30m`, `7d`. */
import { UsageError } from "./errors.js";

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * The longest wait one Node.js timer can hold (2^31 − 1 ms, about 24.8 days): a longer one
 * fires after 1 ms with a warning, so longer waits are slept in parts of at most this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Parse a duration with a unit into milliseconds. A bare number is an error with a hint. */
export function parseDuration(text: string, what = "duration"): number {
  const input = text.trim().toLowerCase();
  if (/^-?\d+(\.\d+)?$/.test(input)) {
    throw new UsageError(`${what} "${text}" has no unit`, {
      hint: `add one, e.g. ${input}s or ${input}ms (units: ms, s, m, h, d)`,
    });
  }
  const parts = input.match(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g);
  if (!parts || parts.join("").replace(/\s/g, "") !== input.replace(/\s/g, "")) {
    throw new UsageError(`${what} "${text}" is not a duration`, {
      hint: "write it like 200ms, 5s, 10m, 1h or 1h30m",
    });
  }
  let total = 0;
  for (const part of parts) {
    const [, amount, unit] = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/.exec(part)!;
    total += Number(amount) * UNITS[unit!]!;
  }
  if (!(total <= Number.MAX_SAFE_INTEGER)) {
    throw new UsageError(`${what} "${text}" is too long`, {
      hint: "durations go up to about 285,000 years (2^53 − 1 ms)",
    });
  }
  return Math.round(total);
}

/**
 * Milliseconds as a short human duration: `850ms`, `5s`, `1.5s`, `2m`, `1m 30s`, `22h 4m`.
 * Sub-second values keep milliseconds; longer ones show at most two units.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "∞";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${Math.round(rest * 10) / 10}ms`;
  if (rest < 60_000) {
    const seconds = Math.round(rest / 100) / 10;
    return `${sign}${seconds}s`;
  }
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (rest >= size) {
      const amount = Math.floor(rest / size);
      parts.push(`${amount}${unit}`);
      rest -= amount * size;
    }
    if (parts.length === 2) break;
  }
  return sign + parts.join(" ");
}
