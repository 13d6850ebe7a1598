/**
 * Answers a developer chooses, to exercise Norce's retry rules end to end: a fixed status, the
 * first N attempts of each message failing, a random failure rate, a late answer, or relaying the
 * event to the developer's app and passing its status back.
 */
import type { Dispatcher } from "undici";
import { explainNetworkError } from "../delivery/explain.js";
import { EXCERPT_BYTES } from "../delivery/http.js";
import { formatDuration } from "../shared/duration.js";
import type { Answer, ForwardResult, IncomingEvent, Responder } from "./server.js";

export interface ResponderOptions {
  /** @default 202 (Norce's code samples answer 202 Accepted) */
  status?: number;
  /** Answer 500 to the first N attempts of each message id. */
  failFirst?: number;
  /** Answer 500 to this share of requests (0..1). */
  failRate?: number;
  /** Answer this late (e.g. 6000 to trip Norce's 5 s timeout). */
  delayMs?: number;
  /** Relay each event to this URL and answer with its status (502 when it cannot be reached). */
  forwardTo?: string;
  /**
   * Give up on the app after this long and answer 504. @default 5 s: Norce's own timeout, so the
   * app is held to what Norce would allow (a slower answer would never reach Norce).
   */
  forwardTimeoutMs?: number;
  /** @internal for tests */
  random?: () => number;
}

export const DEFAULT_FORWARD_TIMEOUT_MS = 5000;

/**
 * Headers that belong to one connection and are not relayed (RFC 9110 §7.6.1), plus `host` (the
 * app's own) and `expect` (the listener has already answered `100-continue` to the sender and
 * sends the whole body; a proxy handles it per hop). Headers named in `Connection:` are dropped too.
 */
const HOP_BY_HOP = new Set([
  "host",
  "expect",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "upgrade",
  "te",
  "trailer",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
]);

export function createResponder(
  options: ResponderOptions = {},
): Responder & { close(): Promise<void> } {
  const status = options.status ?? 202;
  const random = options.random ?? Math.random;
  let dispatcher: Dispatcher | undefined;
  // Synchronous unless the request is forwarded: the listener then answers without waiting for a
  // promise (one fewer per request, thousands a second).
  const respond = (request: IncomingEvent): Answer | Promise<Answer> => {
    const late = options.delayMs ? { delayMs: options.delayMs } : {};
    if (options.failFirst && request.attempt <= options.failFirst) {
      return {
        status: 500,
        body: "failing on purpose (--fail-first)\n",
        note: `--fail-first ${options.failFirst}: attempt ${request.attempt} fails`,
        ...late,
      };
    }
    if (options.failRate && random() < options.failRate) {
      return {
        status: 500,
        body: "failing on purpose (--fail-rate)\n",
        note: `--fail-rate ${options.failRate}`,
        ...late,
      };
    }
    if (options.forwardTo) return forwardAndAnswer(request, options.forwardTo, late);
    return options.delayMs
      ? { status, body: status === 202 ? "Accepted\n" : `${status}\n`, delayMs: options.delayMs }
      : { status, body: status === 202 ? "Accepted\n" : `${status}\n` };
  };
  const forwardAndAnswer = async (
    request: IncomingEvent,
    forwardTo: string,
    late: { delayMs?: number },
  ): Promise<Answer> => {
    if (!dispatcher) {
      const { Agent } = await import("undici");
      dispatcher = new Agent();
    }
    const forwarded = await forward(
      dispatcher,
      forwardTo,
      request,
      options.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS,
    );
    return {
      status: forwarded.status ?? (forwarded.timedOut ? 504 : 502),
      body: forwarded.error ? `${forwarded.error}\n` : forwarded.response,
      note: forwarded.error ?? `forwarded to ${forwardTo}`,
      forwarded,
      ...late,
    };
  };
  return Object.assign(respond, {
    async close() {
      await dispatcher?.close();
    },
  });
}

async function forward(
  dispatcher: Dispatcher,
  url: string,
  request: IncomingEvent,
  timeoutMs: number,
): Promise<ForwardResult> {
  const target = new URL(url);
  const started = performance.now();
  try {
    const response = await dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: request.method as Dispatcher.HttpMethod,
      headers: forwardedHeaders(request),
      body: request.rawBody,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.body.text();
    return {
      url,
      status: response.statusCode,
      latencyMs: performance.now() - started,
      response: text.slice(0, EXCERPT_BYTES * 16),
    };
  } catch (error) {
    const timedOut = (error as Error).name === "TimeoutError";
    const explained = timedOut ? undefined : explainNetworkError(error, url);
    return {
      url,
      latencyMs: performance.now() - started,
      error: timedOut
        ? `${url} did not answer within ${formatDuration(timeoutMs)} (--forward-timeout)`
        : `cannot reach ${url} (${explained?.code})`,
      response: "",
      ...(timedOut ? { timedOut } : {}),
    };
  }
}

/**
 * The headers relayed to the app, as a reverse proxy (nginx, Caddy) relays them: the names,
 * values and order as received, without hop-by-hop headers and those named in `Connection:`;
 * `X-Forwarded-For` gets the sender's address appended; `X-Forwarded-Proto` and
 * `X-Forwarded-Host` are set when absent (kept when a proxy in front, such as a tunnel, set them:
 * they describe the original request); an existing `Forwarded` gets an element appended.
 * Returned as flat name/value pairs so repeated headers and their order survive.
 */
export function forwardedHeaders(request: IncomingEvent): string[] {
  const raw = request.rawHeaders;
  const dropped = new Set(HOP_BY_HOP);
  const connection = request.headers.connection;
  if (connection) {
    for (const name of connection.split(",")) dropped.add(name.trim().toLowerCase());
  }
  const out: string[] = [];
  const host = request.headers.host;
  const client = request.remoteAddress?.replace(/^::ffff:/, "");
  let sawFor = false;
  let sawProto = false;
  let sawHost = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (dropped.has(lower)) continue;
    let value = raw[i + 1]!;
    if (lower === "x-forwarded-for") {
      if (sawFor) continue; // joined into the first one below
      sawFor = true;
      value = [request.headers[lower], client].filter(Boolean).join(", ");
    } else if (lower === "x-forwarded-proto") sawProto = true;
    else if (lower === "x-forwarded-host") sawHost = true;
    else if (lower === "forwarded") {
      if (i !== raw.findIndex((n, j) => j % 2 === 0 && n.toLowerCase() === "forwarded")) continue;
      value = `${request.headers[lower]}, ${forwardedElement(client, request.protocol, host)}`;
    }
    out.push(name, value);
  }
  if (!sawFor && client) out.push("X-Forwarded-For", client);
  if (!sawProto) out.push("X-Forwarded-Proto", request.protocol);
  if (!sawHost && host) out.push("X-Forwarded-Host", host);
  return out;
}

function forwardedElement(client: string | undefined, proto: string, host: string | undefined) {
  const quote = (v: string) => (/^[\w.-]+$/.test(v) ? v : `"${v.replace(/["\\]/g, "\\$&")}"`);
  return [
    client ? `for=${quote(client.includes(":") ? `[${client}]` : client)}` : undefined,
    `proto=${proto}`,
    host ? `host=${quote(host)}` : undefined,
  ]
    .filter(Boolean)
    .join(";");
}
