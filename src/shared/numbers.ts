/**
 * Numbers as people type them: decimal notation only. `Number()` also reads `0x10`, `0o7` and
 * `0b1` (and `""` as 0), so every number typed on the command line, in `--set` or on the
 * inspector's page is checked against these first.
 */

/** A decimal number: an optional sign, digits with an optional fraction, an optional exponent. */
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;
/** A whole number in decimal digits, with an optional sign (as a decimal number may have). */
const WHOLE = /^\s*[+-]?\d+\s*$/;

export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

export function isWholeNumber(text: string): boolean {
  return WHOLE.test(text);
}

/**
 * A number from JSON: a number as it is, a string only in decimal notation (`whole`: digits
 * only), anything else NaN.
 */
export function numberFrom(value: unknown, whole = false): number {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return Number.NaN;
  return (whole ? isWholeNumber(value) : isDecimal(value)) ? Number(value) : Number.NaN;
}
