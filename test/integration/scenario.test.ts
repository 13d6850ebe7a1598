import { describe, expect, it } from "vitest";
import { createFakeClock } from "../../src/delivery/clock.js";
import { runScenario, scenario, startListener } from "../../src/index.js";
import { runScenarioPlan } from "../../src/scenarios/run.js";

describe("library: scenario and runScenario", () => {
  it("a receiver's state after a whole order's life, then with duplicates", async () => {
    const listener = await startListener({ port: 0, respond: 202 });
    try {
      const plan = scenario("order-lifecycle", { seed: 7 });
      expect(plan.events.map((e) => e.event.type)).toEqual([
        "OrderReceivedEvent",
        "OrderPaymentReceivedEvent",
        "OrderConfirmedEvent",
        "OrderPartlyDeliveredEvent",
        "OrderDeliveredEvent",
        "InvoiceCaptureCompletedEvent",
      ]);
      const run = await runScenario(plan, { to: listener.url, timeScale: 1000, maxGapMs: 5 });
      expect(run.delivered).toBe(6);
      expect(run.dead).toBe(0);
      expect(run.deliveries.map((d) => d.delivery.event.messageId)).toEqual(
        plan.events.map((e) => e.event.messageId),
      );
      const again = await runScenario("order-cancelled", {
        to: listener.url,
        seed: 3,
        chaos: ["duplicates"],
        timeScale: 1000,
        maxGapMs: 5,
      });
      expect(again.chaos[0]?.kind).toBe("duplicates");
      const modes = again.deliveries.map((d) => d.dispatch.mode);
      expect(modes).toContain("again");
      expect(again.delivered).toBe(3);
    } finally {
      await listener.close();
    }
  });

  it("an unknown scenario or a broken definition throws ScenarioError/UsageError", () => {
    expect(() => scenario("order-lifecyle")).toThrow(/did you mean order-lifecycle/);
    expect(() =>
      scenario({
        name: "x",
        steps: [{ type: "OrderConfirmedEvent", set: { OrderId: { ref: "y.OrderId" } } }],
      }),
    ).toThrow(/refers to a step that does not exist/);
  });

  it("waits Norce's gaps divided by the time scale, each capped (fake clock: no real waiting)", async () => {
    const listener = await startListener({ port: 0, respond: 202 });
    try {
      const plan = scenario("order-lifecycle", { seed: 1 });
      const clock = createFakeClock();
      const run = await runScenarioPlan(plan, {
        to: listener.url,
        policy: { timeScale: 100 },
        maxGapMs: 60_000,
        clock,
      });
      expect(run.delivered).toBe(6);
      // 45 s, 20 min, 1 d, 1 d, 2 h at 100× (the last three capped at a minute).
      expect(clock.sleeps.filter((ms) => ms > 0)).toEqual([450, 12_000, 60_000, 60_000, 60_000]);
    } finally {
      await listener.close();
    }
  });
});
