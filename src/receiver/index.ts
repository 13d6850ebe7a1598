/**
 * `norce-event/receiver`: receive Norce Commerce Event webhooks in any Node server (or Fetch
 * runtime) with typed handlers, and answer as Norce's contract needs.
 *
 * ```ts
 * const receiver = createReceiver({ auth: { value: `Bearer ${process.env.NORCE_TOKEN}` } });
 * receiver.on("OrderConfirmedEvent", (e) => sendConfirmationMail(e.payload.OrderNo));
 * app.post("/receiver", receiver.express());
 * ```
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EventTypeName } from "../events/payloads.generated.js";
import {
  createReceiverCore,
  type Handler,
  type ReceiveRequest,
  type ReceiveResult,
  type ReceiverEvent,
  type ReceiverOptions,
  tooLarge,
  unreadable,
} from "./receiver.js";

export type { EventPayload, EventPayloads, EventTypeName } from "../events/payloads.generated.js";
export {
  type ClaimOptions,
  type ClaimResult,
  type ClaimState,
  type DedupeStore,
  type MemoryDedupeOptions,
  memoryDedupe,
} from "./dedupe.js";
export {
  type AuthOption,
  DEFAULT_DEDUPE_WINDOW_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TIMEOUT_MS,
  type ErrorEvent,
  type Handler,
  HandlerError,
  HandlerTimeoutError,
  type HeaderReader,
  type HeadersLike,
  type Problem,
  type ReceiveRequest,
  type ReceiveResult,
  ReceiverError,
  type ReceiverEvent,
  type ReceiverOptions,
  type UnknownEvent,
  type Warning,
} from "./receiver.js";

export interface Receiver {
  /**
   * Handle one type, several (the handler gets their union), or `"*"` (every known type, after
   * the specific handlers). Returns a function that removes the handler. A name that is not one
   * of Norce's types is a type error, and throws at run time.
   */
  on<T extends EventTypeName>(type: T | readonly T[], handler: Handler<T>): () => void;
  on(type: "*", handler: (event: ReceiverEvent) => unknown): () => void;
  /** The core, for any framework: plain request in, plain answer out. */
  receive(request: ReceiveRequest): Promise<ReceiveResult>;
  /** A `node:http` request listener: `createServer(receiver.nodeHandler())`. */
  nodeHandler(): (req: IncomingMessage, res: ServerResponse) => void;
  /** Express middleware: `app.post("/receiver", receiver.express())`, with or without express.json(). */
  express(): (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;
  /** A Fastify plugin: `app.register(receiver.fastify, { path: "/receiver" })`. */
  readonly fastify: ReturnType<typeof fastifyPlugin>;
  /** Fetch API: `Request` in, `Response` out (Hono, Next.js route handlers, Workers, Deno, Bun). */
  fetch(request: RequestLike): Promise<Response>;
  /** Like `fetch`, but answers plain `{ status, headers, body }` (an Azure Functions `HttpResponseInit`). */
  handleRequest(request: RequestLike): Promise<ReceiveResult>;
  /** Resolves once every background handler has finished (for a graceful shutdown, and tests). */
  drain(): Promise<void>;
}

/** Make a receiver. `auth` is required: the static header you set in Norce's Admin UI, or `false`. */
export function createReceiver(options: ReceiverOptions): Receiver {
  const core = createReceiverCore(options);
  const plugin = fastifyPlugin(core);
  return {
    on: core.on as Receiver["on"],
    receive: core.receive,
    nodeHandler: () => nodeHandler(core),
    express: () => expressMiddleware(core),
    fastify: plugin,
    fetch: (request) => handleFetch(core, request),
    handleRequest: (request) => handleRequest(core, request),
    drain: core.drain,
  };
}

// ---- Adapters: each turns a framework's request into { method, headers, body } and back. ----
// None of them routes: mount them on the path you gave Norce's Admin UI. Only types are imported
// from node:http, so Workers and Deno can load this file too.

type Receive = (request: {
  method?: string | undefined;
  headers: IncomingMessage["headers"] | { get(name: string): string | null | undefined };
  body: unknown;
}) => Promise<ReceiveResult>;

interface Core {
  receive: Receive;
  maxBodyBytes: number;
}

/** What `receiver.fetch` reads: a Fetch `Request`, Azure Functions v4 `HttpRequest`, Hono's `c.req.raw`. */
export interface RequestLike {
  method: string;
  headers: { get(name: string): string | null };
  body?: ReadableStream<Uint8Array> | null;
  bodyUsed?: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Read a fetch-style request (never more than the limit) and answer with plain values. */
export async function handleRequest(core: Core, request: RequestLike): Promise<ReceiveResult> {
  if (request.bodyUsed) {
    return unreadable("the request body was already read before the receiver got it");
  }
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > core.maxBodyBytes) return tooLarge(core.maxBodyBytes);
  let bytes: Uint8Array;
  if (request.body && typeof request.body.getReader === "function") {
    const reader = request.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > core.maxBodyBytes) {
        await reader.cancel().catch(() => {});
        return tooLarge(core.maxBodyBytes);
      }
      chunks.push(value);
    }
    bytes = concat(chunks, size);
  } else {
    bytes = new Uint8Array(await request.arrayBuffer());
  }
  return core.receive({ method: request.method, headers: request.headers, body: bytes });
}

export async function handleFetch(core: Core, request: RequestLike): Promise<Response> {
  const result = await handleRequest(core, request);
  return new Response(result.body, { status: result.status, headers: result.headers });
}

type NodeRequest = IncomingMessage & { rawBody?: unknown; body?: unknown };

/** A `node:http` request listener (also usable as Connect-style middleware). */
export function nodeHandler(core: Core) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    void respondNode(core, req, res, () => readStream(req, core.maxBodyBytes));
  };
}

/**
 * Express (4 or 5) middleware. It takes the body from wherever it is: `req.rawBody` (a `verify`
 * hook, Google Cloud Functions), a Buffer or string `req.body` (`express.raw`/`express.text`),
 * a parsed `req.body` once the stream has ended (`express.json()`), or else it reads the stream
 * itself. A body another middleware consumed without leaving it is a 500, never a hang, and a
 * `{}` left by a parser that skipped the request is never taken as the event.
 */
export function expressMiddleware(core: Core) {
  return (req: IncomingMessage, res: ServerResponse, _next?: (error?: unknown) => void): void => {
    const r = req as NodeRequest;
    void respondNode(core, req, res, async () => {
      if (typeof r.rawBody === "string" || r.rawBody instanceof Uint8Array) return r.rawBody;
      if (typeof r.body === "string" || r.body instanceof Uint8Array) return r.body;
      if (!consumed(req)) return readStream(req, core.maxBodyBytes);
      // A parser ran. A `{}` is only trusted when it is what was sent: body-parser 1.x leaves `{}`
      // on requests it skipped, and sets `_body` on those it parsed.
      const parsedEmpty =
        (r as { _body?: unknown })._body === true || req.headers["content-length"] === "2";
      if (r.body !== undefined && (!isEmptyObject(r.body) || parsedEmpty)) {
        return { parsed: r.body };
      }
      return {
        error: unreadable(
          "the request body was read by another middleware and not kept; mount the receiver before it, or use express.json() on this path",
        ),
      };
    });
  };
}

/** Options of the Fastify plugin. */
export interface FastifyPluginOptions {
  /** The route, as set in Norce's Admin UI. @default "/" (the prefix you register it with) */
  path?: string;
}

interface FastifyLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string,
    options: { parseAs: "buffer"; bodyLimit?: number },
    parser: (
      req: unknown,
      body: Buffer,
      done: (error: Error | null, body?: unknown) => void,
    ) => void,
  ): void;
  setErrorHandler(
    handler: (error: { statusCode?: number }, request: unknown, reply: FastifyReplyLike) => unknown,
  ): void;
  route(options: {
    method: string[];
    url: string;
    bodyLimit?: number;
    handler: (
      request: { method: string; headers: IncomingMessage["headers"]; body?: unknown },
      reply: FastifyReplyLike,
    ) => Promise<unknown>;
  }): void;
}

interface FastifyReplyLike {
  code(status: number): unknown;
  headers(values: Record<string, string>): unknown;
  send(body: unknown): unknown;
}

/**
 * A Fastify plugin: `app.register(receiver.fastify, { path: "/receiver" })`. It is deliberately
 * not wrapped in fastify-plugin, so its raw-body content-type parser stays inside the plugin
 * and the rest of your app keeps Fastify's JSON parser.
 */
export function fastifyPlugin(core: Core) {
  return async (instance: FastifyLike, options: FastifyPluginOptions = {}): Promise<void> => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: core.maxBodyBytes },
      (_req, body, done) => done(null, body),
    );
    // Fastify's own 413 (its body limit) answered like every other answer of the receiver.
    instance.setErrorHandler((error, _request, reply) => {
      const result =
        error.statusCode === 413
          ? tooLarge(core.maxBodyBytes)
          : unreadable("the request could not be read");
      reply.code(result.status);
      reply.headers(result.headers);
      return reply.send(result.body);
    });
    instance.route({
      method: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      url: options.path ?? "/",
      bodyLimit: core.maxBodyBytes,
      handler: async (request, reply) => {
        const result = await core.receive({
          method: request.method,
          headers: request.headers,
          body: request.body ?? "",
        });
        reply.code(result.status);
        reply.headers(result.headers);
        return reply.send(result.body);
      },
    });
  };
}

type Body = string | Uint8Array | { parsed: unknown } | { error: ReceiveResult } | "too-large";

async function respondNode(
  core: Core,
  req: IncomingMessage,
  res: ServerResponse,
  read: () => Promise<Body> | Body,
): Promise<void> {
  let result: ReceiveResult;
  try {
    const body = await read();
    if (body === "too-large") result = tooLarge(core.maxBodyBytes);
    else if (typeof body === "object" && "error" in body) result = body.error;
    else {
      result = await core.receive({
        method: req.method,
        headers: req.headers,
        body: typeof body === "object" && "parsed" in body ? body.parsed : body,
      });
    }
  } catch {
    // The client went away mid-body; there is nobody to answer.
    if (!res.headersSent) res.destroy();
    return;
  }
  if (res.headersSent || res.destroyed) return;
  const payload = new TextEncoder().encode(result.body);
  res.writeHead(result.status, { ...result.headers, "content-length": String(payload.byteLength) });
  res.end(payload);
}

/** Read a Node request body, stopping (and answering 413) past the limit. */
function readStream(req: IncomingMessage, limit: number): Promise<Uint8Array | "too-large"> {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (declared > limit) {
    req.resume(); // discard it, so the socket can carry the answer
    return Promise.resolve("too-large");
  }
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Uint8Array) => {
      if (over) return;
      size += chunk.byteLength;
      if (size > limit) {
        over = true;
        resolve("too-large");
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!over) resolve(concat(chunks, size));
    });
    req.on("error", reject);
    req.on("close", () => {
      if (!req.readableEnded && !over) reject(new Error("the request was closed mid-body"));
    });
  });
}

/** Has something read this request's body already (so waiting for `end` would hang)? */
function consumed(req: IncomingMessage): boolean {
  return req.readableEnded;
}

function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.keys(value).length === 0
  );
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
