/**
 * `--set Path=value`, `--unset Path` and `--data file.json` applied over a generated payload.
 * Values from `--set` are coerced to the schema's type, so `--set OrderId=42` is a number.
 */
import { InvalidPayloadError, UsageError } from "../shared/errors.js";
import { isDecimal, isWholeNumber } from "../shared/numbers.js";
import { closest } from "../shared/text.js";
import type { EventTypeInfo, PropertySchema } from "./catalog.js";
import { validatePayload } from "./validator.js";

export interface Overrides {
  /** `Path=value` assignments, applied in order. */
  set?: readonly string[];
  /** Paths to remove (a receiver must be testable with a required field missing). */
  unset?: readonly string[];
  /** An object merged over the payload (from `--data`). */
  data?: Record<string, unknown>;
}

/** Overrides checked and coerced once, applied to any number of payloads. */
export interface CompiledOverrides {
  /** True when there is nothing to apply. */
  readonly empty: boolean;
  /** Notes worth showing a person (e.g. an unknown property kept on a partial type). */
  readonly warnings: readonly string[];
  /**
   * Apply to a payload (modified in place and returned), then check the result against the
   * schema unless `allowInvalid`. Throws `InvalidPayloadError` naming the property at fault.
   */
  apply(payload: Record<string, unknown>): Record<string, unknown>;
}

type Step = (payload: Record<string, unknown>) => void;

/**
 * Check and coerce overrides for an event type. Unknown properties, values of the wrong type and
 * malformed `--set` arguments throw `UsageError` here, before any payload is made.
 */
export function compileOverrides(
  info: EventTypeInfo,
  overrides: Overrides,
  options: { allowInvalid?: boolean } = {},
): CompiledOverrides {
  const allowInvalid = options.allowInvalid ?? false;
  const warnings: string[] = [];
  const steps: Step[] = [];

  if (overrides.data !== undefined) {
    for (const [key, value] of Object.entries(overrides.data)) {
      const name = resolveProperty(info, key, allowInvalid, warnings, "--data");
      steps.push((p) => {
        p[name] = mergeValue(p[name], structuredClone(value));
      });
    }
  }
  for (const assignment of overrides.set ?? []) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`--set "${assignment}" is not Path=value`, {
        hint: "write it like --set OrderId=42 or --set FirstName=Åsa",
      });
    }
    const [head, ...rest] = assignment.slice(0, eq).trim().split(".");
    const name = resolveProperty(info, head ?? "", allowInvalid, warnings, "--set");
    const raw = assignment.slice(eq + 1);
    if (rest.length === 0) {
      const value = coerce(info, name, raw, allowInvalid);
      steps.push((p) => {
        p[name] = value;
      });
    } else {
      const value = parseLoose(raw);
      steps.push((p) => setNested(p, [name, ...rest], structuredClone(value)));
    }
  }
  for (const path of overrides.unset ?? []) {
    const [head, ...rest] = path.trim().split(".");
    const name = resolveProperty(info, head ?? "", true, [], "--unset");
    steps.push(rest.length === 0 ? (p) => delete p[name] : (p) => deleteNested(p, [name, ...rest]));
  }

  return {
    empty: steps.length === 0,
    warnings,
    apply(payload) {
      if (steps.length === 0) return payload;
      for (const step of steps) step(payload);
      if (!allowInvalid) {
        const { valid, problems } = validatePayload(info, payload);
        if (!valid) {
          const first = problems[0]!;
          throw new InvalidPayloadError(
            `${info.name} would break its schema: ${first.path} ${first.message}` +
              (problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""),
            problems,
            {
              hint: "add --allow-invalid to keep it anyway: receivers must cope with bad payloads too",
            },
          );
        }
      }
      return payload;
    },
  };
}

/** Match a property name case-insensitively; unknown names are an error on complete schemas. */
function resolveProperty(
  info: EventTypeInfo,
  name: string,
  allowInvalid: boolean,
  warnings: string[],
  flag: string,
): string {
  if (name === "") throw new UsageError(`${flag} needs a property name`);
  const known = info.properties.find((p) => p.toLowerCase() === name.toLowerCase());
  if (known) return known;
  if (info.completeness === "partial") {
    warnings.push(
      `${name} is not in ${info.name}'s schema, which is partial (Norce's docs do not show every field); kept as given`,
    );
    return name;
  }
  if (allowInvalid) return name;
  const suggestion = closest(name, info.properties);
  throw new UsageError(
    `${info.name} has no property ${name}${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
    {
      hint: `its properties are ${info.properties.join(", ")}; add --allow-invalid to add one Norce does not send`,
    },
  );
}

function coerce(info: EventTypeInfo, name: string, raw: string, allowInvalid: boolean): unknown {
  const schema: PropertySchema | undefined = info.schema.properties[name];
  if (!schema) return parseLoose(raw);
  const fail = (what: string): unknown => {
    if (allowInvalid) return parseLoose(raw);
    throw new UsageError(`cannot set ${name}=${raw}: ${name} is ${what} in ${info.name}`, {
      hint: "add --allow-invalid to send a value of the wrong type on purpose",
    });
  };
  if (raw === "null") return allowInvalid ? null : fail(describeType(schema));
  switch (schema.type) {
    case "integer":
      return isWholeNumber(raw) ? Number(raw) : fail(describeType(schema));
    case "number": {
      // Decimal notation only: Number() also reads 0x10 as 16.
      const value = Number(raw);
      return isDecimal(raw) && Number.isFinite(value) ? value : fail(describeType(schema));
    }
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : fail("a boolean (true or false)");
    default:
      return raw;
  }
}

function describeType(schema: PropertySchema): string {
  if (schema.type === "integer") return `an integer${schema.format ? ` (${schema.format})` : ""}`;
  if (schema.type === "number") return `a number${schema.format ? ` (${schema.format})` : ""}`;
  return `a ${schema.type ?? "value"}`;
}

/** For values whose type the schema does not give: JSON if it parses, else the text. */
function parseLoose(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function mergeValue(current: unknown, next: unknown): unknown {
  if (isPlainObject(current) && isPlainObject(next)) {
    const merged: Record<string, unknown> = { ...current };
    for (const [k, v] of Object.entries(next)) merged[k] = mergeValue(merged[k], v);
    return merged;
  }
  return next;
}

function setNested(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function deleteNested(target: Record<string, unknown>, path: string[]): void {
  let node: unknown = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node)) return;
    node = node[key];
  }
  if (isPlainObject(node)) delete node[path[path.length - 1]!];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
