import { deliverMany } from "../../delivery/batch.js";
import type { Attempt, Delivery } from "../../delivery/engine.js";
import { buildHeaders, parseHeaders, staticHeaders } from "../../delivery/headers.js";
import { createPolicy, type DeliveryPolicy } from "../../delivery/policy.js";
import { signHeaders } from "../../delivery/signing.js";
import { type EventTypeInfo, eventTypeInfos, getEventType } from "../../events/catalog.js";
import type { NorceEvent } from "../../events/event.js";
import { createEventFactory } from "../../events/factory.js";
import { EventTypeOffError, UsageError } from "../../shared/errors.js";
import { maskHeaders, maskPath, maskUrl } from "../../shared/secrets.js";
import { DEFAULT_RECEIVER_URL, parseTargetUrl } from "../../shared/url.js";
import { type LoadedConfig, settingsFor } from "../../store/config.js";
import type { EventStore } from "../../store/db.js";
import {
  admitDeliveries,
  type DeliveryRecording,
  recordDelivery,
  recordingRun,
} from "../../store/recorder.js";
import { resolveTemplate, type StoredHeader, toStoredHeaders } from "../../store/templates.js";
import { resolveClient } from "../client.js";
import {
  checkHeaderValues,
  checkMessageId,
  checkRetryOptions,
  deliverShown,
  endCaretLine,
  loadStyle,
  type Output,
  retriesCutBy,
  sayResume,
  secretValues,
  signingKeyFrom,
} from "../deliveries.js";
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { createWriter, print, say } from "../output.js";
import { createProgress } from "../progress.js";
import { loadProject } from "../project.js";
import { attemptJson, round } from "../render/delivery.js";
import { interruptSignal } from "../signals.js";
import { type PayloadOptions, payloadOptions } from "./generate.js";

export interface SendOptions extends PayloadOptions {
  to?: string;
  header?: string[];
  timeout: number;
  maxRetries?: number;
  retry: boolean;
  timeScale?: number;
  count?: number;
  concurrency: number;
  json?: boolean;
  dryRun?: boolean;
  showSecrets?: boolean;
  signSecret?: string;
  messageId?: string;
  all?: boolean;
  force?: boolean;
  keepAuthOnRedirect?: boolean;
}

/** Where and how one type is sent, after flags, config and defaults are merged. */
interface Target {
  info: EventTypeInfo;
  url: string;
  /** Resolved, ready to send. */
  headers: Record<string, string>;
  /** As the store keeps them (templates, masked secrets). */
  stored: StoredHeader[];
}

export async function runSend(
  typeArg: string | undefined,
  options: SendOptions,
  globals: GlobalOptions,
): Promise<number> {
  const project = loadProject(globals);
  try {
    return await send(typeArg, options, globals, project);
  } finally {
    await project.close();
  }
}

async function send(
  typeArg: string | undefined,
  options: SendOptions,
  globals: GlobalOptions,
  project: ReturnType<typeof loadProject>,
): Promise<number> {
  const config = project.config;
  let headerArgs = options.header ?? [];
  let editedPayload: Record<string, unknown> | undefined;
  let type = typeArg;
  let to = options.to;

  checkSendOptions(options);
  if (options.all) {
    if (type)
      throw new UsageError("send --all sends every enabled type; leave out the type", {
        hint: "norce-event send --all",
      });
    return await sendAll(options, globals, project);
  }
  if (!type || (!to && !(type && settingsFor(config, getEventType(type).name).url))) {
    if (type && !to && (!isInteractive() || options.json)) {
      throw new UsageError(
        `send needs --to <url>, or a url for ${getEventType(type).name} in norce-event.config.json`,
        {
          hint: `e.g. --to ${DEFAULT_RECEIVER_URL} (norce-event listen runs a receiver there), or norce-event init`,
        },
      );
    }
    if (!isInteractive() || options.json) {
      throw new UsageError("send needs an event type and --to <url>", {
        hint: "e.g. norce-event send OrderConfirmedEvent --to http://localhost:3000/receiver (in a terminal, plain `norce-event send` asks)",
      });
    }
    const { askSend } = await import("../prompts.js");
    const answers = await askSend({ ...(type ? { type } : {}), ...(to ? { to } : {}) });
    type = answers.type;
    to = answers.to;
    headerArgs = [...headerArgs, ...answers.headers];
    editedPayload = answers.payload;
    const flags = answers.headers.map((h) => ` -H "${h.split(":")[0]}: …"`).join("");
    say(`tip: next time, norce-event send ${type} --to ${maskUrl(to)}${flags}`);
  }

  const info = getEventType(type);
  const target = resolveTarget(info, { to, headerArgs, force: options.force ?? false }, config);
  const policy = policyFrom(options, config);
  const signingKey = signingKeyFrom(options.signSecret, config);
  const factory = createEventFactory(info, {
    ...(await payloadOptions(options)),
    client: resolveClient(options, config).client,
    ...(options.messageId ? { messageId: options.messageId } : {}),
  });
  const makeEvent = editedPayload
    ? (index: number) => ({ ...factory.event(index), payload: editedPayload as never })
    : (index: number) => factory.event(index);
  for (const warning of factory.warnings) say(`warning: ${warning}`);
  const sample = makeEvent(0);
  warnDropped(target.headers, Boolean(signingKey));
  const output: Output = {
    json: options.json ?? false,
    style: await loadStyle(globals, options.json ?? false),
    secrets: secretValues(target.headers, { signSecret: options.signSecret, url: target.url }),
  };

  if (options.dryRun) {
    // Every request --count would send, each as it would go (a blank line between them).
    const count = options.count ?? 1;
    for (let index = 0; index < count; index++) {
      if (index > 0 && !options.json) print();
      printDryRun(index === 0 ? sample : makeEvent(index), target, signingKey, options);
    }
    if (!options.json) {
      say(
        `(dry run: nothing was sent to ${options.showSecrets ? target.url : maskUrl(target.url)}${count > 1 ? `; ${count} requests shown` : ""})`,
      );
    }
    return EXIT_OK;
  }

  const store = await project.store();
  const signal = interruptSignal(endCaretLine);
  try {
    const count = options.count ?? 1;
    if (count === 1) {
      const delivery = await deliverTo(target, sample, {
        policy,
        signal: signal.signal,
        seed: factory.seed,
        signingKey,
        output,
        store,
        cutBy: retriesCutBy(options),
      });
      process.exitCode = exitCode([delivery.outcome]);
      await sayResume(store);
      return exitCode([delivery.outcome]);
    }
    return await sendMany(
      info,
      target,
      policy,
      { count, makeEvent, seed: factory.seed },
      options,
      output,
      store,
      signal.signal,
      signingKey,
    );
  } finally {
    signal.dispose();
  }
}

/** `send --all`: one event of every enabled type, each to its own URL. */
async function sendAll(
  options: SendOptions,
  globals: GlobalOptions,
  project: ReturnType<typeof loadProject>,
): Promise<number> {
  const config = project.config;
  const enabled = eventTypeInfos().filter((info) => settingsFor(config, info.name).enabled);
  if (enabled.length === 0)
    throw new EventTypeOffError("every event type", config?.shown ?? "the config");
  const missing = enabled.filter((info) => !options.to && !settingsFor(config, info.name).url);
  if (missing.length > 0) {
    throw new UsageError(`send --all needs a url for ${missing.map((i) => i.name).join(", ")}`, {
      hint: "give --to, or set url in norce-event.config.json (norce-event init writes one)",
    });
  }
  const policy = policyFrom(options, config);
  const signingKey = signingKeyFrom(options.signSecret, config);
  const output: Output = {
    json: options.json ?? false,
    style: await loadStyle(globals, options.json ?? false),
    secrets: [],
  };
  const payload = {
    ...(await payloadOptions(options)), // --data is read once, for every type
    client: resolveClient(options, config).client,
  };
  const store = await project.store();
  const signal = interruptSignal(endCaretLine);
  const outcomes: Delivery["outcome"][] = [];
  try {
    for (const [index, info] of enabled.entries()) {
      if (signal.signal.aborted) break;
      const target = resolveTarget(
        info,
        { to: options.to, headerArgs: options.header ?? [], force: false },
        config,
      );
      const factory = createEventFactory(info, {
        ...payload,
        ...(options.seed === undefined ? {} : { seed: options.seed + index }),
      });
      const event = factory.event(0);
      warnDropped(target.headers, Boolean(signingKey));
      output.secrets = secretValues(target.headers, {
        signSecret: options.signSecret,
        url: target.url,
      });
      const delivery = await deliverTo(target, event, {
        policy,
        signal: signal.signal,
        seed: factory.seed,
        signingKey,
        output,
        store,
        cutBy: retriesCutBy(options),
      });
      outcomes.push(delivery.outcome);
    }
  } finally {
    signal.dispose();
  }
  const skipped = eventTypeInfos().length - enabled.length;
  if (!output.json) {
    const delivered = outcomes.filter((o) => o === "delivered").length;
    print(
      `${delivered} of ${enabled.length} enabled types delivered${skipped > 0 ? ` (${skipped} off in ${config?.shown}: not sent, as Norce would not)` : ""}`,
    );
  }
  const code = exitCode(outcomes.length < enabled.length ? [...outcomes, "interrupted"] : outcomes);
  process.exitCode = code;
  await sayResume(store);
  return code;
}

async function sendMany(
  info: EventTypeInfo,
  target: Target,
  policy: DeliveryPolicy,
  run: { count: number; makeEvent: (index: number) => NorceEvent; seed: number },
  options: SendOptions,
  output: Output,
  store: EventStore | undefined,
  signal: AbortSignal,
  signingKey: Buffer | undefined,
): Promise<number> {
  const progress =
    !output.json && process.stderr.isTTY
      ? await createProgress(
          run.count,
          "  sending {bar} {value}/{total} events · {eta_formatted} left",
        )
      : undefined;
  const deadList: Delivery[] = [];
  const lines = createWriter();
  const recordingFor = store
    ? recordingRun(target.url, target.stored, policy, {
        secrets: output.secrets,
        signed: Boolean(signingKey),
      })
    : undefined;
  // The writer takes a moment to start: start it while the first events are made.
  store?.startWriting();
  const toAdmit: DeliveryRecording[] = [];
  const summary = await deliverMany({
    to: target.url,
    headers: target.headers,
    policy,
    signal,
    ...(signingKey ? { signingKey } : {}),
    count: run.count,
    concurrency: options.concurrency,
    makeEvent: run.makeEvent,
    // With a store, events are recorded a chunk ahead of sending: a crash loses none that was sent.
    ...(store && recordingFor
      ? {
          ahead: RECORD_AHEAD,
          admit: () => admitDeliveries(store, recordingFor, toAdmit.splice(0)),
        }
      : {}),
    track: (event, body) => {
      const recording =
        store && recordingFor ? recordDelivery(store, recordingFor, event, { body }) : undefined;
      if (recording) toAdmit.push(recording);
      const onAttempt = (attempt: Attempt) => {
        if (output.json)
          lines.write(`${JSON.stringify(attemptJson(event, attempt, output.secrets))}\n`);
        return recording?.hooks.onAttempt(attempt);
      };
      const done = (delivery: Delivery) => {
        recording?.finish(delivery);
        progress?.increment();
        if (delivery.outcome === "dead" && deadList.length < 10) deadList.push(delivery);
      };
      // Literal objects, not spreads: this runs per event, thousands a second.
      return recording
        ? {
            dropped: recording.discard,
            hooks: { onAttempt, onWait: recording.hooks.onWait },
            done,
          }
        : { hooks: { onAttempt }, done };
    },
  });
  // Whatever happens next (a store that cannot close), a dead event fails the command.
  const code =
    summary.interrupted > 0 || summary.notStarted > 0
      ? EXIT_INTERRUPTED
      : summary.dead > 0
        ? EXIT_FAILED
        : EXIT_OK;
  process.exitCode = code;
  progress?.stop();
  await lines.flush();
  if (output.json) {
    print(
      JSON.stringify({
        kind: "summary",
        type: info.name,
        url: maskUrl(target.url),
        seed: run.seed,
        timeScale: policy.timeScale,
        ...summary,
        latencyMs: {
          p50: round(summary.latencyMs.p50),
          p95: round(summary.latencyMs.p95),
          p99: round(summary.latencyMs.p99),
          max: round(summary.latencyMs.max),
        },
        durationMs: round(summary.durationMs),
        eventsPerSecond: round(summary.eventsPerSecond),
      }),
    );
  } else {
    const { formatBatchSummary } = await import("../render/batch.js");
    print(
      formatBatchSummary(
        info.name,
        target.url,
        { seed: run.seed, timeScale: policy.timeScale },
        summary,
        deadList,
        output.style,
        output.secrets,
      ),
    );
  }
  await sayResume(store);
  return code;
}

/** Events a batch records ahead of sending, per chunk (one chunk is sent while the next is written). */
const RECORD_AHEAD = 64;

/** One event to its target, shown and recorded as it goes. */
function deliverTo(
  target: Target,
  event: NorceEvent,
  run: {
    policy: DeliveryPolicy;
    signal: AbortSignal;
    seed: number;
    signingKey: Buffer | undefined;
    output: Output;
    store: EventStore | undefined;
    cutBy?: string | undefined;
  },
): Promise<Delivery> {
  return deliverShown(
    event,
    {
      to: target.url,
      headers: target.headers,
      storedHeaders: target.stored,
      policy: run.policy,
      signal: run.signal,
      seed: run.seed,
      ...(run.signingKey ? { signingKey: run.signingKey } : {}),
      ...(run.cutBy ? { cutBy: run.cutBy } : {}),
    },
    run.output,
    run.store,
  );
}

/** Flags over the type's settings over the defaults; `${VAR}` resolved; off types refused. */
function resolveTarget(
  info: EventTypeInfo,
  given: { to: string | undefined; headerArgs: readonly string[]; force: boolean },
  config: LoadedConfig | undefined,
): Target {
  const settings = settingsFor(config, info.name);
  if (!settings.enabled && !given.force)
    throw new EventTypeOffError(info.name, config?.shown ?? "the config");
  const file = config?.shown;
  const url = parseTargetUrl(
    given.to ??
      resolveTemplate(settings.url ?? "", {
        ...(file ? { file } : {}),
        field: `the url of ${info.name}`,
        kind: "url",
      }),
    given.to ? "--to" : `${file}: url`,
  );
  const flagHeaders = parseHeaders(given.headerArgs);
  const flagNames = new Set(Object.keys(flagHeaders).map((n) => n.toLowerCase()));
  const fromConfig = Object.entries(settings.headers).filter(
    ([name]) => !flagNames.has(name.toLowerCase()),
  );
  const headers: Record<string, string> = {};
  for (const [name, template] of fromConfig) {
    headers[name] = resolveTemplate(template, {
      ...(file ? { file } : {}),
      field: `headers.${name}`,
    });
  }
  for (const [name, value] of Object.entries(flagHeaders)) {
    headers[name] = resolveTemplate(value, { field: `-H ${name}` });
  }
  checkHeaderValues(headers);
  const stored: StoredHeader[] = [
    ...fromConfig.map(([name, template]) => ({ name, template })),
    ...toStoredHeaders(flagHeaders),
  ];
  return { info, url, headers, stored };
}

function policyFrom(options: SendOptions, config: LoadedConfig | undefined): DeliveryPolicy {
  return createPolicy({
    timeoutMs: options.timeout,
    timeScale: options.timeScale ?? config?.data.timeScale ?? 1,
    maxRetries: options.retry === false ? 0 : (options.maxRetries ?? 16),
    keepAuthOnRedirect: options.keepAuthOnRedirect ?? false,
  });
}

/** Options that contradict each other, or that one of them would silently drop. */
function checkSendOptions(options: SendOptions): void {
  checkRetryOptions(options);
  if (options.messageId !== undefined) {
    const several = options.all
      ? "--all"
      : (options.count ?? 1) > 1
        ? `--count ${options.count}`
        : undefined;
    if (several) {
      throw new UsageError(`--message-id gives one event its id; ${several} sends several events`, {
        hint: "leave out --message-id (each event gets its own UUID), or send one event",
      });
    }
    const warning = checkMessageId(options.messageId);
    if (warning) say(`warning: ${warning}`);
  }
}

function warnDropped(headers: Record<string, string>, signing: boolean): void {
  for (const name of staticHeaders(headers, signing).dropped) {
    say(
      `warning: header ${name} dropped: Norce's system headers take precedence over headers you add`,
    );
  }
}

function exitCode(outcomes: readonly Delivery["outcome"][]): number {
  if (outcomes.includes("interrupted")) return EXIT_INTERRUPTED;
  return outcomes.every((o) => o === "delivered") ? EXIT_OK : EXIT_FAILED;
}

function isInteractive(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true;
}

function printDryRun(
  event: NorceEvent,
  target: Target,
  signingKey: Buffer | undefined,
  options: SendOptions,
): void {
  const body = JSON.stringify(event.payload);
  const url = new URL(target.url);
  const { headers } = buildHeaders(event, target.headers, { signing: Boolean(signingKey) });
  const all: Record<string, string> = {
    host: url.host,
    ...headers,
    ...(signingKey
      ? signHeaders(signingKey, event.messageId, Math.floor(Date.now() / 1000), body)
      : {}),
    "content-length": String(Buffer.byteLength(body)),
  };
  const shown = maskHeaders(all, options.showSecrets);
  const shownUrl = options.showSecrets ? target.url : maskUrl(target.url);
  if (options.json) {
    print(JSON.stringify({ method: "POST", url: shownUrl, headers: shown, body: event.payload }));
    return;
  }
  const requestPath = `${url.pathname}${url.search}`;
  print(`POST ${options.showSecrets ? requestPath : maskPath(requestPath)} HTTP/1.1`);
  for (const [name, value] of Object.entries(shown)) print(`${name}: ${value}`);
  print();
  print(body);
}
