/**
 * One delivery shown as it happens and recorded as it happens: shared by send, replay and resume.
 */
import { type DeliverOptions, type Delivery, deliverEvent } from "../delivery/engine.js";
import { createPolicy } from "../delivery/policy.js";
import { parseSigningSecret } from "../delivery/signing.js";
import type { NorceEvent } from "../events/event.js";
import { UsageError } from "../shared/errors.js";
import { knownSecrets } from "../shared/secrets.js";
import type { LoadedConfig } from "../store/config.js";
import type { DeliveryRecord, EventStore } from "../store/db.js";
import { combineHooks, recordDelivery, recordingRun } from "../store/recorder.js";
import { environmentSecrets, resolveTemplate, type StoredHeader } from "../store/templates.js";
import type { GlobalOptions } from "./globals.js";
import { print, say } from "./output.js";
import {
  attemptJson,
  deliveryJson,
  formatAttemptLine,
  formatHeadLine,
  formatOutcome,
  plainStyle,
  type Style,
} from "./render/delivery.js";
import { hasControl } from "./render/safe.js";

export interface Output {
  json: boolean;
  style: Style;
  /** Secret values to mask wherever they appear. */
  secrets: string[];
  /**
   * Several deliveries at once (`resume` of many): no head line per event, and every line starts
   * with the event's short message id; `quiet` also leaves out the attempt lines (a progress bar
   * and a summary stand for them).
   */
  many?: "prefixed" | "quiet";
}

/** After `^C`, which the terminal echoed where the cursor was: what follows starts on its own line. */
export function endCaretLine(): void {
  if (process.stderr.isTTY) process.stderr.write("\n");
  else if (process.stdout.isTTY) process.stdout.write("\n");
}

/** After Ctrl-C: what is left pending, and the command that continues it. */
/**
 * What this run left pending, as the store holds it (committed), and any write that failed: the
 * count comes from the store, not from what the run meant to write.
 */
export async function sayResume(store: EventStore | undefined): Promise<void> {
  if (!store) return;
  await store.flush();
  const losses = store.losses();
  if (losses.deliveries > 0) {
    say(
      `warning: ${losses.deliveries} ${losses.deliveries === 1 ? "delivery was" : "deliveries were"} not recorded in ${store.path} (${losses.error?.message ?? "write failed"}): resume cannot continue ${losses.deliveries === 1 ? "it" : "them"}`,
    );
  }
  const pending = store.countPending();
  if (pending > 0) {
    say(
      `${pending === 1 ? "The event is" : `${pending} events are`} pending in ${store.path}; norce-event resume continues where ${pending === 1 ? "it" : "they"} left off.`,
    );
  }
}

/**
 * A delivery sent signed must be continued signed: the key is not stored, so it must be given
 * again. Unsigned attempts would only fail at a verifying receiver and go dead.
 */
export function requireSigningKey(
  signed: number,
  key: Buffer | undefined,
  command: "resume" | "replay",
): void {
  if (signed > 0 && !key) {
    throw new UsageError(
      `${signed === 1 ? "the event was" : `${signed} events were`} sent signed, and the key is not stored: ${command} needs --sign-secret`,
      {
        hint: `norce-event ${command} … --sign-secret whsec_… (the same key as before), or signSecret in the config`,
      },
    );
  }
}

/**
 * The signing key: `--sign-secret`, else the config's `signSecret` (a `${VAR}` reference,
 * resolved now). Undefined when neither is given.
 */
export function signingKeyFrom(
  given: string | undefined,
  config: LoadedConfig | undefined,
): Buffer | undefined {
  if (given !== undefined) return parseSigningSecret(given);
  const template = config?.data.signSecret;
  if (!template) return undefined;
  const value = resolveTemplate(template, { file: config.shown, field: "signSecret" });
  return parseSigningSecret(value, `${config.shown}: signSecret`);
}

/** The first 8 characters of a message id: enough to tell events apart, and `show` takes it. */
export function shortId(messageId: string): string {
  return messageId.slice(0, 8);
}

/**
 * Why a schedule is shorter than Norce's, in the words the user typed; undefined when it is not.
 */
export function retriesCutBy(options: {
  retry?: boolean;
  maxRetries?: number | undefined;
}): string | undefined {
  if (options.retry === false) return "--no-retry";
  if (options.maxRetries !== undefined) return "--max-retries";
  return undefined;
}

/** `--no-retry` and `--max-retries n` together contradict each other: say so instead of picking one. */
export function checkRetryOptions(options: { retry?: boolean; maxRetries?: number }): void {
  if (options.retry === false && options.maxRetries !== undefined) {
    throw new UsageError(
      `--no-retry and --max-retries ${options.maxRetries} contradict each other`,
      {
        hint: "keep one: --no-retry sends once, --max-retries n allows n retries",
      },
    );
  }
}

/**
 * Header values as they will be sent (after `${VAR}` expansion) must be one line: a line break
 * would split the request. A usage error, before anything is sent.
 */
export function checkHeaderValues(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n\0]/.test(value)) {
      throw new UsageError(
        `header ${name} has a line break or NUL in its value (after \${…} was expanded)`,
        { hint: "check the environment variable it refers to: a header value is one line" },
      );
    }
  }
}

/**
 * `--message-id`: refused when it cannot be a header value (control characters; never echoed),
 * and a warning when it is not a UUID as Norce's are. Returns the warning, if any.
 */
export function checkMessageId(id: string): string | undefined {
  // The characters a terminal acts on (C0, DEL, C1, line separators, bidi overrides): a header
  // cannot carry them and the id is printed on every line.
  if (id.trim() === "" || hasControl(id)) {
    throw new UsageError(
      "--message-id is empty or holds a control character (a line break, say); it must be one line",
      {
        hint: "leave it out for a new UUID, or give a UUID such as 7f1c2a8e-0b6d-4e8f-9a51-3c2d1e0f4b6a",
      },
    );
  }
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  return uuid.test(id)
    ? undefined
    : `--message-id ${JSON.stringify(id)} is not a UUID; Norce's message ids are UUIDs, so a receiver may refuse it`;
}

export async function loadStyle(globals: GlobalOptions, json: boolean): Promise<Style> {
  if (json || !globals.color || !process.stdout.isTTY) return plainStyle;
  return await import("./style.js");
}

/**
 * The secret values of a delivery, masked wherever they appear in output and the store: the
 * static headers' values (Norce's Admin UI headers are there for credentials), what `${VAR}`
 * references resolved to, the signing secret, and the URL's credentials.
 */
export function secretValues(
  headers: Record<string, string>,
  extra: { signSecret?: string | undefined; url?: string | undefined } = {},
): string[] {
  return knownSecrets({
    headers,
    allHeaderValues: true,
    resolved: environmentSecrets(),
    signSecret: extra.signSecret,
    urls: [extra.url],
  });
}

export async function deliverShown(
  event: NorceEvent,
  options: Omit<DeliverOptions, "hooks"> & {
    storedHeaders: StoredHeader[];
    seed?: number;
    /** A stored delivery this continues. */
    resumeRecord?: DeliveryRecord;
    /** The option that cut the retries short (`--no-retry`), for the final line of a dead event. */
    cutBy?: string;
  },
  output: Output,
  store: EventStore | undefined,
): Promise<Delivery> {
  const policy = createPolicy(options.policy);
  const recording = store
    ? recordDelivery(
        store,
        recordingRun(options.to, options.storedHeaders, policy, {
          secrets: output.secrets,
          signed: Boolean(options.signingKey),
        }),
        event,
        {
          watched: true,
          ...(options.resumeRecord
            ? {
                resume: {
                  id: options.resumeRecord.id,
                  attempts: options.resumeRecord.attemptList,
                  createdAt: options.resumeRecord.createdAt,
                  // Where it stands, on this run's scale: what a crash before the wait leaves.
                  ...(options.resume
                    ? {
                        next: {
                          attempt: options.resume.attemptsMade + 1,
                          dueAt: options.resume.dueAt,
                        },
                      }
                    : {}),
                },
              }
            : {}),
        },
      )
    : undefined;
  // In the store before the first attempt leaves: a crash mid-attempt leaves it for resume.
  await recording?.ready;
  const started = performance.now();
  const prefix = output.many ? `${output.style.dim(shortId(event.messageId))} ` : "";
  if (!output.json && !output.many) {
    print(
      formatHeadLine(
        event,
        options.to,
        {
          ...(options.seed === undefined ? {} : { seed: options.seed }),
          timeScale: policy.timeScale,
        },
        output.style,
      ),
    );
  }
  const { cutBy, storedHeaders, resumeRecord, seed, ...deliver } = options;
  const delivery = await deliverEvent(event, {
    ...deliver,
    policy,
    // Record first, then show: what the output shows is already stored.
    hooks: combineHooks(recording?.hooks, {
      onAttempt: (attempt) => {
        if (output.json) print(JSON.stringify(attemptJson(event, attempt, output.secrets)));
        else if (output.many !== "quiet")
          print(`${prefix}${formatAttemptLine(attempt, output.style, output.secrets)}`);
      },
    }),
  });
  recording?.finish(delivery);
  const realMs = performance.now() - started;
  if (output.json) {
    print(
      JSON.stringify(
        deliveryJson(delivery, realMs, {
          ...(seed === undefined ? {} : { seed }),
          timeScale: policy.timeScale,
          // Resumed and stopped again before an attempt: the last answer is the stored one.
          ...(delivery.attempts.length === 0 && resumeRecord
            ? { lastStatus: resumeRecord.lastStatus }
            : {}),
        }),
      ),
    );
  } else if (output.many !== "quiet" || delivery.outcome === "dead") {
    const cut = cutBy ? { maxRetries: policy.maxRetries, by: cutBy } : undefined;
    print(`${prefix}${formatOutcome(delivery, output.style, realMs, cut)}`);
  }
  return delivery;
}
