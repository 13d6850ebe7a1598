/**
 * A scenario planned: every event of every repetition made up front, on one set of ids, with its
 * time on Norce's clock. Same definition, seed, repeat and tenant: the same payloads.
 */
import { getEventType } from "../events/catalog.js";
import { type ClientIdentity, DEFAULT_CLIENT, pickApplicationId } from "../events/client.js";
import { createEvent, type NorceEvent } from "../events/event.js";
import { createEventFactory } from "../events/factory.js";
import type { EventPayload } from "../events/payloads.generated.js";
import { deriveSeed, randomSeed } from "../events/rng.js";
import { ScenarioError } from "../shared/errors.js";
import {
  type CheckedScenario,
  type CheckedStep,
  isRef,
  type ModeledRelation,
  type ScenarioValue,
} from "./definition.js";
import { type Entity, entityKind, makeEntity } from "./entities.js";

/** Repetitions start this far apart on Norce's clock (orders placed a minute apart). */
export const REPEAT_STAGGER_MS = 60_000;

/** The ids worth showing for an event, in this order, when its payload has them. */
export const SHARED_ID_KEYS = [
  "ClientOrderRef",
  "OrderId",
  "OrderNo",
  "ErpOrderNo",
  "SubscriptionId",
  "CustomerId",
  "CompanyId",
  "SupplierId",
  "PartNo",
  "PricelistCode",
  "CapturedInvoiceId",
  "JobId",
] as const;

export interface PlannedEvent {
  /** Position in the plan (0-based), in Norce's time order. */
  position: number;
  /** 0-based repetition (`--repeat`). */
  repetition: number;
  /** The step's index in the definition (0-based) and id. */
  stepIndex: number;
  stepId: string;
  /** Steps in one repetition. */
  stepCount: number;
  note: string | undefined;
  /** When it happens on Norce's clock, from the start of the run. */
  atMs: number;
  /** The gap after the previous event of its repetition (Norce's time). */
  gapMs: number;
  event: NorceEvent;
  /** The shared ids this event carries (ClientOrderRef, OrderId, PartNo, …). */
  ids: Record<string, string | number>;
}

export interface ScenarioPlan {
  name: string;
  description: string;
  source: string;
  seed: number;
  repeat: number;
  client: ClientIdentity;
  events: PlannedEvent[];
  /** Per repetition, the entities its events share. */
  entities: Record<string, Entity>[];
  modeled: ModeledRelation[];
}

export interface PlanOptions {
  /** @default a random seed (reported, so a run can be repeated) */
  seed?: number;
  /** How many times the sequence runs, each on new ids (N orders). @default 1 */
  repeat?: number;
  /** @default DEFAULT_CLIENT */
  client?: ClientIdentity;
  /** The timestamp base of the planned events. @default now */
  start?: Date;
}

export function planScenario(scenario: CheckedScenario, options: PlanOptions = {}): ScenarioPlan {
  const seed = options.seed ?? randomSeed();
  const repeat = options.repeat ?? 1;
  const client = options.client ?? DEFAULT_CLIENT;
  const start = (options.start ?? new Date()).getTime();
  const events: Omit<PlannedEvent, "position">[] = [];
  const entities: Record<string, Entity>[] = [];

  for (let repetition = 0; repetition < repeat; repetition++) {
    const shared: Record<string, Entity> = {};
    const entity = (name: string) => {
      shared[name] ??= makeEntity(name, seed, repetition);
      return shared[name];
    };
    // One ApplicationId for all of a repetition's events: one order is placed on one site.
    const applicationId = pickApplicationId(client, seed, repetition);
    const payloads = new Map<string, Record<string, unknown>>();
    for (const index of scenario.resolveOrder) {
      const step = scenario.steps[index]!;
      payloads.set(
        step.id,
        makePayload(scenario, step, { seed, repetition, client, applicationId, entity, payloads }),
      );
    }
    entities.push(shared);
    let at = repetition * REPEAT_STAGGER_MS;
    for (const step of scenario.steps) {
      at += step.afterMs;
      const payload = payloads.get(step.id)!;
      events.push({
        repetition,
        stepIndex: step.index,
        stepId: step.id,
        stepCount: scenario.steps.length,
        note: step.note,
        atMs: at,
        gapMs: step.afterMs,
        event: createEvent(step.type, payload as unknown as EventPayload, {
          timestamp: new Date(start + at),
        }),
        ids: sharedIds(payload),
      });
    }
  }
  // Norce's time order; within the same moment, the earlier repetition and step first.
  events.sort(
    (a, b) => a.atMs - b.atMs || a.repetition - b.repetition || a.stepIndex - b.stepIndex,
  );
  return {
    name: scenario.name,
    description: scenario.description,
    source: scenario.source,
    seed,
    repeat,
    client,
    events: events.map((e, position) => ({ ...e, position })),
    entities,
    modeled: scenario.modeled,
  };
}

function makePayload(
  scenario: CheckedScenario,
  step: CheckedStep,
  run: {
    seed: number;
    repetition: number;
    client: ClientIdentity;
    applicationId: number;
    entity: (name: string) => Entity;
    payloads: Map<string, Record<string, unknown>>;
  },
): Record<string, unknown> {
  const info = getEventType(step.type);
  const data: Record<string, unknown> = {};
  if (info.properties.includes("ApplicationId")) data.ApplicationId = run.applicationId;
  for (const name of step.with) {
    for (const [field, value] of Object.entries(run.entity(name))) {
      if (info.properties.includes(field)) data[field] = value;
    }
  }
  for (const [property, value] of Object.entries(step.set)) {
    data[property] = resolve(value, run);
  }
  try {
    return createEventFactory(info, {
      seed: deriveSeed(run.seed, run.repetition * 1000 + step.index + 1),
      client: run.client,
      optionals: "all",
      overrides: { data },
    }).payload(0);
  } catch (error) {
    throw new ScenarioError(
      scenario.source,
      `step ${step.id} (${info.name}): ${(error as Error).message}`,
      {
        hint: "the step's set values must fit the event type's schema (norce-event types --json)",
        cause: error,
      },
    );
  }
}

function resolve(
  value: ScenarioValue,
  run: { entity: (name: string) => Entity; payloads: Map<string, Record<string, unknown>> },
): unknown {
  if (isRef(value)) {
    const dot = value.ref.indexOf(".");
    const head = value.ref.slice(0, dot);
    const field = value.ref.slice(dot + 1);
    if (entityKind(head)) return run.entity(head)[field];
    return structuredClone(run.payloads.get(head)?.[field]);
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, run));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, run)]));
  }
  return value;
}

function sharedIds(payload: Record<string, unknown>): Record<string, string | number> {
  const ids: Record<string, string | number> = {};
  for (const key of SHARED_ID_KEYS) {
    const value = payload[key];
    if (typeof value === "string" || typeof value === "number") ids[key] = value;
  }
  return ids;
}
