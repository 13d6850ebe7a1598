/**
 * Running a plan: each dispatch at its time (Norce's gaps divided by the time scale, each capped),
 * delivered with Norce's full policy by the delivery engine, as independent deliveries: an event
 * being retried does not hold the next one back, exactly as at Norce. Core code: hooks report,
 * nothing prints.
 */
import { type Clock, realClock } from "../delivery/clock.js";
import {
  type Attempt,
  createAgent,
  type Delivery,
  type DeliveryHooks,
  deliverEvent,
} from "../delivery/engine.js";
import { createPolicy, type DeliveryPolicy } from "../delivery/policy.js";
import { formatTimestamp, type NorceEvent } from "../events/event.js";
import type { EventTypeName } from "../events/payloads.generated.js";
import { AbortedError } from "../shared/errors.js";
import { applyChaos, type ChaosApplied, type ChaosKind, type Dispatch } from "./chaos.js";
import type { PlannedEvent, ScenarioPlan } from "./plan.js";

/** Where one type goes: a URL and its static headers, or a reason it is not sent. */
export type ScenarioTarget =
  | { url: string; headers?: Readonly<Record<string, string>> }
  | { skip: string };

/** The longest real wait between two steps by default, whatever the scenario's gap. */
export const DEFAULT_MAX_GAP_MS = 500;

export interface ScenarioRunOptions {
  /** The receiver's URL for every type, or per type (a project config's urls). */
  to: string | ((type: EventTypeName) => ScenarioTarget);
  /** Static headers for every type (with a URL string). */
  headers?: Readonly<Record<string, string>>;
  /** Norce's policy by default; `timeScale` also divides the scenario's gaps. */
  policy?: Partial<DeliveryPolicy>;
  chaos?: readonly ChaosKind[];
  /** The longest real wait between two steps, whatever the gap and scale. @default 500 */
  maxGapMs?: number;
  signal?: AbortSignal;
  /** @internal */
  clock?: Clock;
  hooks?: ScenarioHooks;
}

export interface ScenarioHooks {
  /** Before a dispatch is sent (after its wait). */
  onDispatch?: (dispatch: ScenarioDispatch) => void;
  /** Delivery hooks for a dispatch (the store's recording, the timeline's attempt lines). */
  deliveryHooks?: (dispatch: ScenarioDispatch, url: string) => DeliveryHooks | undefined;
  /** When a dispatch's delivery ends (delivered, dead or interrupted). */
  onDelivery?: (dispatch: ScenarioDispatch, delivery: Delivery) => void | Promise<void>;
  /** A step not sent (its type is off). */
  onSkip?: (planned: PlannedEvent, reason: string) => void;
}

export interface ScenarioDispatch extends Dispatch {
  planned: PlannedEvent;
  /** 1-based, in sending order. */
  number: number;
  /** Real milliseconds since the run started. */
  realMs: number;
}

export interface ScenarioDelivery {
  dispatch: ScenarioDispatch;
  delivery: Delivery;
}

export interface ScenarioRun {
  plan: ScenarioPlan;
  chaos: ChaosApplied[];
  deliveries: ScenarioDelivery[];
  skipped: { planned: PlannedEvent; reason: string }[];
  /** Every event delivered (each dispatch ended with a 2xx; `lost` dispatches count by their retry). */
  delivered: number;
  dead: number;
  interrupted: boolean;
  durationMs: number;
}

/** Run a plan against a receiver; resolves when every delivery has ended. */
export async function runScenarioPlan(
  plan: ScenarioPlan,
  options: ScenarioRunOptions,
): Promise<ScenarioRun> {
  const policy = createPolicy(options.policy);
  const clock = options.clock ?? realClock;
  const maxGap = options.maxGapMs ?? DEFAULT_MAX_GAP_MS;
  const { dispatches, applied } = applyChaos(plan.events, options.chaos ?? [], plan.seed);
  const dispatcher = createAgent(policy.timeoutMs, 16);
  const onAbort = () => void dispatcher.destroy().catch(() => undefined);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const started = clock.now();
  const startedReal = performance.now();
  const deliveries: ScenarioDelivery[] = [];
  const skipped: ScenarioRun["skipped"] = [];
  const running: Promise<void>[] = [];
  const targetOf =
    typeof options.to === "string"
      ? () => ({
          url: options.to as string,
          ...(options.headers ? { headers: options.headers } : {}),
        })
      : options.to;
  let interrupted = false;
  const sent = new Map<number, NorceEvent>();
  // When each event's first attempt ended: Norce's backoff counts from there.
  const firstEnded = new Map<number, number>();

  try {
    let due = started;
    let previousAt = 0;
    let number = 0;
    for (const dispatch of dispatches) {
      const planned = plan.events[dispatch.position]!;
      const target = targetOf(planned.event.type);
      if ("skip" in target) {
        if (dispatch.mode !== "again") {
          skipped.push({ planned, reason: target.skip });
          options.hooks?.onSkip?.(planned, target.skip);
        }
        continue;
      }
      if (!dispatch.concurrent) {
        const gap = Math.max(0, dispatch.atMs - previousAt);
        due += Math.min(gap / policy.timeScale, maxGap);
        previousAt = dispatch.atMs;
        try {
          await clock.sleepUntil(due, options.signal);
        } catch (error) {
          if (error instanceof AbortedError) {
            interrupted = true;
            break;
          }
          throw error;
        }
      }
      // Norce's next attempt of an event waits at least the first backoff delay after the first.
      const firstAt = firstEnded.get(dispatch.position);
      if (dispatch.mode === "again" && firstAt !== undefined) {
        const retryDue = firstAt + (policy.retryDelaysMs[0] ?? 0) / policy.timeScale;
        try {
          await clock.sleepUntil(retryDue, options.signal);
        } catch (error) {
          if (error instanceof AbortedError) {
            interrupted = true;
            break;
          }
          throw error;
        }
      }
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      number++;
      const shown: ScenarioDispatch = {
        ...dispatch,
        planned,
        number,
        realMs: performance.now() - startedReal,
      };
      options.hooks?.onDispatch?.(shown);
      // The receiver sees dispatches in this order: wait for each one's first attempt (not its
      // retries) before the next, unless it is a burst.
      let firstAttempt!: () => void;
      const attempted = new Promise<void>((resolve) => {
        firstAttempt = resolve;
      });
      const own = options.hooks?.deliveryHooks?.(shown, target.url);
      const hooks: DeliveryHooks = {
        onAttempt: async (attempt: Attempt) => {
          if (!firstEnded.has(dispatch.position)) firstEnded.set(dispatch.position, clock.now());
          await own?.onAttempt?.(attempt);
          firstAttempt();
        },
        ...(own?.onWait ? { onWait: own.onWait } : {}),
      };
      // Norce-Event-Timestamp is when the event happened: its first send, on the wall clock. Every
      // later attempt of it carries the same id, timestamp and body.
      let event = sent.get(dispatch.position);
      if (!event) {
        event = { ...planned.event, timestamp: formatTimestamp(new Date(clock.now())) };
        sent.set(dispatch.position, event);
      }
      const run = deliverEvent(event, {
        to: target.url,
        ...(target.headers ? { headers: target.headers } : {}),
        policy: dispatch.mode === "lost" ? { ...policy, maxRetries: 0 } : policy,
        ...(options.signal ? { signal: options.signal } : {}),
        dispatcher,
        clock,
        hooks,
        // Norce's next attempt of the same event: numbered #2, due now.
        ...(dispatch.mode === "again" ? { resume: { attemptsMade: 1, dueAt: clock.now() } } : {}),
      }).then(async (delivery) => {
        firstAttempt();
        deliveries.push({ dispatch: shown, delivery });
        await options.hooks?.onDelivery?.(shown, delivery);
      });
      running.push(run);
      if (!dispatch.concurrent) await Promise.race([attempted, run]);
    }
    await Promise.all(running);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    if (!dispatcher.destroyed) await dispatcher.close().catch(() => undefined);
  }
  deliveries.sort((a, b) => a.dispatch.number - b.dispatch.number);
  if (deliveries.some((d) => d.delivery.outcome === "interrupted")) interrupted = true;
  // An event counts as delivered when any of its dispatches got a 2xx, except a "lost" one
  // (Norce did not see that answer).
  const byEvent = new Map<number, ScenarioDelivery[]>();
  for (const d of deliveries) {
    const list = byEvent.get(d.dispatch.position) ?? [];
    list.push(d);
    byEvent.set(d.dispatch.position, list);
  }
  let delivered = 0;
  let dead = 0;
  for (const list of byEvent.values()) {
    const counted = list.filter((d) => d.dispatch.mode !== "lost");
    if (counted.length > 0 && counted.every((d) => d.delivery.outcome === "delivered")) delivered++;
    else if (counted.some((d) => d.delivery.outcome === "dead")) dead++;
  }
  return {
    plan,
    chaos: applied,
    deliveries,
    skipped,
    delivered,
    dead,
    interrupted,
    durationMs: clock === realClock ? performance.now() - startedReal : clock.now() - started,
  };
}
