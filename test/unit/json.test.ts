// The JSON written once per request (the --json line, the store's header column) is quoted in
// JavaScript where no escape is needed; it must give JSON.stringify's text exactly, for every value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flatRecordJson, jsonNumber, jsonScalar, jsonString } from "../../src/shared/json.js";

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom(
    '"',
    "\\",
    "\u0000",
    "\u001f",
    "\u007f",
    "\u2028",
    "\u2029",
    "\ud800",
    "\udfff",
    "😀",
  ),
);

describe("JSON text without JSON.stringify", () => {
  it("quotes any string as JSON.stringify does", () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(jsonString(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 3000 },
    );
  });

  it("writes numbers, booleans and nothing as JSON.stringify does (undefined and NaN as null)", () => {
    const values = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 5e-324),
      fc.boolean(),
      fc.constant(null),
      text,
    );
    fc.assert(
      fc.property(values, (value) => {
        expect(jsonScalar(value)).toBe(JSON.stringify(value) ?? "null");
      }),
      { numRuns: 2000 },
    );
    expect(jsonScalar(undefined)).toBe("null");
    expect(jsonNumber(undefined)).toBe("null");
  });

  it("writes a record of strings with JSON.stringify's keys, order and escapes", () => {
    const names = fc.oneof(text, fc.constantFrom("0", "1", "10", "4294967295", "-1", "__proto__"));
    fc.assert(
      fc.property(fc.array(fc.tuple(names, text), { maxLength: 12 }), (pairs) => {
        const record: Record<string, string> = Object.create(null);
        for (const [name, value] of pairs) record[name] = value;
        const plain = Object.fromEntries(pairs);
        expect(flatRecordJson(record)).toBe(JSON.stringify(record));
        expect(flatRecordJson(plain)).toBe(JSON.stringify(plain));
      }),
      { numRuns: 2000 },
    );
  });
});
