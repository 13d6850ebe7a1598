/**
 * The tenant of a run, merged in one place: `--client-id`/`--application-id`, then the config's
 * `client`, then the fixed defaults.
 */
import {
  type ClientIdentity,
  checkClient,
  DEFAULT_CLIENT,
  describeClient,
} from "../events/client.js";
import type { LoadedConfig } from "../store/config.js";
import { say } from "./output.js";

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
