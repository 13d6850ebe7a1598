import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseRelayUrl } from "../../relay/client.js";
import { ConfigError } from "../../shared/errors.js";
import { CONFIG_FILE, findConfig } from "../../store/config.js";
import { EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { print, say } from "../output.js";
import { loadProject } from "../project.js";
import { callRelay } from "../relay-admin.js";
import { relayPath, relaySecret, relayUrlFrom } from "../relay-options.js";

export interface ChannelCreateOptions {
  relay?: string;
  secret?: string;
  path: string;
  json?: boolean;
  writeConfig: boolean;
}

export async function runChannelCreate(
  options: ChannelCreateOptions,
  globals: GlobalOptions,
): Promise<number> {
  const project = loadProject({ ...globals, store: false });
  const base = parseRelayUrl(relayUrlFrom(options.relay, project.config));
  const secret = relaySecret(options.secret);
  const answer = (await callRelay(base, secret, "POST", "/channels")) as { channel?: unknown };
  const channel = typeof answer.channel === "string" ? answer.channel : undefined;
  if (!channel || !/^[A-Za-z0-9_-]{22}$/.test(channel)) {
    throw new ConfigError(base.origin, "the relay did not return a channel id", {
      hint: "is that URL a norce-event relay?",
    });
  }
  const path = options.path.startsWith("/") ? options.path : `/${options.path}`;
  const ingestUrl = relayPath(base, `/in/${channel}${path}`);
  const relayUrl = relayPath(base, "");
  const configPath = options.writeConfig
    ? writeRelayConfig(globals.config ?? findConfig(), relayUrl, channel)
    : undefined;
  if (options.json) {
    print(JSON.stringify({ channel, ingestUrl, relay: relayUrl, config: configPath ?? null }));
  } else {
    say(`channel ${channel} created on ${base.origin}`);
    say("  paste this URL into Norce's Admin UI (Integrations → Events):");
    print(ingestUrl);
    if (configPath) {
      const shown = relative(process.cwd(), configPath);
      say(
        `  wrote relay { url, channel } to ${shown.startsWith("..") ? configPath : shown}: norce-event listen --relay connects to it`,
      );
    }
    say("  the secret is not written anywhere: listen reads it from NORCE_RELAY_SECRET");
  }
  process.exitCode = EXIT_OK;
  return EXIT_OK;
}

/** Set `relay` in the project config (creating norce-event.config.json here if there is none). */
function writeRelayConfig(found: string | undefined, url: string, channel: string): string {
  const path = found ?? resolve(CONFIG_FILE);
  let data: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      data = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(path, `is not valid JSON: ${(error as Error).message}`, {
        hint: "fix it, or pass --no-write-config",
      });
    }
  }
  data.relay = { url, channel };
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
