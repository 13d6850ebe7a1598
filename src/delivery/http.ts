/**
 * One delivery attempt over HTTP with undici: the POST, redirects followed as Norce says it does,
 * the whole attempt bounded by the timeout, and the start of the response kept for the log.
 *
 * The timeout is our own timer per request, armed for what is left of the attempt's budget: when
 * it fires it aborts the dispatch through undici's handler controller (no AbortController, which
 * at thousands of events a second shows). undici's own headers/body timers tick every half second
 * or so (a 100 ms timeout ended after ~1 s, 5 s after 5.5 s, and 900 ms on a second request
 * after 600 ms); they stay on, a second later, as a backstop only. An
 * answer that comes after the budget is counted as a timeout whatever the timers did: what Norce
 * would see is what is reported.
 */
import type { Dispatcher } from "undici";
import { formatDuration } from "../shared/duration.js";
import { isSecretHeader } from "../shared/secrets.js";
import { explainNetworkError } from "./explain.js";
import { SIGNING_NAMES } from "./headers.js";

export interface HttpRequest {
  url: string;
  /** Flat name/value pairs. */
  headers: string[];
  body: string;
  timeoutMs: number;
  maxRedirects: number;
  /** Consulted when the request fails: an abort from outside (Ctrl-C) is not a failed attempt. */
  signal?: AbortSignal | undefined;
  /** `url` already split (worked out once per run). */
  target?: Target | undefined;
  /** Send credential headers on to another origin too (see `withoutCredentials`). */
  keepAuthOnRedirect?: boolean | undefined;
}

/** A URL as undici takes it. */
export interface Target {
  origin: string;
  path: string;
}

export function splitUrl(url: string): Target {
  const parsed = new URL(url);
  return { origin: parsed.origin, path: parsed.pathname + parsed.search };
}

export interface Redirect {
  status: number;
  from: string;
  to: string;
  /** The method used for the next hop (303, and 301/302 after a POST, switch to GET). */
  method: string;
  /** True when the next hop is on another origin (scheme, host or port). */
  crossOrigin?: boolean;
  /** Headers not sent on from this hop because it left the origin (credentials). */
  dropped?: string[];
  /** Credential headers sent on to another origin all the same (`keepAuthOnRedirect`). */
  kept?: string[];
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
// A connect that takes longer than the budget is no answer within it, as for Norce.
const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "TIMEOUT",
]);
/** How long after the attempt's own deadline undici's timers may end a request. */
const BACKSTOP_MS = 1000;
/** How much of a response body is kept for the log and the output. */
export const EXCERPT_BYTES = 1024;
/** How much more of a body is read (and dropped) so the connection can be reused. */
const DRAIN_BYTES = 256 * 1024;

export async function postWithRedirects(
  dispatcher: Dispatcher,
  request: HttpRequest,
): Promise<HttpOutcome> {
  const started = performance.now();
  const deadline = started + request.timeoutMs;
  const redirects: Redirect[] = [];
  let url = request.url;
  let method: Dispatcher.HttpMethod = "POST";
  let body: string | undefined = request.body;
  let headers = request.headers;

  try {
    for (;;) {
      const left = Math.max(1, Math.ceil(deadline - performance.now()));
      const target = url === request.url ? (request.target ?? splitUrl(url)) : splitUrl(url);
      const response = await exchange(
        dispatcher,
        {
          origin: target.origin,
          path: target.path,
          method,
          headers,
          body: body ?? null,
          // Backstops only, later than our own timer: undici's coarse timers can fire up to
          // about half a second EARLY as well as late (a 900 ms attempt ended after 600 ms).
          headersTimeout: left + BACKSTOP_MS,
          bodyTimeout: left + BACKSTOP_MS,
        },
        deadline,
      );
      // An answer after the budget is a timeout for Norce, however late undici's timer fired.
      if (performance.now() > deadline) return timedOut(request, started, url, redirects);
      const location = response.headers.location;
      if (!REDIRECTS.has(response.status) || typeof location !== "string") {
        return {
          status: response.status,
          url,
          redirects,
          bodyExcerpt: response.text,
          bodyTruncated: response.truncated,
          latencyMs: performance.now() - started,
          aborted: false,
        };
      }
      const next = new URL(location, url).toString();
      // 307/308 keep method and body; 303, and 301/302 after a POST, go on with a GET (as
      // browsers and .NET's HttpClient do: Norce does not say which client it uses).
      const keep = response.status === 307 || response.status === 308;
      const nextMethod: Dispatcher.HttpMethod =
        keep || (response.status !== 303 && method !== "POST") ? method : "GET";
      const redirect: Redirect = {
        status: response.status,
        from: url,
        to: next,
        method: nextMethod,
      };
      if (new URL(next).origin !== new URL(url).origin) {
        redirect.crossOrigin = true;
        const credentials = withoutCredentials(headers);
        if (credentials.dropped.length > 0) {
          if (request.keepAuthOnRedirect) redirect.kept = credentials.dropped;
          else {
            headers = credentials.headers;
            redirect.dropped = credentials.dropped;
          }
        }
      }
      redirects.push(redirect);
      if (next === request.url || redirects.some((r) => r.from === next)) {
        return failed(started, url, redirects, response.status, {
          code: "REDIRECT_LOOP",
          // Each URL with the status it answered: "/a (302) → /b (307) → /a".
          message: `redirect loop: ${[...redirects.map((r) => `${pathOf(r.from)} (${r.status})`), pathOf(next)].join(" → ")}`,
        });
      }
      if (redirects.length > request.maxRedirects) {
        return failed(started, url, redirects, response.status, {
          code: "TOO_MANY_REDIRECTS",
          message: `more than ${request.maxRedirects} redirects (last to ${next})`,
        });
      }
      if (nextMethod === "GET" && method !== "GET") {
        body = undefined;
        headers = withoutBodyHeaders(headers);
      }
      method = nextMethod;
      url = next;
    }
  } catch (error) {
    if (request.signal?.aborted) {
      return {
        ...failed(started, url, redirects, undefined, { code: "ABORTED", message: "stopped" }),
        aborted: true,
      };
    }
    const code = (error as { code?: string }).code ?? "";
    if (TIMEOUT_CODES.has(code) || (performance.now() > deadline && code !== "ECONNREFUSED")) {
      return timedOut(request, started, url, redirects);
    }
    return failed(started, url, redirects, undefined, explainNetworkError(error, url));
  }
}

function failed(
  started: number,
  url: string,
  redirects: Redirect[],
  status: number | undefined,
  error: { code: string; message: string },
): HttpOutcome {
  return {
    ...(status === undefined ? {} : { status }),
    error,
    url,
    redirects,
    bodyExcerpt: "",
    bodyTruncated: false,
    latencyMs: performance.now() - started,
    aborted: false,
  };
}

function timedOut(
  request: HttpRequest,
  started: number,
  url: string,
  redirects: Redirect[],
): HttpOutcome {
  return failed(started, url, redirects, undefined, {
    code: "TIMEOUT",
    message: `timed out after ${formatDuration(request.timeoutMs)}`,
  });
}

interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  truncated: boolean;
}

/** Marks a body cut short on purpose (too long to keep reading): not a failure. */
const ENOUGH = new Error("enough of the body read");

/**
 * One request and its answer through undici's dispatcher, reading only what we keep: the status,
 * the headers and the first bytes of the body (the rest is read and dropped up to a limit, so the
 * connection can be reused). Lighter than undici's `request()`, which wraps every answer in a
 * stream: at thousands of events a second that shows.
 */
function exchange(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  deadline: number,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    const answer = (): Exchange => ({
      status,
      headers,
      text: chunks.length === 0 ? "" : Buffer.concat(chunks).toString("utf8"),
      truncated: total > kept,
    });
    // The attempt's own timer: precise, unlike undici's coarse ones. Before the request is on a
    // socket there is no controller yet: the attempt ends at once and the request is stopped
    // when it gets one.
    let controller: Dispatcher.DispatchController | undefined;
    let expired: Error | undefined;
    // Node starts a timer from the event loop's cached time, which can lag the clock by a
    // millisecond or more under load: a timer that fires before the deadline sleeps the rest.
    const expire = () => {
      const left = deadline - performance.now();
      if (left > 0) {
        timer = setTimeout(expire, Math.ceil(left));
        return;
      }
      expired = Object.assign(new Error("timed out"), { code: "TIMEOUT" });
      if (controller) controller.abort(expired);
      else reject(expired);
    };
    // Whole milliseconds, rounded up: Node keeps one list per duration, so the first attempts
    // of a batch (all 5000 ms) share one list instead of each making its own.
    let timer = setTimeout(expire, Math.max(1, Math.ceil(deadline - performance.now())));
    const settle = () => clearTimeout(timer);
    dispatcher.dispatch(options, {
      onRequestStart(started) {
        controller = started;
        if (expired) started.abort(expired);
      },
      onResponseStart(_controller, statusCode, responseHeaders) {
        status = statusCode;
        headers = responseHeaders;
      },
      onResponseData(controller, chunk) {
        total += chunk.length;
        if (kept < EXCERPT_BYTES) {
          const part =
            chunk.length <= EXCERPT_BYTES - kept ? chunk : chunk.subarray(0, EXCERPT_BYTES - kept);
          chunks.push(part);
          kept += part.length;
        }
        if (total > DRAIN_BYTES) controller.abort(ENOUGH);
        else if (performance.now() > deadline) {
          controller.abort(Object.assign(new Error("body timeout"), { code: "TIMEOUT" }));
        }
      },
      onResponseEnd() {
        settle();
        resolve(answer());
      },
      onResponseError(_controller, error) {
        settle();
        if (error === ENOUGH) resolve(answer());
        else reject(error);
      },
    });
  });
}

/**
 * The headers without the static ones that carry credentials (named like a secret: see
 * `isSecretHeader`), for a redirect to another origin. Norce does not document what its client
 * does here, so this is modeled: the Fetch standard (browsers) removes `Authorization` when a
 * redirect changes origin, OkHttp when it changes host, and .NET's HttpClient on every redirect,
 * even on the same host. No common client sends a credential on to a host it was not given for;
 * we take the browsers' rule (cross-origin only, so a same-origin redirect still authenticates)
 * unless `--keep-auth-on-redirect`. Once dropped they stay dropped for the rest of the chain.
 * The Standard Webhooks headers are kept: they sign this body and are no credential.
 */
export function withoutCredentials(headers: readonly string[]): {
  headers: string[];
  dropped: string[];
} {
  const kept: string[] = [];
  const dropped: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (isSecretHeader(name) && !SIGNING.has(name.toLowerCase())) dropped.push(name);
    else kept.push(name, headers[i + 1]!);
  }
  return { headers: dropped.length > 0 ? kept : (headers as string[]), dropped };
}

const SIGNING = new Set<string>(SIGNING_NAMES);

function withoutBodyHeaders(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!/^content-(type|length)$/i.test(headers[i]!)) out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}

function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}
