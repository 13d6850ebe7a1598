import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/shared/duration.js";

describe("durations", () => {
  it("parses durations with units", () => {
    expect(parseDuration("200ms")).toBe(200);
    expect(parseDuration("5s")).toBe(5000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("7d")).toBe(604_800_000);
  });

  it("refuses a bare number with a hint to add a unit", () => {
    expect(() => parseDuration("5")).toThrow(/has no unit/);
    try {
      parseDuration("5");
    } catch (error) {
      expect((error as { hint: string }).hint).toMatch(/5s or 5ms/);
    }
    expect(() => parseDuration("5 parsecs")).toThrow(/not a duration/);
    expect(() => parseDuration("")).toThrow();
  });

  it("formats milliseconds for people", () => {
    expect(formatDuration(12)).toBe("12ms");
    expect(formatDuration(5000)).toBe("5s");
    expect(formatDuration(1500)).toBe("1.5s");
    expect(formatDuration(90_000)).toBe("1m 30s");
    expect(formatDuration(3_600_000)).toBe("1h");
    expect(formatDuration(79_470_000)).toBe("22h 4m");
  });
});
