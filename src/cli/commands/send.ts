import { deliverMany } from "../../delivery/batch.js";
import { type Attempt, type Delivery, deliverEvent } from "../../delivery/engine.js";
import { buildHeaders, parseHeaders } from "../../delivery/headers.js";
import { createPolicy } from "../../delivery/policy.js";
import { parseSigningSecret, signHeaders } from "../../delivery/signing.js";
import { getEventType } from "../../events/catalog.js";
import type { NorceEvent } from "../../events/event.js";
import { createEventFactory } from "../../events/factory.js";
import { UsageError } from "../../shared/errors.js";
import { isSecretHeader, maskHeaders } from "../../shared/secrets.js";
import { DEFAULT_RECEIVER_URL, parseTargetUrl } from "../../shared/url.js";
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../main.js";
import { print, say } from "../output.js";
import {
  attemptJson,
  deliveryJson,
  formatAttemptLine,
  formatHeadLine,
  formatOutcome,
  plainStyle,
  round,
  type Style,
} from "../render/delivery.js";
import { interruptSignal } from "../signals.js";
import { type PayloadOptions, payloadOptions } from "./generate.js";

export interface SendOptions extends PayloadOptions {
  to?: string;
  header?: string[];
  timeout: number;
  maxRetries?: number;
  retry: boolean;
  timeScale: number;
  count?: number;
  concurrency: number;
  json?: boolean;
  dryRun?: boolean;
  showSecrets?: boolean;
  signSecret?: string;
  messageId?: string;
}

export async function runSend(
  typeArg: string | undefined,
  options: SendOptions,
  globals: GlobalOptions,
): Promise<number> {
  let type = typeArg;
  let to = options.to;
  let headerArgs = options.header ?? [];
  let editedPayload: Record<string, unknown> | undefined;
  if (!type || !to) {
    if (type && !to) {
      throw new UsageError("send needs --to <url>, the receiver to deliver to", {
        hint: `e.g. --to ${DEFAULT_RECEIVER_URL} (norce-event listen runs a receiver there)`,
      });
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
    say(`tip: next time, norce-event send ${type} --to ${to}${flags}`);
  }

  const info = getEventType(type);
  const url = parseTargetUrl(to);
  const policy = createPolicy({
    timeoutMs: options.timeout,
    timeScale: options.timeScale,
    maxRetries: options.retry === false ? 0 : (options.maxRetries ?? 16),
  });
  const headers = parseHeaders(headerArgs);
  const signingKey = options.signSecret ? parseSigningSecret(options.signSecret) : undefined;
  const factory = createEventFactory(info, {
    ...(await payloadOptions(options)),
    ...(options.messageId ? { messageId: options.messageId } : {}),
  });
  const makeEvent = editedPayload
    ? (index: number) => ({ ...factory.event(index), payload: editedPayload as never })
    : (index: number) => factory.event(index);
  for (const warning of factory.warnings) say(`warning: ${warning}`);

  const sample = makeEvent(0);
  const { dropped } = buildHeaders(sample, headers, { signing: Boolean(signingKey) });
  for (const name of dropped) {
    say(`warning: -H ${name} dropped: Norce's system headers take precedence over headers you add`);
  }
  const secrets = Object.entries(headers)
    .filter(([name]) => isSecretHeader(name))
    .map(([, value]) => value);
  const style = options.json ? plainStyle : await loadStyle(globals);

  if (options.dryRun) {
    printDryRun(sample, url, headers, signingKey, options);
    return EXIT_OK;
  }

  const count = options.count ?? 1;
  const signal = interruptSignal();
  const deliverOptions = {
    to: url,
    headers,
    policy,
    signal: signal.signal,
    ...(signingKey ? { signingKey } : {}),
  };

  if (count === 1) {
    const started = performance.now();
    if (!options.json)
      print(
        formatHeadLine(sample, url, { seed: factory.seed, timeScale: policy.timeScale }, style),
      );
    const delivery = await deliverEvent(sample, {
      ...deliverOptions,
      hooks: {
        onAttempt: (attempt) => {
          if (options.json) print(JSON.stringify(attemptJson(sample, attempt, secrets)));
          else print(formatAttemptLine(attempt, style, secrets));
        },
      },
    });
    const realMs = performance.now() - started;
    if (options.json) print(JSON.stringify(deliveryJson(delivery, realMs, { seed: factory.seed })));
    else print(formatOutcome(delivery, style, realMs));
    signal.dispose();
    return exitCode(delivery.outcome);
  }

  const progress = !options.json && process.stderr.isTTY ? await createProgress(count) : undefined;
  const deadList: Delivery[] = [];
  const summary = await deliverMany({
    ...deliverOptions,
    count,
    concurrency: options.concurrency,
    makeEvent,
    hooks: {
      ...(options.json
        ? {
            onAttempt: (event: NorceEvent, attempt: Attempt) => {
              print(JSON.stringify(attemptJson(event, attempt, secrets)));
            },
          }
        : {}),
      onDone: (delivery) => {
        progress?.increment();
        if (delivery.outcome === "dead" && deadList.length < 10) deadList.push(delivery);
      },
    },
  });
  progress?.stop();
  if (options.json) {
    print(
      JSON.stringify({
        kind: "summary",
        type: info.name,
        url,
        seed: factory.seed,
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
    print(formatBatchSummary(info.name, url, factory.seed, summary, deadList, style));
  }
  signal.dispose();
  if (summary.interrupted > 0 || summary.notStarted > 0) return EXIT_INTERRUPTED;
  return summary.dead > 0 ? EXIT_FAILED : EXIT_OK;
}

function exitCode(outcome: Delivery["outcome"]): number {
  return outcome === "delivered" ? EXIT_OK : outcome === "dead" ? EXIT_FAILED : EXIT_INTERRUPTED;
}

function isInteractive(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true;
}

async function loadStyle(globals: GlobalOptions): Promise<Style> {
  if (!globals.color || !process.stdout.isTTY) return plainStyle;
  return await import("../style.js");
}

async function createProgress(total: number) {
  // cli-progress is CommonJS: its exports arrive as the default export under ESM.
  const loaded = (await import("cli-progress")) as unknown as {
    default: typeof import("cli-progress");
  };
  const progress = loaded.default;
  const bar = new progress.SingleBar(
    {
      format: "  sending {bar} {value}/{total} events · {eta_formatted} left",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    progress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

function printDryRun(
  event: ReturnType<ReturnType<typeof createEventFactory>["event"]>,
  url: string,
  userHeaders: Record<string, string>,
  signingKey: Buffer | undefined,
  options: SendOptions,
): void {
  const body = JSON.stringify(event.payload);
  const target = new URL(url);
  const { headers } = buildHeaders(event, userHeaders, { signing: Boolean(signingKey) });
  const all: Record<string, string> = {
    host: target.host,
    ...headers,
    ...(signingKey
      ? signHeaders(signingKey, event.messageId, Math.floor(Date.now() / 1000), body)
      : {}),
    "content-length": String(Buffer.byteLength(body)),
  };
  const shown = maskHeaders(all, options.showSecrets);
  if (options.json) {
    print(JSON.stringify({ method: "POST", url, headers: shown, body: event.payload }));
    return;
  }
  print(`POST ${target.pathname}${target.search} HTTP/1.1`);
  for (const [name, value] of Object.entries(shown)) print(`${name}: ${value}`);
  print();
  print(body);
  say(`(dry run: nothing was sent to ${url})`);
}
