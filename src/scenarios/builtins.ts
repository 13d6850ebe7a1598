/**
 * Where scenarios come from: the built-ins (fixtures/scenarios/*.json, shipped as data) or a
 * team's own JSON file. A name with a path separator or a .json ending is a file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ScenarioError, UsageError } from "../shared/errors.js";
import { readRegularFile } from "../shared/files.js";
import { closest } from "../shared/text.js";
import { type CheckedScenario, checkScenario, type ScenarioDefinition } from "./definition.js";

export const SCENARIO_FIXTURES_DIR = new URL("../../fixtures/scenarios/", import.meta.url);

/** The built-ins, in the order they are listed (a shop's day: orders first). */
export const BUILTIN_SCENARIOS = [
  "order-lifecycle",
  "click-and-collect",
  "order-cancelled",
  "subscription-failed",
  "product-update",
  "supplier-feed",
  "translation",
  "nightly-import",
] as const;

export type BuiltinScenarioName = (typeof BUILTIN_SCENARIOS)[number];

const cache = new Map<string, CheckedScenario>();

/** Every built-in, checked. */
export function builtinScenarios(): CheckedScenario[] {
  return BUILTIN_SCENARIOS.map((name) => loadBuiltin(name));
}

/** The raw definition of a built-in (what `scenario show --json` and `scenario init` start from). */
export function builtinDefinition(name: string): ScenarioDefinition {
  return JSON.parse(
    readFileSync(new URL(`${name}.json`, SCENARIO_FIXTURES_DIR), "utf8"),
  ) as ScenarioDefinition;
}

function loadBuiltin(name: string): CheckedScenario {
  let checked = cache.get(name);
  if (!checked) {
    checked = { ...checkScenario(builtinDefinition(name), name), source: "built-in" };
    cache.set(name, checked);
  }
  return checked;
}

export function isScenarioFile(nameOrFile: string): boolean {
  return /[\\/]/.test(nameOrFile) || nameOrFile.toLowerCase().endsWith(".json");
}

/** A built-in by name, or a file; unknown names get a suggestion, a bad file a one-line reason. */
export function loadScenario(nameOrFile: string): CheckedScenario {
  if (!isScenarioFile(nameOrFile)) {
    const known = (BUILTIN_SCENARIOS as readonly string[]).includes(nameOrFile);
    if (known) return loadBuiltin(nameOrFile);
    const suggestion = closest(nameOrFile, BUILTIN_SCENARIOS);
    throw new UsageError(
      `unknown scenario "${nameOrFile}"${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
      { hint: "norce-event scenario list shows the built-ins; a file ends in .json" },
    );
  }
  return loadScenarioFile(nameOrFile);
}

export function loadScenarioFile(file: string): CheckedScenario {
  const read = readRegularFile(resolve(file));
  if ("problem" in read) {
    throw new ScenarioError(file, read.problem, {
      hint: "check the path, or write an example with norce-event scenario init",
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(read.text);
  } catch (error) {
    throw new ScenarioError(file, `is not valid JSON: ${(error as Error).message}`, {
      hint: "fix the JSON (a trailing comma?)",
    });
  }
  return checkScenario(data, file);
}

/** Every built-in's file name exists (used by a test). */
export function builtinFiles(): string[] {
  return readdirSync(SCENARIO_FIXTURES_DIR).filter(
    (f) => f.endsWith(".json") && !f.endsWith(".schema.json"),
  );
}
