import { getEventType } from "../../events/catalog.js";
import { compileGenerator, type Optionals } from "../../events/generator.js";
import { compileOverrides } from "../../events/overrides.js";
import { randomSeed } from "../../events/rng.js";
import { readJsonObject } from "../input.js";
import type { GlobalOptions } from "../main.js";
import { createWriter, say } from "../output.js";

export interface GenerateCommandOptions {
  seed?: number;
  count?: number;
  set?: string[];
  unset?: string[];
  data?: string;
  optionals: Optionals;
  allowInvalid?: boolean;
  compact?: boolean;
}

export async function runGenerate(
  type: string,
  options: GenerateCommandOptions,
  _globals: GlobalOptions,
): Promise<number> {
  const info = getEventType(type);
  const overrides = compileOverrides(
    info,
    {
      ...(options.set ? { set: options.set } : {}),
      ...(options.unset ? { unset: options.unset } : {}),
      ...(options.data ? { data: await readJsonObject(options.data, "--data") } : {}),
    },
    { allowInvalid: options.allowInvalid ?? false },
  );
  for (const warning of overrides.warnings) say(`warning: ${warning}`);

  const generate = compileGenerator(info, { optionals: options.optionals });
  const seed = options.seed ?? randomSeed();
  const count = options.count ?? 1;
  const out = createWriter();
  if (count === 1 && !options.compact) {
    out.write(`${JSON.stringify(overrides.apply(generate(seed, 0)), null, 2)}\n`);
  } else {
    for (let i = 0; i < count; i++) {
      const waiting = out.write(`${JSON.stringify(overrides.apply(generate(seed, i)))}\n`);
      if (waiting) await waiting;
    }
  }
  await out.flush();
  return 0;
}
