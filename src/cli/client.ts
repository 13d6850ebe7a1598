/**
 * The tenant of a run, merged in one place: `--client-id`/`--application-id`, then the config's
 * `client`, then the fixed defaults.
 */

import { existsSync } from "node:fs";
import { dirname, join, parse, resolve } from "node:path";
import {
  type ClientIdentity,
  checkClient,
  DEFAULT_CLIENT,
  describeClient,
} from "../events/client.js";
import type { LoadedConfig } from "../store/config.js";
import type { GlobalOptions } from "./globals.js";
import { say } from "./output.js";

/**
 * The project config for a command that only needs its `client` (generate, test, demo, types):
 * the config module (and its schema checker) is loaded only when there is a file to read, so a
 * command run outside a project starts as fast as before.
 */
export async function configForClient(globals: GlobalOptions): Promise<LoadedConfig | undefined> {
  if (!globals.config && !hasConfigAbove(process.cwd())) return undefined;
  const { loadProject } = await import("./project.js");
  return loadProject({ ...globals, store: false }).config;
}

function hasConfigAbove(cwd: string): boolean {
  let dir = resolve(cwd);
  const { root } = parse(dir);
  for (;;) {
    if (existsSync(join(dir, "norce-event.config.json"))) return true;
    if (dir === root) return false;
    dir = dirname(dir);
  }
}

export interface ClientFlags {
  clientId?: number;
  applicationId?: number[];
}

export interface ResolvedClient {
  client: ClientIdentity;
  /** Where it came from; "default" when neither flags nor the config say. */
  source: "flags" | "config" | "default";
}

export function resolveClient(
  flags: ClientFlags,
  config: LoadedConfig | undefined,
): ResolvedClient {
  const file = config?.data.client;
  const base = file ?? DEFAULT_CLIENT;
  const given = flags.clientId !== undefined || (flags.applicationId?.length ?? 0) > 0;
  const client = checkClient(
    {
      clientId: flags.clientId ?? base.clientId,
      applicationIds:
        flags.applicationId && flags.applicationId.length > 0
          ? [...new Set(flags.applicationId)]
          : base.applicationIds,
    },
    given ? "--client-id/--application-id" : (config?.shown ?? "client"),
  );
  return { client, source: given ? "flags" : file ? "config" : "default" };
}

/** Say once, on stderr, that the defaults are in use and how to set the real ones. */
export function noteDefaultClient(resolved: ResolvedClient): void {
  if (resolved.source !== "default") return;
  say(
    `note: events carry norce-event's default tenant (${describeClient(resolved.client)}); set yours with norce-event init or --client-id/--application-id`,
  );
}
