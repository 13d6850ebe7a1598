import { parseHeaders } from "../../delivery/headers.js";
import { createPolicy } from "../../delivery/policy.js";
import { findEventType } from "../../events/catalog.js";
import { UsageError } from "../../shared/errors.js";
import { parseTargetUrl } from "../../shared/url.js";
import { settingsFor } from "../../store/config.js";
import { receivedStaticHeaders, storedEvent } from "../../store/restore.js";
import {
  resolveTemplate,
  restoreHeaders,
  restoreUrl,
  type StoredHeader,
  toStoredHeaders,
} from "../../store/templates.js";
import {
  checkHeaderValues,
  checkRetryOptions,
  deliverShown,
  endCaretLine,
  loadStyle,
  requireSigningKey,
  retriesCutBy,
  sayResume,
  secretValues,
  signingKeyFrom,
} from "../deliveries.js";
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { findStoredEvent, loadProject, storeToRead } from "../project.js";
import { interruptSignal } from "../signals.js";

export interface ReplayOptions {
  to?: string;
  newId?: boolean;
  header?: string[];
  timeout: number;
  maxRetries?: number;
  retry: boolean;
  timeScale?: number;
  signSecret?: string;
  json?: boolean;
  keepAuthOnRedirect?: boolean;
}

export async function runReplay(
  messageId: string,
  options: ReplayOptions,
  globals: GlobalOptions,
): Promise<number> {
  checkRetryOptions(options);
  const project = loadProject(globals);
  try {
    const store = await storeToRead(project, "replay");
    const found = findStoredEvent(store, messageId);
    const sent = found.deliveries.at(-1);
    const received = found.received.at(-1);
    const record = sent ?? received!;
    const info = record.type ? findEventType(record.type) : undefined;
    if (!info) {
      throw new UsageError(
        `${found.messageId} has no known event type (${record.type ?? "none"}), so it cannot be replayed as a Norce event`,
      );
    }
    const event = storedEvent(
      sent ? sent : { ...received!, timestamp: received!.headers["norce-event-timestamp"] ?? null },
      { newId: options.newId ?? false, path: store.path },
    );
    const settings = settingsFor(project.config, info.name);
    // A stored URL had its credentials masked: --to, or the config's (templates resolved).
    const url = parseTargetUrl(
      restoreUrl(
        sent?.url,
        {
          to: options.to,
          config: () =>
            settings.url
              ? resolveTemplate(settings.url, {
                  file: project.config?.shown ?? "",
                  field: `the url of ${info.name}`,
                  kind: "url",
                })
              : undefined,
        },
        found.messageId,
      ) ?? "",
      options.to ? "--to" : "the stored url",
    );
    const given = parseHeaders(options.header);
    // A received event's headers are sent literally (never `${VAR}`-expanded): they came from
    // the network, not from the user.
    const stored: StoredHeader[] = sent ? sent.headers : receivedStaticHeaders(received!);
    const headers = restoreHeaders(stored, given, `${found.messageId}`);
    checkHeaderValues(headers);
    // Sent signed (the policy says so), or received with a signature: replay it signed too.
    const signed = sent
      ? sent.policy.signed === true
      : Object.keys(received!.headers).some((name) => name.toLowerCase() === "webhook-signature");
    const signingKey = signingKeyFrom(options.signSecret, project.config);
    requireSigningKey(signed ? 1 : 0, signingKey, "replay");
    const policy = createPolicy({
      timeoutMs: options.timeout,
      timeScale: options.timeScale ?? project.config?.data.timeScale ?? 1,
      maxRetries: options.retry === false ? 0 : (options.maxRetries ?? 16),
      keepAuthOnRedirect: options.keepAuthOnRedirect ?? false,
    });
    const signal = interruptSignal(endCaretLine);
    try {
      const delivery = await deliverShown(
        event,
        {
          to: url,
          headers,
          storedHeaders: [
            ...stored.filter(
              (h) => !Object.keys(given).some((g) => g.toLowerCase() === h.name.toLowerCase()),
            ),
            ...toStoredHeaders(given),
          ],
          policy,
          signal: signal.signal,
          ...(signingKey ? { signingKey } : {}),
          ...(retriesCutBy(options) ? { cutBy: retriesCutBy(options)! } : {}),
        },
        {
          json: options.json ?? false,
          style: await loadStyle(globals, options.json ?? false),
          secrets: secretValues(headers, { url }),
        },
        store,
      );
      if (delivery.outcome === "interrupted") await sayResume(store);
      return delivery.outcome === "delivered"
        ? EXIT_OK
        : delivery.outcome === "dead"
          ? EXIT_FAILED
          : EXIT_INTERRUPTED;
    } finally {
      signal.dispose();
    }
  } finally {
    await project.close();
  }
}
