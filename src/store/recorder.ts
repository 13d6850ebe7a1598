/** Delivery hooks that record a delivery in the store as it happens. */
import type { Delivery, DeliveryHooks } from "../delivery/engine.js";
import type { DeliveryPolicy } from "../delivery/policy.js";
import type { NorceEvent } from "../events/event.js";
import {
  type AdmittedRow,
  type AttemptRecord,
  type EventStore,
  type RecordingRun,
  type RowRef,
  toAttemptRecord,
} from "./db.js";
import { type StoredHeader, toStoredUrl } from "./templates.js";

export interface DeliveryRecording {
  /** Resolves once the row written before the first attempt (watched, resumed) is committed. */
  ready: Promise<boolean>;
  /** Its row, to be written ahead by `admitDeliveries` (then it counts as written). */
  admission(): AdmittedRow;
  /** The event was written ahead but never sent: remove its row. */
  discard(): void;
  hooks: Required<DeliveryHooks>;
  finish(delivery: Delivery): void;
}

export type { RecordingRun };

/**
 * What the deliveries of one run share. `secrets`: values to mask in what is stored of each
 * attempt. `signed`: the delivery was signed (`--sign-secret`); only that fact is kept, in the
 * policy JSON, never the key: `resume`/`replay` then ask for the key instead of sending unsigned
 * attempts.
 */
export function recordingRun(
  url: string,
  headers: StoredHeader[],
  policy: DeliveryPolicy,
  options: { secrets?: readonly string[]; signed?: boolean } = {},
): RecordingRun {
  return {
    url: toStoredUrl(url),
    headersJson: JSON.stringify(headers),
    policyJson: JSON.stringify({
      timeoutMs: policy.timeoutMs,
      maxRetries: policy.maxRetries,
      timeScale: policy.timeScale,
      ...(policy.keepAuthOnRedirect ? { keepAuthOnRedirect: true } : {}),
      ...(options.signed ? { signed: true } : {}),
    }),
    secrets: options.secrets ?? [],
  };
}

/**
 * Record one delivery as one row.
 * - `watched` (a person watches one delivery): the row is written before the first attempt and
 *   after each attempt, committed before the attempt is shown, so a crash at any point resumes.
 * - `ahead` (a batch of thousands): the row is written ahead as pending (`admit`, committed before
 *   the event is sent, together with the rest of its chunk), again when a wait begins (committed
 *   before the wait) and when the delivery ends (in the next batch).
 * - otherwise: the row is written when the first wait begins and when the delivery ends.
 */
export function recordDelivery(
  store: EventStore,
  run: RecordingRun,
  event: NorceEvent,
  options: {
    watched?: boolean;
    /**
     * The body as it will be sent, when the caller has it already (a batch), or when it is not
     * the payload's JSON (a relayed event's bytes).
     */
    body?: string;
    /** A stored row this continues; `next`: the attempt it is due to make, and when. */
    resume?: {
      id: number;
      attempts: AttemptRecord[];
      createdAt: number;
      next?: { attempt: number; dueAt: number };
    };
  } = {},
): DeliveryRecording {
  const ref: RowRef = store.rowRef(options.resume?.id);
  const createdAt = options.resume?.createdAt ?? Date.now();
  const watched = options.watched ?? false;
  const attempts: AttemptRecord[] = [...(options.resume?.attempts ?? [])];
  let body: string | undefined = options.body;
  // A resumed row has its body; a new one gets it with its first write only.
  let written = options.resume !== undefined;
  const save = (
    state: "pending" | "delivered" | "dead",
    next?: { attempt: number; dueAt: number },
    owned = state === "pending",
    rewritePolicy = false,
  ) => {
    const first = !written;
    written = true;
    if (first) body ??= JSON.stringify(event.payload);
    return store.saveDelivery({
      ref,
      event,
      body: first ? body : undefined,
      ...run,
      state,
      attempts,
      next,
      owned,
      createdAt,
      ...(rewritePolicy ? { rewritePolicy: true } : {}),
    });
  };

  // A resumed row's first write (this one) also takes this run's policy: its scale may differ.
  const ready =
    watched || options.resume
      ? save("pending", options.resume?.next, true, options.resume !== undefined)
      : Promise.resolve(true);

  return {
    ready,
    admission: () => {
      written = true;
      body ??= JSON.stringify(event.payload);
      return { ref, event, body };
    },
    discard: () => {
      if (written) store.discardDelivery(ref);
    },
    hooks: {
      onAttempt: (attempt) => {
        attempts.push(toAttemptRecord(attempt, run.secrets));
        if (!watched) return undefined;
        // The attempt that ends it (answered, or the schedule used up) is written as the end:
        // a process gone before `finish` leaves no pending row whose next attempt Norce never makes.
        const state = attempt.ok ? "delivered" : attempt.next ? "pending" : "dead";
        return save(state, attempt.next).then(noop);
      },
      onWait: (next) => save("pending", next).then(noop),
    },
    finish: (delivery) => {
      body ??= delivery.body;
      if (delivery.outcome !== "interrupted") void save(delivery.outcome);
      // Cut short in flight or before: the receiver may have seen it, so it stays for resume.
      else if (attempts.length > 0 || watched || written) {
        void save("pending", delivery.pending, false);
      }
    },
  };
}

function noop(): void {}

/**
 * Write rows ahead, as pending and owned by this run, before their events are sent: one write for
 * the lot, committed at once; resolves true once committed.
 */
export function admitDeliveries(
  store: EventStore,
  run: RecordingRun,
  recordings: readonly DeliveryRecording[],
): Promise<boolean> {
  return store.admitDeliveries(
    run,
    recordings.map((r) => r.admission()),
  );
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
