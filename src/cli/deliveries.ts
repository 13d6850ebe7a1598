/**
 * One delivery shown as it happens and recorded as it happens: shared by send, replay and resume.
 */
import { type DeliverOptions, type Delivery, deliverEvent } from "../delivery/engine.js";
import { createPolicy } from "../delivery/policy.js";
import type { NorceEvent } from "../events/event.js";
import { isSecretHeader } from "../shared/secrets.js";
import type { DeliveryRecord, EventStore } from "../store/db.js";
import { combineHooks, recordDelivery, recordingRun } from "../store/recorder.js";
import type { StoredHeader } from "../store/templates.js";
import type { GlobalOptions } from "./globals.js";
import { print } from "./output.js";
import {
  attemptJson,
  deliveryJson,
  formatAttemptLine,
  formatHeadLine,
  formatOutcome,
  plainStyle,
  type Style,
} from "./render/delivery.js";

export interface Output {
  json: boolean;
  style: Style;
  /** Secret values to mask wherever they appear. */
  secrets: string[];
}

export async function loadStyle(globals: GlobalOptions, json: boolean): Promise<Style> {
  if (json || !globals.color || !process.stdout.isTTY) return plainStyle;
  return await import("./style.js");
}

/** The secret header values among `headers`, to mask in output. */
export function secretValues(headers: Record<string, string>): string[] {
  return Object.entries(headers)
    .filter(([name]) => isSecretHeader(name))
    .map(([, value]) => value);
}

export async function deliverShown(
  event: NorceEvent,
  options: Omit<DeliverOptions, "hooks"> & {
    storedHeaders: StoredHeader[];
    seed?: number;
    /** A stored delivery this continues. */
    resumeRecord?: DeliveryRecord;
  },
  output: Output,
  store: EventStore | undefined,
): Promise<Delivery> {
  const policy = createPolicy(options.policy);
  const recording = store
    ? recordDelivery(store, recordingRun(options.to, options.storedHeaders, policy), event, {
        watched: true,
        ...(options.resumeRecord
          ? {
              resume: {
                id: options.resumeRecord.id,
                attempts: options.resumeRecord.attemptList,
                createdAt: options.resumeRecord.createdAt,
              },
            }
          : {}),
      })
    : undefined;
  // In the store before the first attempt leaves: a crash mid-attempt leaves it for resume.
  await recording?.ready;
  const started = performance.now();
  if (!output.json) {
    print(
      formatHeadLine(
        event,
        options.to,
        {
          ...(options.seed === undefined ? {} : { seed: options.seed }),
          timeScale: policy.timeScale,
        },
        output.style,
      ),
    );
  }
  const delivery = await deliverEvent(event, {
    ...options,
    policy,
    // Record first, then show: what the output shows is already stored.
    hooks: combineHooks(recording?.hooks, {
      onAttempt: (attempt) => {
        if (output.json) print(JSON.stringify(attemptJson(event, attempt, output.secrets)));
        else print(formatAttemptLine(attempt, output.style, output.secrets));
      },
    }),
  });
  recording?.finish(delivery);
  const realMs = performance.now() - started;
  if (output.json) {
    print(
      JSON.stringify(
        deliveryJson(delivery, realMs, options.seed === undefined ? {} : { seed: options.seed }),
      ),
    );
  } else print(formatOutcome(delivery, output.style, realMs));
  return delivery;
}
