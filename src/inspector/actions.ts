/**
 * What the inspector's page can make happen, as core functions: replaying a stored event (as
 * stored, or with an edited body) through Norce's full delivery policy, recorded in the store like
 * any delivery. The target is fixed by the server (where the event went, or the listener itself),
 * never supplied by the page.
 */
import { type Delivery, deliverEvent } from "../delivery/engine.js";
import type { DeliveryPolicy } from "../delivery/policy.js";
import { findEventType } from "../events/catalog.js";
import type { NorceEvent } from "../events/event.js";
import { type Problem, validatePayload } from "../events/validator.js";
import { knownSecrets } from "../shared/secrets.js";
import type { DeliveryRecord, EventStore, ReceivedRecord } from "../store/db.js";
import { recordDelivery, recordingRun } from "../store/recorder.js";
import { receivedStaticHeaders, storedEvent } from "../store/restore.js";
import { resolveTemplate, type StoredHeader } from "../store/templates.js";

export interface ReplayRequest {
  /** A new message id and timestamp (default: the same, a true Norce redelivery). */
  newId: boolean;
  /** An edited body (JSON text) to send instead of the stored one. */
  body?: string;
  /** Send an edited body that breaks the type's schema. */
  allowInvalid?: boolean;
}

export type ReplayPlan =
  | {
      ok: true;
      event: NorceEvent;
      to: string;
      headers: Record<string, string>;
      stored: StoredHeader[];
      /** Headers that could not be sent again (secrets are never stored). */
      warnings: string[];
    }
  | { ok: false; status: number; message: string; problems?: Problem[] };

export interface ReplayTargets {
  /** The listener this inspector runs with (received events are replayed to it), if any. */
  listenerOrigin?: string;
  /** Headers the listener requires (`--require-header`): what the user wrote, sent on replays. */
  listenerHeaders?: Record<string, string>;
}

/** Where a stored event would be replayed to, or why it cannot be. */
export function replayTarget(
  found: { deliveries: DeliveryRecord[]; received: ReceivedRecord[] },
  targets: ReplayTargets,
): { target: string } | { unavailable: string } {
  const sent = found.deliveries.at(-1);
  if (sent) return { target: sent.url };
  const received = found.received.at(-1);
  if (received && targets.listenerOrigin)
    return { target: `${targets.listenerOrigin}${received.path}` };
  return {
    unavailable:
      "received events are replayed to a running listener: start norce-event listen --inspect",
  };
}

/** Work out a replay: the event, its target and headers, or why not (an HTTP status and message). */
export function planReplay(
  store: EventStore,
  messageId: string,
  request: ReplayRequest,
  targets: ReplayTargets,
): ReplayPlan {
  let found: ReturnType<EventStore["find"]>;
  try {
    found = store.find(messageId);
  } catch {
    found = undefined; // an ambiguous prefix: the page always sends whole ids
  }
  if (!found || found.messageId !== messageId) {
    return { ok: false, status: 404, message: `no event with message id ${messageId}` };
  }
  const sent = found.deliveries.at(-1);
  const received = found.received.at(-1);
  const record = sent ?? received!;
  const info = record.type ? findEventType(record.type) : undefined;
  if (!info) {
    return {
      ok: false,
      status: 409,
      message: `${messageId} has no known event type (${record.type ?? "none"}): it cannot be sent as a Norce event`,
    };
  }
  const where = replayTarget(found, targets);
  if ("unavailable" in where) return { ok: false, status: 409, message: where.unavailable };

  let event: NorceEvent;
  try {
    event = storedEvent(
      sent ?? { ...received!, timestamp: received!.headers["norce-event-timestamp"] ?? null },
      { newId: request.newId, path: store.path },
    );
  } catch (error) {
    return { ok: false, status: 409, message: (error as Error).message };
  }
  if (request.body !== undefined) {
    let payload: unknown;
    try {
      payload = JSON.parse(request.body);
    } catch (error) {
      return {
        ok: false,
        status: 422,
        message: `the edited body is not JSON: ${(error as Error).message}`,
      };
    }
    const result = validatePayload(info.name, payload);
    if (!result.valid && !request.allowInvalid) {
      return {
        ok: false,
        status: 422,
        message: `the edited body is not a valid ${info.name}`,
        problems: result.problems,
      };
    }
    event = { ...event, payload: payload as NorceEvent["payload"] };
  }

  const warnings: string[] = [];
  const headers: Record<string, string> = {};
  const stored: StoredHeader[] = [];
  if (sent) {
    // The user's own headers (from the config or the command line): templates resolve, literal
    // values go as they are, secrets given only on the command line were never stored.
    for (const header of sent.headers) {
      if (header.value !== undefined) {
        headers[header.name] = header.value;
        stored.push(header);
        continue;
      }
      if (header.template === undefined) {
        warnings.push(
          `${header.name} was given on the command line and is not stored: sent without it`,
        );
        continue;
      }
      try {
        headers[header.name] = resolveTemplate(header.template, {
          field: `header ${header.name}`,
        });
        stored.push(header);
      } catch (error) {
        warnings.push((error as Error).message);
      }
    }
  } else {
    // A received request's headers came from the network: sent literally, never expanded.
    for (const header of receivedStaticHeaders(received!)) {
      if (header.value === undefined) {
        warnings.push(
          `${header.name} was masked when received (secrets are never stored): sent without it`,
        );
        continue;
      }
      headers[header.name] = header.value;
      stored.push(header);
    }
    for (const [name, value] of Object.entries(targets.listenerHeaders ?? {})) {
      headers[name] = value;
    }
  }
  return { ok: true, event, to: where.target, headers, stored, warnings };
}

/** Deliver a planned replay with the policy, recorded in the store as it happens. */
export async function runReplay(
  store: EventStore,
  plan: Extract<ReplayPlan, { ok: true }>,
  policy: DeliveryPolicy,
  signal?: AbortSignal,
): Promise<Delivery> {
  // Every header value sent is a secret to keep out of stored answers (an echoing receiver).
  const secrets = knownSecrets({ headers: plan.headers, allHeaderValues: true, urls: [plan.to] });
  const recording = recordDelivery(
    store,
    recordingRun(plan.to, plan.stored, policy, { secrets }),
    plan.event,
    { watched: true },
  );
  const delivery = await deliverEvent(plan.event, {
    to: plan.to,
    headers: plan.headers,
    policy,
    ...(signal ? { signal } : {}),
    hooks: recording.hooks,
  });
  recording.finish(delivery);
  return delivery;
}
