/**
 * The inspector: a local web page over the event store (and a running listener), on its own port
 * like ngrok's 4040 so the receiver's paths stay the user's. Core code: it serves and acts, and
 * tells its caller what happened; it never prints.
 *
 * It can send requests, so it is locked down as a local tool should be: bound to 127.0.0.1 only;
 * any request whose Host is not this port on localhost, 127.0.0.1 or [::1] gets 421 (DNS
 * rebinding); actions are POSTs with a JSON body, a per-process random token the page received on
 * load, a same-origin Origin, and no CORS headers; a strict Content-Security-Policy; event data
 * reaches the page as JSON and is put in the DOM as text only.
 *
 * Live updates are Server-Sent Events fed from the store's change feed (every row written, by any
 * process, in one order), so a reconnect with `Last-Event-ID` misses nothing, and a browser that
 * falls behind is dropped and catches up from the store instead of growing a backlog here.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DeliveryPolicy } from "../delivery/policy.js";
import { findEventType } from "../events/catalog.js";
import { UsageError } from "../shared/errors.js";
import type { EventStore, FeedPosition, ReceivedRecord } from "../store/db.js";
import { planReplay, type ReplayTargets, replayTarget, runReplay } from "./actions.js";
import { attemptDiffs, feedRecord, receivedViews, sentViews } from "./feed.js";
import type { AnswerSettings, EventDetail, InspectorMeta } from "./web/types.js";

export const DEFAULT_INSPECTOR_PORT = 7413;

/** The listener's answers, switchable while it runs. */
export interface AnswerControl {
  get(): AnswerSettings;
  /** Change some settings; throws a UsageError naming a bad value. */
  set(change: Partial<AnswerSettings>): AnswerSettings;
}

export interface InspectorOptions {
  store: EventStore;
  /** @default 7413; 0 picks a free port */
  port?: number;
  /** When the inspector runs with `listen`. */
  listener?: {
    url: string;
    /** `http://127.0.0.1:<port>`: where received events are replayed. */
    origin: string;
    forwardTo?: string;
    /** The headers `--require-header` asks for (the user's own), sent with replays to it. */
    requireHeaders?: Record<string, string>;
    answers?: AnswerControl;
  };
  /** Norce's policy for replays from the page (the listener's time scale). */
  policy: DeliveryPolicy;
  /** Judge retry gaps against Norce's delays divided by this. @default 1 */
  timeScale?: number;
  /** The real header values this process saw, for `--show-secrets` (never stored). */
  reveal?: (record: ReceivedRecord) => Record<string, string> | undefined;
  /** How often the change feed is read while a page is open. @default 200 ms */
  pollMs?: number;
  version?: string;
  /** Told of each replay the page starts, and how it ended. */
  onReplay?: (info: {
    messageId: string;
    to: string;
    outcome?: string;
    warnings: string[];
  }) => void;
}

export interface Inspector {
  url: string;
  port: number;
  /** The per-process token actions must carry (the page gets it on load). */
  token: string;
  /** Stop serving; replays in flight are stopped (they stay pending in the store). */
  close(): Promise<void>;
}

/** An SSE client falling this far behind is dropped; it reconnects and catches up from the store. */
const SSE_BACKLOG_BYTES = 1024 * 1024;
const PING_MS = 15_000;
const MAX_POST_BYTES = 4 * 1024 * 1024;

// From dist/inspector and from the CLI's bundle (dist/bundle) alike.
const WEB_DIR = new URL("../inspector/web/", import.meta.url);
const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
};

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const store = options.store;
  const token = randomBytes(24).toString("hex");
  const tokenBytes = Buffer.from(token);
  const timeScale = options.timeScale ?? 1;
  const pollMs = options.pollMs ?? 200;
  const assets = loadAssets();
  const targets: ReplayTargets = {
    ...(options.listener ? { listenerOrigin: options.listener.origin } : {}),
    ...(options.listener?.requireHeaders
      ? { listenerHeaders: options.listener.requireHeaders }
      : {}),
  };
  const stopReplays = new AbortController();
  const clients = new Set<{ res: ServerResponse; position: FeedPosition }>();
  let allowedHosts = new Set<string>();
  let poller: NodeJS.Timeout | undefined;
  let pinger: NodeJS.Timeout | undefined;

  const meta = (): InspectorMeta => ({
    mode: options.listener ? "listen" : "store",
    listenerUrl: options.listener?.url ?? null,
    forwardTo: options.listener?.forwardTo ?? null,
    store: store.path,
    timeScale,
    answers: options.listener?.answers?.get() ?? null,
    version: options.version ?? "",
  });

  const detail = (messageId: string): EventDetail | undefined => {
    let found: ReturnType<EventStore["find"]>;
    try {
      found = store.find(messageId);
    } catch {
      return undefined;
    }
    if (!found || found.messageId !== messageId) return undefined;
    const first = found.received[0] ?? found.deliveries[0];
    const type = first?.type ?? null;
    return {
      messageId,
      type,
      category: (type && findEventType(type)?.category) ?? null,
      received: receivedViews(found.received, timeScale, options.reveal),
      sent: sentViews(found.deliveries),
      diffs: attemptDiffs(found.received),
      replay: replayTarget(found, targets),
      canReveal: Boolean(options.reveal),
    };
  };

  const poll = () => {
    for (const client of clients) {
      try {
        const { changes, position } = store.changesSince(client.position);
        if (changes.length === 0) continue;
        // Only the batch's last event carries the position after it: a connection lost halfway
        // resumes from the batch before, and the page takes the repeats as updates.
        let text = "";
        for (const [i, change] of changes.entries()) {
          const id = i === changes.length - 1 ? `id: ${formatPosition(position)}\n` : "";
          text += `${id}event: record\ndata: ${JSON.stringify(feedRecord(change))}\n\n`;
        }
        client.position = position;
        client.res.write(text);
        if (client.res.writableLength > SSE_BACKLOG_BYTES) client.res.end();
      } catch {
        client.res.end();
      }
    }
  };

  const stream = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const given = req.headers["last-event-id"] ?? url.searchParams.get("after") ?? "";
    const position = parsePosition(String(given)) ?? store.feedPosition();
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      connection: "keep-alive",
    });
    res.write(`retry: 1000\nid: ${formatPosition(position)}\n\n`);
    const client = { res, position };
    clients.add(client);
    poller ??= setInterval(poll, pollMs);
    pinger ??= setInterval(() => {
      for (const c of clients) c.res.write(": ping\n\n");
    }, PING_MS);
    res.on("close", () => {
      clients.delete(client);
      if (clients.size === 0) {
        clearInterval(poller);
        clearInterval(pinger);
        poller = undefined;
        pinger = undefined;
      }
    });
    poll();
  };

  const replay = async (messageId: string, body: unknown): Promise<[number, unknown]> => {
    const request = body as { newId?: unknown; body?: unknown; allowInvalid?: unknown };
    if (request.body !== undefined && typeof request.body !== "string") {
      return [400, { error: "body must be the edited JSON as text" }];
    }
    const plan = planReplay(
      store,
      messageId,
      {
        newId: request.newId === true,
        ...(typeof request.body === "string" ? { body: request.body } : {}),
        allowInvalid: request.allowInvalid === true,
      },
      targets,
    );
    if (!plan.ok) return [plan.status, { error: plan.message, problems: plan.problems ?? [] }];
    const info = { messageId: plan.event.messageId, to: plan.to, warnings: plan.warnings };
    options.onReplay?.(info);
    runReplay(store, plan, options.policy, stopReplays.signal).then(
      (delivery) => options.onReplay?.({ ...info, outcome: delivery.outcome }),
      (error: unknown) =>
        options.onReplay?.({ ...info, outcome: `failed: ${(error as Error).message}` }),
    );
    return [202, info];
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (method === "POST") {
      const refusal = checkAction(req);
      if (refusal) return json(res, 403, { error: refusal });
    }
    if (method === "GET" && path === "/api/meta") return json(res, 200, meta());
    if (method === "GET" && path === "/api/events") {
      // The position first: a row written in between comes again on the stream, never missed.
      const cursor = formatPosition(store.feedPosition());
      const records = store.recent(Number(url.searchParams.get("limit")) || 300).map(feedRecord);
      return json(res, 200, { cursor, records });
    }
    if (method === "GET" && path === "/api/stream") return stream(req, res, url);
    if (path === "/api/answers") {
      const answers = options.listener?.answers;
      if (!answers) return json(res, 404, { error: "no listener: answers are the listener's" });
      if (method === "GET") return json(res, 200, answers.get());
      if (method === "POST") {
        const change = (await readJson(req)) as Partial<AnswerSettings>;
        try {
          return json(res, 200, answers.set(change));
        } catch (error) {
          if (error instanceof UsageError) return json(res, 400, { error: error.message });
          throw error;
        }
      }
    }
    const match = /^\/api\/events\/([^/]+)(\/replay|\/download)?$/.exec(path);
    if (match) {
      let messageId: string;
      try {
        messageId = decodeURIComponent(match[1]!);
      } catch {
        return json(res, 400, {
          error: "the message id in the path is not valid percent-encoding",
        });
      }
      if (!match[2] && method === "GET") {
        const found = detail(messageId);
        return found ? json(res, 200, found) : json(res, 404, { error: "no such event" });
      }
      if (match[2] === "/replay" && method === "POST") {
        const [status, body] = await replay(messageId, await readJson(req));
        return json(res, status, body);
      }
      if (match[2] === "/download" && method === "GET") return download(res, messageId, url);
    }
    return json(res, method === "GET" || method === "POST" ? 404 : 405, { error: "not found" });
  };

  const download = (res: ServerResponse, messageId: string, url: URL) => {
    const found = detail(messageId);
    if (!found) return json(res, 404, { error: "no such event" });
    const received = found.received.at(-1);
    const sent = found.sent.at(-1);
    const safeName = messageId.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
    let text: string;
    let name: string;
    if (url.searchParams.get("what") === "request") {
      text = JSON.stringify(
        received
          ? {
              method: received.method,
              path: received.path,
              headers: Object.fromEntries(received.headers.map((h) => [h.name, h.value])),
              body: received.body,
            }
          : { method: "POST", url: sent?.url, headers: sent?.headers, body: sent?.body },
        null,
        2,
      );
      name = `${safeName}.request.json`;
    } else {
      text = received?.body ?? sent?.body ?? "";
      name = `${safeName}.json`;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${name}"`,
    });
    res.end(text);
  };

  /** Why an action is refused (CSRF), or undefined when it may go ahead. */
  const checkAction = (req: IncomingMessage): string | undefined => {
    const type = req.headers["content-type"] ?? "";
    if (!/^application\/json\b/i.test(type)) return "actions take a JSON body";
    const given = Buffer.from(String(req.headers["x-inspector-token"] ?? ""));
    if (given.length !== tokenBytes.length || !timingSafeEqual(given, tokenBytes)) {
      return "missing or wrong X-Inspector-Token (reload the page)";
    }
    const origin = req.headers.origin;
    if (origin === undefined) return "actions come from the inspector's page (no Origin header)";
    if (!origin.startsWith("http://") || !allowedHosts.has(origin.slice("http://".length))) {
      return `cross-origin request from ${origin.slice(0, 100)}`;
    }
    if (req.headers["sec-fetch-site"] === "cross-site") return "cross-site request";
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    if (!allowedHosts.has(String(req.headers.host ?? "").toLowerCase())) {
      res.writeHead(421, { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" });
      res.end("421 Misdirected Request: the inspector answers only to localhost\n");
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname.startsWith("/api/")) return api(req, res, url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...SECURITY_HEADERS, allow: "GET" }).end();
      return;
    }
    const name = url.pathname === "/" ? "index.html" : url.pathname.slice(1);
    const asset = assets.get(name);
    if (!asset) {
      res.writeHead(404, { ...SECURITY_HEADERS, "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const body =
      name === "index.html" ? asset.body.toString("utf8").replace("__TOKEN__", token) : asset.body;
    res.writeHead(200, { ...SECURITY_HEADERS, "content-type": asset.type });
    res.end(req.method === "HEAD" ? undefined : body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bad request (not JSON, a bad value) is the client's: 400; anything else is ours: 500.
      const status = error instanceof UsageError ? 400 : 500;
      if (!res.headersSent) json(res, status, { error: (error as Error).message });
      else res.end();
    });
  });
  const port = await listen(server, options.port ?? DEFAULT_INSPECTOR_PORT);
  allowedHosts = new Set([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    close() {
      closing ??= (async () => {
        stopReplays.abort();
        clearInterval(poller);
        clearInterval(pinger);
        for (const client of clients) client.res.end();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_POST_BYTES) {
        req.destroy();
        reject(new UsageError("request body too large"));
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      let value: unknown;
      try {
        value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        reject(new UsageError("the body is not JSON"));
        return;
      }
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        reject(new UsageError("the body is not a JSON object"));
        return;
      }
      resolve(value);
    });
    req.on("error", reject);
  });
}

/** The page's files, read once: only these names are served (no path from a URL reaches the disk). */
function loadAssets(): Map<string, { body: Buffer; type: string }> {
  const assets = new Map<string, { body: Buffer; type: string }>();
  // Built: one folder (compiled scripts beside the copied page). From source: the page in static/.
  for (const dir of [WEB_DIR, new URL("static/", WEB_DIR)]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const type = CONTENT_TYPES[name.slice(name.lastIndexOf("."))];
      if (type && !name.endsWith(".d.ts")) {
        assets.set(name, { body: readFileSync(new URL(name, dir)), type });
      }
    }
  }
  return assets;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new UsageError(`the inspector's port ${port} on 127.0.0.1 is in use`, {
              code: "NORCE_EVENT_PORT_IN_USE",
              hint: "stop the other inspector, or pick another port (--inspect 7414, or 0 for any)",
            })
          : error,
      );
    });
    // Loopback only, whatever the listener binds: the page can send requests.
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/** A feed position as an SSE id: `<received>.<deliveries>.<updates>`. */
function formatPosition(p: FeedPosition): string {
  return `${p.received}.${p.deliveries}.${p.updates}`;
}

function parsePosition(text: string): FeedPosition | undefined {
  const match = /^(\d{1,15})\.(\d{1,15})\.(\d{1,15})$/.exec(text);
  if (!match) return undefined;
  return { received: Number(match[1]), deliveries: Number(match[2]), updates: Number(match[3]) };
}
