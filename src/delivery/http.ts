/**
 * One delivery attempt over HTTP with undici: the POST, redirects followed as Norce says it does,
 * the whole attempt bounded by the timeout, and the start of the response kept for the log.
 */
import type { Dispatcher } from "undici";
import { formatDuration } from "../shared/duration.js";
import { explainNetworkError } from "./explain.js";

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  maxRedirects: number;
  /** Stops the attempt from outside (Ctrl-C); reported as `aborted`, not as a failure. */
  signal?: AbortSignal;
}

export interface Redirect {
  status: number;
  from: string;
  to: string;
  /** The method used for the next hop (303, and 301/302 after a POST, switch to GET). */
  method: string;
}

export interface HttpOutcome {
  /** The final status; undefined when there was no answer (network error, timeout). */
  status?: number;
  /** Why the attempt failed without an answer (or with a redirect problem). */
  error?: { code: string; message: string };
  /** The final URL (after redirects). */
  url: string;
  redirects: Redirect[];
  /** The first bytes of the final response body, as text. */
  bodyExcerpt: string;
  /** Whether the final response was cut to the excerpt. */
  bodyTruncated: boolean;
  latencyMs: number;
  /** True when the caller's signal stopped the attempt (Ctrl-C), not the timeout. */
  aborted: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** How much of a response body is kept for the log and the output. */
export const EXCERPT_BYTES = 1024;
/** How much more of a body is read (and dropped) so the connection can be reused. */
const DRAIN_BYTES = 256 * 1024;

export async function postWithRedirects(
  dispatcher: Dispatcher,
  request: HttpRequest,
): Promise<HttpOutcome> {
  const started = performance.now();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), request.timeoutMs);
  const signal = request.signal
    ? AbortSignal.any([timeout.signal, request.signal])
    : timeout.signal;
  const redirects: Redirect[] = [];
  const visited = new Set<string>();
  let url = request.url;
  let method = "POST";
  let body: string | undefined = request.body;
  let headers = request.headers;
  const result = (fields: Partial<HttpOutcome>): HttpOutcome => ({
    url,
    redirects,
    bodyExcerpt: "",
    bodyTruncated: false,
    latencyMs: performance.now() - started,
    aborted: false,
    ...fields,
  });

  try {
    for (;;) {
      visited.add(url);
      const target = new URL(url);
      const response = await dispatcher.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method,
        headers: { ...headers, host: target.host },
        ...(body === undefined ? {} : { body }),
        signal,
      });
      const location = response.headers.location;
      if (REDIRECTS.has(response.statusCode) && typeof location === "string") {
        await response.body.dump({ limit: DRAIN_BYTES }).catch(() => undefined);
        const next = new URL(location, url).toString();
        // 307/308 keep method and body; 303, and 301/302 after a POST, go on with a GET (as
        // browsers and .NET's HttpClient do: Norce does not say which client it uses).
        const keep = response.statusCode === 307 || response.statusCode === 308;
        const nextMethod =
          keep || (response.statusCode !== 303 && method !== "POST") ? method : "GET";
        redirects.push({ status: response.statusCode, from: url, to: next, method: nextMethod });
        if (visited.has(next)) {
          return result({
            status: response.statusCode,
            error: {
              code: "REDIRECT_LOOP",
              message: `redirect loop: ${[...redirects.map((r) => r.from), next].map(pathOf).join(" → ")}`,
            },
          });
        }
        if (redirects.length > request.maxRedirects) {
          return result({
            status: response.statusCode,
            error: {
              code: "TOO_MANY_REDIRECTS",
              message: `more than ${request.maxRedirects} redirects (last to ${next})`,
            },
          });
        }
        if (nextMethod === "GET" && method !== "GET") {
          body = undefined;
          headers = withoutBodyHeaders(headers);
        }
        method = nextMethod;
        url = next;
        continue;
      }
      const { text, truncated } = await readExcerpt(response.body);
      return result({ status: response.statusCode, bodyExcerpt: text, bodyTruncated: truncated });
    }
  } catch (error) {
    if (request.signal?.aborted) {
      return result({ aborted: true, error: { code: "ABORTED", message: "stopped" } });
    }
    if (timeout.signal.aborted) {
      return result({
        error: { code: "TIMEOUT", message: `timed out after ${formatDuration(request.timeoutMs)}` },
      });
    }
    return result({ error: explainNetworkError(error, url) });
  } finally {
    clearTimeout(timer);
  }
}

async function readExcerpt(
  body: Dispatcher.ResponseData["body"],
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (kept < EXCERPT_BYTES) {
      const part = chunk.subarray(0, EXCERPT_BYTES - kept);
      chunks.push(part);
      kept += part.length;
    }
    if (total > DRAIN_BYTES) {
      body.destroy();
      break;
    }
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated: total > kept };
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!/^content-(type|length)$/i.test(name)) out[name] = value;
  }
  return out;
}

function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}
