/**
 * Where the event store lives: `--store <path>`, else `NORCE_EVENT_STORE`, else
 * `.norce-event/events.db` beside the project config, else in the working directory.
 * `--no-store` turns it off.
 */
import { join, resolve } from "node:path";
import type { LoadedConfig } from "./config.js";

export const STORE_DIR = ".norce-event";
export const STORE_FILE = "events.db";

export function resolveStorePath(options: {
  /** `--store <path>` (a string), `--no-store` (false), or not given. */
  store?: string | boolean | undefined;
  config?: LoadedConfig | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}): string | undefined {
  if (options.store === false) return undefined;
  if (typeof options.store === "string") return resolve(options.store);
  const fromEnv = (options.env ?? process.env).NORCE_EVENT_STORE;
  if (fromEnv) return resolve(fromEnv);
  return join(options.config?.dir ?? options.cwd ?? process.cwd(), STORE_DIR, STORE_FILE);
}
