/**
 * JSON text for the few shapes written once per request (the `--json` line, the store's header
 * column), exactly as `JSON.stringify` writes them. Each `JSON.stringify` call costs a trip into
 * V8's C++ (~0.1–0.2 µs for a short string); a line made of a dozen of them spent more on the
 * trips than on the text. Strings that need no escape are quoted here; any other goes to
 * `JSON.stringify`. A property test checks both against `JSON.stringify`.
 */

/** A character `JSON.stringify` would escape (or a surrogate, which it may): left to it. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`. */
export function jsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** A number as JSON writes it (null for none, NaN or an infinity). */
export function jsonNumber(value: number | null | undefined): string {
  return value !== null && value !== undefined && Number.isFinite(value) ? String(value) : "null";
}

/** `JSON.stringify(value)` for a string, number, boolean or nothing (undefined → null). */
export function jsonScalar(value: string | number | boolean | null | undefined): string {
  if (typeof value === "string") return jsonString(value);
  if (typeof value === "number") return jsonNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  return "null";
}

/** `JSON.stringify(record)` for an object whose values are all strings (as request headers). */
export function flatRecordJson(record: Readonly<Record<string, string>>): string {
  let out = "{";
  // for…in visits the keys in JSON.stringify's order (integer-like names first, then insertion).
  for (const name in record) {
    if (!Object.hasOwn(record, name)) continue;
    const value = record[name];
    if (typeof value !== "string") return JSON.stringify(record);
    out += `${out.length === 1 ? "" : ","}${jsonString(name)}:${jsonString(value)}`;
  }
  return `${out}}`;
}
