import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { eventTypeInfos } from "../../src/events/catalog.js";
import { GENERATED_FILE, renderPayloadTypes } from "../../src/events/codegen.js";

describe("generated payload types", () => {
  it("are up to date with the fixtures (npm run codegen rewrites them)", () => {
    const rendered = renderPayloadTypes(eventTypeInfos());
    if (process.env.NORCE_EVENT_CODEGEN === "write") writeFileSync(GENERATED_FILE, rendered);
    expect(readFileSync(GENERATED_FILE, "utf8")).toBe(rendered);
  });
});
