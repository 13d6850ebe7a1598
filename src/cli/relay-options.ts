/**
 * What the tunnel's commands share: the secret (`--secret`, `${VAR}` in it, or
 * NORCE_RELAY_SECRET) and the relay/channel (flags, then `relay` in norce-event.config.json).
 */
import { UsageError } from "../shared/errors.js";
import { checkIdleAfterPing } from "../shared/limits.js";
import type { LoadedConfig } from "../store/config.js";

export const SECRET_ENV = "NORCE_RELAY_SECRET";

/** The secret as written (`${VAR}` expanded), else NORCE_RELAY_SECRET. */
export function relaySecret(written: string | undefined, env = process.env): string {
  const text =
    written === undefined
      ? env[SECRET_ENV]
      : written.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
          const value = env[name];
          if (!value) {
            throw new UsageError(`--secret uses \${${name}}, which is not set`, {
              hint: `export ${name}=… before running`,
            });
          }
          return value;
        });
  if (!text) {
    throw new UsageError("no relay secret", {
      hint: `export ${SECRET_ENV}=… (the relay's --secret), or pass --secret '\${${SECRET_ENV}}'`,
    });
  }
  if (text.length < 12) {
    throw new UsageError("the relay secret is shorter than 12 characters", {
      hint: "use a long random one, e.g. openssl rand -base64 24",
    });
  }
  return text;
}

/** `--relay`, else the config's `relay.url`. */
export function relayUrlFrom(
  flag: string | boolean | undefined,
  config: LoadedConfig | undefined,
): string {
  if (typeof flag === "string") return flag;
  const url = config?.data.relay?.url;
  if (url) return url;
  throw new UsageError("which relay? --relay <url> is missing and the config names none", {
    hint: "pass --relay https://relay.example.com, or run `norce-event relay channel create --relay <url>`",
  });
}

/** `--channel`, else the config's `relay.channel`. */
export function relayChannelFrom(
  flag: string | undefined,
  config: LoadedConfig | undefined,
): string {
  const channel = flag ?? config?.data.relay?.channel;
  if (!channel) {
    throw new UsageError("which channel? --channel <id> is missing and the config names none", {
      hint: "create one with `norce-event relay channel create --relay <url>`",
    });
  }
  if (!/^[A-Za-z0-9_-]{22}$/.test(channel)) {
    throw new UsageError(`--channel "${channel.slice(0, 40)}" is not a channel id`, {
      hint: "channel ids are 22 characters of base64url, as `relay channel create` prints them",
    });
  }
  return channel;
}

/** A relay URL plus a path of its, e.g. the ingest URL. */
export function relayPath(base: URL, path: string): string {
  return `${base.origin}${base.pathname.replace(/\/+$/, "")}${path}`;
}

/**
 * The relay's connection timings checked against each other, named as the user gave them: an
 * option not typed is named as the default (`--idle-timeout 9s` against "the default
 * --ping-interval (15s)").
 */
export function checkRelayTimings(
  options: { idleTimeout: number; pingInterval: number },
  typed: readonly string[],
): void {
  const named = (flag: string) => (typed.includes(flag) ? flag : `the default ${flag}`);
  checkIdleAfterPing(options.idleTimeout, options.pingInterval, [
    named("--idle-timeout"),
    named("--ping-interval"),
  ]);
}
