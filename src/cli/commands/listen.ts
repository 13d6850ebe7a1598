import { isAbsolute, relative } from "node:path";
import { parseHeader } from "../../delivery/headers.js";
import { parseSigningSecret } from "../../delivery/signing.js";
import { createResponder } from "../../listener/responders.js";
import {
  createListener,
  type Listener,
  type ListenerStats,
  type ReceivedEvent,
  type Sink,
} from "../../listener/server.js";
import { formatDuration } from "../../shared/duration.js";
import { parseTargetUrl } from "../../shared/url.js";
import { EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { createWriter, say } from "../output.js";
import { loadProject } from "../project.js";
import {
  formatReceived,
  plainReceivedStyle,
  type ReceivedStyle,
  receivedLine,
} from "../render/received.js";
import { interruptSignal } from "../signals.js";

export interface ListenOptions {
  port: number;
  host: string;
  path?: string;
  headers?: boolean;
  body: boolean;
  showSecrets?: boolean;
  json?: boolean;
  types?: string[];
  status: number;
  failFirst?: number;
  failRate?: number;
  delay?: number;
  requireHeader?: string[];
  signSecret?: string;
  forwardTo?: string;
  forwardTimeout: number;
  maxBody: number;
  timeScale: number;
}

export async function runListen(options: ListenOptions, globals: GlobalOptions): Promise<number> {
  const forwardTo = options.forwardTo
    ? parseTargetUrl(options.forwardTo, "--forward-to")
    : undefined;
  const requireHeaders = Object.fromEntries((options.requireHeader ?? []).map(parseHeader));
  const signingKey = options.signSecret ? parseSigningSecret(options.signSecret) : undefined;
  const path = options.path
    ? options.path.startsWith("/")
      ? options.path
      : `/${options.path}`
    : undefined;
  const matches = options.types
    ? (await import("../../events/select.js")).typeMatcher(options.types)
    : () => true;
  const style: ReceivedStyle =
    options.json || !globals.color || !process.stdout.isTTY
      ? plainReceivedStyle
      : await import("../style.js");
  const project = loadProject(globals);
  const store = await project.store();
  const out = createWriter();
  const sinks: Sink[] = [
    ...(store ? [{ write: (event: ReceivedEvent) => store.recordReceived(event) }] : []),
    {
      write(event) {
        if (!matches(event.type)) return;
        const text = options.json
          ? receivedLine(event, options.showSecrets ?? false)
          : formatReceived(
              event,
              {
                headers: options.headers ?? false,
                body: options.body,
                details: options.body,
                showSecrets: options.showSecrets ?? false,
              },
              style,
            );
        return out.write(`${text}\n`);
      },
    },
  ];
  const responder = createResponder({
    status: options.status,
    ...(options.failFirst ? { failFirst: options.failFirst } : {}),
    ...(options.failRate ? { failRate: options.failRate } : {}),
    ...(options.delay ? { delayMs: options.delay } : {}),
    ...(forwardTo ? { forwardTo, forwardTimeoutMs: options.forwardTimeout } : {}),
  });

  const listener = await createListener({
    port: options.port,
    host: options.host,
    ...(path ? { path } : {}),
    maxBodyBytes: options.maxBody,
    requireHeaders,
    ...(signingKey ? { signingKey } : {}),
    timeScale: options.timeScale,
    respond: responder,
    sinks,
  }).catch(async (error: unknown) => {
    // e.g. the port is taken: close what is already open before the error is shown.
    await responder.close();
    await project.close();
    throw error;
  });
  // Ready for Ctrl-C before the banner says we are listening (a script may stop us at once).
  const stop = interruptSignal();
  printBanner(listener, options, forwardTo);
  if (store) say(`  recording to ${shortPath(store.path)} (norce-event log shows it)`);

  await new Promise<void>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  stop.dispose();
  await listener.close();
  await responder.close();
  await project.close();
  await out.flush();
  // The terminal has echoed ^C on the current line: the summary starts on a line of its own.
  if (process.stderr.isTTY) say();
  say(formatStats(listener.stats()));
  // Ctrl-C (or SIGTERM) is how a listener ends, not an interruption of unfinished work: exit 0,
  // as `stripe listen` and `ngrok` do (the README's exit-code table says so).
  process.exitCode = EXIT_OK;
  return EXIT_OK;
}

function printBanner(
  listener: Listener,
  options: ListenOptions,
  forwardTo: string | undefined,
): void {
  const answers = [
    forwardTo
      ? `relaying to ${forwardTo} (its status goes back to the sender; 504 after ${formatDuration(options.forwardTimeout)})`
      : `answering ${options.status}`,
    options.failFirst ? `500 to the first ${options.failFirst} attempts of each event` : undefined,
    options.failRate ? `500 to ${Math.round(options.failRate * 100)}% of requests` : undefined,
    options.delay ? `${options.delay}ms late` : undefined,
    options.requireHeader?.length
      ? `401 without ${options.requireHeader.map((h) => h.split(":")[0]).join(", ")}`
      : undefined,
    options.signSecret ? "401 without a valid signature" : undefined,
  ].filter(Boolean);
  say(`norce-event listening on ${listener.url}`);
  say(
    `  use it as the URL in Norce's Admin UI (through a tunnel), or: norce-event send OrderConfirmedEvent --to ${listener.url}`,
  );
  say(`  ${answers.join(" · ")} · checks headers and schema · Ctrl-C to stop`);
  if (!isLoopback(listener.host)) {
    say(`  warning: bound to ${listener.host}: other machines on your network can post to it`);
  }
}

/** The store's path relative to the working directory when it is inside it (the usual case). */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** 127.0.0.0/8, ::1 (and IPv4-mapped loopback) and localhost reach this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (/^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  return /^(0{0,4}:){2,7}0{0,3}1$/.test(h) || h === "::1";
}

function formatStats(stats: ListenerStats): string {
  const types = Object.entries(stats.byType)
    .sort((a, b) => b[1] - a[1])
    .map(([type, n]) => `${type} ${n}`)
    .join(", ");
  return `stopped after ${stats.requests} request${stats.requests === 1 ? "" : "s"}${types ? ` (${types})` : ""} · ${stats.retries} retries · ${stats.failures} answered ≥ 400 · ${stats.withProblems} with problems`;
}
