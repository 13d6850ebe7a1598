import { getEventType } from "../../events/catalog.js";
import { createEventFactory } from "../../events/factory.js";
import type { Optionals } from "../../events/generator.js";
import { type ClientFlags, configForClient, noteDefaultClient, resolveClient } from "../client.js";
import type { GlobalOptions } from "../globals.js";
import { readJsonObject } from "../input.js";
import { createWriter, say } from "../output.js";

export interface PayloadOptions extends ClientFlags {
  seed?: number;
  set?: string[];
  unset?: string[];
  data?: string;
  optionals: Optionals;
  allowInvalid?: boolean;
}

export interface GenerateCommandOptions extends PayloadOptions {
  count?: number;
  compact?: boolean;
}

/** The payload flags shared by generate, send and test, as factory options. */
export async function payloadOptions(options: PayloadOptions) {
  return {
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    overrides: {
      ...(options.set ? { set: options.set } : {}),
      ...(options.unset ? { unset: options.unset } : {}),
      ...(options.data ? { data: await readJsonObject(options.data, "--data") } : {}),
    },
    allowInvalid: options.allowInvalid ?? false,
    optionals: options.optionals,
  };
}

export async function runGenerate(
  type: string,
  options: GenerateCommandOptions,
  globals: GlobalOptions,
): Promise<number> {
  const info = getEventType(type);
  const tenant = resolveClient(options, await configForClient(globals));
  const factory = createEventFactory(info, {
    ...(await payloadOptions(options)),
    client: tenant.client,
  });
  noteDefaultClient(tenant);
  for (const warning of factory.warnings) say(`warning: ${warning}`);
  const count = options.count ?? 1;
  // A drawn seed is the only way to make these payloads again: on stderr, so stdout stays data.
  if (options.seed === undefined) {
    say(
      `note: seed ${factory.seed}; --seed ${factory.seed} gives the same ${count === 1 ? "payload" : "payloads"} again`,
    );
  }
  const out = createWriter();
  if (count === 1 && !options.compact) {
    out.write(`${JSON.stringify(factory.payload(0), null, 2)}\n`);
  } else {
    for (let i = 0; i < count; i++) {
      const waiting = out.write(`${JSON.stringify(factory.payload(i))}\n`);
      if (waiting) await waiting;
    }
  }
  await out.flush();
  return 0;
}
