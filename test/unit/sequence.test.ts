// An order's events numbered as one sequence by their shared ids; bounded, and fast when every
// event brings a new order (a listener under load).
import { describe, expect, it } from "vitest";
import { createSequenceTracker } from "../../src/listener/sequence.js";
import type { ReceivedEvent } from "../../src/listener/server.js";

const event = (body: unknown, attempt = 1) => ({ body, attempt }) as unknown as ReceivedEvent;

describe("createSequenceTracker", () => {
  it("numbers the distinct events sharing an id; a retry keeps its number", () => {
    const sequences = createSequenceTracker();
    expect(sequences.see(event({ ClientOrderRef: "A" }))).toEqual({ label: "order A", n: 1 });
    expect(sequences.see(event({ ClientOrderRef: "A" }))).toEqual({ label: "order A", n: 2 });
    expect(sequences.see(event({ ClientOrderRef: "A" }, 2))).toEqual({ label: "order A", n: 2 });
    expect(sequences.see(event({ SupplierId: 7, PartNo: "P-1" }))?.label).toBe(
      "supplier SKU 7/P-1",
    );
    expect(sequences.see(event("not an object"))).toBeUndefined();
  });

  it("forgets the sequences not seen for longest, keeps one seen again, and stays fast", () => {
    const sequences = createSequenceTracker(100);
    sequences.see(event({ ClientOrderRef: "kept" }));
    sequences.see(event({ ClientOrderRef: "dropped" }));
    for (let i = 0; i < 60; i++) {
      sequences.see(event({ ClientOrderRef: `order-${i}` }));
      if (i % 20 === 0) sequences.see(event({ ClientOrderRef: "kept" }));
    }
    for (let i = 60; i < 200; i++) {
      sequences.see(event({ ClientOrderRef: `order-${i}` }));
      if (i % 20 === 0) sequences.see(event({ ClientOrderRef: "kept" }));
    }
    expect(sequences.see(event({ ClientOrderRef: "kept" }))?.n).toBe(12);
    expect(sequences.see(event({ ClientOrderRef: "dropped" }))?.n).toBe(1);

    // A key is remembered until `limit` other keys have been seen since it last was: here 99
    // after it, with 49 before it in the same generation (halves of the limit forgot it after 51).
    const bounded = createSequenceTracker(100);
    for (let i = 0; i < 49; i++) bounded.see(event({ ClientOrderRef: `before-${i}` }));
    bounded.see(event({ ClientOrderRef: "A" }));
    for (let i = 0; i < 99; i++) bounded.see(event({ ClientOrderRef: `after-${i}` }));
    expect(bounded.see(event({ ClientOrderRef: "A" }))?.n).toBe(2);
    // …and forgotten once 2 × limit others have been (the memory stays bounded).
    for (let i = 0; i < 200; i++) bounded.see(event({ ClientOrderRef: `later-${i}` }));
    expect(bounded.see(event({ ClientOrderRef: "A" }))?.n).toBe(1);

    // 200,000 new orders past a full memory: ~150 ms here (the earlier one-key-at-a-time
    // eviction walked its Map's holes on every call: 1.6 s).
    const big = createSequenceTracker(10_000);
    const started = performance.now();
    for (let i = 0; i < 200_000; i++) big.see(event({ ClientOrderRef: `o-${i}` }));
    expect(performance.now() - started).toBeLessThan(800);
  });
});
