/**
 * Renders `payloads.generated.ts` (a payload type per event type) from the fixture schemas. The
 * file is committed; a test renders it again and fails when it is stale, and
 * `npm run codegen` rewrites it.
 */
import type { EventTypeInfo, PropertySchema } from "./catalog.js";

export const GENERATED_FILE = new URL("./payloads.generated.ts", import.meta.url);

export function renderPayloadTypes(infos: readonly EventTypeInfo[]): string {
  const out: string[] = [
    "// GENERATED FILE — do not edit. Rendered from fixtures/events/*.schema.json by",
    "// src/events/codegen.ts; run `npm run codegen` after changing a fixture.",
    "",
    "/** The names of Norce's event types, in catalog order (category, then name). */",
    "export const EVENT_TYPE_NAMES = [",
    ...infos.map((info) => `  ${JSON.stringify(info.name)},`),
    "] as const;",
    "",
    "/** One of Norce's event type names. */",
    "export type EventTypeName = (typeof EVENT_TYPE_NAMES)[number];",
    "",
  ];
  for (const info of infos) {
    const required = new Set(info.required);
    out.push("/**");
    out.push(` * ${doc(info.description ?? info.summary ?? info.name)}`);
    out.push(
      ` * Category ${info.category}, ${info.kind.toLowerCase()}; schema ${info.completeness}.`,
    );
    if (info.unknown) out.push(` * Not known: ${doc(info.unknown)}`);
    out.push(" */");
    out.push(`export interface ${info.name} {`);
    for (const [name, prop] of Object.entries(info.schema.properties)) {
      const notes = [prop.description, prop.format && `Format ${prop.format}.`, modeledNote(prop)]
        .filter(Boolean)
        .map((n) => sentence(doc(String(n))));
      if (notes.length > 0) out.push(`  /** ${notes.join(" ")} */`);
      out.push(`  ${name}${required.has(name) ? "" : "?"}: ${tsType(prop)};`);
    }
    out.push("}", "");
  }
  out.push("/** The payload type of each event type. */");
  out.push("export interface EventPayloads {");
  for (const info of infos) out.push(`  ${info.name}: ${info.name};`);
  out.push("}", "");
  out.push("/** The payload of event type `T` (a union when `T` is a union). */");
  out.push(
    "export type EventPayload<T extends EventTypeName = EventTypeName> = EventPayloads[T];",
    "",
  );
  return out.join("\n");
}

function modeledNote(prop: PropertySchema): string | undefined {
  return prop["x-modeled"] ? "Modeled: inferred, not seen in Norce's docs." : undefined;
}

function tsType(prop: PropertySchema): string {
  if (prop.enum) return prop.enum.map((v) => JSON.stringify(v)).join(" | ");
  switch (prop.type) {
    case "integer":
    case "number":
      return "number";
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    default:
      return "unknown";
  }
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function doc(text: string): string {
  return text
    .replace(/<br\/?>/g, " ")
    .replace(/<a [^>]*>([^<]*)<\/a>/g, "$1")
    .replace(/\*\//g, "*\\/")
    .replace(/\s+/g, " ")
    .trim();
}
