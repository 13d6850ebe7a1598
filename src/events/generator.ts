/**
 * Seeded payload generation. Each event schema is compiled once into a list of field steps
 * (realistic faker, presence rule); a payload is then a loop over those steps, which is many times
 * faster than interpreting the schema for every payload. Properties the compiler has no realistic
 * generator for are handed to json-schema-faker, the general schema engine, with a seed drawn from
 * the same stream, so determinism holds either way.
 */
import { generateSync, type JsonSchema } from "json-schema-faker";
import type { EventSchema, EventTypeInfo, PropertySchema } from "./catalog.js";
import { FAKERS, FakeContext, type Faker } from "./fakers.js";
import { deriveSeed, Rng } from "./rng.js";

/** How often an optional property is present: "most of the time". */
export const OPTIONAL_PRESENCE = 0.85;

/**
 * Which optional properties a payload carries.
 * - `"some"`: each one most of the time (what Norce traffic looks like), the default
 * - `"all"`: every one
 * - `"none"`: only required ones (a tolerant reader must cope)
 */
export type Optionals = "some" | "all" | "none";

export interface GenerateOptions {
  /** @default "some" */
  optionals?: Optionals;
}

/** Makes payload number `index` of a run started with `seed` (a new object each call). */
export type PayloadGenerator = (seed: number, index?: number) => Record<string, unknown>;

interface FieldStep {
  name: string;
  required: boolean;
  make: Faker;
  schema: PropertySchema;
}

const compiled = new Map<string, FieldStep[]>();

/** Compile (once, then cached) the generator for an event type. */
export function compileGenerator(
  type: EventTypeInfo,
  options: GenerateOptions = {},
): PayloadGenerator {
  let steps = compiled.get(type.name);
  if (!steps) {
    steps = compileSteps(type.schema);
    compiled.set(type.name, steps);
  }
  const fieldSteps = steps;
  const optionals = options.optionals ?? "some";
  return (seed, index = 0) => {
    const rng = new Rng(deriveSeed(seed, index));
    const ctx = new FakeContext(rng);
    const payload: Record<string, unknown> = {};
    for (const step of fieldSteps) {
      // Every value and every presence draw is made whatever `optionals` says, so a seed gives
      // the same values in all three modes and only the set of properties differs.
      const value = step.make(ctx, step.schema);
      const present = step.required || rng.next() < OPTIONAL_PRESENCE;
      if (step.required || optionals === "all" || (optionals === "some" && present)) {
        payload[step.name] = value;
      }
    }
    return payload;
  };
}

function compileSteps(schema: EventSchema): FieldStep[] {
  const required = new Set([
    ...(schema.required ?? []),
    ...(schema["x-modeled-required"]?.properties ?? []),
  ]);
  return Object.entries(schema.properties).map(([name, prop]) => ({
    name,
    required: required.has(name),
    make: fakerFor(prop),
    schema: prop,
  }));
}

function fakerFor(prop: PropertySchema): Faker {
  const name = prop["x-norce-faker"];
  const faker = name === undefined ? undefined : FAKERS[name];
  if (faker) return faker;
  // No realistic generator: let json-schema-faker fill it from the property's own schema.
  const { "x-norce-faker": _hint, ...plain } = prop;
  return (ctx) => generateSync(plain as JsonSchema, { seed: ctx.rng.int(1, 2 ** 31 - 1) });
}
