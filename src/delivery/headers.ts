/**
 * The headers of a Norce delivery (norce-commerce-event-docs.md, "Standard headers"): every
 * request carries `Norce-Event-Message-Id`, `Norce-Event-Type` and `Norce-Event-Timestamp`, and
 * "the system headers will take precedence over any headers defined in the Admin UI", where a
 * customer may add static headers such as an authorization token.
 */
import type { NorceEvent } from "../events/event.js";
import { UsageError } from "../shared/errors.js";

export const HEADER_MESSAGE_ID = "Norce-Event-Message-Id";
export const HEADER_TYPE = "Norce-Event-Type";
export const HEADER_TIMESTAMP = "Norce-Event-Timestamp";
export const CONTENT_TYPE = "application/json; charset=utf-8";

/** Names a user header may not take: Norce's three, and what HTTP itself owns. */
const SYSTEM_NAMES = new Set(
  [
    HEADER_MESSAGE_ID,
    HEADER_TYPE,
    HEADER_TIMESTAMP,
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
  ].map((n) => n.toLowerCase()),
);

/** The Standard Webhooks headers `--sign-secret` adds; they are system headers then. */
export const SIGNING_NAMES = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;

/** Parse `-H "Name: value"`. */
export function parseHeader(arg: string): [string, string] {
  const colon = arg.indexOf(":");
  const name = colon > 0 ? arg.slice(0, colon).trim() : "";
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`header "${arg}" is not "Name: value"`, {
      hint: 'write it like -H "Authorization: Bearer abc123"',
    });
  }
  const value = arg.slice(colon + 1).trim();
  if (/[\r\n\0]/.test(value)) {
    throw new UsageError(`header ${name} has a line break or NUL in its value`);
  }
  return [name, value];
}

/** Parse several `-H` values into an object (a later value for the same name wins). */
export function parseHeaders(args: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const [name, value] = parseHeader(arg);
    for (const existing of Object.keys(out)) {
      if (existing.toLowerCase() === name.toLowerCase()) delete out[existing];
    }
    out[name] = value;
  }
  return out;
}

export interface RequestHeaders {
  headers: Record<string, string>;
  /** User headers dropped because a system header has their name. */
  dropped: string[];
}

const SYSTEM_NAMES_WHEN_SIGNING = new Set([...SYSTEM_NAMES, ...SIGNING_NAMES]);

/**
 * The static part of every request: the user's (Admin UI) headers without those a system header
 * takes precedence over, and the content type. Worked out once per run.
 */
export function staticHeaders(
  userHeaders: Readonly<Record<string, string>> = {},
  signing = false,
): RequestHeaders {
  const headers: Record<string, string> = {};
  const dropped: string[] = [];
  const protectedNames = signing ? SYSTEM_NAMES_WHEN_SIGNING : SYSTEM_NAMES;
  for (const name in userHeaders) {
    if (protectedNames.has(name.toLowerCase())) dropped.push(name);
    else headers[name] = userHeaders[name]!;
  }
  headers["content-type"] = CONTENT_TYPE;
  return { headers, dropped };
}

/**
 * The headers of one event's requests as a flat name/value list (what undici takes fastest): the
 * static ones, then the three standard ones (system headers win: static ones with their names
 * were dropped by `staticHeaders`).
 */
export function standardHeaderList(base: readonly string[], event: NorceEvent): string[] {
  const list = base.slice();
  list.push(
    HEADER_MESSAGE_ID,
    event.messageId,
    HEADER_TYPE,
    event.type,
    HEADER_TIMESTAMP,
    event.timestamp,
  );
  return list;
}

/** `{ name: value }` as a flat `[name, value, …]` list. */
export function toHeaderList(headers: Readonly<Record<string, string>>): string[] {
  const list: string[] = [];
  for (const name in headers) list.push(name, headers[name]!);
  return list;
}

/** User (Admin UI) headers first, then the system ones over them. */
export function buildHeaders(
  event: NorceEvent,
  userHeaders: Readonly<Record<string, string>> = {},
  options: { signing?: boolean } = {},
): RequestHeaders {
  const { headers, dropped } = staticHeaders(userHeaders, options.signing ?? false);
  return {
    headers: {
      ...headers,
      [HEADER_MESSAGE_ID]: event.messageId,
      [HEADER_TYPE]: event.type,
      [HEADER_TIMESTAMP]: event.timestamp,
    },
    dropped,
  };
}
