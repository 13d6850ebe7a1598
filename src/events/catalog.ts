/**
 * The catalog of Norce event types, derived from the schema files in `fixtures/events/`. Nothing
 * else in the code lists event types: names, categories, kinds, descriptions and completeness all
 * come from the files (each taken from Norce's published OpenAPI reference, see `x-source`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { UnknownEventTypeError } from "../shared/errors.js";
import { closest } from "../shared/text.js";
import type { EventTypeName } from "./payloads.generated.js";

export type Category = "Customer" | "Order" | "Product" | "Supplier" | "System";
export type Kind = "Notification" | "Event";
export type Completeness = "complete" | "partial";

/** A property schema as the fixtures write it: plain JSON Schema plus our `x-` annotations. */
export interface PropertySchema {
  type?: string;
  format?: string;
  enum?: readonly (string | number)[];
  description?: string;
  /** Name of the realistic value generator for this property (see `fakers.ts`). */
  "x-norce-faker"?: string;
  /** Set when the property is inferred rather than seen in Norce's docs: says why. */
  "x-modeled"?: string;
  /** Values to generate where the docs list none (only on modeled properties). */
  "x-modeled-values"?: readonly string[];
  [key: string]: unknown;
}

export interface EventSchema {
  title: string;
  type: "object";
  description?: string;
  properties: Record<string, PropertySchema>;
  required?: readonly string[];
  "x-norce-event-type": string;
  "x-norce-category": Category;
  "x-norce-kind": Kind;
  "x-completeness": Completeness;
  "x-source"?: readonly string[];
  "x-webhook"?: { summary?: string | null };
  "x-doc-operation-page"?: string;
  "x-modeled-required"?: { properties: readonly string[]; note: string };
  "x-unknown"?: string;
  [key: string]: unknown;
}

export interface ModeledField {
  property: string;
  /**
   * What is inferred: the field itself (its name was not seen), its values (the docs list
   * none), or only its required flag.
   */
  aspect: "field" | "values" | "required";
  /** Why it is modeled and on what evidence. */
  note: string;
}

export interface EventTypeInfo {
  name: EventTypeName;
  category: Category;
  kind: Kind;
  completeness: Completeness;
  /** Norce's own description of the event, where the docs give one. */
  description: string | undefined;
  /** The operation title in Norce's docs ("Order confirmed event"), where seen. */
  summary: string | undefined;
  properties: readonly string[];
  required: readonly string[];
  /** Fields (or field values) that are inferred rather than seen in the docs. */
  modeled: readonly ModeledField[];
  /** What is known to be missing from the schema (partial types only). */
  unknown: string | undefined;
  /** The documentation pages the schema was rebuilt from. */
  sources: readonly string[];
  docPage: string | undefined;
  schema: EventSchema;
}

const CATEGORY_ORDER: readonly Category[] = ["Customer", "Order", "Product", "Supplier", "System"];

let cached: readonly EventTypeInfo[] | undefined;
let byLowerName: Map<string, EventTypeInfo> | undefined;
/** By the exact name: what a listener looks up per request (Norce's spelling) is found first. */
let byName: Map<string, EventTypeInfo> | undefined;

/** The folder the event schemas live in (shipped in the package). */
export const EVENT_FIXTURES_DIR = new URL("../../fixtures/events/", import.meta.url);

/** Every event type, ordered by category (as in Norce's docs) and name. Read once, then cached. */
export function eventTypeInfos(): readonly EventTypeInfo[] {
  if (cached) return cached;
  const files = readdirSync(EVENT_FIXTURES_DIR).filter((f) => f.endsWith(".schema.json"));
  const infos = files.map((file) =>
    toInfo(JSON.parse(readFileSync(new URL(file, EVENT_FIXTURES_DIR), "utf8")) as EventSchema),
  );
  infos.sort(
    (a, b) =>
      CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category) ||
      // Plain code-unit order: localeCompare would load ICU's collator (≈ 8 ms at start-up).
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  cached = Object.freeze(infos);
  byLowerName = new Map(infos.map((info) => [info.name.toLowerCase(), info]));
  byName = new Map(infos.map((info) => [info.name, info]));
  return cached;
}

/** Look an event type up by name, ignoring case. Throws with a suggestion when there is none. */
export function getEventType(name: string): EventTypeInfo {
  const info = findEventType(name);
  if (info) return info;
  const names = eventTypeInfos().map((i) => i.name);
  // Compare with the names without their suffix too, so "OrderConfirmd" finds OrderConfirmedEvent.
  const stem = (n: string) => [n.replace(/(Event|Notification)$/, "")];
  throw new UnknownEventTypeError(name, closest(name, names, stem));
}

/** Like `getEventType`, but `undefined` for an unknown name. */
export function findEventType(name: string): EventTypeInfo | undefined {
  if (!cached) eventTypeInfos();
  return byName?.get(name) ?? byLowerName?.get(name.trim().toLowerCase());
}

function toInfo(schema: EventSchema): EventTypeInfo {
  const modeled: ModeledField[] = [];
  for (const [property, prop] of Object.entries(schema.properties)) {
    if (typeof prop["x-modeled"] === "string") {
      const aspect = prop["x-modeled-values"] ? "values" : "field";
      modeled.push({ property, aspect, note: prop["x-modeled"] });
    }
  }
  const modeledRequired = schema["x-modeled-required"];
  if (modeledRequired) {
    for (const property of modeledRequired.properties) {
      if (!modeled.some((m) => m.property === property)) {
        modeled.push({ property, aspect: "required", note: modeledRequired.note });
      }
    }
  }
  const summary = schema["x-webhook"]?.summary;
  return {
    name: schema["x-norce-event-type"] as EventTypeName,
    category: schema["x-norce-category"],
    kind: schema["x-norce-kind"],
    completeness: schema["x-completeness"],
    description: schema.description,
    summary: summary ?? undefined,
    properties: Object.keys(schema.properties),
    required: schema.required ?? [],
    modeled,
    unknown: schema["x-unknown"],
    sources: schema["x-source"] ?? [],
    docPage: schema["x-doc-operation-page"],
    schema,
  };
}
