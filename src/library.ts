/**
 * The library's own conveniences over the core: `deliver` and `startListener` take the shapes a
 * test suite wants (durations as text, `retry: false`, a status number as the answer, `waitFor`).
 * Nothing here prints or spawns a process.
 */
import { type Attempt, type Delivery, deliverEvent, type Outcome } from "./delivery/engine.js";
import { createPolicy } from "./delivery/policy.js";
import { parseSigningSecret } from "./delivery/signing.js";
import { findEventType } from "./events/catalog.js";
import type { NorceEvent } from "./events/event.js";
import type { EventTypeName } from "./events/payloads.generated.js";
import {
  type Answer,
  createListener,
  type IncomingEvent,
  type ListenerOptions,
  type ReceivedEvent,
} from "./listener/server.js";
import { parseDuration } from "./shared/duration.js";

export interface DeliverOptions {
  /** The receiver's URL. */
  to: string;
  /** Static headers, as Norce's Admin UI adds them (e.g. `{ Authorization: "Bearer …" }`). */
  headers?: Record<string, string>;
  /** Per attempt, in ms or as text (`"5s"`). @default 5000, Norce's */
  timeout?: number | string;
  /**
   * Norce's retries, compressed or shortened; `false` sends once.
   * @default Norce's full schedule: 16 retries over about 22 hours, in real time
   */
  retry?: false | { timeScale?: number; maxRetries?: number };
  /** Sign with Standard Webhooks headers (Norce signs nothing; opt-in). */
  signSecret?: string;
  /**
   * Send credential headers (Authorization, cookies, API keys: named like a secret) on to a
   * redirect that leaves the origin. Norce does not document this; by default they are dropped,
   * as browsers do (.NET's HttpClient drops `Authorization` on every redirect).
   * @default false
   */
  keepAuthOnRedirect?: boolean;
  /** Stop waiting; the result is then `interrupted`. */
  signal?: AbortSignal;
  /** Called after each attempt, as it happens. */
  onAttempt?: (attempt: Attempt) => void;
}

export interface DeliverResult<E extends NorceEvent = NorceEvent> {
  outcome: Outcome;
  delivered: boolean;
  attempts: Attempt[];
  event: E;
}

/**
 * Deliver an event as Norce does: standard headers, timeout, redirects, backoff, dead after the
 * last retry. Resolves (never rejects on a failed delivery) to the attempts and the outcome.
 *
 * ```ts
 * const result = await deliver(fakeEvent("OrderConfirmedEvent"), {
 *   to: "http://localhost:3000/receiver",
 *   retry: { timeScale: 1000 }, // Norce's 22 hours in 80 seconds
 * });
 * ```
 */
export async function deliver<E extends NorceEvent>(
  event: E,
  options: DeliverOptions,
): Promise<DeliverResult<E>> {
  const timeoutMs =
    typeof options.timeout === "string"
      ? parseDuration(options.timeout, "timeout")
      : options.timeout;
  const retry = options.retry;
  const policy = createPolicy({
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(retry === false ? { maxRetries: 0 } : {}),
    ...(retry && retry.maxRetries !== undefined ? { maxRetries: retry.maxRetries } : {}),
    ...(retry && retry.timeScale !== undefined ? { timeScale: retry.timeScale } : {}),
    ...(options.keepAuthOnRedirect ? { keepAuthOnRedirect: true } : {}),
  });
  const delivery: Delivery<E> = await deliverEvent(event, {
    to: options.to,
    ...(options.headers ? { headers: options.headers } : {}),
    policy,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.signSecret ? { signingKey: parseSigningSecret(options.signSecret) } : {}),
    ...(options.onAttempt ? { hooks: { onAttempt: options.onAttempt } } : {}),
  });
  return {
    outcome: delivery.outcome,
    delivered: delivery.outcome === "delivered",
    attempts: delivery.attempts,
    event,
  };
}

export type Respond =
  | number
  | Answer
  | ((request: IncomingEvent) => number | Answer | Promise<number | Answer>);

export interface StartListenerOptions
  extends Omit<ListenerOptions, "respond" | "sinks" | "signingKey"> {
  /** The answer: a status, an `Answer`, or a function of the request. @default 202 */
  respond?: Respond;
  /** Verify Standard Webhooks signatures with this `whsec_…` secret. */
  signSecret?: string;
}

export interface TestListener {
  url: string;
  port: number;
  /** Every request received so far, in order. */
  events: ReceivedEvent[];
  /**
   * The first event (already received, or still to come) of a type (any case) or matching a
   * predicate. Rejects after `timeout` (default 5 s) naming what did arrive.
   */
  waitFor(
    match: EventTypeName | (string & {}) | ((event: ReceivedEvent) => boolean),
    options?: { timeout?: number | string },
  ): Promise<ReceivedEvent>;
  close(): Promise<void>;
}

/**
 * A local receiver for tests: binds to 127.0.0.1 (port 0 for a free one), checks what arrives
 * against Norce's headers and schemas, answers as told, and keeps what it received.
 */
export async function startListener(options: StartListenerOptions = {}): Promise<TestListener> {
  const events: ReceivedEvent[] = [];
  const waiters = new Set<(event: ReceivedEvent) => void>();
  const { respond, signSecret, ...rest } = options;
  const listener = await createListener({
    port: 0,
    ...rest,
    ...(signSecret ? { signingKey: parseSigningSecret(signSecret) } : {}),
    respond: async (request) =>
      toAnswer(typeof respond === "function" ? await respond(request) : (respond ?? 202)),
    sinks: [
      {
        write(event) {
          events.push(event);
          for (const waiter of waiters) waiter(event);
        },
      },
    ],
  });
  return {
    url: listener.url,
    port: listener.port,
    events,
    waitFor(match, waitOptions = {}) {
      const test = matcher(match);
      const found = events.find(test);
      if (found) return Promise.resolve(found);
      const timeout =
        typeof waitOptions.timeout === "string"
          ? parseDuration(waitOptions.timeout, "timeout")
          : (waitOptions.timeout ?? 5000);
      return new Promise((resolve, reject) => {
        const waiter = (event: ReceivedEvent) => {
          if (!test(event)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(event);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = events.map((e) => e.type ?? "(no type)").join(", ") || "nothing";
          reject(
            new Error(
              `no ${typeof match === "function" ? "matching event" : match} arrived within ${timeout}ms (received: ${seen})`,
            ),
          );
        }, timeout);
        waiters.add(waiter);
      });
    },
    close: () => listener.close(),
  };
}

function toAnswer(value: number | Answer): Answer {
  return typeof value === "number" ? { status: value } : value;
}

function matcher(
  match: string | ((event: ReceivedEvent) => boolean),
): (event: ReceivedEvent) => boolean {
  if (typeof match === "function") return match;
  const name = findEventType(match)?.name ?? match;
  return (event) => event.type?.toLowerCase() === name.toLowerCase();
}
