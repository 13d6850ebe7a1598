import { describe, expect, it } from "vitest";
import { getEventType } from "../../src/events/catalog.js";
import { compileGenerator } from "../../src/events/generator.js";
import { compileOverrides } from "../../src/events/overrides.js";
import { InvalidPayloadError, UsageError } from "../../src/shared/errors.js";

const info = getEventType("OrderConfirmedEvent");
const payload = () => compileGenerator(info)(1);

describe("overrides", () => {
  it("coerces --set values to the schema's type and matches names case-insensitively", () => {
    const result = compileOverrides(info, {
      set: ["orderid=42", "FirstName=Åsa", "OrderNo=123"],
    }).apply(payload());
    expect(result.OrderId).toBe(42);
    expect(result.FirstName).toBe("Åsa");
    expect(result.OrderNo).toBe("123");
  });

  it("merges --data and removes --unset properties", () => {
    const result = compileOverrides(info, { data: { Source: "CDON" }, unset: ["CellPhone"] }).apply(
      payload(),
    );
    expect(result.Source).toBe("CDON");
    expect(result).not.toHaveProperty("CellPhone");
  });

  it("names the property when a value has the wrong type", () => {
    expect(() => compileOverrides(info, { set: ["OrderId=abc"] })).toThrow(
      /cannot set OrderId=abc: OrderId is an integer \(int64\)/,
    );
    expect(() => compileOverrides(info, { set: ["OrderId"] })).toThrow(UsageError);
  });

  it("refuses unknown properties on complete schemas, with a suggestion", () => {
    expect(() => compileOverrides(info, { set: ["OrderNr=1"] })).toThrow(/did you mean OrderNo\?/);
  });

  it("keeps unknown properties on partial schemas, with a warning", () => {
    const partial = getEventType("SupplierSkuPriceChangedNotification");
    const compiled = compileOverrides(partial, { set: ["CostValue=12.5"] });
    expect(compiled.warnings[0]).toMatch(/partial/);
    expect(compiled.apply(compileGenerator(partial)(1)).CostValue).toBe(12.5);
  });

  it("checks the result against the schema, naming the JSON path", () => {
    const compiled = compileOverrides(info, { unset: ["OrderNo"] });
    try {
      compiled.apply(payload());
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect((error as InvalidPayloadError).problems[0]?.path).toBe("$.OrderNo");
    }
    const loose = compileOverrides(
      info,
      { unset: ["OrderNo"], set: ["OrderId=abc"] },
      { allowInvalid: true },
    );
    const result = loose.apply(payload());
    expect(result.OrderId).toBe("abc");
    expect(result).not.toHaveProperty("OrderNo");
  });

  it("rejects int32 values outside the format's range", () => {
    expect(() => compileOverrides(info, { set: ["ClientId=3000000000"] }).apply(payload())).toThrow(
      /\$\.ClientId must be a valid int32/,
    );
  });
});
