/**
 * The local receiver: a node:http server that takes Norce-style POSTs, checks them, answers as
 * told, and hands each request to sinks (pretty output, NDJSON, the store, a test's `waitFor`).
 * Core code: nothing is printed here. Bad input never takes it down: every request is answered,
 * and nothing is kept per request beyond a bounded memory of message ids.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignature } from "../delivery/signing.js";
import { type Category, findEventType } from "../events/catalog.js";
import { MAX_TIMER_MS } from "../shared/duration.js";
import { UsageError } from "../shared/errors.js";
import { flatRecordJson } from "../shared/json.js";
import { hasSecretHeader, maskHeaders } from "../shared/secrets.js";
import { type CheckedRequest, checkRequest, type Finding, MAX_JSON_DEPTH } from "./checks.js";
import { type RetryInfo, RetryTracker } from "./retries.js";

/** What the listener answers. */
export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to trip a sender's timeout). */
  delayMs?: number;
  /** Why this answer, for the output ("--fail-first 2: attempt 1 fails"). */
  note?: string;
  /** Set when the request was relayed to an app (`--forward-to`). */
  forwarded?: ForwardResult;
}

export interface ForwardResult {
  url: string;
  status?: number;
  latencyMs: number;
  /** e.g. `cannot reach http://localhost:3000/receiver (ECONNREFUSED)` */
  error?: string;
  /** The app did not answer within the forward timeout (answered 504). */
  timedOut?: boolean;
  response: string;
}

/** The request as the responder sees it (checked, not yet answered). */
export interface IncomingEvent extends CheckedRequest {
  method: string;
  path: string;
  /** Lower-case names, repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** As received: flat name/value pairs with their case and order (Node's `rawHeaders`). */
  rawHeaders: readonly string[];
  /** The body bytes as received. */
  rawBody: Buffer;
  bodyText: string;
  /** The sender's address, when known (X-Forwarded-For). */
  remoteAddress: string | undefined;
  /** The scheme the sender used to reach us (X-Forwarded-Proto). */
  protocol: "http" | "https";
  /** A signal aborted when the sender disconnects before the answer (made on first call). */
  senderGone(): AbortSignal;
  attempt: number;
}

/**
 * A request from somewhere other than the listener's socket (e.g. a tunnel relaying a request it
 * received): it goes through the same limits, checks, retry tracking, answer and sinks.
 */
export interface InjectRequest {
  method: string;
  /** The path with its query string, e.g. `/receiver?x=1`. */
  path: string;
  /** Flat name/value pairs with their case and order, as Node's `rawHeaders`. */
  rawHeaders: string[];
  body: Buffer;
  remoteAddress?: string;
  /** The scheme the original sender used. @default "http" */
  protocol?: "http" | "https";
  /** Abort when the original sender disconnects (shown on the event's line). */
  signal?: AbortSignal;
}

/** What the listener answered an injected request. */
export interface InjectedAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface BodyRead {
  body: Buffer;
  /** Bytes read (when too large: read before stopping, or the whole size when known). */
  bytes: number;
  tooLarge: boolean;
  /** `bytes` is the body's whole size. */
  exact?: boolean;
}

/** One request in flight, from a socket or `inject`. */
interface Exchange {
  method: string;
  path: string;
  headers: Record<string, string>;
  rawHeaders: string[];
  remoteAddress: string | undefined;
  protocol: "http" | "https";
  /** Aborted when the sender disconnects before the answer (made on first use). */
  gone(): AbortSignal;
  /** How long after the start the sender disconnected; undefined while it is there. */
  goneAfterMs(): number | undefined;
  readBody(max: number): Promise<BodyRead>;
  answer(final: Answer, close: boolean): void;
}

const EMPTY = Buffer.alloc(0);

export type Responder = (request: IncomingEvent) => Answer | Promise<Answer>;

/** One request the listener received, with what it found and what it answered. */
export interface ReceivedEvent {
  /** 1 for the first request since start. */
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  /** As received (lower-case names). */
  headers: Record<string, string>;
  /** As received: flat name/value pairs with their case and order. */
  rawHeaders: readonly string[];
  /** The same with secret values masked: what is shown and stored unless --show-secrets. */
  maskedHeaders: Record<string, string>;
  /** The event type (canonical name when known). */
  type: string | undefined;
  knownType: boolean;
  category: Category | undefined;
  messageId: string | undefined;
  timestamp: string | undefined;
  /** How old `Norce-Event-Timestamp` was when the request arrived. */
  timestampAgeMs: number | undefined;
  /** 1 the first time a message id is seen, then 2, 3, … (Norce's retries). */
  attempt: number;
  retry: RetryInfo | undefined;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
  /** The body as received (empty when it was refused unread). */
  bodyText: string;
  bodyIsJson: boolean;
  bodyBytes: number;
  problems: Finding[];
  /** The status answered. */
  status: number;
  note: string | undefined;
  forwarded: ForwardResult | undefined;
  /** Set when the sender disconnected before the answer: how long after the request started. */
  senderGoneAfterMs: number | undefined;
  /** From the start of the request to the answer (including a chosen delay). */
  latencyMs: number;
  /** @internal JSON pieces serialised once, shared by the sinks. */
  serialised: { headers?: string; problems?: string };
}

/** The masked headers as JSON, serialised once per request whoever asks (output, store). */
export function maskedHeadersJson(event: ReceivedEvent): string {
  event.serialised.headers ??= flatRecordJson(event.maskedHeaders);
  return event.serialised.headers;
}

/** The problems as JSON, serialised once per request. */
export function problemsJson(event: ReceivedEvent): string {
  if (event.problems.length === 0) return "[]";
  event.serialised.problems ??= JSON.stringify(event.problems);
  return event.serialised.problems;
}

export interface Sink {
  write(event: ReceivedEvent): void | Promise<void>;
}

export interface ListenerOptions {
  /** @default 7412 (the port of Norce's examples); 0 picks any free port */
  port?: number;
  /** Loopback unless told otherwise. @default "127.0.0.1" */
  host?: string;
  /** Accept POSTs only on this path (others get 404). @default any path */
  path?: string;
  /** Larger bodies get 413 without being read. @default 1 MiB */
  maxBodyBytes?: number;
  /** A client that has not sent its whole request by then is dropped. @default 10 s */
  requestTimeoutMs?: number;
  /** Headers a request must carry exactly (401 otherwise), e.g. Authorization. */
  requireHeaders?: Record<string, string>;
  /** Verify Standard Webhooks signatures (401 if wrong or older than 5 minutes). */
  signingKey?: Buffer;
  /** Judge retry gaps against Norce's delays divided by this. @default 1 */
  timeScale?: number;
  /** Decides the answer to a valid request. @default 202, as in Norce's examples */
  respond?: Responder;
  sinks?: Sink[];
}

export interface ListenerStats {
  requests: number;
  byType: Record<string, number>;
  retries: number;
  /** Requests answered with a status ≥ 400. */
  failures: number;
  withProblems: number;
}

export interface Listener {
  /** The URL to give Norce's Admin UI or `send --to`, e.g. http://localhost:7412/receiver */
  url: string;
  port: number;
  host: string;
  stats(): ListenerStats;
  /** Handle a request that did not come through the socket, exactly as if it had. */
  inject(request: InjectRequest): Promise<InjectedAnswer>;
  /** Stop accepting, finish answering, close. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Bodies up to this size are read at once. Larger ones share a budget of bytes in flight (read,
 * checked, answered and handed to every sink): max(4 MiB, 2 × --max-body). A flood of large
 * bodies then waits its turn unread, so memory stays bounded and a normal event (a few hundred
 * bytes) is never queued behind them.
 */
const SMALL_BODY = 64 * 1024;
export function inFlightBudget(maxBody: number): number {
  return Math.max(4 * 1024 * 1024, 2 * maxBody);
}

/**
 * A large body that cannot start within this long is answered 503 unread, before Norce's 5 s
 * timeout: a sender that gets 503 retries later, as Norce does.
 */
const BUSY_WAIT_MS = 4000;

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

/** Admits holders while the bytes they hold fit the budget; the rest wait in order. */
class ByteGate {
  private used = 0;
  private readonly waiting: { bytes: number; go: (admitted: boolean) => void }[] = [];
  constructor(readonly budget: number) {}
  /** Resolves true once admitted, false when `timeoutMs` passed first. */
  acquire(bytes: number, timeoutMs: number): Promise<boolean> {
    if (this.waiting.length === 0 && this.used + bytes <= this.budget) {
      this.used += bytes;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const entry = {
        bytes,
        go: (admitted: boolean) => {
          clearTimeout(timer);
          resolve(admitted);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(entry);
        if (at !== -1) this.waiting.splice(at, 1);
        resolve(false);
        this.admit();
      }, timeoutMs);
      this.waiting.push(entry);
    });
  }
  release(bytes: number): void {
    this.used -= bytes;
    this.admit();
  }
  private admit(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.bytes <= this.budget) {
      const next = this.waiting.shift()!;
      this.used += next.bytes;
      next.go(true);
    }
  }
}

/** One holder at a time, each starting in a later turn of the event loop than the previous one. */
class Turns {
  private busy = false;
  private readonly waiting: (() => void)[] = [];
  next(): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((go) => this.waiting.push(go));
  }
  done(): void {
    const next = this.waiting.shift();
    if (!next) {
      this.busy = false;
      return;
    }
    // An immediate queued now runs after the next poll for I/O: other requests come first.
    setImmediate(next);
  }
}

export const DEFAULT_PORT = 7412;
export const DEFAULT_MAX_BODY = 1024 * 1024;
const MAX_TRACKED_TYPES = 64;

export async function createListener(options: ListenerOptions = {}): Promise<Listener> {
  const host = options.host ?? "127.0.0.1";
  const wantedPort = options.port ?? DEFAULT_PORT;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const tracker = new RetryTracker({ timeScale: options.timeScale ?? 1 });
  const respond = options.respond ?? (() => ({ status: 202 }));
  const sinks = options.sinks ?? [];
  const stats: ListenerStats = {
    requests: 0,
    // No prototype: a type header such as `constructor` or `__proto__` is counted like any name.
    byType: Object.create(null) as Record<string, number>,
    retries: 0,
    failures: 0,
    withProblems: 0,
  };
  const typeNames = { types: 0 };
  const requireHeaders = Object.entries(options.requireHeaders ?? {}).map(
    ([name, value]) => [name.toLowerCase(), value] as const,
  );
  let seq = 0;
  const gate = new ByteGate(inFlightBudget(maxBody));
  const parseTurns = new Turns();

  /**
   * One request, wherever it came from (a socket, or `inject`): the limits, checks, retry
   * tracking, answer, sinks and stats are the same for both.
   */
  const run = async (x: Exchange): Promise<void> => {
    const number = ++seq;
    const started = performance.now();
    const receivedAt = Date.now();
    const { method, path, headers } = x;
    const problems: Finding[] = [];
    let answer: Answer | undefined;
    let rawBody: Buffer = EMPTY;
    let bodyText = "";
    let held = 0;
    try {
      if (method !== "POST") {
        answer = {
          status: 405,
          headers: { allow: "POST" },
          body: "Norce posts events; use POST\n",
          note: `${method} is not POST`,
        };
      } else if (options.path && stripQuery(path) !== options.path) {
        answer = {
          status: 404,
          body: `listening on ${options.path} only\n`,
          note: `not ${options.path}`,
        };
      } else {
        const declared = Number(headers["content-length"]);
        if (Number.isFinite(declared) && declared > maxBody) {
          answer = tooLarge(maxBody, declared, true);
        } else {
          // A large body waits (unread: TCP slows its sender) until the bytes in flight allow it.
          held = Number.isFinite(declared) ? declared : maxBody;
          if (held <= SMALL_BODY) held = 0;
          else if (!(await gate.acquire(held, BUSY_WAIT_MS))) {
            held = 0;
            answer = {
              status: 503,
              headers: { "retry-after": "5" },
              body: "busy with other large bodies; retry later\n",
              note: `waited ${BUSY_WAIT_MS / 1000}s behind ${formatMiB(gate.budget)} of large bodies in flight; not read`,
            };
          }
          const read = answer ? undefined : await x.readBody(maxBody);
          if (!read) {
            // answered 503 above
          } else if (read.tooLarge) {
            answer = tooLarge(maxBody, read.bytes, read.exact ?? false);
          } else {
            rawBody = read.body;
            bodyText = rawBody.toString("utf8");
          }
        }
      }

      // Parsing a large body can take a while (a 1 MiB object of 60,000 keys: ~100 ms): large
      // bodies are checked one per turn of the event loop, so other requests (a normal event)
      // are handled in between rather than after all of them.
      let checked: CheckedRequest | undefined;
      if (!answer) {
        if (rawBody.length > SMALL_BODY) {
          await parseTurns.next();
          try {
            checked = checkRequest(headers, bodyText);
          } finally {
            parseTurns.done();
          }
        } else checked = checkRequest(headers, bodyText);
      }
      if (checked) problems.push(...checked.problems);
      const messageId = checked?.messageId;
      const retry = checked
        ? tracker.observe(messageId, performance.now(), {
            timestamp: checked.timestamp,
            type: checked.type,
            body: bodyText,
          })
        : undefined;
      if (retry && retry.attempt > 1) {
        if (retry.early) {
          problems.push({
            severity: "warning",
            path: "retry",
            message: `attempt ${retry.attempt} came ${Math.round(retry.sincePreviousMs ?? 0)}ms after the previous one; Norce waits at least ${Math.round(retry.expectedMinMs ?? 0)}ms`,
          });
        }
        if (retry.beyondSchedule) {
          problems.push({
            severity: "warning",
            path: "retry",
            message: `attempt ${retry.attempt}: Norce makes 17 attempts at most`,
          });
        }
        for (const what of retry.changed) {
          problems.push({
            severity: "warning",
            path: "retry",
            message: `the ${what} changed since the previous attempt; Norce retries the same event`,
          });
        }
      }

      if (!answer && checked) {
        answer =
          checkAccess(headers, bodyText, requireHeaders, options.signingKey) ??
          (checked.tooDeep
            ? {
                status: 400,
                body: `body nests deeper than ${MAX_JSON_DEPTH} levels\n`,
                note: `JSON nested deeper than ${MAX_JSON_DEPTH} levels; not parsed`,
              }
            : !checked.bodyIsJson
              ? { status: 400, body: "body is not valid JSON\n", note: "invalid JSON" }
              : undefined);
        if (!answer) {
          try {
            // Every property written out (no spread of `checked`): a spread followed by a dozen
            // more properties leaves V8 a dictionary-mode object (~20 µs of a ~185 µs request).
            const answered = respond({
              type: checked.type,
              messageId: checked.messageId,
              timestamp: checked.timestamp,
              timestampDate: checked.timestampDate,
              body: checked.body,
              bodyIsJson: checked.bodyIsJson,
              tooDeep: checked.tooDeep,
              problems: checked.problems,
              method,
              path,
              headers,
              rawHeaders: x.rawHeaders,
              rawBody,
              bodyText,
              remoteAddress: x.remoteAddress,
              protocol: x.protocol,
              senderGone: x.gone,
              attempt: retry?.attempt ?? 1,
            });
            answer = answered instanceof Promise ? await answered : answered;
          } catch (error) {
            answer = {
              status: 500,
              body: "responder failed\n",
              note: `responder failed: ${(error as Error).message}`,
            };
          }
        }
      }
      const final = answer ?? { status: 500 };
      if (final.delayMs && final.delayMs > 0) await delay(final.delayMs, x.gone());
      const senderGoneAfterMs = x.goneAfterMs();
      x.answer(final, !answer || final.status === 413 || final.status === 503);

      const typeHeader = checked ? checked.type : headers["norce-event-type"];
      const info = typeHeader ? findEventType(typeHeader) : undefined;
      const event: ReceivedEvent = {
        seq: number,
        receivedAt: isoTime(receivedAt),
        method,
        path,
        headers,
        rawHeaders: x.rawHeaders,
        maskedHeaders: hasSecretHeader(headers) ? maskHeaders(headers) : headers,
        type: info?.name ?? typeHeader,
        knownType: Boolean(info),
        category: info?.category,
        messageId: checked ? messageId : headers["norce-event-message-id"],
        timestamp: checked ? checked.timestamp : headers["norce-event-timestamp"],
        timestampAgeMs: checked?.timestampDate
          ? receivedAt - checked.timestampDate.getTime()
          : undefined,
        attempt: retry?.attempt ?? 1,
        retry: retry && retry.attempt > 1 ? retry : undefined,
        body: checked ? checked.body : bodyText,
        bodyText,
        bodyIsJson: checked?.bodyIsJson ?? false,
        bodyBytes: rawBody.length,
        problems:
          !checked && answer
            ? [
                {
                  severity: "error",
                  path: "request",
                  message: answer.note ?? `answered ${answer.status}`,
                },
              ]
            : problems,
        status: final.status,
        note: final.note,
        forwarded: final.forwarded,
        senderGoneAfterMs,
        latencyMs: performance.now() - started,
        serialised: {},
      };
      count(stats, event, typeNames);
      for (const sink of sinks) {
        try {
          const written = sink.write(event);
          if (written) await written;
        } catch {
          // A sink that fails (a full disk, a closed pipe) must not take the receiver down.
        }
      }
    } finally {
      if (held > 0) gate.release(held);
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The signal is made only when someone asks for it (a responder, a delay): most requests
    // are answered at once and never need one.
    let controller: AbortController | undefined;
    const started = performance.now();
    let goneAt = 0;
    res.on("close", () => {
      if (!res.writableFinished) {
        goneAt = performance.now();
        controller?.abort();
      }
    });
    return run({
      method: req.method ?? "",
      path: req.url ?? "/",
      headers: flatHeaders(req),
      rawHeaders: req.rawHeaders,
      remoteAddress: req.socket.remoteAddress,
      protocol: "http",
      gone: () => {
        if (!controller) {
          controller = new AbortController();
          if (goneAt) controller.abort();
        }
        return controller.signal;
      },
      goneAfterMs: () => (goneAt ? goneAt - started : undefined),
      readBody: (max) => readBody(req, max),
      answer: (final, close) => writeAnswer(res, final, close),
    });
  };

  const inject = (request: InjectRequest): Promise<InjectedAnswer> =>
    new Promise<InjectedAnswer>((resolve, reject) => {
      const started = performance.now();
      const gone = request.signal ?? new AbortController().signal;
      let goneAt = gone.aborted ? started : 0;
      gone.addEventListener("abort", () => (goneAt = performance.now()), { once: true });
      let answered = false;
      run({
        method: request.method.toUpperCase(),
        path: request.path,
        headers: headersFromRaw(request.rawHeaders),
        rawHeaders: request.rawHeaders,
        remoteAddress: request.remoteAddress,
        protocol: request.protocol ?? "http",
        gone: () => gone,
        goneAfterMs: () => (goneAt ? goneAt - started : undefined),
        readBody: async (max) =>
          request.body.length > max
            ? { body: EMPTY, bytes: request.body.length, tooLarge: true, exact: true }
            : { body: request.body, bytes: request.body.length, tooLarge: false },
        answer: (final, close) => {
          answered = true;
          resolve(answerParts(final, close));
        },
      }).then(
        () => {
          if (!answered) resolve(answerParts({ status: 500 }, true));
        },
        (error: unknown) => (answered ? undefined : reject(error)),
      );
    });

  const server: Server = createServer(
    {
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      headersTimeout: options.requestTimeoutMs ?? 10_000,
      connectionsCheckingInterval: 1000,
    } as Parameters<typeof createServer>[0],
    (req, res) => {
      handle(req, res).catch(() => {
        // Last resort: whatever went wrong, the request still gets an answer.
        if (!res.headersSent) {
          res.writeHead(500).end();
        } else if (!res.writableEnded) {
          res.end();
        }
      });
    },
  );
  // Expect: 100-continue: a body over --max-body gets 413 at once, without inviting it; any other
  // request is told to go on (Node's default) and handled as usual.
  server.on("checkContinue", (req, res) => {
    const declared = Number(req.headers["content-length"]);
    if (!(Number.isFinite(declared) && declared > maxBody)) res.writeContinue();
    server.emit("request", req, res);
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE") {
        reject(
          new UsageError(`port ${wantedPort} on ${host} is in use`, {
            code: "NORCE_EVENT_PORT_IN_USE",
            hint: "stop the other listener, pick another --port, or --port 0 for any free port",
          }),
        );
      } else if (error.code === "EACCES") {
        reject(
          new UsageError(`not allowed to listen on port ${wantedPort} of ${host}`, {
            hint: "use a port above 1023",
          }),
        );
      } else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
        reject(
          new UsageError(`cannot listen on ${host}: no such address here`, {
            hint: "use 127.0.0.1, or 0.0.0.0 for every interface",
          }),
        );
      } else reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(wantedPort, host);
  });

  const port = (server.address() as AddressInfo).port;
  const shownHost =
    host === "127.0.0.1" || host === "::1" || host === "0.0.0.0" || host === "::"
      ? "localhost"
      : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}${options.path ?? "/receiver"}`,
    port,
    host,
    stats: () => ({ ...stats, byType: { ...stats.byType } }),
    inject,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closing;
    },
  };
}

function checkAccess(
  headers: Record<string, string>,
  bodyText: string,
  required: readonly (readonly [string, string])[],
  signingKey: Buffer | undefined,
): Answer | undefined {
  for (const [name, value] of required) {
    if (headers[name] !== value) {
      return {
        status: 401,
        body: "unauthorized\n",
        note: headers[name] === undefined ? `no ${name} header` : `wrong ${name} header`,
      };
    }
  }
  if (signingKey) {
    const check = verifySignature(signingKey, headers, bodyText);
    if (!check.ok) {
      const why = {
        missing: "no Standard Webhooks signature headers",
        malformed: "malformed webhook-timestamp",
        "too-old": "signature older than 5 minutes",
        "in-the-future": "signature timestamp more than 5 minutes ahead",
        mismatch: "signature does not match",
      }[check.reason];
      return { status: 401, body: `${why}\n`, note: why };
    }
  }
  return undefined;
}

function tooLarge(max: number, bytes: number, exact: boolean): Answer {
  return {
    status: 413,
    body: `body larger than ${max} bytes\n`,
    note: `body of ${exact ? "" : "more than "}${bytes} bytes is over the ${max}-byte limit (--max-body); not read`,
  };
}

function readBody(req: IncomingMessage, max: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const finish = (tooLarge: boolean) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      const body = tooLarge
        ? EMPTY
        : chunks.length === 1
          ? chunks[0]!
          : chunks.length === 0
            ? EMPTY
            : Buffer.concat(chunks, bytes);
      chunks.length = 0;
      resolve({ body, bytes, tooLarge });
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > max) {
        chunks.length = 0;
        req.pause();
        finish(true);
      } else chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => finish(false));
    req.on("error", () => finish(false));
    req.on("aborted", () => finish(false));
  });
}

const PLAIN = { "content-type": "text/plain; charset=utf-8" };

function writeAnswer(res: ServerResponse, answer: Answer, close: boolean): void {
  if (res.destroyed) return;
  const headers =
    answer.headers || close
      ? { ...PLAIN, ...answer.headers, ...(close ? { connection: "close" } : {}) }
      : PLAIN;
  res.writeHead(answer.status, headers);
  res.end(answer.body ?? `${answer.status}\n`);
}

function delay(ms: number, gone: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (gone.aborted) return resolve();
    // One timer holds at most MAX_TIMER_MS; longer, Node fires at once (an answer not late at all).
    // A sender gone for 24.8 days is gone: the answer waits that long at most.
    const timer = setTimeout(resolve, Math.min(ms, MAX_TIMER_MS));
    gone.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function answerParts(answer: Answer, close: boolean): InjectedAnswer {
  return {
    status: answer.status,
    headers: { ...PLAIN, ...answer.headers, ...(close ? { connection: "close" } : {}) },
    body: answer.body ?? `${answer.status}\n`,
  };
}

/** Flat name/value pairs (as `rawHeaders`) → lower-case names, repeated values joined. */
export function headersFromRaw(rawHeaders: readonly string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}

/** Headers as one string each: Node gives arrays only for repeated set-cookie-like headers. */
function flatHeaders(req: IncomingMessage): Record<string, string> {
  const raw = req.headers;
  let flat = true;
  for (const name in raw) {
    if (typeof raw[name] !== "string") {
      flat = false;
      break;
    }
  }
  if (flat) return raw as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

let isoMs = Number.NaN;
let isoText = "";
/** `new Date(ms).toISOString()`, made once per millisecond (under load, many requests share one). */
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

function stripQuery(path: string): string {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}

/**
 * Count a request. `names`: how many type names `stats.byType` holds (at most MAX_TRACKED_TYPES,
 * then "(other)"), kept as they are added rather than by listing the keys on every request.
 */
function count(stats: ListenerStats, event: ReceivedEvent, names: { types: number }): void {
  stats.requests++;
  const key = event.type || "(no type)";
  const known = stats.byType[key];
  if (known !== undefined) stats.byType[key] = known + 1;
  else if (names.types < MAX_TRACKED_TYPES) {
    names.types++;
    stats.byType[key] = 1;
  } else stats.byType["(other)"] = (stats.byType["(other)"] ?? 0) + 1;
  if (event.attempt > 1) stats.retries++;
  if (event.status >= 400) stats.failures++;
  if (event.problems.length > 0) stats.withProblems++;
}
