import { deliver, fakeEvent, startListener } from "norce-event";
import { describe, expect, it } from "vitest";

describe("my Norce receiver", () => {
  it("gets an order confirmation with Norce's headers, after Norce's retries", async () => {
    // Stands in for your app: fails the first attempt, as a receiver mid-deploy would.
    const receiver = await startListener({
      port: 0,
      respond: (request) => (request.attempt === 1 ? 503 : 202),
    });
    const event = fakeEvent("OrderConfirmedEvent", { seed: 42, overrides: { Source: "WEB" } });

    // Norce's real schedule waits 5 s before the first retry; 1000× faster here.
    const result = await deliver(event, { to: receiver.url, retry: { timeScale: 1000 } });

    expect(result.outcome).toBe("delivered");
    expect(result.attempts.map((a) => a.status)).toEqual([503, 202]);
    const received = await receiver.waitFor("OrderConfirmedEvent");
    expect(received.messageId).toBe(event.messageId);
    expect(received.problems).toEqual([]); // headers and body as Norce sends them
    expect(receiver.events.map((e) => e.attempt)).toEqual([1, 2]);
    await receiver.close();
  });
});
