import type { RelayLogEntry, RelayMode } from "../../relay/server.js";
import { formatDuration } from "../../shared/duration.js";
import { UsageError } from "../../shared/errors.js";
import { EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { createWriter, say } from "../output.js";
import { checkRelayTimings, relaySecret, SECRET_ENV } from "../relay-options.js";
import { safe } from "../render/safe.js";
import { interruptSignal } from "../signals.js";

export interface RelayCommandOptions {
  port: number;
  host: string;
  secret?: string;
  maxBody: number;
  mode: RelayMode;
  json?: boolean;
  pingInterval: number;
  idleTimeout: number;
  /** Of --ping-interval and --idle-timeout, those typed (not defaults), for the messages. */
  typed?: readonly string[];
}

const RETENTION_MS = 72 * 3_600_000;

export async function runRelay(
  options: RelayCommandOptions,
  globals: GlobalOptions,
): Promise<number> {
  const secret = relaySecret(options.secret);
  if (globals.store === false && options.mode === "buffered") {
    throw new UsageError("a buffered relay needs its store", {
      hint: "drop --no-store, or use --mode live (nothing is kept)",
    });
  }
  // Live mode keeps no events; with --no-store its channels live in memory (gone on restart).
  const storePath =
    globals.store === false
      ? ":memory:"
      : typeof globals.store === "string"
        ? globals.store
        : "relay.db";
  const retentionMs = globals.retention ?? RETENTION_MS;
  if (retentionMs < 1) {
    throw new UsageError("--retention must be more than zero for the relay", {
      hint: "events wait for a laptop this long, e.g. --retention 72h (the default)",
    });
  }
  checkRelayTimings(options, options.typed ?? []);
  const out = createWriter();
  const { startRelay } = await import("../../relay/server.js");
  const relay = await startRelay({
    secret,
    port: options.port,
    host: options.host,
    storePath,
    retentionMs,
    maxBodyBytes: options.maxBody,
    mode: options.mode,
    pingIntervalMs: options.pingInterval,
    idleTimeoutMs: options.idleTimeout,
    onLog: (entry) =>
      void out.write(`${options.json ? JSON.stringify(entry) : formatEntry(entry)}\n`),
  });
  const url = relay.url.replace("://127.0.0.1:", "://localhost:");
  say(`norce-event relay on ${relay.url} · ${options.mode}`);
  say(
    options.mode === "buffered"
      ? `  events wait in ${storePath} (fsync'd before Norce hears 202) for up to ${formatDuration(retentionMs)} until a laptop takes them`
      : `  live: Norce's request is held until the laptop answers (4.5 s at most); 503 while no laptop is connected${storePath === ":memory:" ? " · channels in memory only (--no-store)" : ""}`,
  );
  say(`  a channel: ${SECRET_ENV}=… norce-event relay channel create --relay ${url}`);
  say("  Norce posts to /in/<channel>/<path> · GET /healthz for probes · Ctrl-C to stop");
  if (!["127.0.0.1", "::1", "localhost"].includes(relay.host)) {
    say(`  bound to ${relay.host}: put a TLS proxy in front (laptops need https:// off this host)`);
  }
  const stop = interruptSignal();
  await new Promise<void>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  stop.dispose();
  await relay.close();
  await out.flush();
  say("relay stopped");
  process.exitCode = EXIT_OK;
  return EXIT_OK;
}

function formatEntry(entry: RelayLogEntry): string {
  const time = entry.time.slice(11, 19);
  const channel = entry.channel ? ` ${entry.channel.slice(0, 6)}…` : "";
  const seq = entry.seq !== undefined ? ` #${entry.seq}` : "";
  const id = entry.messageId ? ` ${entry.messageId}` : "";
  const status = entry.status !== undefined ? ` → ${entry.status}` : "";
  const extra = [
    entry.bytes !== undefined ? `${entry.bytes} bytes` : undefined,
    entry.count !== undefined ? `${entry.count} events` : undefined,
    entry.reason,
  ].filter(Boolean);
  // Message ids and reasons come from the network: escaped like every other line of output.
  return safe(
    `${time} ${entry.event.padEnd(10)}${channel}${seq}${id}${status}${extra.length ? ` (${extra.join(", ")})` : ""}`,
  );
}
