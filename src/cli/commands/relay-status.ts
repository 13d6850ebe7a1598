import { parseRelayUrl } from "../../relay/client.js";
import type { RelayStatus } from "../../relay/server.js";
import { formatDuration } from "../../shared/duration.js";
import { EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { print } from "../output.js";
import { loadProject } from "../project.js";
import { callRelay } from "../relay-admin.js";
import { relaySecret, relayUrlFrom } from "../relay-options.js";

export interface RelayStatusOptions {
  relay?: string;
  secret?: string;
  json?: boolean;
}

export async function runRelayStatus(
  options: RelayStatusOptions,
  globals: GlobalOptions,
): Promise<number> {
  const project = loadProject({ ...globals, store: false });
  const base = parseRelayUrl(relayUrlFrom(options.relay, project.config));
  const secret = relaySecret(options.secret);
  const status = (await callRelay(base, secret, "GET", "/status")) as RelayStatus;
  if (options.json) {
    print(JSON.stringify(status));
    return EXIT_OK;
  }
  const channels = Array.isArray(status.channels) ? status.channels : [];
  print(
    `relay ${base.origin} · ${String(status.mode)} · ${channels.length} channel${channels.length === 1 ? "" : "s"}`,
  );
  const now = Date.now();
  for (const c of channels) {
    const contact =
      typeof c.lastContactAt === "number"
        ? `last contact ${formatDuration(Math.max(0, now - c.lastContactAt))} ago`
        : "no laptop yet";
    const dropped = c.dropped ? ` · ${c.dropped} dropped by retention` : "";
    print(
      `  ${String(c.id).replace(/[^A-Za-z0-9_-]/g, "?")}  ${c.connected ? "connected " : "offline   "}  ${Number(c.waiting)} waiting · ${contact}${dropped}`,
    );
  }
  process.exitCode = EXIT_OK;
  return EXIT_OK;
}
