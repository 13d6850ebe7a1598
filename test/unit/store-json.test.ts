// The store writes a delivery's attempt list with a serialiser written out for its one shape
// (a batch writes one per event); it must give JSON.stringify's text exactly, for every value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AttemptRecord, attemptListJson } from "../../src/store/db.js";

const record: fc.Arbitrary<AttemptRecord> = fc.record({
  attempt: fc.integer({ min: 1, max: 17 }),
  scheduleMs: fc.integer({ min: 0, max: 80_000_000 }),
  startedAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  latencyMs: fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(-0), fc.constant(1e21)),
  status: fc.oneof(fc.constant(null), fc.integer({ min: 100, max: 599 })),
  error: fc.oneof(fc.constant(null), fc.string(), fc.string({ unit: "binary" })),
  response: fc.oneof(
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.constant('"\\\u0000\u2028\ud800'),
  ),
  url: fc.webUrl(),
});

describe("attemptListJson", () => {
  it("is JSON.stringify of the list, character for character", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 17 }), (records) => {
        expect(attemptListJson(records)).toBe(JSON.stringify(records));
      }),
      { numRuns: 2000 },
    );
  });
});
