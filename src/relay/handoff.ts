/**
 * The laptop plays Norce for the app. In buffered mode the relay has already answered Norce, so a
 * relayed event is recorded, acknowledged, and then delivered to the app behind `--forward-to`
 * with Norce's delivery policy (5 s timeout, the 16-step schedule): the same delivery engine as
 * `send`, recorded in the store as `send` records, so `norce-event resume` continues after a crash.
 * The app gets the body byte for byte and the headers as Norce sent them (minus hop-by-hop ones).
 */
import { type Attempt, createAgent, type Delivery, deliverEvent } from "../delivery/engine.js";
import { createPolicy, type DeliveryPolicy } from "../delivery/policy.js";
import type { NorceEvent } from "../events/event.js";
import type { EventTypeName } from "../events/payloads.generated.js";
import { forwardedHeaders } from "../listener/responders.js";
import type { IncomingEvent } from "../listener/server.js";
import { knownSecrets } from "../shared/secrets.js";
import type { EventStore } from "../store/db.js";
import { combineHooks, recordDelivery, recordingRun } from "../store/recorder.js";
import { toStoredHeaders } from "../store/templates.js";

/** A relayed event, ready to be delivered to the app. */
export interface HandoffEvent {
  event: NorceEvent;
  headers: string[];
  body: string;
}

export interface HandoffOptions {
  to: string;
  store: EventStore | undefined;
  policy?: Partial<DeliveryPolicy>;
  onAttempt?(event: NorceEvent, attempt: Attempt): void;
  onDone?(delivery: Delivery): void;
}

export interface Handoff {
  /** What the app will be sent for this request (taken when the listener handles it). */
  capture(request: IncomingEvent): HandoffEvent;
  /** Deliver (in the background); resolves when delivered, dead or interrupted. */
  deliver(item: HandoffEvent): Promise<Delivery>;
  /** Deliveries still running. */
  running(): number;
  /** Stop waiting for retries (they stay pending in the store for `resume`) and close. */
  close(): Promise<Delivery[]>;
}

/** Standard headers that `resume` makes again from the stored event. */
const STANDARD = new Set(["norce-event-message-id", "norce-event-type", "norce-event-timestamp"]);

export function createHandoff(options: HandoffOptions): Handoff {
  const policy = createPolicy(options.policy);
  const stop = new AbortController();
  const dispatcher = createAgent(policy.timeoutMs);
  const running = new Set<Promise<Delivery>>();
  const finished: Delivery[] = [];
  let firstAttempts: Promise<void> = Promise.resolve();
  return {
    capture(request) {
      return {
        event: {
          type: (request.type ?? "Unknown") as EventTypeName,
          messageId: request.messageId ?? "",
          timestamp: request.timestamp ?? "",
          payload: request.body as NorceEvent["payload"],
        } as NorceEvent,
        headers: forwardedHeaders(request),
        body: request.rawBody.toString("utf8"),
      };
    },
    deliver(item) {
      const stored: Record<string, string> = {};
      for (let i = 0; i + 1 < item.headers.length; i += 2) {
        const name = item.headers[i]!;
        if (!STANDARD.has(name.toLowerCase())) stored[name] = item.headers[i + 1]!;
      }
      const recording = options.store
        ? recordDelivery(
            options.store,
            // Norce's own secret headers (named like one) masked in what the app's answers store.
            recordingRun(options.to, toStoredHeaders(stored), policy, {
              secrets: knownSecrets({ headers: stored }),
            }),
            item.event,
            { watched: true, body: item.body },
          )
        : undefined;
      // First attempts go out in the order the events came (retries then run independently).
      const gate = firstAttempts;
      let opened!: () => void;
      firstAttempts = new Promise<void>((resolve) => {
        opened = resolve;
      });
      const shown = {
        onAttempt: (attempt: Attempt) => {
          opened();
          options.onAttempt?.(item.event, attempt);
        },
      };
      const work = gate
        .then(() =>
          deliverEvent(item.event, {
            to: options.to,
            policy,
            signal: stop.signal,
            dispatcher,
            raw: { headers: item.headers, body: item.body },
            hooks: combineHooks(recording?.hooks, shown),
          }),
        )
        .then((delivery) => {
          opened();
          recording?.finish(delivery);
          options.onDone?.(delivery);
          finished.push(delivery);
          return delivery;
        });
      running.add(work);
      void work.finally(() => running.delete(work));
      return work;
    },
    running: () => running.size,
    async close() {
      stop.abort();
      const last = await Promise.all([...running]);
      await dispatcher.destroy().catch(() => undefined);
      return last;
    },
  };
}
