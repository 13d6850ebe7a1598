import { eventTypeInfos } from "../../events/catalog.js";
import type { GlobalOptions } from "../globals.js";
import { print } from "../output.js";
import { renderTable } from "../table.js";

export async function runTypes(
  options: { json?: boolean },
  globals: GlobalOptions,
): Promise<number> {
  // The project's config first, in both modes: a broken file is an error before anything is
  // printed, never after a table (or silently ignored with --json).
  const { configForClient, resolveClient } = await import("../client.js");
  const config = await configForClient(globals);
  const infos = eventTypeInfos();
  if (options.json) {
    const data = infos.map((info) => ({
      name: info.name,
      category: info.category,
      kind: info.kind,
      completeness: info.completeness,
      description: info.description ?? null,
      summary: info.summary ?? null,
      properties: info.properties,
      required: info.required,
      modeled: info.modeled,
      unknown: info.unknown ?? null,
      sources: info.sources,
      docPage: info.docPage ?? null,
    }));
    print(JSON.stringify(data, null, 2));
    return 0;
  }

  const tty = process.stdout.isTTY === true;
  const width = tty ? process.stdout.columns || 120 : 160;
  const style = tty && globals.color ? await import("../style.js") : undefined;
  const rows = infos.map((info) => [
    info.name,
    info.category,
    info.kind,
    info.completeness === "partial" ? "partial*" : "complete",
    firstSentence(info.description ?? info.summary ?? "—"),
  ]);
  const table = renderTable(["TYPE", "CATEGORY", "KIND", "SCHEMA", "DESCRIPTION"], rows, {
    maxWidth: width,
    ...(style ? { header: style.bold } : {}),
  });
  print(table);
  print();
  print(`${infos.length} event types. * partial: Norce's docs do not show every field.`);
  for (const info of infos.filter((i) => i.completeness === "partial")) {
    const modeled = info.modeled.map((m) =>
      m.aspect === "values"
        ? `${m.property} values`
        : m.aspect === "required"
          ? `${m.property}'s required flag`
          : m.property,
    );
    const parts = [
      modeled.length > 0 ? `modeled (inferred, not seen): ${modeled.join(", ")}` : undefined,
      info.unknown ? `not known: ${info.unknown}` : undefined,
    ].filter(Boolean);
    print(`  ${info.name}: ${parts.join("; ")}`);
  }
  const { describeClient } = await import("../../events/client.js");
  const tenant = resolveClient({}, config);
  print(
    tenant.source === "default"
      ? `Events carry ${describeClient(tenant.client)}: norce-event's fixed defaults (set yours with norce-event init or --client-id).`
      : `Events carry ${describeClient(tenant.client)}, from ${config?.shown}.`,
  );
  print("Details with sources: norce-event types --json");
  return 0;
}

function firstSentence(text: string): string {
  const match = /^(.+?[.!?])(\s|$)/.exec(text);
  return (match?.[1] ?? text).trim();
}
