import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeEvent } from "../../src/events/event.js";
import { EventStore } from "../../src/store/db.js";

function storePath() {
  return join(mkdtempSync(join(tmpdir(), "norce-event-store-")), ".norce-event", "events.db");
}

describe("event store", () => {
  it("records a delivery, its attempts and its pending state, committed before a wait", async () => {
    const path = storePath();
    const store = EventStore.open(path);
    const event = fakeEvent("OrderConfirmedEvent", { seed: 1 });
    store.beginDelivery({
      id: "d1",
      event,
      url: "http://x/r",
      headers: [{ name: "X", template: "y" }],
      policy: { timeoutMs: 5000, maxRetries: 16, timeScale: 1 },
    });
    await store.recordAttempt("d1", {
      attempt: 1,
      scheduleMs: 0,
      startedAt: Date.now(),
      latencyMs: 3,
      status: 500,
      statusText: "",
      response: "boom",
      redirects: [],
      url: "http://x/r",
      ok: false,
    });
    await store.recordWait("d1", {
      attempt: 2,
      delayMs: 5000,
      realDelayMs: 5000,
      scheduleMs: 5000,
      dueAt: Date.now() + 5000,
    });
    // Another connection (another process) sees the pending state at once.
    const reader = EventStore.open(path, { mustExist: true });
    expect(reader.pending()).toMatchObject([
      { id: "d1", messageId: event.messageId, state: "pending", attempts: 1, nextAttempt: 2 },
    ]);
    await reader.close();
    store.finishDelivery("d1", "delivered");
    await store.close();
    await store.close();
    const again = EventStore.open(path);
    expect(again.find(event.messageId.slice(0, 6))?.deliveries[0]).toMatchObject({
      state: "delivered",
      attemptList: [{ attempt: 1, status: 500 }],
    });
    expect(again.log()).toMatchObject([{ direction: "sent", state: "delivered", attempts: 1 }]);
    await again.close();
  });

  it("removes records older than the retention when it opens (Norce keeps 7 days)", async () => {
    const path = storePath();
    const store = EventStore.open(path);
    const event = fakeEvent("JobCompletedEvent");
    store.beginDelivery({
      id: "old",
      event,
      url: "http://x",
      headers: [],
      policy: { timeoutMs: 5000, maxRetries: 16, timeScale: 1 },
    });
    await store.close();
    const reopened = EventStore.open(path, { retentionMs: 7 * 86_400_000 });
    expect(reopened.log()).toHaveLength(1);
    reopened.removeOlderThan(Date.now() + 1);
    expect(reopened.log()).toHaveLength(0);
    await reopened.close();
  });

  it("says so when there is no store yet for a reading command", () => {
    expect(() => EventStore.open(storePath(), { mustExist: true })).toThrow(
      /no event store here yet/,
    );
  });
});
