/**
 * norce-event as a library: fake Norce events, deliver them as Norce does, receive them, and check
 * receivers — the same core the CLI uses, with nothing printed and no process spawned.
 */

export {
  type CaseResult,
  type ContractOptions,
  type ContractReport,
  runContract,
} from "./contract/runner.js";
export type { Attempt, Delivery, NextAttempt, Outcome } from "./delivery/engine.js";
export {
  type DeliveryPolicy,
  NORCE_POLICY,
  NORCE_RETRY_DELAYS_MS,
  retrySchedule,
  type ScheduledRetry,
} from "./delivery/policy.js";
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
export { type ClientIdentity, DEFAULT_CLIENT } from "./events/client.js";
export {
  createEvent,
  formatTimestamp,
  type NorceEvent,
  parseTimestamp,
} from "./events/event.js";
export { type FakeEventOptions, fakeEvent } from "./events/factory.js";
export type { Optionals } from "./events/generator.js";
export * from "./events/payloads.generated.js";
export { type Problem, type ValidationResult, validatePayload } from "./events/validator.js";
export {
  type DeliverOptions,
  type DeliverResult,
  deliver,
  type Respond,
  type StartListenerOptions,
  startListener,
  type TestListener,
} from "./library.js";
export type { Finding } from "./listener/checks.js";
export type { Answer, IncomingEvent, ReceivedEvent } from "./listener/server.js";
export {
  type ConnectRelayOptions,
  connectRelay,
  type RelayAnswer,
  type RelayClientState,
  type RelayConnection,
  type RelayedEvent,
  RelayRefusedError,
} from "./relay/client.js";
export { type Exposed, type ExposeOptions, type ExposeTool, startExpose } from "./relay/expose.js";
export type {
  Relay,
  RelayLogEntry,
  RelayMode,
  RelayOptions,
  RelayStatus,
} from "./relay/server.js";
export { startRelay } from "./relay/start.js";
export {
  BUILTIN_SCENARIOS,
  type BuiltinScenarioName,
} from "./scenarios/builtins.js";
export { CHAOS_KINDS, type ChaosApplied, type ChaosKind } from "./scenarios/chaos.js";
export type {
  ModeledRelation,
  ScenarioDefinition,
  ScenarioRef,
  ScenarioStepDefinition,
  ScenarioValue,
} from "./scenarios/definition.js";
export {
  type RunScenarioOptions,
  runScenario,
  type ScenarioOptions,
  scenario,
} from "./scenarios/library.js";
export type { PlannedEvent, ScenarioPlan } from "./scenarios/plan.js";
export type { ScenarioDelivery, ScenarioDispatch, ScenarioRun } from "./scenarios/run.js";
export {
  AbortedError,
  ConfigError,
  InvalidPayloadError,
  NorceEventError,
  ScenarioError,
  StoreError,
  UnknownEventTypeError,
  UsageError,
} from "./shared/errors.js";

import { EVENT_TYPE_NAMES, type EventTypeName } from "./events/payloads.generated.js";
import { type ValidationResult, validatePayload } from "./events/validator.js";

/** The names of Norce's 19 event types, in catalog order. */
// The generated list (kept equal to the fixtures by a test): importing the library reads no file.
export const eventTypes: readonly EventTypeName[] = EVENT_TYPE_NAMES;

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
