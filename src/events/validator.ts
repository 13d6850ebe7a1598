/**
 * Payload validation against the fixture schemas (JSON Schema 2020-12) with Ajv. The schemas use
 * OpenAPI's number formats (int32, int64, double), which ajv-formats checks: an int32 outside
 * ±2^31 is a problem, as it would be for Norce's .NET side.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { type EventTypeInfo, eventTypeInfos, getEventType } from "./catalog.js";

/** One thing wrong with a payload: where (a JSON path such as `$.OrderId`) and what. */
export interface Problem {
  path: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  problems: Problem[];
}

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

function getAjv(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv, { formats: ["int32", "int64", "float", "double"] });
  // Our annotations (x-source, x-norce-faker, …) are data for humans and the generator.
  const keywords = new Set<string>();
  for (const info of eventTypeInfos()) collectAnnotations(info.schema, keywords);
  ajv.addVocabulary([...keywords]);
  return ajv;
}

function collectAnnotations(node: unknown, into: Set<string>): void {
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-")) into.add(key);
    else if (key === "properties" && value && typeof value === "object") {
      for (const prop of Object.values(value)) collectAnnotations(prop, into);
    }
  }
}

function validatorFor(info: EventTypeInfo): ValidateFunction {
  let validate = validators.get(info.name);
  if (!validate) {
    validate = getAjv().compile(info.schema);
    validators.set(info.name, validate);
  }
  return validate;
}

/** Check a payload against its event type's schema. `type` is matched case-insensitively. */
export function validatePayload(type: string | EventTypeInfo, payload: unknown): ValidationResult {
  const info = typeof type === "string" ? getEventType(type) : type;
  const validate = validatorFor(info);
  if (validate(payload)) return { valid: true, problems: [] };
  return { valid: false, problems: (validate.errors ?? []).map(toProblem) };
}

/** `/OrderId` → `$.OrderId`, `/Lines/0/Sku` → `$.Lines[0].Sku`. */
export function toJsonPath(pointer: string): string {
  if (pointer === "") return "$";
  return `$${pointer
    .split("/")
    .slice(1)
    .map((raw) => raw.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) =>
      /^\d+$/.test(part)
        ? `[${part}]`
        : /^[A-Za-z_]\w*$/.test(part)
          ? `.${part}`
          : `[${JSON.stringify(part)}]`,
    )
    .join("")}`;
}

function toProblem(error: ErrorObject): Problem {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") {
    const name = String(params.missingProperty);
    return {
      path: toJsonPath(`${error.instancePath}/${name}`),
      message: "is required but missing",
    };
  }
  if (error.keyword === "enum") {
    const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ");
    return { path: toJsonPath(error.instancePath), message: `must be one of ${allowed}` };
  }
  if (error.keyword === "format") {
    return {
      path: toJsonPath(error.instancePath),
      message: `must be a valid ${String(params.format)}${FORMAT_HINTS[String(params.format)] ?? ""}`,
    };
  }
  return { path: toJsonPath(error.instancePath), message: error.message ?? error.keyword };
}

const FORMAT_HINTS: Record<string, string> = {
  int32: " (a whole number from -2147483648 to 2147483647)",
  int64: " (a whole number)",
};
