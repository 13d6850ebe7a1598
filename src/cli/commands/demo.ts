/**
 * `norce-event demo`: both halves in one process. A listener on a free port receives a realistic
 * handful of events sent as Norce sends them; it fails one of them twice so Norce's retries show,
 * in compressed time. Ends by itself in a few seconds.
 */
import { deliverEvent } from "../../delivery/engine.js";
import { getEventType } from "../../events/catalog.js";
import { createEventFactory } from "../../events/factory.js";
import type { EventTypeName } from "../../events/payloads.generated.js";
import { createListener, type ReceivedEvent } from "../../listener/server.js";
import { formatDuration } from "../../shared/duration.js";
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { print } from "../output.js";
import { formatAttemptLine, formatOutcome } from "../render/delivery.js";
import { formatReceived, plainReceivedStyle, type ReceivedStyle } from "../render/received.js";
import { interruptSignal } from "../signals.js";

/** What a shop's first minutes on Norce look like: an order's life, a stock and a price change. */
const STORY: readonly { type: EventTypeName; why: string; failTwice?: boolean }[] = [
  { type: "OrderReceivedEvent", why: "a customer places an order on the web shop" },
  { type: "OrderPaymentReceivedEvent", why: "the payment provider confirms the payment" },
  {
    type: "OrderConfirmedEvent",
    why: "the ERP confirms the order; your receiver is down for a moment",
    failTwice: true,
  },
  { type: "SkuOnHandBreakPointNotification", why: "stock of a product falls to its minimum" },
  { type: "SkuPriceChangedNotification", why: "a price list changes" },
  { type: "JobCompletedEvent", why: "a Connect import job finishes" },
];

export interface DemoOptions {
  timeScale: number;
  seed: number;
}

export async function runDemo(options: DemoOptions, globals: GlobalOptions): Promise<number> {
  const colour = globals.color && process.stdout.isTTY;
  const style: ReceivedStyle = colour ? await import("../style.js") : plainReceivedStyle;
  const failing = new Set<string>();
  const received: ReceivedEvent[] = [];
  const listener = await createListener({
    port: 0,
    timeScale: options.timeScale,
    respond: (request) =>
      request.messageId && failing.has(request.messageId) && request.attempt <= 2
        ? {
            status: 500,
            body: "database is restarting\n",
            note: "the demo fails this event's first 2 attempts",
          }
        : { status: 202, body: "Accepted\n" },
    sinks: [
      {
        write(event) {
          received.push(event);
          const text = formatReceived(
            event,
            {
              headers: false,
              body: event.attempt === 1 && received.length === 1,
              showSecrets: false,
            },
            style,
          );
          print(indent(text, `  ${style.dim("listen ◂")} `));
        },
      },
    ],
  });

  const stop = interruptSignal();
  print(
    style.bold(
      `norce-event demo: a listener at ${listener.url} and ${STORY.length} events sent to it as Norce sends them.`,
    ),
  );
  print(
    style.dim(
      `Backoff delays run ${options.timeScale}× faster than Norce's (5s becomes ${formatDuration(5000 / options.timeScale)}).`,
    ),
  );
  let outcome = EXIT_OK;
  let sent = 0;
  try {
    for (const [index, step] of STORY.entries()) {
      if (stop.signal.aborted) break;
      sent = index + 1;
      const factory = createEventFactory(getEventType(step.type), { seed: options.seed + index });
      const event = factory.event(0);
      if (step.failTwice) failing.add(event.messageId);
      print();
      print(`${style.bold(`${index + 1}. ${step.type}`)} ${style.dim(`— ${step.why}`)}`);
      const started = performance.now();
      const delivery = await deliverEvent(event, {
        to: listener.url,
        policy: { timeScale: options.timeScale },
        signal: stop.signal,
        hooks: {
          onAttempt: (attempt) =>
            print(
              indent(formatAttemptLine(attempt, style).trimStart(), `  ${style.dim("send   ▸")} `),
            ),
        },
      });
      print(`  ${formatOutcome(delivery, style, performance.now() - started)}`);
      if (delivery.outcome === "interrupted") outcome = EXIT_INTERRUPTED;
      else if (delivery.outcome !== "delivered") outcome = EXIT_FAILED;
    }
  } finally {
    stop.dispose();
    await listener.close();
  }

  const stats = listener.stats();
  if (stop.signal.aborted) {
    // Ctrl-C: say what was shown and what was not, without the "what next" of a finished demo.
    // The terminal has echoed ^C on the current line, so start on a new one.
    print();
    print(
      `${style.bold("Stopped")} (Ctrl-C) at event ${sent} of ${STORY.length}, after ${stats.requests} requests. norce-event demo runs the whole story again.`,
    );
    return EXIT_INTERRUPTED;
  }
  print();
  print(
    `${style.bold("Done.")} ${stats.requests} requests for ${STORY.length} events; ${stats.retries} were Norce's retries of the same message id, ${stats.withProblems} had problems.`,
  );
  print("Next:");
  print(
    `  norce-event listen                                    ${style.dim("# a receiver on http://localhost:7412/receiver")}`,
  );
  print(
    `  norce-event send OrderConfirmedEvent --to <your url>  ${style.dim("# deliver one to your own receiver")}`,
  );
  print(
    `  norce-event test --to <your url>                      ${style.dim("# check your receiver against Norce's contract")}`,
  );
  return outcome;
}

function indent(text: string, prefix: string): string {
  const pad = " ".repeat(visible(prefix).length);
  return text
    .split("\n")
    .map((line, i) => (i === 0 ? prefix + line : pad + line))
    .join("\n");
}

function visible(text: string): string {
  // biome-ignore lint/complexity/useRegexLiterals: the escape reads better spelled out
  return text.replace(new RegExp("\\u001b\\[[0-9;]*m", "g"), "");
}
