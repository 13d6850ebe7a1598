/** Delivery hooks that record a delivery in the store as it happens. */
import type { Delivery, DeliveryHooks } from "../delivery/engine.js";
import type { DeliveryPolicy } from "../delivery/policy.js";
import type { NorceEvent } from "../events/event.js";
import { type AttemptRecord, type EventStore, type RowRef, toAttemptRecord } from "./db.js";
import type { StoredHeader } from "./templates.js";

export interface DeliveryRecording {
  hooks: Required<DeliveryHooks>;
  finish(delivery: Delivery): void;
}

/** What the deliveries of one run share, serialised once. */
export interface RecordingRun {
  url: string;
  headersJson: string;
  policyJson: string;
}

export function recordingRun(
  url: string,
  headers: StoredHeader[],
  policy: DeliveryPolicy,
): RecordingRun {
  return {
    url,
    headersJson: JSON.stringify(headers),
    policyJson: JSON.stringify({
      timeoutMs: policy.timeoutMs,
      maxRetries: policy.maxRetries,
      timeScale: policy.timeScale,
    }),
  };
}

/**
 * Record one delivery as one row.
 * - `watched` (a person watches one delivery): the row is written before the first attempt and
 *   after each attempt, committed before the attempt is shown, so a crash at any point resumes.
 * - otherwise (thousands of events): the row is written when the first wait begins (committed
 *   before the wait, so `resume` finds it) and when the delivery ends (in the next batch): an
 *   event delivered at its first attempt costs one write.
 */
export function recordDelivery(
  store: EventStore,
  run: RecordingRun,
  event: NorceEvent,
  options: {
    watched?: boolean;
    resume?: { id: number; attempts: AttemptRecord[]; createdAt: number };
    /** The body as sent, when it is not the payload's JSON (a relayed event's bytes). */
    body?: string;
  } = {},
): DeliveryRecording {
  const ref: RowRef = store.rowRef(options.resume?.id);
  const createdAt = options.resume?.createdAt ?? Date.now();
  const watched = options.watched ?? false;
  const attempts: AttemptRecord[] = [...(options.resume?.attempts ?? [])];
  let body: string | undefined = options.body;
  const save = (state: "pending" | "delivered" | "dead", next?: Delivery["pending"]) => {
    body ??= JSON.stringify(event.payload);
    return store.saveDelivery({
      ref,
      event,
      body,
      ...run,
      state,
      attempts,
      next,
      owned: state === "pending",
      createdAt,
    });
  };

  if (watched || options.resume) void save("pending");

  return {
    hooks: {
      onAttempt: (attempt) => {
        attempts.push(toAttemptRecord(attempt));
        return watched ? save("pending", attempt.next) : undefined;
      },
      onWait: (next) => save("pending", next),
    },
    finish: (delivery) => {
      body ??= delivery.body;
      if (delivery.outcome !== "interrupted") void save(delivery.outcome);
      else if (attempts.length > 0 || watched) {
        body ??= JSON.stringify(event.payload);
        void store.releaseDelivery(delivery.pending, {
          ref,
          ...run,
          event,
          body,
          attempts,
          createdAt,
        });
      }
    },
  };
}

/** Run several hook sets in order (recording, then showing). */
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
