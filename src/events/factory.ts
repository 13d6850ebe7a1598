/**
 * Events for a run of `generate`, `send` or the contract suite: one type, one seed, the same
 * overrides on every payload. Checks everything once, then makes event `index` on demand.
 */
import { randomUUID } from "node:crypto";
import type { EventTypeInfo } from "./catalog.js";
import { formatTimestamp, type NorceEvent } from "./event.js";
import { compileGenerator, type Optionals } from "./generator.js";
import { compileOverrides, type Overrides } from "./overrides.js";
import type { EventPayload } from "./payloads.generated.js";
import { randomSeed } from "./rng.js";

export interface EventFactoryOptions {
  seed?: number;
  overrides?: Overrides;
  allowInvalid?: boolean;
  optionals?: Optionals;
  /** Use this message id (for a single event: a redelivery test). */
  messageId?: string;
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
  const payload = (index: number) => overrides.apply(generate(seed, index));
  return {
    info,
    seed,
    warnings: overrides.warnings,
    payload,
    event(index, now = new Date()) {
      return {
        type: info.name,
        messageId: index === 0 && options.messageId ? options.messageId : randomUUID(),
        timestamp: formatTimestamp(now),
        payload: payload(index) as unknown as EventPayload,
      };
    },
  };
}
