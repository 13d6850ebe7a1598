// The listener refuses bodies nested deeper than 64 levels without parsing them; the check first
// counts opening brackets (a body with few cannot be deep) and walks the text only when needed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nestsDeeperThan } from "../../src/listener/checks.js";

/** How deep a parsed JSON value nests arrays and objects. */
function depth(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce((deepest: number, child) => Math.max(deepest, depth(child)), 0);
}

describe("nestsDeeperThan", () => {
  it("tells a body's nesting depth from its text, brackets inside strings not counted", () => {
    const bracketText = fc.string({ unit: fc.constantFrom("{", "[", "]", "}", '"', "\\", "a") });
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.oneof(bracketText, fc.integer(), fc.constant(null)),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(bracketText, tie("node"), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 8 }), (v, limit) => {
        expect(nestsDeeperThan(JSON.stringify(v), limit)).toBe(depth(v) > limit);
      }),
      { numRuns: 3000 },
    );
  });

  it("finds depth beyond a limit however many brackets sit in strings before it", () => {
    const noise = `"${"{[".repeat(100)}"`;
    expect(nestsDeeperThan(`[${noise},${"[".repeat(64)}${"]".repeat(64)}]`, 64)).toBe(true);
    expect(nestsDeeperThan(`[${noise},${"[".repeat(63)}${"]".repeat(63)}]`, 64)).toBe(false);
    expect(nestsDeeperThan(`${"[".repeat(64)}${"]".repeat(64)}`, 64)).toBe(false);
  });
});
