import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  EVENT_FIXTURES_DIR,
  eventTypeInfos,
  findEventType,
  getEventType,
} from "../../src/events/catalog.js";
import { EVENT_TYPE_NAMES } from "../../src/events/payloads.generated.js";
import { UnknownEventTypeError } from "../../src/shared/errors.js";

describe("event catalog", () => {
  it("holds the 19 types of Norce's docs, one fixture file each", () => {
    const files = readdirSync(EVENT_FIXTURES_DIR).filter((f) => f.endsWith(".schema.json"));
    expect(files).toHaveLength(19);
    expect(
      eventTypeInfos()
        .map((i) => `${i.name}.schema.json`)
        .sort(),
    ).toEqual(files.sort());
  });

  it("derives category, kind and completeness from the files", () => {
    const counts = { Customer: 0, Order: 0, Product: 0, Supplier: 0, System: 0 };
    for (const info of eventTypeInfos()) {
      counts[info.category]++;
      expect(info.kind).toBe(info.name.endsWith("Notification") ? "Notification" : "Event");
      expect(info.properties).toContain("ClientId");
      expect(info.required).toContain("ClientId");
    }
    expect(counts).toEqual({ Customer: 2, Order: 9, Product: 4, Supplier: 3, System: 1 });
    const partial = eventTypeInfos().filter((i) => i.completeness === "partial");
    expect(partial.map((i) => i.name).sort()).toEqual([
      "OrderDeliveredEvent",
      "SupplierSkuPriceChangedNotification",
      "TranslationRequestedNotification",
    ]);
  });

  it("keeps Norce's facts (sources) on every type", () => {
    for (const info of eventTypeInfos()) {
      expect(info.sources.length, info.name).toBeGreaterThan(0);
      expect(info.sources.every((s) => s.startsWith("https://docs.norce.io/"))).toBe(true);
    }
  });

  it("says which fields of the partial types are modeled", () => {
    const delivered = getEventType("OrderDeliveredEvent");
    expect(delivered.modeled.map((m) => m.property)).toEqual([
      "ApplicationId",
      "OrderId",
      "OrderNo",
      "ClientOrderRef",
      "CellPhone",
      "FirstName",
      "LastName",
      "Source",
    ]);
    expect(delivered.required).toEqual(["ClientId"]);
    const translation = getEventType("TranslationRequestedNotification");
    expect(translation.modeled.map((m) => m.property)).toEqual(["EntityChanged"]);
    expect(translation.schema.properties.EntityChanged?.enum).toBeUndefined();
    // Complete types have nothing modeled.
    for (const info of eventTypeInfos().filter((i) => i.completeness === "complete")) {
      expect(info.modeled, info.name).toEqual([]);
    }
  });

  it("matches names case-insensitively and suggests the closest on a typo", () => {
    expect(getEventType("orderconfirmedevent").name).toBe("OrderConfirmedEvent");
    expect(getEventType(" SKUCHANGEDNOTIFICATION ").name).toBe("SkuChangedNotification");
    expect(findEventType("nope")).toBeUndefined();
    const error = (() => {
      try {
        getEventType("OrderConfirmedEvnt");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnknownEventTypeError);
    expect((error as UnknownEventTypeError).suggestion).toBe("OrderConfirmedEvent");
    expect((error as Error).message).toContain("did you mean OrderConfirmedEvent?");
    expect(() => getEventType("Completely different")).toThrow(/unknown event type/);
  });

  it("has a generated names list that matches the fixtures", () => {
    expect([...EVENT_TYPE_NAMES]).toEqual(eventTypeInfos().map((i) => i.name));
  });

  it("names a known realistic generator on every property", async () => {
    const { FAKERS } = await import("../../src/events/fakers.js");
    for (const info of eventTypeInfos()) {
      for (const [name, prop] of Object.entries(info.schema.properties)) {
        expect(FAKERS[prop["x-norce-faker"] ?? ""], `${info.name}.${name}`).toBeTypeOf("function");
      }
    }
  });

  it("copies each fixture from Norce's reference schema without changing a seen fact", () => {
    for (const info of eventTypeInfos()) {
      const raw = JSON.parse(
        readFileSync(new URL(`${info.name}.schema.json`, EVENT_FIXTURES_DIR), "utf8"),
      );
      for (const [name, prop] of Object.entries(raw.properties as Record<string, object>)) {
        if ("x-modeled" in prop) continue;
        expect(prop, `${info.name}.${name}`).toHaveProperty("type");
      }
    }
  });
});
