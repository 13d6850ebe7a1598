import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Attempt } from "../../src/delivery/engine.js";
import { createPolicy } from "../../src/delivery/policy.js";
import { fakeEvent } from "../../src/events/factory.js";
import { EventStore } from "../../src/store/db.js";
import { recordDelivery, recordingRun } from "../../src/store/recorder.js";

function storePath() {
  return join(mkdtempSync(join(tmpdir(), "norce-event-store-")), ".norce-event", "events.db");
}

const attempt = (n: number, status: number, next?: Attempt["next"]): Attempt => ({
  attempt: n,
  scheduleMs: 0,
  startedAt: Date.now(),
  latencyMs: 3,
  status,
  statusText: "",
  response: "boom",
  redirects: [],
  url: "http://x/r",
  ok: status < 300,
  ...(next ? { next } : {}),
});

describe("event store", () => {
  it("records a delivery and commits its pending state before the wait, visible to another connection", async () => {
    const path = storePath();
    const store = EventStore.open(path);
    const event = fakeEvent("OrderConfirmedEvent", { seed: 1 });
    const run = recordingRun("http://x/r", [{ name: "X", template: "y" }], createPolicy());
    const recording = recordDelivery(store, run, event);
    const next = {
      attempt: 2,
      delayMs: 5000,
      realDelayMs: 5000,
      scheduleMs: 5000,
      dueAt: Date.now() + 5000,
    };
    await recording.hooks.onAttempt(attempt(1, 500, next));
    await recording.hooks.onWait(next);
    // Another connection (another process, say `resume`) sees the pending state at once.
    const reader = EventStore.open(path, { mustExist: true });
    expect(reader.pending()).toMatchObject([
      { messageId: event.messageId, state: "pending", attempts: 1, nextAttempt: 2 },
    ]);
    await reader.close();
    await recording.hooks.onAttempt(attempt(2, 202));
    recording.finish({
      event,
      url: "http://x/r",
      outcome: "delivered",
      attempts: [],
      priorAttempts: 0,
    });
    await store.close();
    await store.close();
    const again = EventStore.open(path);
    const found = again.find(event.messageId.slice(0, 6));
    expect(found?.deliveries).toMatchObject([
      {
        state: "delivered",
        attempts: 2,
        attemptList: [
          { attempt: 1, status: 500 },
          { attempt: 2, status: 202 },
        ],
      },
    ]);
    expect(again.log()).toMatchObject([
      { direction: "sent", state: "delivered", attempts: 2, lastStatus: 202 },
    ]);
    await again.close();
  });

  it("writes an event delivered at its first attempt as one row, in the next batch", async () => {
    const path = storePath();
    const store = EventStore.open(path);
    const run = recordingRun("http://x/r", [], createPolicy());
    for (let i = 0; i < 50; i++) {
      const event = fakeEvent("SkuChangedNotification", { seed: 1, index: i });
      const recording = recordDelivery(store, run, event);
      await recording.hooks.onAttempt(attempt(1, 202));
      recording.finish({
        event,
        url: "http://x/r",
        outcome: "delivered",
        attempts: [],
        priorAttempts: 0,
      });
    }
    await store.flush();
    expect(store.log({ limit: 100 })).toHaveLength(50);
    await store.close();
  });

  it("removes records older than the retention when it opens (Norce keeps 7 days)", async () => {
    const path = storePath();
    const store = EventStore.open(path);
    const event = fakeEvent("JobCompletedEvent");
    const recording = recordDelivery(store, recordingRun("http://x", [], createPolicy()), event, {
      watched: true,
    });
    await recording.hooks.onAttempt(attempt(1, 202));
    await store.close();
    const reopened = EventStore.open(path, { retentionMs: 7 * 86_400_000 });
    expect(reopened.log()).toHaveLength(1);
    reopened.removeOlderThan(Date.now() + 1);
    expect(reopened.log()).toHaveLength(0);
    await reopened.close();
  });

  it("a write that fails is reported and counted, and later writes still go in", async () => {
    const path = storePath();
    const store = EventStore.open(path);
    const errors: string[] = [];
    store.onError = (error) => errors.push(error.message);
    const run = recordingRun("http://x/r", [], createPolicy());
    const event = fakeEvent("OrderConfirmedEvent", { seed: 3 });
    // A state the schema refuses (CHECK constraint): the batch fails as a disk error would.
    const failed = await store.saveDelivery({
      ref: store.rowRef(),
      event,
      body: "{}",
      ...run,
      state: "bogus" as never,
      attempts: [],
      owned: false,
      createdAt: Date.now(),
    });
    expect(failed).toBe(false);
    expect(errors).toHaveLength(1);
    expect(store.losses()).toMatchObject({ deliveries: 1, received: 0 });
    const ok = await store.saveDelivery({
      ref: store.rowRef(),
      event,
      body: "{}",
      ...run,
      state: "pending",
      attempts: [],
      owned: true,
      createdAt: Date.now(),
    });
    expect(ok).toBe(true);
    expect(store.countPending()).toBe(1);
    await store.close();
  });

  it("a body far larger than the writer's heap is stored whole", async () => {
    const path = storePath();
    const store = EventStore.open(path);
    const run = recordingRun("http://x/r", [], createPolicy());
    const body = JSON.stringify({ Notes: "x".repeat(40 * 1024 * 1024) });
    const events = Array.from({ length: 3 }, (_, i) =>
      fakeEvent("OrderConfirmedEvent", { index: i }),
    );
    const results = await Promise.all(
      events.map((event) =>
        store.saveDelivery({
          ref: store.rowRef(),
          event,
          body,
          ...run,
          state: "dead",
          attempts: [],
          owned: false,
          createdAt: Date.now(),
        }),
      ),
    );
    expect(results).toEqual([true, true, true]);
    expect(store.losses().deliveries).toBe(0);
    const found = store.find(events[2]!.messageId);
    expect(found?.deliveries[0]?.body.length).toBe(body.length);
    await store.close();
  }, 30_000);

  it("says so when there is no store yet for a reading command", () => {
    expect(() => EventStore.open(storePath(), { mustExist: true })).toThrow(
      /no event store here yet/,
    );
  });
});
