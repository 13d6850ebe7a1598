/**
 * The delivery engine: one event, Norce's policy, attempts until delivered or dead. Core code: it
 * returns values and calls hooks; the CLI renders them, the store records them, the library
 * returns them.
 */
import { STATUS_CODES } from "node:http";
import { Agent, type Dispatcher } from "undici";
import type { NorceEvent } from "../events/event.js";
import { AbortedError } from "../shared/errors.js";
import { type Clock, realClock, whenAborted } from "./clock.js";
import { standardHeaderList, staticHeaders, toHeaderList } from "./headers.js";
import {
  type HttpOutcome,
  postWithRedirects,
  type Redirect,
  splitUrl,
  type Target,
} from "./http.js";
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
  /** The body as sent (the payload's JSON text). */
  body?: string;
  /** When interrupted: the attempt that was due next, for `resume`. */
  pending?: NextAttempt;
  /** Interrupted while `pending` was in flight: the receiver may have it (resume sends it again). */
  cutInFlight?: boolean;
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
  /**
   * Send this exact header list and body instead of the ones made from the event (a relayed
   * event, passed on byte for byte: the laptop plays Norce for the app).
   */
  raw?: { headers: string[]; body: string };
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
  const ownDispatcher = options.dispatcher ? undefined : createAgent(policy.timeoutMs);
  // Stopping from outside ends a request in flight by closing the connections under it.
  const stopWatching =
    ownDispatcher && options.signal
      ? whenAborted(options.signal, () => void ownDispatcher.destroy().catch(() => undefined))
      : undefined;
  try {
    return await runDelivery(
      event,
      prepareDelivery({ ...options, policy, dispatcher: options.dispatcher ?? ownDispatcher! }),
      options,
    );
  } finally {
    stopWatching?.();
    if (ownDispatcher && !ownDispatcher.destroyed) await ownDispatcher.close();
  }
}

/**
 * An undici agent for deliveries. Connecting counts against the attempt's timeout, as Norce's
 * 5 s covers the whole POST: the attempt's own timer ends it (see http.ts). undici's connect
 * timer is coarse and can fire early, so it is only a backstop, a second later.
 */
export function createAgent(timeoutMs: number, connections?: number): Agent {
  return new Agent({
    connectTimeout: timeoutMs + 1000,
    ...(connections === undefined ? {} : { connections, pipelining: 1 }),
  });
}

/** What every delivery of a run shares, worked out once (a batch sends thousands). */
export interface PreparedDelivery {
  to: string;
  policy: DeliveryPolicy;
  clock: Clock;
  dispatcher: Dispatcher;
  /** The static headers with content-type (a flat list), ready for the three standard ones. */
  baseHeaders: string[];
  signingKey: Buffer | undefined;
  signal: AbortSignal | undefined;
  target: Target;
}

export function prepareDelivery(
  options: Omit<DeliverOptions, "policy" | "dispatcher"> & {
    policy: DeliveryPolicy;
    dispatcher: Dispatcher;
  },
): PreparedDelivery {
  return {
    to: options.to,
    policy: options.policy,
    clock: options.clock ?? realClock,
    dispatcher: options.dispatcher,
    baseHeaders: toHeaderList(staticHeaders(options.headers, Boolean(options.signingKey)).headers),
    signingKey: options.signingKey,
    signal: options.signal,
    target: splitUrl(options.to),
  };
}

/** The attempt loop, on a prepared context; per event only what differs. */
export async function runDelivery<E extends NorceEvent>(
  event: E,
  ctx: PreparedDelivery,
  per: Pick<DeliverOptions, "hooks" | "acquire" | "resume" | "raw"> & {
    /** The payload's JSON text, when the caller made it already (a batch records it first). */
    body?: string;
  } = {},
): Promise<Delivery<E>> {
  const policy = ctx.policy;
  const clock = ctx.clock;
  const hooks = per.hooks;
  const headers = per.raw ? per.raw.headers : standardHeaderList(ctx.baseHeaders, event);
  const body = per.raw ? per.raw.body : (per.body ?? JSON.stringify(event.payload));
  const attempts: Attempt[] = [];
  const delivery: Delivery<E> = {
    event,
    url: ctx.to,
    outcome: "dead",
    attempts,
    priorAttempts: per.resume?.attemptsMade ?? 0,
    body,
  };

  let number = (per.resume?.attemptsMade ?? 0) + 1;
  let due: NextAttempt | undefined = per.resume
    ? nextAttempt(policy, number, per.resume.dueAt)
    : undefined;

  for (;;) {
    if (due) {
      const waiting = hooks?.onWait?.(due);
      if (waiting) await waiting;
      try {
        await clock.sleepUntil(due.dueAt, ctx.signal);
      } catch (error) {
        if (error instanceof AbortedError) {
          delivery.outcome = "interrupted";
          delivery.pending = due;
          return delivery;
        }
        throw error;
      }
    }
    if (ctx.signal?.aborted) {
      delivery.outcome = "interrupted";
      delivery.pending = due ?? nextAttempt(policy, number, clock.now());
      return delivery;
    }

    const release = per.acquire ? await per.acquire() : undefined;
    const startedAt = clock.now();
    let outcome: HttpOutcome;
    try {
      outcome = await postWithRedirects(ctx.dispatcher, {
        url: ctx.to,
        headers: ctx.signingKey
          ? [
              ...headers,
              ...toHeaderList(
                signHeaders(ctx.signingKey, event.messageId, Math.floor(startedAt / 1000), body),
              ),
            ]
          : headers,
        body,
        timeoutMs: policy.timeoutMs,
        maxRedirects: policy.maxRedirects,
        keepAuthOnRedirect: policy.keepAuthOnRedirect,
        signal: ctx.signal,
        target: ctx.target,
      });
    } finally {
      release?.();
    }
    if (outcome.aborted) {
      delivery.outcome = "interrupted";
      delivery.pending = nextAttempt(policy, number, clock.now(), 0);
      delivery.cutInFlight = true;
      return delivery;
    }

    const status = outcome.status;
    const ok = outcome.error === undefined && status !== undefined && status >= 200 && status < 300;
    const attempt: Attempt = {
      attempt: number,
      scheduleMs: scheduleTime(policy, number),
      startedAt,
      latencyMs: outcome.latencyMs,
      response: outcome.bodyExcerpt,
      redirects: outcome.redirects,
      url: outcome.url,
      ok,
    };
    if (status !== undefined) {
      attempt.status = status;
      attempt.statusText = STATUS_CODES[status] ?? "";
    }
    if (outcome.error) attempt.error = outcome.error;
    const retriesUsed = number - 1;
    if (!ok && retriesUsed < policy.maxRetries) {
      attempt.next = nextAttempt(
        policy,
        number + 1,
        clock.now() + policy.retryDelaysMs[retriesUsed]! / policy.timeScale,
      );
    }
    attempts.push(attempt);
    const shown = hooks?.onAttempt?.(attempt);
    if (shown) await shown;

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
