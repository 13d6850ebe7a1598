import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { eventTypeInfos, getEventType } from "../../src/events/catalog.js";
import { formatTimestamp, parseTimestamp } from "../../src/events/event.js";
import { fakeEvent } from "../../src/events/factory.js";
import { compileGenerator } from "../../src/events/generator.js";
import { validatePayload } from "../../src/events/validator.js";

/** The docs' sample bodies are renderer placeholders; derive them from the fixtures' `examples`. */
function placeholders(): Set<unknown> {
  const values = new Set<unknown>();
  for (const info of eventTypeInfos()) {
    for (const example of (info.schema.examples as Record<string, unknown>[] | undefined) ?? []) {
      for (const [key, value] of Object.entries(example)) {
        // Enum values in the samples are real values (the first of the enum), not placeholders.
        if (!info.schema.properties[key]?.enum) values.add(value);
      }
    }
  }
  return values;
}

const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);

describe("payload generator", () => {
  const banned = placeholders();

  it("knows the docs' placeholders", () => {
    expect(banned).toEqual(new Set([0, "string", 0.1]));
  });

  for (const info of eventTypeInfos()) {
    it(`${info.name}: seeds 1..200 are valid, realistic and repeatable`, () => {
      const generate = compileGenerator(info);
      const again = compileGenerator(info);
      for (const seed of SEEDS) {
        const payload = generate(seed);
        const result = validatePayload(info, payload);
        expect(result.problems, `seed ${seed}: ${JSON.stringify(payload)}`).toEqual([]);
        for (const [key, value] of Object.entries(payload)) {
          expect(banned.has(value), `${key}=${JSON.stringify(value)} (seed ${seed})`).toBe(false);
          expect(String(value)).not.toMatch(/lorem|ipsum/i);
          expect(value, key).not.toBe("");
          if (typeof value === "number") expect(value, key).toBeGreaterThan(-1);
        }
        for (const key of Object.keys(payload)) expect(info.properties).toContain(key);
        expect(JSON.stringify(again(seed))).toBe(JSON.stringify(payload));
      }
    });
  }

  it("gives the same payloads on every machine (golden digest of all types × seeds 1..200)", () => {
    const hash = createHash("sha256");
    for (const info of eventTypeInfos()) {
      const generate = compileGenerator(info);
      for (const seed of SEEDS) hash.update(`${JSON.stringify(generate(seed))}\n`);
    }
    // Changing a faker changes this digest: say so in CHANGELOG.md (seeded payloads changed).
    expect(hash.digest("hex")).toMatchInlineSnapshot(
      `"1c892624b2040830d2b491ac7f0fefa0c1f95adb37888dd4694bfa139a3450d9"`,
    );
  });

  it("makes distinct payloads for --count with a seed", () => {
    for (const info of eventTypeInfos()) {
      const generate = compileGenerator(info);
      const seen = new Set<string>();
      for (let i = 0; i < 1000; i++) seen.add(JSON.stringify(generate(42, i)));
      expect(seen.size, info.name).toBe(1000);
    }
  });

  it("first payload of a seeded run is the payload of the seed alone", () => {
    const generate = compileGenerator(getEventType("OrderConfirmedEvent"));
    expect(generate(7, 0)).toEqual(generate(7));
    expect(generate(7, 1)).not.toEqual(generate(7));
  });

  it("keeps optional properties most of the time, all or none on request", () => {
    const info = getEventType("OrderConfirmedEvent");
    const some = compileGenerator(info);
    const all = compileGenerator(info, { optionals: "all" });
    const none = compileGenerator(info, { optionals: "none" });
    let present = 0;
    let possible = 0;
    const optional = info.properties.filter((p) => !info.required.includes(p));
    for (const seed of SEEDS) {
      const payload = some(seed);
      possible += optional.length;
      present += optional.filter((p) => p in payload).length;
      expect(Object.keys(all(seed))).toEqual(info.properties);
      expect(Object.keys(none(seed))).toEqual(info.required);
      // Only the set of properties differs between modes, never the values.
      for (const [key, value] of Object.entries(payload)) expect(all(seed)[key]).toEqual(value);
    }
    expect(present / possible).toBeGreaterThan(0.75);
    expect(present / possible).toBeLessThan(0.95);
  });

  it("looks like a Nordic Norce shop", () => {
    const orders = SEEDS.map((seed) => compileGenerator(getEventType("OrderReceivedEvent"))(seed));
    const phones = orders.map((o) => o.CellPhone).filter(Boolean) as string[];
    expect(phones.every((p) => /^\+46701740(6\d\d)$|^\+47[49]\d{7}$/.test(p))).toBe(true);
    expect(phones.some((p) => p.startsWith("+46"))).toBe(true);
    expect(phones.some((p) => p.startsWith("+47"))).toBe(true);
    const emails = orders.map((o) => o.Email).filter(Boolean) as string[];
    expect(emails.every((e) => /^[a-z0-9.]+@example\.(com|net|org)$/.test(e))).toBe(true);
    const sources = orders.map((o) => o.Source);
    const web = sources.filter((s) => s === "WEB").length;
    expect(web / sources.length).toBeGreaterThan(0.65);
    expect(new Set(sources).size).toBeGreaterThan(2);

    const payments = SEEDS.map((seed) =>
      compileGenerator(getEventType("OrderPaymentReceivedEvent"), { optionals: "all" })(seed),
    );
    for (const p of payments) {
      expect(["SEK", "NOK", "DKK", "EUR"]).toContain(p.CurrencyCode);
      expect(Math.round((p.Amount as number) * 100)).toBeCloseTo((p.Amount as number) * 100, 6);
      expect(p.Amount as number).toBeGreaterThan(0);
    }

    const jobs = SEEDS.map((seed) => compileGenerator(getEventType("JobCompletedEvent"))(seed));
    expect(new Set(jobs.map((j) => j.StatusId))).toEqual(new Set([2, 3, 4]));

    const stock = SEEDS.map((s) =>
      compileGenerator(getEventType("SkuOnHandBreakPointNotification"))(s),
    );
    for (const s of stock)
      expect(s.OnHandValue as number).toBeLessThanOrEqual(s.MinimumValue as number);
  });

  it("generates modeled EntityChanged values for TranslationRequestedNotification", () => {
    const info = getEventType("TranslationRequestedNotification");
    const values = new Set(SEEDS.map((s) => compileGenerator(info)(s).EntityChanged));
    expect([...values].sort()).toEqual(
      [...(info.schema.properties.EntityChanged?.["x-modeled-values"] ?? [])].sort(),
    );
  });
});

describe("fakeEvent", () => {
  it("wraps a payload with a message id and a Norce timestamp", () => {
    const event = fakeEvent("OrderConfirmedEvent", { seed: 1, overrides: { OrderNo: "SO1001" } });
    expect(fakeEvent("orderconfirmedevent", { seed: 1 }).type).toBe("OrderConfirmedEvent");
    expect(event.type).toBe("OrderConfirmedEvent");
    expect(event.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.payload.OrderNo).toBe("SO1001");
    expect(event.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
  });

  it("refuses overrides that break the schema unless allowed", () => {
    expect(() => fakeEvent("OrderConfirmedEvent", { overrides: { OrderId: "x" } })).toThrow(
      /\$\.OrderId must be integer/,
    );
    const event = fakeEvent("OrderConfirmedEvent", {
      overrides: { OrderId: "x" },
      allowInvalid: true,
    });
    expect(event.payload.OrderId).toBe("x");
  });
});

describe("timestamps", () => {
  it("formats like Norce: six fractional digits and a numeric offset, never Z", () => {
    const date = new Date("2025-11-16T06:32:28.326Z");
    const text = formatTimestamp(date, 837);
    expect(text).toMatch(/^2025-11-16T\d\d:32:28\.326837[+-]\d\d:\d\d$/);
    expect(text.endsWith("Z")).toBe(false);
    expect(parseTimestamp(text)?.getTime()).toBe(date.getTime());
  });

  it("parses Norce's example and rejects text without a zone", () => {
    expect(parseTimestamp("2025-11-16T07:32:28.326837+01:00")?.toISOString()).toBe(
      "2025-11-16T06:32:28.326Z",
    );
    expect(parseTimestamp("2025-11-16T07:32:28")).toBeUndefined();
    expect(parseTimestamp("yesterday")).toBeUndefined();
  });
});
