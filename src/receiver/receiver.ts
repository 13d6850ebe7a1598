/**
 * The receiving side of Norce Commerce Event: `receive({ method, headers, body })` →
 * `{ status, headers, body }` on plain values, so every framework is a thin adapter over it.
 * It answers as Norce's contract needs (norce-commerce-event-docs.md: any non-2xx is retried
 * for about 22 hours with the same message id, a 5 s timeout, three standard headers), checking
 * in this order: method, size, headers, auth, JSON, schema, dedupe, handlers.
 *
 * Nothing here loads the CLI or its dependencies; the schema validator (ajv and the catalog's
 * fixture files) is imported on the first event that needs it.
 */
import {
  EVENT_TYPE_NAMES,
  type EventPayload,
  type EventTypeName,
} from "../events/payloads.generated.js";
import { NorceEventError, UnknownEventTypeError, UsageError } from "../shared/errors.js";
import { type ClaimOptions, type ClaimState, type DedupeStore, memoryDedupe } from "./dedupe.js";

// Norce's standard headers (the same names as src/delivery/headers.ts, which is not imported:
// every module costs start-up time, and this entry point is loaded by servers).
const HEADER_MESSAGE_ID = "Norce-Event-Message-Id";
const HEADER_TYPE = "Norce-Event-Type";
const HEADER_TIMESTAMP = "Norce-Event-Timestamp";

/** Headers as any framework has them: a Fetch `Headers` (or anything with `get`) or a record. */
export type HeadersLike =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Reads one header, ignoring case (the first value when repeated). */
export type HeaderReader = (name: string) => string | undefined;

export interface ReceiveRequest {
  /** The HTTP method; when left out, POST is assumed. */
  method?: string | undefined;
  headers: HeadersLike;
  /**
   * The raw body (string or bytes), or a body a framework already parsed as JSON (any other
   * value). Raw is better: its size is checked and nothing was lost in parsing.
   */
  body: unknown;
}

export interface ReceiveResult {
  status: number;
  headers: Record<string, string>;
  /** JSON text: `{ ok, code, message }`, plus `problems` for a 400. */
  body: string;
}

interface EventMeta {
  /** `Norce-Event-Message-Id`: the same on every retry of one event. */
  messageId: string;
  /** `Norce-Event-Timestamp`: when the event happened (kept as sent, ISO-8601 with a zone). */
  timestamp: string;
  /**
   * Which delivery of this message id this is (1 for the first), as far as the dedupe store
   * has seen it. Norce sends no attempt header; left out when the store does not count.
   */
  attempt?: number;
  /** Aborted when the handler times out (answer given) so long work can stop. */
  signal: AbortSignal;
  /** Any request header, ignoring case. */
  header: HeaderReader;
}

/** An event as a handler gets it, typed by its name; a union of names gives a union of events. */
export type ReceiverEvent<T extends EventTypeName = EventTypeName> = T extends EventTypeName
  ? { type: T; payload: EventPayload<T> } & EventMeta
  : never;

/** An event of a type this version does not know (Norce added one): passed to `onUnknown`. */
export interface UnknownEvent extends EventMeta {
  type: string;
  payload: unknown;
}

export type Handler<T extends EventTypeName> = (event: ReceiverEvent<T>) => unknown;

export interface Warning {
  code: string;
  message: string;
  event?: ErrorEvent;
  problems?: readonly Problem[];
}

export interface Problem {
  path: string;
  message: string;
}

export type AuthOption =
  | false
  | {
      /** @default "Authorization" */
      header?: string;
      /** The exact value Norce's Admin UI sends; several during a rotation. */
      value: string | readonly string[] | undefined;
    }
  | ((header: HeaderReader) => boolean | Promise<boolean>);

export interface ReceiverOptions {
  /**
   * The static header you set in Norce's Admin UI, compared in constant time; or a function of
   * the headers; or `false` to accept anyone (only behind your own gateway).
   */
  auth: AuthOption;
  /** Where handled message ids are kept. `false` turns dedupe off. @default memoryDedupe() */
  dedupe?: DedupeStore | false;
  /** How long a handled id is remembered. Norce retries for about 22 h. @default 24 h */
  dedupeWindowMs?: number;
  /**
   * `"schema"`: headers and payload checked, a bad one is a 400 with the JSON paths.
   * `"warn"`: checked, problems go to `onWarning` and the event is accepted.
   * `false`: headers checked, payload not. @default "schema"
   */
  validate?: "schema" | "warn" | false;
  /**
   * `"inline"`: handlers run before the answer (202 after they succeed, 500 if they fail).
   * `"background"`: 202 once accepted and recorded in the dedupe store; handlers run after.
   * @default "inline"
   */
  queue?: "inline" | "background";
  /** Inline handlers slower than this get a 500 (Norce gives up at 5 s). @default 4000 */
  timeoutMs?: number;
  /** Larger bodies get a 413. @default 1 MiB */
  maxBodyBytes?: number;
  /** Handler failures: the error, its event and what was answered. Errors it throws are ignored. */
  onError?: (error: ReceiverError) => void;
  /** Accepted-but-odd requests (validate: "warn", partial schemas). @default console.warn */
  onWarning?: (warning: Warning) => void;
  /** Events of a type this version does not know; answered 202 (a tolerant reader). */
  onUnknown?: (event: UnknownEvent) => unknown;
  /** Put handler error messages in 500 bodies (they are hidden by default). @default false */
  exposeErrors?: boolean;
}

export const DEFAULT_DEDUPE_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_TIMEOUT_MS = 4000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** How long a shared store keeps a claim busy if a process dies mid-handler. */
const LEASE_MS = 5 * 60_000;

const KNOWN = new Map<string, EventTypeName>(EVENT_TYPE_NAMES.map((n) => [n.toLowerCase(), n]));
// A message id is a dedupe key: printable, no spaces, bounded. Norce sends UUIDs.
const MESSAGE_ID = /^[\x21-\x7e]{1,200}$/;
const TYPE_NAME = /^[A-Za-z][\w.-]{0,199}$/;
// ISO-8601 with a zone. Norce's header table writes '2025-11-16T07:32.28.326837+01:00' (a dot
// before the seconds) while its example body uses a colon: both are read.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[:.]\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

type Validator = typeof import("../events/validator.js");
type Catalog = typeof import("../events/catalog.js");
let validatorModules: Promise<[Validator, Catalog]> | undefined;
/** ajv and the fixture schemas, loaded on first use (ajv then compiles each type on first use). */
function loadValidator(): Promise<[Validator, Catalog]> {
  validatorModules ??= Promise.all([
    import("../events/validator.js"),
    import("../events/catalog.js"),
  ]);
  return validatorModules;
}

export function createReceiverCore(options: ReceiverOptions) {
  const auth = checkAuthOption(options.auth);
  const validate = options.validate ?? "schema";
  const queue = options.queue ?? "inline";
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const claimOptions: ClaimOptions = {
    windowMs: options.dedupeWindowMs ?? DEFAULT_DEDUPE_WINDOW_MS,
    leaseMs: LEASE_MS,
  };
  const dedupe = options.dedupe === false ? undefined : (options.dedupe ?? memoryDedupe());
  const handlers = new Map<EventTypeName | "*", Set<(event: never) => unknown>>();
  const pending = new Set<Promise<unknown>>();

  const report = (error: ReceiverError) => {
    try {
      options.onError?.(error);
    } catch {
      // An onError that throws must not turn a handled failure into a crashed server.
    }
  };
  const warn = (warning: Warning) => {
    try {
      if (options.onWarning) options.onWarning(warning);
      else console.warn(`norce-event/receiver: ${warning.message}`);
    } catch {
      // As for onError.
    }
  };
  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise);
    void promise.finally(() => pending.delete(promise)).catch(() => {});
    return promise;
  };

  function on(type: string | readonly string[], handler: (event: never) => unknown): () => void {
    if (typeof handler !== "function") {
      throw new UsageError("on(type, handler): the handler must be a function");
    }
    const names = (typeof type === "string" ? [type] : [...type]).map((name) => {
      if (name === "*") return "*" as const;
      const known = KNOWN.get(String(name).toLowerCase());
      if (known !== name) {
        throw new UnknownEventTypeError(String(name), known ?? suggest(String(name)));
      }
      return known;
    });
    for (const name of names) {
      const set = handlers.get(name) ?? new Set();
      handlers.set(name, set);
      set.add(handler);
    }
    return () => {
      for (const name of names) handlers.get(name)?.delete(handler);
    };
  }

  async function receive(request: ReceiveRequest): Promise<ReceiveResult> {
    const method = (request.method ?? "POST").toUpperCase();
    if (method !== "POST") {
      return answer(405, "method_not_allowed", `${method} is not allowed; Norce POSTs events`, {
        allow: "POST",
      });
    }

    let text: string | undefined;
    let parsed: unknown;
    const body = request.body;
    if (typeof body === "string" || body instanceof Uint8Array || body instanceof ArrayBuffer) {
      const size = typeof body === "string" ? utf8Length(body) : body.byteLength;
      if (size > maxBodyBytes) return tooLarge(maxBodyBytes);
      text = typeof body === "string" ? body : new TextDecoder().decode(body);
    } else if (body === undefined || body === null) {
      text = "";
    } else {
      parsed = body;
    }

    const header = headerReader(request.headers);
    const messageId = header(HEADER_MESSAGE_ID);
    const typeHeader = header(HEADER_TYPE);
    const timestamp = header(HEADER_TIMESTAMP);
    const headerProblems: Problem[] = [];
    if (messageId === undefined) headerProblems.push(missing(HEADER_MESSAGE_ID));
    else if (!MESSAGE_ID.test(messageId)) {
      headerProblems.push({ path: `header ${HEADER_MESSAGE_ID}`, message: "is not a message id" });
    }
    if (typeHeader === undefined) headerProblems.push(missing(HEADER_TYPE));
    else if (!TYPE_NAME.test(typeHeader)) {
      headerProblems.push({ path: `header ${HEADER_TYPE}`, message: "is not an event type name" });
    }
    if (timestamp === undefined) headerProblems.push(missing(HEADER_TIMESTAMP));
    else if (!TIMESTAMP.test(timestamp)) {
      headerProblems.push({
        path: `header ${HEADER_TIMESTAMP}`,
        message: "is not an ISO-8601 time with a zone, like 2025-11-16T07:32:28.326837+01:00",
      });
    }
    const validId = messageId !== undefined && MESSAGE_ID.test(messageId);
    const type = typeHeader && TYPE_NAME.test(typeHeader) ? typeHeader : "(unknown)";
    const ref: ErrorEvent = { type, messageId: validId ? messageId : "(none)" };
    if (headerProblems.length > 0) {
      if (validate !== "warn") {
        return answer(400, "bad_headers", describeProblems(headerProblems), {}, headerProblems);
      }
      warn({
        code: "bad_headers",
        message: `accepted despite ${describeProblems(headerProblems)}`,
        event: ref,
        problems: headerProblems,
      });
    }

    if (!(await authorized(auth, header))) {
      const name = auth && typeof auth === "object" ? auth.header : "credentials";
      return answer(401, "unauthorized", `missing or wrong ${name}`);
    }

    if (text !== undefined) {
      try {
        parsed = JSON.parse(text);
      } catch {
        return answer(
          400,
          "invalid_json",
          text.trim() === ""
            ? "the body is empty; Norce sends a JSON object"
            : "the body is not valid JSON",
        );
      }
    }

    const known = typeHeader === undefined ? undefined : KNOWN.get(typeHeader.toLowerCase());
    try {
      if (known && validate !== false) {
        const [validator, catalog] = await loadValidator();
        const info = catalog.getEventType(known);
        const { problems } = validator.validatePayload(info, parsed);
        if (problems.length > 0) {
          // Where our schema is inferred (a partial type), Norce's payload is the truth.
          if (validate === "schema" && info.completeness === "complete") {
            return answer(400, "invalid_payload", describeProblems(problems), {}, problems);
          }
          warn({
            code: "invalid_payload",
            message: `accepted ${known} despite ${describeProblems(problems)}${info.completeness === "partial" ? " (its schema is only partly known)" : ""}`,
            event: ref,
            problems,
          });
        }
      }

      const event = {
        type: known ?? type,
        messageId: validId ? messageId : "",
        timestamp: timestamp ?? "",
        payload: parsed,
        header,
      };
      const run = known ? handlersFor(known) : options.onUnknown ? [options.onUnknown] : [];

      let claimed: ClaimState = "new";
      let attempt: number | undefined;
      if (dedupe && validId) {
        const claim = await dedupe.claim(messageId, claimOptions);
        claimed = typeof claim === "string" ? claim : claim.state;
        attempt = typeof claim === "string" ? undefined : claim.attempt;
      }
      if (claimed === "done") {
        return answer(202, "duplicate", `${messageId} was handled already; not handled again`);
      }
      if (claimed === "busy") {
        return answer(
          409,
          "in_flight",
          `${messageId} is being handled by an earlier delivery; Norce will retry it`,
        );
      }
      const finish = async (ok: boolean) => {
        if (!dedupe || !validId) return;
        if (ok) await dedupe.complete(messageId, claimOptions);
        else await dedupe.release(messageId);
      };

      const accepted = known ? "accepted" : "unknown_type";
      const acceptedMessage = known
        ? `${known} ${messageId} accepted`
        : `${type} is not a type this receiver knows; accepted`;

      if (queue === "background") {
        await finish(true);
        track(
          (async () => {
            // After the answer has gone out (a macrotask later), never before it.
            await new Promise((resolve) => setTimeout(resolve, 0));
            const outcome = await runHandlers(run, event, attempt, Number.POSITIVE_INFINITY);
            if (outcome.ok || outcome.timedOut) return;
            // Acknowledged already, so Norce will not retry: let a replay of it be handled.
            await Promise.resolve(finish(false)).catch(() => {});
            report(
              new HandlerError(outcome.errors, ref, true, {
                timestamp: event.timestamp,
                payload: event.payload,
              }),
            );
          })(),
        );
        return answer(202, accepted, `${acceptedMessage}; queued`);
      }

      const outcome = await runHandlers(run, event, attempt, timeoutMs);
      if (outcome.ok) {
        await finish(true);
        return answer(202, accepted, acceptedMessage);
      }
      if (outcome.timedOut === true) {
        report(new HandlerTimeoutError(timeoutMs, ref));
        // The claim stays busy until the handler settles, so a retry meanwhile gets 409 and a
        // retry after it sees the final word (done → 202, failed → handled again).
        track(
          outcome.settled.then(async (late) => {
            await Promise.resolve(finish(late.ok)).catch(() => {});
            if (!late.ok) report(new HandlerError(late.errors, ref));
          }),
        );
        return answer(500, "handler_timeout", `the handler did not finish within ${timeoutMs} ms`);
      }
      await finish(false);
      const error = new HandlerError(outcome.errors, ref);
      report(error);
      return answer(
        500,
        "handler_failed",
        options.exposeErrors ? error.message : "the handler failed; see the server's log",
      );
    } catch (error) {
      // The receiver itself (a dedupe store, loading the validator) failed: Norce should retry.
      report(
        new ReceiverError(`receiving ${ref.type} ${ref.messageId} failed: ${messageOf(error)}`, {
          code: "NORCE_EVENT_RECEIVER_FAILED",
          status: 500,
          event: ref,
          cause: error,
        }),
      );
      return answer(500, "receiver_failed", "the receiver failed; see the server's log");
    }
  }

  function handlersFor(type: EventTypeName): ((event: never) => unknown)[] {
    return [...(handlers.get(type) ?? []), ...(handlers.get("*") ?? [])];
  }

  type Outcome =
    | { ok: true }
    | { ok: false; timedOut: false; errors: unknown[] }
    | {
        ok: false;
        timedOut: true;
        settled: Promise<{ ok: true } | { ok: false; errors: unknown[] }>;
      };

  async function runHandlers(
    run: readonly ((event: never) => unknown)[],
    base: Omit<UnknownEvent, "signal" | "attempt">,
    attempt: number | undefined,
    limitMs: number,
  ): Promise<Outcome> {
    const controller = new AbortController();
    const event = {
      ...base,
      ...(attempt === undefined ? {} : { attempt }),
      signal: controller.signal,
    };
    // Handlers run one after another, specific ones first, then "*"; all run even if one fails.
    const settled = (async (): Promise<{ ok: true } | { ok: false; errors: unknown[] }> => {
      const errors: unknown[] = [];
      for (const handler of run) {
        try {
          await handler(event as never);
        } catch (error) {
          errors.push(error);
        }
      }
      return errors.length === 0 ? { ok: true } : { ok: false, errors };
    })();
    if (!Number.isFinite(limitMs)) {
      const result = await settled;
      return result.ok ? result : { ...result, timedOut: false };
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), limitMs);
    });
    const first = await Promise.race([settled, timeout]);
    clearTimeout(timer);
    if (first === "timeout") {
      controller.abort(new Error(`timed out after ${limitMs} ms`));
      return { ok: false, timedOut: true, settled };
    }
    return first.ok ? first : { ...first, timedOut: false };
  }

  /** Resolves when every background handler (and late timed-out handler) has finished. */
  async function drain(): Promise<void> {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  }

  return { on, receive, drain, maxBodyBytes, report };
}

function answer(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  problems?: readonly Problem[],
): ReceiveResult {
  const ok = status >= 200 && status < 300;
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(problems ? { ok, code, message, problems } : { ok, code, message }),
  };
}

/** The 413 answer, for adapters that stop reading a body early. */
export function tooLarge(maxBodyBytes: number): ReceiveResult {
  return answer(413, "body_too_large", `the body is larger than ${maxBodyBytes} bytes`, {
    connection: "close",
  });
}

/** A 500 for a request an adapter could not read (e.g. a body another middleware consumed). */
export function unreadable(message: string): ReceiveResult {
  return answer(500, "body_unreadable", message);
}

/**
 * A name that differs only in case, or shares a long prefix (enough for "OrderConfirmd"). The
 * full edit-distance suggestion lives in src/shared/text.ts; it is not imported here to keep the
 * entry point's start-up small, and TypeScript users get a type error before this runs.
 */
function suggest(name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestLength = 5;
  for (const candidate of EVENT_TYPE_NAMES) {
    const other = candidate.toLowerCase();
    let same = 0;
    while (same < lower.length && lower[same] === other[same]) same++;
    if (same > bestLength) {
      best = candidate;
      bestLength = same;
    }
  }
  return best;
}

function missing(name: string): Problem {
  return { path: `header ${name}`, message: "is missing" };
}

function describeProblems(problems: readonly Problem[]): string {
  const [first] = problems;
  if (!first) return "";
  const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : "";
  return `${first.path} ${first.message}${more}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Headers from a Fetch `Headers`, a Node/Express record (lower-case keys), or any record. */
export function headerReader(headers: HeadersLike): HeaderReader {
  if (typeof (headers as { get?: unknown }).get === "function") {
    const get = headers as { get(name: string): string | null | undefined };
    return (name) => get.get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  let lowered: Map<string, string | readonly string[] | undefined> | undefined;
  return (name) => {
    const key = name.toLowerCase();
    let value = record[key];
    if (value === undefined) {
      lowered ??= new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
      value = lowered.get(key);
    }
    return typeof value === "string" ? value : value?.[0];
  };
}

type CheckedAuth =
  | false
  | { header: string; values: Uint8Array[] }
  | ((header: HeaderReader) => boolean | Promise<boolean>);

function checkAuthOption(auth: AuthOption | undefined): CheckedAuth {
  if (auth === false || typeof auth === "function") return auth;
  if (auth === undefined || auth === null || typeof auth !== "object") {
    throw new UsageError(
      "createReceiver: auth is required: { header, value } with the static header you set in Norce's Admin UI, a function, or false",
      {
        hint: 'e.g. auth: { header: "Authorization", value: `Bearer ${process.env.NORCE_TOKEN}` }',
      },
    );
  }
  const values = (typeof auth.value === "string" ? [auth.value] : [...(auth.value ?? [])]).filter(
    (v) => typeof v === "string",
  );
  const header = auth.header ?? "Authorization";
  if (
    values.length === 0 ||
    values.some((v) => v.trim() === "" || /^Bearer\s*(undefined)?$/i.test(v.trim()))
  ) {
    throw new UsageError(
      `createReceiver: auth.value for ${header} is empty or "Bearer undefined" — is the environment variable set?`,
      {
        hint: "set it (e.g. NORCE_TOKEN) before starting the server, or pass auth: false to accept anyone",
      },
    );
  }
  if (values.some((v) => v !== v.trim())) {
    throw new UsageError(
      `createReceiver: auth.value for ${header} starts or ends with whitespace, which HTTP strips from header values, so no request could match it`,
      { hint: "trim it (a trailing newline from a secrets file is the usual cause)" },
    );
  }
  const encoder = new TextEncoder();
  return { header, values: values.map((v) => encoder.encode(v)) };
}

async function authorized(auth: CheckedAuth, header: HeaderReader): Promise<boolean> {
  if (auth === false) return true;
  if (typeof auth === "function") return (await auth(header)) === true;
  const given = header(auth.header);
  if (given === undefined) return false;
  const bytes = new TextEncoder().encode(given);
  let ok = false;
  // Every allowed value is compared (no early exit), each in constant time.
  for (const value of auth.values) ok = timingSafeEqual(bytes, value) || ok;
  return ok;
}

/** Constant time for equal lengths (a length mismatch is not hidden; tokens have fixed lengths). */
function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** UTF-8 length of a string without encoding it (and without Node's Buffer). */
function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      length += 4;
      i++;
    } else length += 3;
  }
  return length;
}

// ---- Errors passed to onError: typed, with the HTTP status that was answered. ----

/** Which event an error is about (never the payload or a credential). */
export interface ErrorEvent {
  type: string;
  messageId: string;
}

export class ReceiverError extends NorceEventError {
  /** The status the receiver answered (or, in the background queue, had answered: 202). */
  readonly status: number;
  readonly event: ErrorEvent | undefined;

  constructor(
    message: string,
    options: { code: string; status: number; event?: ErrorEvent; hint?: string; cause?: unknown },
  ) {
    super(message, options);
    this.status = options.status;
    this.event = options.event;
  }
}

/** One or more handlers threw (or rejected). `errors` holds what each threw, in the order run. */
export class HandlerError extends ReceiverError {
  readonly errors: readonly unknown[];
  /** True when the handler ran in the background queue, after the 202 was sent. */
  readonly background: boolean;
  /**
   * In the background queue only (Norce will not send it again): the event as received, to keep
   * for a replay. Not enumerable, so a logger that dumps the error does not print the payload.
   */
  declare readonly received: { timestamp: string; payload: unknown } | undefined;

  constructor(
    errors: readonly unknown[],
    event: ErrorEvent,
    background = false,
    received?: { timestamp: string; payload: unknown },
  ) {
    const first = errors[0] instanceof Error ? errors[0].message : String(errors[0]);
    super(
      `handler for ${event.type} ${event.messageId} failed: ${first}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ""}`,
      {
        code: "NORCE_EVENT_HANDLER_FAILED",
        status: background ? 202 : 500,
        event,
        cause: errors[0],
        hint: background
          ? "the event was acknowledged before the handler ran, so Norce will not retry it; keep it to replay"
          : "answered 500, so Norce retries it (5 s, 10 s, 15 s, … for about 22 hours)",
      },
    );
    this.errors = errors;
    this.background = background;
    Object.defineProperty(this, "received", { value: received, enumerable: false });
  }
}

/** The handlers did not finish within `timeoutMs`; the receiver answered 500 so Norce retries. */
export class HandlerTimeoutError extends ReceiverError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, event: ErrorEvent) {
    super(`handler for ${event.type} ${event.messageId} did not finish within ${timeoutMs} ms`, {
      code: "NORCE_EVENT_HANDLER_TIMEOUT",
      status: 500,
      event,
      hint: `Norce gives up on an answer after 5 s; make the handler faster or use queue: "background"`,
    });
    this.timeoutMs = timeoutMs;
  }
}
