/**
 * Scenario definitions: a named sequence of steps, each an event type after a gap, with the shared
 * ids of one order (or product, supplier, …) put on it. Built-ins and a team's own files are the
 * same JSON format (fixtures/scenarios/scenario.schema.json); this module checks one and says, in
 * one line, what is wrong and where.
 *
 * A value in `set` is a literal, or a reference `{"ref": "<name>.<Property>"}` where `<name>` is
 * an earlier or later step's `id` (the value that step's payload carries) or a shared entity
 * (`order`, `product2`, … see ENTITY_KINDS). References between steps may point either way; a
 * cycle is an error.
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { eventTypeInfos, findEventType } from "../events/catalog.js";
import type { EventTypeName } from "../events/payloads.generated.js";
import { parseDuration } from "../shared/duration.js";
import { ScenarioError } from "../shared/errors.js";
import { closest } from "../shared/text.js";
import { ENTITY_KINDS, entityFields, entityKind } from "./entities.js";

export const SCENARIO_SCHEMA_FILE = new URL(
  "../../fixtures/scenarios/scenario.schema.json",
  import.meta.url,
);

/** `{"ref": "order.OrderId"}`: the value of a shared entity's field or another step's property. */
export interface ScenarioRef {
  ref: string;
}

export type ScenarioValue =
  | ScenarioRef
  | string
  | number
  | boolean
  | null
  | ScenarioValue[]
  | {
      [key: string]: ScenarioValue;
    };

export interface ScenarioStepDefinition {
  /** Name other steps refer to. @default `step<N>` (1-based) */
  id?: string;
  /** One of Norce's 19 event types. */
  type: string;
  /** The gap after the previous step (Norce's time), e.g. "45s", "20m", "1d". @default "0s" */
  after?: string;
  /** Shared entities whose fields go on the payload where the type has them, e.g. ["order"]. */
  with?: string[];
  /** Payload properties: a literal or `{"ref": "…"}`. */
  set?: Record<string, ScenarioValue>;
  /** Why this step happens, in a shop's words (shown by `scenario show` and the timeline). */
  note?: string;
}

/** A relation between events that Norce's docs do not state, and what it is based on. */
export interface ModeledRelation {
  relation: string;
  evidence: string;
}

export interface ScenarioDefinition {
  $schema?: string;
  name: string;
  description?: string;
  steps: ScenarioStepDefinition[];
  modeled?: ModeledRelation[];
}

/** The longest gap between two steps: a year. */
const MAX_GAP_MS = 365 * 24 * 3_600_000;

/** A step after checking: type resolved, gap parsed, references listed. */
export interface CheckedStep {
  index: number;
  id: string;
  type: EventTypeName;
  afterMs: number;
  with: string[];
  set: Record<string, ScenarioValue>;
  note: string | undefined;
  /** The step ids this one's references need first. */
  needs: string[];
}

export interface CheckedScenario {
  name: string;
  description: string;
  /** Where it came from: "built-in" or the file as given. */
  source: string;
  steps: CheckedStep[];
  /** An order of the steps in which every reference is made before it is used. */
  resolveOrder: number[];
  modeled: ModeledRelation[];
}

export function isRef(value: unknown): value is ScenarioRef {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { ref?: unknown }).ref === "string"
  );
}

let validateShape: ReturnType<Ajv2020["compile"]> | undefined;

/**
 * Check a definition (parsed JSON) and resolve what can be resolved before planning. Throws
 * `ScenarioError` (a usage error: exit 2) naming the scenario, the step and what is wrong.
 */
export function checkScenario(data: unknown, source: string): CheckedScenario {
  const where = source;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ScenarioError(where, "is not a JSON object", {
      hint: "norce-event scenario init writes an example to start from",
    });
  }
  const def = data as ScenarioDefinition;
  // Event types first: the schema's enum would only say "must be equal to one of the allowed values".
  if (Array.isArray(def.steps)) {
    for (const [i, step] of def.steps.entries()) {
      const type = (step as { type?: unknown })?.type;
      if (typeof type === "string" && !findEventType(type)) {
        const suggestion = closest(
          type,
          eventTypeInfos().map((info) => info.name),
          (n) => [n.replace(/(Event|Notification)$/, "")],
        );
        throw new ScenarioError(
          where,
          `step ${stepLabel(step, i)}: unknown event type "${type}"${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
          { hint: "norce-event types lists Norce's 19 event types" },
        );
      }
    }
  }
  validateShape ??= new Ajv2020({ allErrors: true, strict: false }).compile(
    JSON.parse(readFileSync(SCENARIO_SCHEMA_FILE, "utf8")) as object,
  );
  if (!validateShape(data)) {
    throw new ScenarioError(where, describeShapeError(validateShape.errors ?? [], def), {
      hint: "see fixtures/scenarios/scenario.schema.json for the format",
    });
  }

  const ids = new Map<string, number>();
  const steps: CheckedStep[] = def.steps.map((step, index) => {
    const id = step.id ?? `step${index + 1}`;
    if (ids.has(id)) {
      throw new ScenarioError(
        where,
        `two steps have the id "${id}" (steps ${ids.get(id)! + 1} and ${index + 1})`,
        {
          hint: "give each step its own id",
        },
      );
    }
    if (entityKind(id)) {
      throw new ScenarioError(
        where,
        `step ${index + 1}: the id "${id}" is the name of a shared entity`,
        {
          hint: `pick another id; ${ENTITY_KINDS.join(", ")} (with an optional number) are entities`,
        },
      );
    }
    ids.set(id, index);
    const info = findEventType(step.type)!;
    let afterMs = 0;
    try {
      afterMs = step.after === undefined ? 0 : parseDuration(step.after, "after");
    } catch (error) {
      throw new ScenarioError(where, `step ${id}: ${(error as Error).message}`, {
        hint: 'write the gap like "45s", "20m", "2h" or "1d"',
      });
    }
    // A shop's gaps are minutes to days; a gap that puts an event past any date is a typo.
    if (afterMs > MAX_GAP_MS) {
      throw new ScenarioError(where, `step ${id}: after "${step.after}" is more than a year`, {
        hint: 'write the gap like "45s", "20m", "2h" or "1d" (at most 365d)',
      });
    }
    for (const entity of step.with ?? []) {
      if (!entityKind(entity)) {
        const suggestion = closest(entity, ENTITY_KINDS);
        throw new ScenarioError(
          where,
          `step ${id}: unknown entity "${entity}" in with${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
          {
            hint: `the entities are ${ENTITY_KINDS.join(", ")}, each with an optional number (product2)`,
          },
        );
      }
    }
    for (const property of Object.keys(step.set ?? {})) {
      if (!info.properties.includes(property)) {
        const suggestion = closest(property, info.properties);
        throw new ScenarioError(
          where,
          `step ${id}: ${info.name} has no property ${property}${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
          { hint: `its properties are ${info.properties.join(", ")}` },
        );
      }
    }
    return {
      index,
      id,
      type: info.name,
      afterMs,
      with: step.with ?? [],
      set: step.set ?? {},
      note: step.note,
      needs: [],
    };
  });

  // References: to an entity's field, or to another step's property (which must exist on its type).
  for (const step of steps) {
    const needs = new Set<string>();
    for (const [property, value] of Object.entries(step.set)) {
      for (const ref of refsIn(value)) {
        const dot = ref.indexOf(".");
        const head = dot > 0 ? ref.slice(0, dot) : "";
        const field = dot > 0 ? ref.slice(dot + 1) : "";
        const at = `step ${step.id}: ${property}: {"ref": "${ref}"}`;
        if (!head || !field) {
          throw new ScenarioError(where, `${at} is not <step or entity>.<Property>`, {
            hint: 'write it like {"ref": "order.OrderId"} or {"ref": "received.ClientOrderRef"}',
          });
        }
        const kind = entityKind(head);
        if (kind) {
          const fields = entityFields(kind);
          if (!fields.includes(field)) {
            const suggestion = closest(field, fields);
            throw new ScenarioError(
              where,
              `${at}: the ${kind} entity has no field ${field}${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
              {
                hint: `its fields are ${fields.join(", ")}`,
              },
            );
          }
          continue;
        }
        const target = ids.get(head);
        if (target === undefined) {
          const suggestion = closest(head, [...ids.keys(), ...ENTITY_KINDS]);
          throw new ScenarioError(
            where,
            `${at} refers to a step that does not exist${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
            {
              hint: `the steps are ${[...ids.keys()].join(", ")}; the entities ${ENTITY_KINDS.join(", ")}`,
            },
          );
        }
        const targetStep = steps[target]!;
        if (targetStep === step) {
          throw new ScenarioError(where, `${at} refers to its own step`, {
            hint: "refer to an entity (order.OrderId) or another step",
          });
        }
        const targetInfo = findEventType(targetStep.type)!;
        if (!targetInfo.properties.includes(field)) {
          const suggestion = closest(field, targetInfo.properties);
          throw new ScenarioError(
            where,
            `${at}: step ${head} is a ${targetInfo.name}, which has no ${field}${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
            {
              hint: `its properties are ${targetInfo.properties.join(", ")}`,
            },
          );
        }
        needs.add(head);
      }
    }
    step.needs = [...needs];
  }

  return {
    name: def.name,
    description: def.description ?? "",
    source,
    steps,
    resolveOrder: orderByReferences(steps, where),
    modeled: def.modeled ?? [],
  };
}

/** Every `ref` inside a value (a literal may nest objects and arrays). */
export function refsIn(value: ScenarioValue): string[] {
  if (isRef(value)) return [value.ref];
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(refsIn);
  return [];
}

/** A topological order of the steps by their references; a cycle is named step by step. */
function orderByReferences(steps: CheckedStep[], where: string): number[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, "visiting" | "done">();
  const order: number[] = [];
  const visit = (step: CheckedStep, path: string[]) => {
    const seen = state.get(step.id);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...path.slice(path.indexOf(step.id)), step.id];
      throw new ScenarioError(where, `steps refer to each other in a cycle: ${cycle.join(" → ")}`, {
        hint: "a value can only come from a step that does not need this one's values",
      });
    }
    state.set(step.id, "visiting");
    for (const need of step.needs) visit(byId.get(need)!, [...path, step.id]);
    state.set(step.id, "done");
    order.push(step.index);
  };
  for (const step of steps) visit(step, []);
  return order;
}

function stepLabel(step: unknown, index: number): string {
  const id = (step as { id?: unknown })?.id;
  return typeof id === "string" ? id : String(index + 1);
}

function describeShapeError(errors: ErrorObject[], def: ScenarioDefinition): string {
  const error = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0]!;
  const parts = error.instancePath.split("/").filter(Boolean);
  let at = "$";
  if (parts[0] === "steps" && parts[1] !== undefined) {
    const step = def.steps[Number(parts[1])];
    at = `step ${stepLabel(step, Number(parts[1]))}${parts.length > 2 ? `: ${parts.slice(2).join(".")}` : ""}`;
  } else if (parts.length > 0) at = parts.join(".");
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties")
    return `${at}: unknown field "${String(params.additionalProperty)}"`;
  if (error.keyword === "required") return `${at}: "${String(params.missingProperty)}" is required`;
  return `${at} ${error.message ?? "is not valid"}`;
}

/** The JSON Schema of a scenario file, derived from the catalog (rendered into fixtures). */
export function renderScenarioSchema(): string {
  const value = {
    description: 'A literal, or {"ref": "<step id or entity>.<Property>"}.',
  };
  const schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "norce-event scenario",
    description:
      'A sequence of Norce events on one consistent set of ids. Run it with norce-event scenario run <file> --to <url>. Values in "set" are literals or {"ref": "<step id or entity>.<Property>"}. Generated from the event catalog; do not edit.',
    type: "object",
    additionalProperties: false,
    required: ["name", "steps"],
    properties: {
      $schema: { type: "string" },
      name: { type: "string", minLength: 1, description: "A short name, e.g. order-with-refund." },
      description: { type: "string" },
      steps: {
        type: "array",
        minItems: 1,
        maxItems: 500,
        items: { $ref: "#/$defs/step" },
      },
      modeled: {
        type: "array",
        description: "Relations between events that Norce's docs do not state, with the evidence.",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["relation", "evidence"],
          properties: { relation: { type: "string" }, evidence: { type: "string" } },
        },
      },
    },
    $defs: {
      step: {
        type: "object",
        additionalProperties: false,
        required: ["type"],
        properties: {
          id: {
            type: "string",
            pattern: "^[A-Za-z][A-Za-z0-9_-]*$",
            description: "The name other steps refer to (default step1, step2, …).",
          },
          type: {
            type: "string",
            enum: eventTypeInfos().map((info) => info.name),
            description: "One of Norce's 19 event types.",
          },
          after: {
            type: "string",
            pattern: "^\\s*(\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*)+$",
            description: 'The gap after the previous step, in Norce\'s time: "45s", "20m", "1d".',
          },
          with: {
            type: "array",
            description: `Shared entities whose fields go on the payload where the type has them: ${ENTITY_KINDS.join(", ")}, each with an optional number (product2).`,
            items: { type: "string", pattern: `^(${ENTITY_KINDS.join("|")})[0-9]*$` },
          },
          set: {
            type: "object",
            description: "Payload properties over the generated ones.",
            additionalProperties: {
              anyOf: [
                {
                  type: "object",
                  additionalProperties: false,
                  required: ["ref"],
                  properties: {
                    ref: { type: "string", pattern: "^[A-Za-z][A-Za-z0-9_-]*\\.[A-Za-z]+$" },
                  },
                },
                { type: ["string", "number", "boolean", "null", "array", "object"] },
              ],
              ...value,
            },
          },
          note: { type: "string", description: "Why this step happens (shown by scenario show)." },
        },
      },
    },
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
