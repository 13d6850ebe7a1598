import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { validatePayload } from "../../src/events/validator.js";
import {
  BUILTIN_SCENARIOS,
  builtinDefinition,
  builtinFiles,
  builtinScenarios,
} from "../../src/scenarios/builtins.js";
import { applyChaos, parseChaos } from "../../src/scenarios/chaos.js";
import { checkScenario, SCENARIO_SCHEMA_FILE } from "../../src/scenarios/definition.js";
import { planScenario } from "../../src/scenarios/plan.js";
import { ScenarioError } from "../../src/shared/errors.js";

/** A scenario file as a test edits it. */
type Def = { steps: (Record<string, unknown> & { set: Record<string, unknown> })[] };

const ORDER_KEYS = ["ClientOrderRef", "OrderId", "OrderNo", "FirstName", "LastName", "CellPhone"];

describe("built-in scenarios", () => {
  it("are exactly the files in fixtures/scenarios, each valid against the shipped schema", () => {
    expect(
      builtinFiles()
        .map((f) => f.replace(/\.json$/, ""))
        .sort(),
    ).toEqual([...BUILTIN_SCENARIOS].sort());
    const validate = new Ajv2020({ strict: false }).compile(
      JSON.parse(readFileSync(SCENARIO_SCHEMA_FILE, "utf8")) as object,
    );
    for (const name of BUILTIN_SCENARIOS) {
      expect(validate(builtinDefinition(name)), `${name}: ${JSON.stringify(validate.errors)}`).toBe(
        true,
      );
      expect(builtinDefinition(name).modeled?.length, name).toBeGreaterThan(0);
    }
  });

  it("seeds 1..100 × 2 repeats: every payload valid; one tenant; an order's and a product's ids shared", () => {
    for (const scenario of builtinScenarios()) {
      for (let seed = 1; seed <= 100; seed++) {
        const plan = planScenario(scenario, { seed, repeat: 2 });
        for (const e of plan.events) {
          expect(validatePayload(e.event.type, e.event.payload).problems, scenario.name).toEqual(
            [],
          );
          expect(e.event.payload.ClientId).toBe(plan.client.clientId);
        }
        for (const run of [0, 1]) {
          const mine = plan.events.filter((e) => e.repetition === run);
          const payloads = mine.map((e) => e.event.payload as unknown as Record<string, unknown>);
          expect(new Set(payloads.map((p) => p.ApplicationId)).size).toBe(1);
          for (const key of ORDER_KEYS) {
            const values = payloads.filter((p) => key in p).map((p) => p[key]);
            expect(new Set(values).size, `${scenario.name} ${key}`).toBeLessThanOrEqual(1);
          }
          const erp = payloads.find((p) => "ErpOrderNo" in p);
          const orderNo = payloads.find((p) => "OrderNo" in p);
          if (erp && orderNo) expect(erp.ErpOrderNo).toBe(orderNo.OrderNo);
        }
        // Distinct orders per repetition.
        const refs = plan.events
          .map((e) => (e.event.payload as unknown as Record<string, unknown>).ClientOrderRef)
          .filter(Boolean);
        if (refs.length > 0) expect(new Set(refs).size).toBe(2);
      }
    }
  });

  it("product-update keeps one PartNo on every event; supplier-feed one SupplierId", () => {
    const [product] = builtinScenarios().filter((s) => s.name === "product-update");
    const plan = planScenario(product!, { seed: 5 });
    expect(
      new Set(plan.events.map((e) => (e.event.payload as { PartNo: string }).PartNo)).size,
    ).toBe(1);
    const [feed] = builtinScenarios().filter((s) => s.name === "supplier-feed");
    const fed = planScenario(feed!, { seed: 5 });
    expect(
      new Set(fed.events.map((e) => (e.event.payload as { SupplierId: number }).SupplierId)).size,
    ).toBe(1);
    expect(
      new Set(fed.events.map((e) => (e.event.payload as { PartNo: string }).PartNo)).size,
    ).toBe(2);
  });

  it("the same seed gives the same payloads; another seed other ids", () => {
    const [scenario] = builtinScenarios();
    const a = planScenario(scenario!, { seed: 9 }).events.map((e) => e.event.payload);
    const b = planScenario(scenario!, { seed: 9 }).events.map((e) => e.event.payload);
    const c = planScenario(scenario!, { seed: 10 }).events.map((e) => e.event.payload);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe("scenario files", () => {
  const base = {
    name: "t",
    steps: [
      { id: "a", type: "OrderReceivedEvent", with: ["order"] },
      {
        id: "b",
        type: "OrderConfirmedEvent",
        after: "1m",
        set: { ClientOrderRef: { ref: "a.ClientOrderRef" } },
      },
    ],
  };

  it("a reference to a later step works (resolved in dependency order)", () => {
    const def = structuredClone(base) as unknown as Def;
    def.steps[0]!.set = { FirstName: { ref: "b.FirstName" } };
    def.steps[1]!.set = { FirstName: "Åsa" };
    const plan = planScenario(checkScenario(def, "t.json"), { seed: 1 });
    expect((plan.events[0]!.event.payload as { FirstName: string }).FirstName).toBe("Åsa");
  });

  it.each([
    [
      (d: Def) => (d.steps[1]!.set.ClientOrderRef = { ref: "x.ClientOrderRef" }),
      /step b: ClientOrderRef: \{"ref": "x.ClientOrderRef"\} refers to a step that does not exist/,
    ],
    [
      (d: Def) => (d.steps[1]!.set.ClientOrderRef = { ref: "a.OrderId" }),
      /step a is a OrderReceivedEvent, which has no OrderId/,
    ],
    [
      (d: Def) => (d.steps[1]!.set.ClientOrderRef = { ref: "order.OrderID" }),
      /the order entity has no field OrderID — did you mean OrderId\?/,
    ],
    [
      (d: Def) => (d.steps[1]!.set.ClientOrderRef = { ref: "ClientOrderRef" }),
      /is not <step or entity>.<Property>/,
    ],
    [
      (d: Def) => (d.steps[0]!.set = { ClientOrderRef: { ref: "b.ClientOrderRef" } }),
      /cycle: a → b → a/,
    ],
    [
      (d: Def) => (d.steps[1]!.type = "OrderConfirmd"),
      /unknown event type "OrderConfirmd" — did you mean OrderConfirmedEvent\?/,
    ],
    [(d: Def) => (d.steps[1]!.after = "soon"), /step b/],
    [
      (d: Def) => (d.steps[1]!.set.OrderNumber = "1"),
      /step b: OrderConfirmedEvent has no property OrderNumber/,
    ],
    [(d: Def) => (d.steps[1]!.id = "a"), /two steps have the id "a"/],
    [(d: Def) => (d.steps[0]!.with = ["ordr"]), /step a/],
    [(d: Def) => (d.steps[0]!.colour = "red"), /step a: unknown field "colour"/],
    [(d: Def) => (d.steps[1]!.set.OrderId = "not a number"), /step b \(OrderConfirmedEvent\)/],
  ])("a broken file is a ScenarioError naming the step (%#)", (mutate, message) => {
    const def = structuredClone(base) as unknown as Def;
    mutate(def);
    expect(() => planScenario(checkScenario(def, "t.json"), { seed: 1 })).toThrow(ScenarioError);
    expect(() => planScenario(checkScenario(def, "t.json"), { seed: 1 })).toThrow(message);
  });
});

describe("chaos", () => {
  const [scenario] = builtinScenarios();
  const plan = planScenario(scenario!, { seed: 7, repeat: 3 });

  it("the same seed gives the same disorder; every kind names what it did", () => {
    const kinds = parseChaos(["reorder", "duplicates", "retry"]);
    const a = applyChaos(plan.events, kinds, 7);
    const b = applyChaos(plan.events, kinds, 7);
    expect(a).toEqual(b);
    expect(a.applied.map((x) => x.kind)).toEqual(
      expect.arrayContaining(["reorder", "duplicates", "retry"]),
    );
    const other = applyChaos(plan.events, kinds, 8);
    expect(other.dispatches).not.toEqual(a.dispatches);
  });

  it("every event is sent at least once; duplicates and retries send the same event again", () => {
    const { dispatches, applied } = applyChaos(plan.events, ["duplicates", "retry", "reorder"], 3);
    expect(new Set(dispatches.map((d) => d.position)).size).toBe(plan.events.length);
    const again = dispatches.filter((d) => d.mode === "again").length;
    const extra = applied.filter((a) => a.kind === "duplicates" || a.kind === "retry").length;
    expect(again).toBe(extra);
    // A retried event's second attempt comes after the next event of its order.
    const retry = applied.find((a) => a.kind === "retry")!;
    const [retried, next] = retry.positions;
    const firstIndex = dispatches.findIndex((d) => d.position === retried && d.mode === "lost");
    const nextIndex = dispatches.findIndex((d) => d.position === next);
    const againIndex = dispatches.findIndex((d) => d.position === retried && d.mode === "again");
    expect(firstIndex).toBeLessThan(nextIndex);
    expect(nextIndex).toBeLessThan(againIndex);
  });

  it("an unknown kind is a usage error with a suggestion", () => {
    expect(() => parseChaos(["reordr"])).toThrow(/did you mean reorder\?/);
  });
});
