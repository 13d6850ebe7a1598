import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { eventTypeInfos } from "../../src/events/catalog.js";
import { GENERATED_FILE, renderPayloadTypes } from "../../src/events/codegen.js";
import { renderScenarioSchema, SCENARIO_SCHEMA_FILE } from "../../src/scenarios/definition.js";
import { CONFIG_SCHEMA_FILE, renderConfigSchema } from "../../src/store/config.js";

const write = process.env.NORCE_EVENT_CODEGEN === "write";

describe("generated files (npm run codegen rewrites them)", () => {
  it("payload types are up to date with the fixtures", () => {
    const rendered = renderPayloadTypes(eventTypeInfos());
    if (write) writeFileSync(GENERATED_FILE, rendered);
    expect(readFileSync(GENERATED_FILE, "utf8")).toBe(rendered);
  });

  it("the config schema is up to date with the catalog", () => {
    const rendered = renderConfigSchema();
    if (write) writeFileSync(CONFIG_SCHEMA_FILE, rendered);
    expect(readFileSync(CONFIG_SCHEMA_FILE, "utf8")).toBe(rendered);
  });

  it("the scenario file schema is up to date with the catalog", () => {
    const rendered = renderScenarioSchema();
    if (write) writeFileSync(SCENARIO_SCHEMA_FILE, rendered);
    expect(readFileSync(SCENARIO_SCHEMA_FILE, "utf8")).toBe(rendered);
  });
});
