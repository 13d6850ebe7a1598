import { isAbsolute, relative } from "node:path";
import { parseHeader } from "../../delivery/headers.js";
import { createPolicy } from "../../delivery/policy.js";
import { parseSigningSecret } from "../../delivery/signing.js";
import { createSwitchableResponder } from "../../inspector/answers.js";
import { DEFAULT_INSPECTOR_PORT, startInspector } from "../../inspector/server.js";
import type { AnswerSettings } from "../../inspector/web/types.js";
import { createSequenceTracker } from "../../listener/sequence.js";
import {
  createListener,
  type Listener,
  type ListenerStats,
  type ReceivedEvent,
  type Sink,
} from "../../listener/server.js";
import type { RelayClientState, RelayConnection } from "../../relay/client.js";
import type { Exposed } from "../../relay/expose.js";
import type { HandoffEvent } from "../../relay/handoff.js";
import { formatDuration } from "../../shared/duration.js";
import { UsageError } from "../../shared/errors.js";
import { isWholeNumber } from "../../shared/numbers.js";
import { packageVersion } from "../../shared/package.js";
import { maskUrl } from "../../shared/secrets.js";
import { listOf } from "../../shared/text.js";
import { parseTargetUrl } from "../../shared/url.js";
import type { ReceivedRecord } from "../../store/db.js";
import { EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { createWriter, say } from "../output.js";
import { loadProject } from "../project.js";
import {
  checkRelayTimings,
  relayChannelFrom,
  relaySecret,
  relayUrlFrom,
} from "../relay-options.js";
import { formatAttemptLine, formatOutcome, plainStyle } from "../render/delivery.js";
import {
  formatReceived,
  plainReceivedStyle,
  type ReceivedStyle,
  receivedLine,
} from "../render/received.js";
import { safe } from "../render/safe.js";
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
  /** `--inspect [port]`: serve the inspector page too (true: its default port). */
  inspect?: boolean | string;
  relay?: string | boolean;
  channel?: string;
  takeover?: boolean;
  expose?: "cloudflared" | "ngrok";
  pingInterval: number;
  idleTimeout: number;
  /** The relay's own options typed on the command line (not defaults), as typed: `--takeover`. */
  relayFlags?: readonly string[];
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
  const inspectPort = options.inspect === undefined ? undefined : inspectorPort(options.inspect);
  const project = loadProject(globals);
  if (inspectPort !== undefined && !project.storePath) {
    throw new UsageError(
      "--inspect shows what the event store records, and --no-store turns it off",
      {
        hint: "leave out --no-store (or --store elsewhere)",
      },
    );
  }
  const relayTarget =
    options.relay !== undefined || options.channel !== undefined
      ? {
          url: relayUrlFrom(options.relay, project.config),
          channel: relayChannelFrom(options.channel, project.config),
          secret: relaySecret(undefined),
        }
      : undefined;
  if (!relayTarget && options.relayFlags?.length) {
    const flags = options.relayFlags;
    throw new UsageError(
      `${listOf(flags)} only ${flags.length === 1 ? "applies" : "apply"} with --relay`,
      {
        hint: `add --relay <url>, or --relay alone for the config's relay.url, or leave ${flags.length === 1 ? "it" : "them"} out`,
      },
    );
  }
  if (relayTarget) {
    (await import("../../relay/client.js")).parseRelayUrl(relayTarget.url);
    checkRelayTimings(options, options.relayFlags ?? []);
  }
  const exposeTool = options.expose;
  if (exposeTool) {
    (await import("../../relay/expose.js")).assertInstalled(exposeTool);
  }
  const store = await project.store();
  // --show-secrets: the real header values this process saw, for the page (never stored).
  const revealed =
    options.showSecrets && inspectPort !== undefined ? new RevealedHeaders() : undefined;
  // A reader slower than the requests (`listen | slow-tool`): the listener keeps answering, and
  // lines beyond OUTPUT_BACKLOG are left out of the output (said once, counted at the end), so
  // memory stays bounded. The store still records every request.
  const out = createWriter(process.stdout, {
    limit: OUTPUT_BACKLOG,
    onFirstDrop: () =>
      say(
        `warning: stdout is not keeping up, so lines are left out of the output; every request is still answered${store ? ` and recorded (norce-event log shows them)` : " (not recorded: --no-store)"}`,
      ),
  });
  // An order's events shown as one sequence: Norce sends no run id, so by their shared ids.
  const sequences = createSequenceTracker();
  const withSequence = (event: ReceivedEvent, text: string) => {
    const at = sequences.see(event);
    if (!at || event.status >= 400) return text;
    const end = text.indexOf("\n");
    const tag = style.dim(`  · ${safe(at.label)} #${at.n}`);
    return end < 0 ? text + tag : text.slice(0, end) + tag + text.slice(end);
  };
  // Relayed events are acknowledged once every sink (the store first) has taken them.
  const recorded = new Map<readonly string[], () => void>();
  const sinks: Sink[] = [
    // Not awaited: a slow disk must not hold up the output (the writer bounds what it holds).
    ...(store ? [{ write: (event: ReceivedEvent) => void store.recordReceived(event) }] : []),
    ...(revealed ? [{ write: (event: ReceivedEvent) => revealed.add(event) }] : []),
    {
      write(event) {
        if (!matches(event.type)) return;
        const text = options.json
          ? receivedLine(event, options.showSecrets ?? false)
          : withSequence(
              event,
              formatReceived(
                event,
                {
                  headers: options.headers ?? false,
                  body: options.body,
                  details: options.body,
                  showSecrets: options.showSecrets ?? false,
                },
                style,
              ),
            );
        return out.write(`${text}\n`);
      },
    },
    ...(relayTarget
      ? [{ write: (event: ReceivedEvent) => recorded.get(event.rawHeaders)?.() }]
      : []),
  ];
  const handoff =
    relayTarget && forwardTo
      ? (await import("../../relay/handoff.js")).createHandoff({
          to: forwardTo,
          store,
          policy: { timeScale: options.timeScale },
          onAttempt: (event, attempt) =>
            say(`app ${event.messageId.slice(0, 8)}${formatAttemptLine(attempt, plainStyle)}`),
          onDone: (delivery) => {
            if (delivery.outcome === "interrupted") return;
            const first = delivery.attempts[0]?.startedAt ?? Date.now();
            say(
              `app ${delivery.event.messageId.slice(0, 8)}  ${formatOutcome(delivery, plainStyle, Date.now() - first)}`,
            );
          },
        })
      : undefined;
  const handedOff = new Map<readonly string[], HandoffEvent | undefined>();
  // The answers, as flags set them; the inspector's page can switch them while the listener runs.
  const responder = createSwitchableResponder(
    {
      status: options.status,
      failFirst: options.failFirst ?? 0,
      failRate: options.failRate ?? 0,
      delayMs: options.delay ?? 0,
      requireHeader: "",
    },
    forwardTo ? { forwardTo, forwardTimeoutMs: options.forwardTimeout } : {},
    (settings) => say(`answers changed in the inspector: ${describeAnswers(settings)}`),
  );

  const listener = await createListener({
    port: options.port,
    host: options.host,
    ...(path ? { path } : {}),
    maxBodyBytes: options.maxBody,
    requireHeaders,
    ...(signingKey ? { signingKey } : {}),
    timeScale: options.timeScale,
    respond: (request) => {
      // A buffered relayed event: the relay answered Norce already; the app gets it afterwards
      // on Norce's schedule (handoff), not inline.
      if (handoff && handedOff.has(request.rawHeaders)) {
        handedOff.set(request.rawHeaders, handoff.capture(request));
        return { status: options.status, note: "recorded; on its way to your app" };
      }
      return responder.respond(request);
    },
    sinks,
  }).catch(async (error: unknown) => {
    // e.g. the port is taken: close what is already open before the error is shown.
    await responder.close();
    await project.close();
    throw error;
  });
  // Ctrl-C from here on stops cleanly (also while a tunnel is starting).
  let stopping = false;
  const stop = interruptSignal(() => {
    stopping = true;
  });
  printBanner(listener, options, forwardTo);
  if (store) say(`  recording to ${shortPath(store.path)} (norce-event log shows it)`);
  const inspector =
    inspectPort !== undefined && store
      ? await startInspector({
          store,
          port: inspectPort,
          listener: {
            url: listener.url,
            origin: listenerOrigin(listener),
            ...(forwardTo ? { forwardTo } : {}),
            requireHeaders,
            answers: responder,
          },
          policy: createPolicy({ timeScale: options.timeScale }),
          timeScale: options.timeScale,
          ...(revealed ? { reveal: (record) => revealed.get(record) } : {}),
          version: packageVersion(),
          onReplay: (info) =>
            say(
              info.outcome
                ? `inspector replay of ${info.messageId.slice(0, 8)}: ${info.outcome}`
                : `inspector replays ${info.messageId.slice(0, 8)} to ${info.to}${info.warnings.length ? ` (${info.warnings.join("; ")})` : ""}`,
            ),
        }).catch(async (error: unknown) => {
          await listener.close();
          await responder.close();
          await project.close();
          throw error;
        })
      : undefined;
  if (inspector)
    say(`  inspector: ${inspector.url} (every event, live; replay and switch answers there)`);

  let relay: RelayConnection | undefined;
  if (relayTarget) {
    const { connectRelay } = await import("../../relay/client.js");
    const shownChannel = `${relayTarget.channel.slice(0, 6)}…`;
    say(`  relay: taking events for channel ${shownChannel} from ${relayTarget.url}`);
    if (forwardTo) {
      say(
        `  relay: buffered events are recorded, then delivered to ${forwardTo} as Norce delivers (5 s timeout, 16 retries${options.timeScale === 1 ? "" : ` ÷${options.timeScale}`})`,
      );
    }
    relay = connectRelay({
      ...relayTarget,
      ...(options.takeover ? { takeover: true } : {}),
      pingIntervalMs: options.pingInterval,
      idleTimeoutMs: options.idleTimeout,
      ...(store ? { seen: (id: string) => store.hasReceived(id) } : {}),
      onState: (state) => {
        const line = relayStateLine(state);
        if (line) say(`relay: ${line}`);
      },
      onEvent: async (event) => {
        const taken = new Promise<void>((resolve) => {
          recorded.set(event.rawHeaders, resolve);
        });
        if (handoff && !event.live) handedOff.set(event.rawHeaders, undefined);
        try {
          const answer = await listener.inject({
            method: event.method,
            path: event.path,
            rawHeaders: event.rawHeaders,
            body: event.body,
            ...(event.remoteAddress ? { remoteAddress: event.remoteAddress } : {}),
          });
          await Promise.race([taken, new Promise((resolve) => setTimeout(resolve, 5000))]);
          if (store) await store.flush();
          const item = handedOff.get(event.rawHeaders);
          if (item) void handoff?.deliver(item);
          return event.live ? answer : undefined;
        } finally {
          recorded.delete(event.rawHeaders);
          handedOff.delete(event.rawHeaders);
        }
      },
    });
  }

  let exposed: Exposed | undefined;
  if (exposeTool) {
    const { startExpose } = await import("../../relay/expose.js");
    try {
      exposed = await startExpose({ tool: exposeTool, port: listener.port });
    } catch (error) {
      stop.dispose();
      await relay?.close();
      await listener.close();
      await responder.close();
      await project.close();
      throw error;
    }
    const path = new URL(listener.url).pathname;
    say(
      `  expose: ${exposed.publicUrl}${path}  ← paste this into Norce's Admin UI (${exposeTool})`,
    );
    say(
      `  expose: ${exposeTool} buffers nothing: while this listener or the tunnel is down, Norce's requests fail and Norce retries on its schedule (norce-event relay keeps them)`,
    );
    void exposed.exited.then((last) => {
      if (!stopping) say(`expose: ${exposeTool} stopped (${last}); the public URL is gone`);
    });
  }

  let refused: unknown;
  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    stop.signal.addEventListener("abort", () => resolve(), { once: true });
    relay?.done.catch((error: unknown) => {
      refused = error;
      resolve();
    });
  });
  stop.dispose();
  await inspector?.close();
  stopping = true;
  await exposed?.close();
  await relay?.close();
  const left = (await handoff?.close())?.filter((d) => d.outcome === "interrupted").length ?? 0;
  if (left > 0) {
    say(
      `${left} ${left === 1 ? "delivery" : "deliveries"} to your app still pending${store ? ": norce-event resume continues them" : " (not recorded: --no-store)"}`,
    );
  }
  if (refused) {
    await handoff?.close();
    await listener.close();
    await responder.close();
    await project.close();
    await out.flush(OUTPUT_FLUSH_MS);
    throw refused;
  }
  await listener.close();
  await responder.close();
  await project.close();
  const unwritten = await out.flush(OUTPUT_FLUSH_MS);
  // The terminal has echoed ^C on the current line: the summary starts on a line of its own.
  if (process.stderr.isTTY) say();
  say(formatStats(listener.stats()));
  const leftOut = out.dropped() + unwritten;
  if (leftOut > 0) {
    say(
      `warning: ${leftOut} ${leftOut === 1 ? "line was" : "lines were"} left out of the output: stdout did not keep up${store ? ` (every request is in ${store.path}: norce-event log)` : ""}`,
    );
  }
  const lost = store?.losses();
  if (store && lost && lost.received > 0) {
    const ids = lost.receivedIds.map((id) => id ?? "(no message id)").join(", ");
    say(
      `warning: ${lost.received} of the requests answered were not recorded in ${store.path} (${lost.error?.message ?? "write failed"}): ${ids}${lost.received > lost.receivedIds.length ? ", …" : ""}`,
    );
  }
  // Ctrl-C (or SIGTERM) is how a listener ends, not an interruption of unfinished work: exit 0,
  // as `stripe listen` and `ngrok` do (the README's exit-code table says so).
  process.exitCode = EXIT_OK;
  return EXIT_OK;
}

/** Characters of output held while stdout is slow, at most (~8 MiB). */
const OUTPUT_BACKLOG = 8 * 1024 * 1024;
/** On stop, how long the rest of the output may take to go to a slow stdout. */
const OUTPUT_FLUSH_MS = 5000;

function printBanner(
  listener: Listener,
  options: ListenOptions,
  forwardTo: string | undefined,
): void {
  const answers = [
    forwardTo
      ? `relaying to ${maskUrl(forwardTo)} (its status goes back to the sender; 504 after ${formatDuration(options.forwardTimeout)})`
      : `answering ${options.status}`,
    options.failFirst ? `500 to the first ${options.failFirst} attempts of each event` : undefined,
    options.failRate ? `500 to ${Math.round(options.failRate * 100)}% of requests` : undefined,
    options.delay ? `${formatDuration(options.delay)} late` : undefined,
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

function relayStateLine(state: RelayClientState): string | undefined {
  switch (state.state) {
    case "connecting":
      return state.attempt === 1 ? "connecting" : undefined;
    case "connected":
      return `connected (${state.mode}) · ${state.waiting} waiting event${state.waiting === 1 ? "" : "s"} to deliver`;
    case "gap":
      return `warning: ${state.dropped} event${state.dropped === 1 ? " was" : "s were"} dropped by the relay's retention before this laptop took ${state.dropped === 1 ? "it" : "them"}`;
    case "disconnected":
      return `${state.reason}, retrying in ${formatDuration(state.retryInMs)}`;
    case "duplicate":
      return `dropped a duplicate of ${state.messageId} (already recorded here)`;
    case "clock-jump":
      return `the clock jumped ${formatDuration(state.jumpedMs)} (woke from sleep?): reconnecting now`;
    case "event-failed":
      return `could not take event #${state.seq} (${state.reason}); the relay keeps it`;
    case "failed":
      return undefined;
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
    .map(([type, n]) => `${safe(type)} ${n}`)
    .join(", ");
  return `stopped after ${stats.requests} request${stats.requests === 1 ? "" : "s"}${types ? ` (${types})` : ""} · ${stats.retries} retries · ${stats.failures} answered ≥ 400 · ${stats.withProblems} with problems`;
}

/** `--inspect` alone (its default port) or `--inspect <port>`. */
function inspectorPort(value: boolean | string): number {
  if (value === true) return DEFAULT_INSPECTOR_PORT;
  // Read as --port reads its value (a whole number, spaces and a + sign allowed).
  const n = Number(value);
  if (!isWholeNumber(String(value)) || n < 0 || n > 65535) {
    throw new UsageError(`--inspect "${String(value).trim()}" is not a port`, {
      hint: `--inspect alone serves on ${DEFAULT_INSPECTOR_PORT}; --inspect 0 picks a free port`,
    });
  }
  return n;
}

/** Where the inspector replays received events: the listener itself, over loopback. */
function listenerOrigin(listener: Listener): string {
  const host = ["0.0.0.0", "::", "localhost"].includes(listener.host) ? "127.0.0.1" : listener.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${listener.port}`;
}

function describeAnswers(a: AnswerSettings): string {
  return [
    `${a.status}`,
    a.failFirst ? `500 to the first ${a.failFirst} attempts of each event` : "",
    a.failRate ? `500 to ${Math.round(a.failRate * 100)}% of requests` : "",
    a.delayMs ? `${formatDuration(a.delayMs)} late` : "",
    a.requireHeader ? `401 without ${a.requireHeader.split(":")[0]}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
}

/** The real headers of the last 1,000 requests, kept in memory only, for `--show-secrets`. */
class RevealedHeaders {
  private readonly byKey = new Map<string, Record<string, string>>();
  add(event: ReceivedEvent): void {
    if (this.byKey.size >= 1000) this.byKey.delete(this.byKey.keys().next().value!);
    this.byKey.set(
      revealKey(event.messageId ?? null, event.attempt, Date.parse(event.receivedAt)),
      event.headers,
    );
  }
  get(record: ReceivedRecord): Record<string, string> | undefined {
    return this.byKey.get(revealKey(record.messageId, record.attempt, record.receivedAt));
  }
}

function revealKey(messageId: string | null, attempt: number, at: number): string {
  return `${messageId ?? ""}|${attempt}|${at}`;
}
