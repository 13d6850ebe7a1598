/**
 * norce-event as a library: fake Norce events, deliver them as Norce does, receive them, and check
 * receivers — the same core the CLI uses, with nothing printed and no process spawned.
 */
export {
  type Category,
  type Completeness,
  type EventTypeInfo,
  eventTypeInfos,
  findEventType,
  getEventType,
  type Kind,
  type ModeledField,
} from "./events/catalog.js";
export {
  createEvent,
  type FakeEventOptions,
  fakeEvent,
  formatTimestamp,
  type NorceEvent,
  parseTimestamp,
} from "./events/event.js";
export type { Optionals } from "./events/generator.js";
export * from "./events/payloads.generated.js";
export { type Problem, type ValidationResult, validatePayload } from "./events/validator.js";
export {
  AbortedError,
  ConfigError,
  InvalidPayloadError,
  NorceEventError,
  StoreError,
  UnknownEventTypeError,
  UsageError,
} from "./shared/errors.js";

import { eventTypeInfos } from "./events/catalog.js";
import type { EventTypeName } from "./events/payloads.generated.js";
import { type ValidationResult, validatePayload } from "./events/validator.js";

/** The names of Norce's 19 event types, in catalog order. */
export const eventTypes: readonly EventTypeName[] = eventTypeInfos().map((info) => info.name);

/**
 * Check a payload against its event type's schema.
 *
 * ```ts
 * const { valid, problems } = validateEvent("OrderConfirmedEvent", body);
 * ```
 */
export function validateEvent(type: string, payload: unknown): ValidationResult {
  return validatePayload(type, payload);
}
