/**
 * The delivery engine: one event, Norce's policy, attempts until delivered or dead. Core code: it
 * returns values and calls hooks; the CLI renders them, the store records them, the library
 * returns them.
 */
import { STATUS_CODES } from "node:http";
import { Agent, type Dispatcher } from "undici";
import type { NorceEvent } from "../events/event.js";
import { AbortedError } from "../shared/errors.js";
import { type Clock, realClock } from "./clock.js";
import { buildHeaders } from "./headers.js";
import { postWithRedirects, type Redirect } from "./http.js";
import { createPolicy, type DeliveryPolicy } from "./policy.js";
import { signHeaders } from "./signing.js";

export interface NextAttempt {
  /** The attempt number that comes next (2 for the first retry). */
  attempt: number;
  /** Norce's minimum delay before it. */
  delayMs: number;
  /** The real wait (the delay divided by the time scale). */
  realDelayMs: number;
  /** Its time on Norce's schedule: the sum of the delays so far. */
  scheduleMs: number;
  /** When it is due on the wall clock (epoch ms). */
  dueAt: number;
}

export interface Attempt {
  /** 1 for the first try, 2 for the first retry, … 17 for the last. */
  attempt: number;
  /** Norce's schedule time of this attempt (+0s, +5s, +15s, …). */
  scheduleMs: number;
  /** Wall-clock start (epoch ms). */
  startedAt: number;
  latencyMs: number;
  /** The final HTTP status, when there was an answer. */
  status?: number;
  statusText?: string;
  /** Why there was no (acceptable) answer: ECONNREFUSED, TIMEOUT, REDIRECT_LOOP, … */
  error?: { code: string; message: string };
  /** The first bytes of the response body. */
  response: string;
  redirects: Redirect[];
  /** The URL that answered (after redirects). */
  url: string;
  /** Delivered: a 2xx answer. */
  ok: boolean;
  /** The retry this failure leads to; absent when delivered or dead. */
  next?: NextAttempt;
}

export type Outcome = "delivered" | "dead" | "interrupted";

export interface Delivery<E extends NorceEvent = NorceEvent> {
  event: E;
  url: string;
  outcome: Outcome;
  /** The attempts made in this run (a resumed delivery's earlier ones are not repeated here). */
  attempts: Attempt[];
  /** Attempts made before this run (when resumed); the total is this plus `attempts.length`. */
  priorAttempts: number;
  /** When interrupted: the attempt that was due next, for `resume`. */
  pending?: NextAttempt;
}

/** Where a stored, interrupted delivery left off. */
export interface ResumeState {
  /** Attempts already made (their number; their records stay with the caller). */
  attemptsMade: number;
  /** When the next attempt is due (epoch ms); in the past means now. */
  dueAt: number;
}

export interface DeliveryHooks {
  /** After every attempt, as it happens. */
  onAttempt?: (attempt: Attempt) => void | Promise<void>;
  /** Before each wait for a retry: a store writes the pending state here, so nothing is lost. */
  onWait?: (next: NextAttempt) => void | Promise<void>;
}

export interface DeliverOptions {
  /** The receiver's URL (http or https). */
  to: string;
  /** Static headers, as the Admin UI's "Headers" (e.g. an Authorization token). */
  headers?: Readonly<Record<string, string>>;
  /** Norce's policy by default; any field can be changed (timeScale, maxRetries, timeoutMs). */
  policy?: Partial<DeliveryPolicy>;
  /** Stop waiting or sending; the result is then `interrupted`. */
  signal?: AbortSignal;
  /** Sign each attempt with Standard Webhooks headers (Norce does not; opt-in). */
  signingKey?: Buffer;
  /** Continue an interrupted delivery where it left off. */
  resume?: ResumeState;
  hooks?: DeliveryHooks;
  /** @internal the HTTP client (a shared pool for many events). */
  dispatcher?: Dispatcher;
  /** @internal the time source (fake in tests). */
  clock?: Clock;
  /** @internal take a request slot (for a concurrency limit); resolves to its release. */
  acquire?: () => Promise<() => void>;
}

/**
 * Deliver one event as Norce does: POST, follow redirects, any non-2xx, network error or timeout
 * fails the attempt, then wait at least the next backoff delay and try again, until delivered or
 * the retries run out (dead).
 */
export async function deliverEvent<E extends NorceEvent>(
  event: E,
  options: DeliverOptions,
): Promise<Delivery<E>> {
  const policy = createPolicy(options.policy);
  const clock = options.clock ?? realClock;
  const ownDispatcher = options.dispatcher ? undefined : new Agent();
  const dispatcher = options.dispatcher ?? ownDispatcher!;
  const { headers } = buildHeaders(event, options.headers, {
    signing: Boolean(options.signingKey),
  });
  const body = JSON.stringify(event.payload);
  const attempts: Attempt[] = [];
  const delivery: Delivery<E> = {
    event,
    url: options.to,
    outcome: "dead",
    attempts,
    priorAttempts: options.resume?.attemptsMade ?? 0,
  };

  let number = (options.resume?.attemptsMade ?? 0) + 1;
  let due: NextAttempt | undefined = options.resume
    ? nextAttempt(policy, number, options.resume.dueAt)
    : undefined;

  try {
    for (;;) {
      if (due) {
        await options.hooks?.onWait?.(due);
        try {
          await clock.sleepUntil(due.dueAt, options.signal);
        } catch (error) {
          if (error instanceof AbortedError) {
            delivery.outcome = "interrupted";
            delivery.pending = due;
            return delivery;
          }
          throw error;
        }
      }
      if (options.signal?.aborted) {
        delivery.outcome = "interrupted";
        delivery.pending = due ?? nextAttempt(policy, number, clock.now());
        return delivery;
      }

      const release = options.acquire ? await options.acquire() : undefined;
      const startedAt = clock.now();
      let outcome: Awaited<ReturnType<typeof postWithRedirects>>;
      try {
        outcome = await postWithRedirects(dispatcher, {
          url: options.to,
          headers: options.signingKey
            ? {
                ...headers,
                ...signHeaders(
                  options.signingKey,
                  event.messageId,
                  Math.floor(startedAt / 1000),
                  body,
                ),
              }
            : headers,
          body,
          timeoutMs: policy.timeoutMs,
          maxRedirects: policy.maxRedirects,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } finally {
        release?.();
      }
      if (outcome.aborted) {
        delivery.outcome = "interrupted";
        delivery.pending = nextAttempt(policy, number, clock.now(), 0);
        return delivery;
      }

      const ok =
        outcome.error === undefined &&
        outcome.status !== undefined &&
        outcome.status >= 200 &&
        outcome.status < 300;
      const attempt: Attempt = {
        attempt: number,
        scheduleMs: scheduleTime(policy, number),
        startedAt,
        latencyMs: outcome.latencyMs,
        ...(outcome.status === undefined
          ? {}
          : { status: outcome.status, statusText: STATUS_CODES[outcome.status] ?? "" }),
        ...(outcome.error ? { error: outcome.error } : {}),
        response: outcome.bodyExcerpt,
        redirects: outcome.redirects,
        url: outcome.url,
        ok,
      };
      const retriesUsed = number - 1;
      if (!ok && retriesUsed < policy.maxRetries) {
        attempt.next = nextAttempt(
          policy,
          number + 1,
          clock.now() + policy.retryDelaysMs[retriesUsed]! / policy.timeScale,
        );
      }
      attempts.push(attempt);
      await options.hooks?.onAttempt?.(attempt);

      if (ok) {
        delivery.outcome = "delivered";
        return delivery;
      }
      if (!attempt.next) {
        delivery.outcome = "dead";
        return delivery;
      }
      due = attempt.next;
      number++;
    }
  } finally {
    await ownDispatcher?.close();
  }
}

/** Norce's schedule time of attempt `n`: the sum of the delays before it. */
export function scheduleTime(policy: DeliveryPolicy, n: number): number {
  let at = 0;
  for (let i = 0; i < n - 1; i++) at += policy.retryDelaysMs[i] ?? 0;
  return at;
}

function nextAttempt(
  policy: DeliveryPolicy,
  n: number,
  dueAt: number,
  realDelay?: number,
): NextAttempt {
  const delayMs = policy.retryDelaysMs[n - 2] ?? 0;
  return {
    attempt: n,
    delayMs,
    realDelayMs: realDelay ?? delayMs / policy.timeScale,
    scheduleMs: scheduleTime(policy, n),
    dueAt,
  };
}
