/**
 * Scenarios for a TypeScript test suite: plan a built-in (or your own definition) and run it
 * against your receiver, then assert on its state after a whole order's life.
 */
import type { ClientIdentity } from "../events/client.js";
import { loadScenario } from "./builtins.js";
import type { ChaosKind } from "./chaos.js";
import { type CheckedScenario, checkScenario, type ScenarioDefinition } from "./definition.js";
import { planScenario, type ScenarioPlan } from "./plan.js";
import { runScenarioPlan, type ScenarioRun } from "./run.js";

export interface ScenarioOptions {
  /** Same seed, same ids and payloads (and the same disorder under chaos). @default random */
  seed?: number;
  /** Run the sequence this many times, each on new ids (N orders). @default 1 */
  repeat?: number;
  /** The tenant the events carry. @default DEFAULT_CLIENT */
  client?: ClientIdentity;
}

export interface RunScenarioOptions extends ScenarioOptions {
  /** The receiver's URL. */
  to: string;
  /** Static headers, as Norce's Admin UI adds them. */
  headers?: Record<string, string>;
  /** Disorder on purpose, chosen by the seed. @default none */
  chaos?: readonly ChaosKind[];
  /** Divide the gaps between steps and Norce's backoff delays by this. @default 1 */
  timeScale?: number;
  /** Retries after a failed attempt (Norce: 16); 0 sends each event once. @default 16 */
  maxRetries?: number;
  /** The longest real wait between two steps, in ms. @default 500 */
  maxGapMs?: number;
  /** Stop sending and waiting; the run then reports `interrupted`. */
  signal?: AbortSignal;
}

/**
 * The events of a scenario, planned: every step of every repetition, on one consistent set of ids.
 * Throws `ScenarioError` for an unknown name or a broken definition.
 *
 * ```ts
 * const plan = scenario("order-lifecycle", { seed: 7 });
 * plan.events.map((e) => e.event.type); // OrderReceivedEvent, OrderPaymentReceivedEvent, …
 * ```
 */
export function scenario(
  nameOrDefinition: string | ScenarioDefinition,
  options: ScenarioOptions = {},
): ScenarioPlan {
  return planScenario(toChecked(nameOrDefinition), options);
}

/**
 * Deliver a scenario as Norce does (each event with Norce's policy; gaps compressed by
 * `timeScale`), optionally in disorder. Resolves when every delivery has ended; never rejects on
 * a failed delivery.
 *
 * ```ts
 * const run = await runScenario("order-lifecycle", { to: url, seed: 7, chaos: ["duplicates"], timeScale: 1000 });
 * expect(run.delivered).toBe(6);
 * ```
 */
export async function runScenario(
  what: string | ScenarioDefinition | ScenarioPlan,
  options: RunScenarioOptions,
): Promise<ScenarioRun> {
  const plan = isPlan(what) ? what : scenario(what, options);
  return await runScenarioPlan(plan, {
    to: options.to,
    ...(options.headers ? { headers: options.headers } : {}),
    policy: {
      timeScale: options.timeScale ?? 1,
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
    },
    ...(options.chaos ? { chaos: options.chaos } : {}),
    ...(options.maxGapMs === undefined ? {} : { maxGapMs: options.maxGapMs }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

function toChecked(what: string | ScenarioDefinition): CheckedScenario {
  return typeof what === "string"
    ? loadScenario(what)
    : checkScenario(what, what.name ?? "scenario");
}

function isPlan(what: unknown): what is ScenarioPlan {
  return typeof what === "object" && what !== null && "events" in what && "entities" in what;
}
