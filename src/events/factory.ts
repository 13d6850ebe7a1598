/**
 * Events for a run of `generate`, `send` or the contract suite: one type, one seed, the same
 * overrides on every payload. Checks everything once, then makes event `index` on demand.
 */
import { type EventTypeInfo, getEventType } from "./catalog.js";
import { applyClient, type ClientIdentity, DEFAULT_CLIENT, pickApplicationId } from "./client.js";
import { createEvent, type NorceEvent } from "./event.js";
import { compileGenerator, type Optionals } from "./generator.js";
import { compileOverrides, type Overrides } from "./overrides.js";
import type { EventPayload, EventTypeName } from "./payloads.generated.js";
import { randomSeed } from "./rng.js";

export interface EventFactoryOptions {
  seed?: number;
  overrides?: Overrides;
  allowInvalid?: boolean;
  optionals?: Optionals;
  /** Use this message id (for a single event: a redelivery test). */
  messageId?: string;
  /** The tenant every payload carries (overrides still win). @default DEFAULT_CLIENT */
  client?: ClientIdentity;
}

export interface EventFactory {
  readonly info: EventTypeInfo;
  /** The seed in use (given, or drawn at random), so a run can be repeated. */
  readonly seed: number;
  /** Notes for a person (e.g. an unknown property kept on a partial type). */
  readonly warnings: readonly string[];
  payload(index: number): Record<string, unknown>;
  event(index: number, now?: Date): NorceEvent;
}

export function createEventFactory(
  info: EventTypeInfo,
  options: EventFactoryOptions = {},
): EventFactory {
  const overrides = compileOverrides(info, options.overrides ?? {}, {
    allowInvalid: options.allowInvalid ?? false,
  });
  const generate = compileGenerator(
    info,
    options.optionals ? { optionals: options.optionals } : {},
  );
  const seed = options.seed ?? randomSeed();
  const client = options.client ?? DEFAULT_CLIENT;
  // The tenant goes on before the overrides, so `--set ClientId=…` still wins.
  const payload = (index: number) =>
    overrides.apply(
      applyClient(generate(seed, index), client, pickApplicationId(client, seed, index)),
    );
  return {
    info,
    seed,
    warnings: overrides.warnings,
    payload,
    event(index, now = new Date()) {
      const messageId = index === 0 ? options.messageId : undefined;
      return createEvent(info.name, payload(index) as unknown as EventPayload, {
        ...(messageId ? { messageId } : {}),
        timestamp: now,
      });
    },
  };
}

export interface FakeEventOptions {
  /** Same seed, same payload, on every machine. Default: a random seed. */
  seed?: number;
  /** Which payload of a seeded run (`--count`); 0 is the payload `seed` alone gives. @default 0 */
  index?: number;
  /** Properties to set over the generated payload (e.g. `{ OrderNo: "SO1001" }`). */
  overrides?: Record<string, unknown>;
  /** Properties to remove from the payload. */
  unset?: readonly string[];
  /** @default "some" */
  optionals?: Optionals;
  /** Skip the schema check of the overridden payload. @default false */
  allowInvalid?: boolean;
  /** @default a new random UUID */
  messageId?: string;
  /** The tenant (ClientId, ApplicationIds) the payload carries. @default DEFAULT_CLIENT */
  client?: ClientIdentity;
  /** @default now */
  timestamp?: Date | string;
}

/**
 * A realistic fake event of `type` (case-insensitive), ready to deliver.
 *
 * ```ts
 * const event = fakeEvent("OrderConfirmedEvent", { seed: 42, overrides: { Source: "WEB" } });
 * ```
 */
export function fakeEvent<T extends EventTypeName>(
  type: T,
  options?: FakeEventOptions,
): NorceEvent<T>;
export function fakeEvent(type: string, options?: FakeEventOptions): NorceEvent;
export function fakeEvent(type: string, options: FakeEventOptions = {}): NorceEvent {
  const factory = createEventFactory(getEventType(type), {
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    overrides: {
      ...(options.overrides ? { data: options.overrides } : {}),
      ...(options.unset ? { unset: options.unset } : {}),
    },
    allowInvalid: options.allowInvalid ?? false,
    ...(options.optionals ? { optionals: options.optionals } : {}),
    ...(options.client ? { client: options.client } : {}),
  });
  return createEvent(
    factory.info.name,
    factory.payload(options.index ?? 0) as unknown as EventPayload,
    {
      ...(options.messageId ? { messageId: options.messageId } : {}),
      ...(options.timestamp ? { timestamp: options.timestamp } : {}),
    },
  );
}
