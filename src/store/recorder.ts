/** Delivery hooks that record a delivery in the store as it happens. */
import { randomUUID } from "node:crypto";
import type { Delivery, DeliveryHooks } from "../delivery/engine.js";
import type { DeliveryPolicy } from "../delivery/policy.js";
import type { NorceEvent } from "../events/event.js";
import type { EventStore } from "./db.js";
import type { StoredHeader } from "./templates.js";

export interface DeliveryRecording {
  /** The delivery's row id. */
  id: string;
  hooks: Required<DeliveryHooks>;
  finish(delivery: Delivery): void;
}

export function recordDelivery(
  store: EventStore,
  input: {
    event: NorceEvent;
    url: string;
    headers: StoredHeader[];
    policy: DeliveryPolicy;
    /** Continue this stored delivery rather than starting a new row. */
    resumeId?: string;
  },
): DeliveryRecording {
  const id = input.resumeId ?? randomUUID();
  store.beginDelivery({
    id,
    event: input.event,
    url: input.url,
    headers: input.headers,
    policy: {
      timeoutMs: input.policy.timeoutMs,
      maxRetries: input.policy.maxRetries,
      timeScale: input.policy.timeScale,
    },
    ...(input.resumeId ? { resume: true } : {}),
  });
  return {
    id,
    hooks: {
      onAttempt: (attempt) => store.recordAttempt(id, attempt),
      onWait: (next) => store.recordWait(id, next),
    },
    finish: (delivery) => store.finishDelivery(id, delivery.outcome, delivery.pending),
  };
}

/** Run several hook sets in order (rendering and recording, say). */
export function combineHooks(...sets: (DeliveryHooks | undefined)[]): DeliveryHooks {
  const present = sets.filter((s): s is DeliveryHooks => s !== undefined);
  return {
    async onAttempt(attempt) {
      for (const set of present) await set.onAttempt?.(attempt);
    },
    async onWait(next) {
      for (const set of present) await set.onWait?.(next);
    },
  };
}
