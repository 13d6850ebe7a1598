/**
 * Answers a developer chooses, to exercise Norce's retry rules end to end: a fixed status, the
 * first N attempts of each message failing, a random failure rate, a late answer, or relaying the
 * event to the developer's app and passing its status back.
 */
import type { Dispatcher } from "undici";
import { explainNetworkError } from "../delivery/explain.js";
import { EXCERPT_BYTES } from "../delivery/http.js";
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
  /** @default 30 s */
  forwardTimeoutMs?: number;
  /** @internal for tests */
  random?: () => number;
}

/** Headers that belong to one connection and are not relayed. */
const HOP_BY_HOP = new Set([
  "host",
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
  const respond = async (request: IncomingEvent): Promise<Answer> => {
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
    if (options.forwardTo) {
      if (!dispatcher) {
        const { Agent } = await import("undici");
        dispatcher = new Agent();
      }
      const forwarded = await forward(
        dispatcher,
        options.forwardTo,
        request,
        options.forwardTimeoutMs ?? 30_000,
      );
      return {
        status: forwarded.status ?? 502,
        body: forwarded.error ? `${forwarded.error}\n` : forwarded.response,
        note: forwarded.error ?? `forwarded to ${options.forwardTo}`,
        forwarded,
        ...late,
      };
    }
    return { status, body: status === 202 ? "Accepted\n" : `${status}\n`, ...late };
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
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  }
  const started = performance.now();
  try {
    const response = await dispatcher.request({
      origin: target.origin,
      path: `${target.pathname}${target.search}`,
      method: request.method as Dispatcher.HttpMethod,
      headers,
      body: request.bodyText,
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
    const explained =
      (error as Error).name === "TimeoutError"
        ? { code: "TIMEOUT", message: "" }
        : explainNetworkError(error, url);
    return {
      url,
      latencyMs: performance.now() - started,
      error:
        explained.code === "TIMEOUT"
          ? `${url} did not answer within ${Math.round(timeoutMs / 1000)}s`
          : `cannot reach ${url} (${explained.code})`,
      response: "",
    };
  }
}
