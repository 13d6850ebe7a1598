/**
 * The relay: the public half of the tunnel. Norce posts to `/in/<channel>/<any path>`; a laptop
 * holds a WebSocket at `/connect/<channel>` and takes the events.
 *
 * - buffered (default): the event (method, path, raw headers in order, body bytes) is committed
 *   to the queue (fsync'd) before Norce hears 202; 503 if it cannot be stored, so Norce's own
 *   retries take over. The laptop acknowledges each event once it has recorded it; whatever is
 *   not acknowledged is sent again, in order, on the next connection.
 * - live: Norce's request is held and answered with the laptop's answer within 4.5 s (Norce's
 *   timeout is 5 s); 503 when no laptop is connected. Nothing is stored.
 *
 * Core code: nothing is printed; `onLog` gets one entry per ingest, delivery, ack, connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { UsageError } from "../shared/errors.js";
import { checkIdleAfterPing, countOption, timerOption } from "../shared/limits.js";
import {
  ADMIN_SCOPE,
  AUTH_HEADER,
  AUTH_REASONS,
  CHANNEL_PATTERN,
  type ClientFrame,
  type DeliverFrame,
  NonceCache,
  newChannelId,
  type RelayFrame,
  verifyAuth,
} from "./protocol.js";
import { type ChannelStatus, type EnqueueResult, type QueuedEvent, RelayQueue } from "./queue.js";

export type RelayMode = "buffered" | "live";

export interface RelayOptions {
  /** The shared secret laptops and admins sign with. Never sent, logged or stored. */
  secret: string;
  /** 0 picks a free port. @default 8080 */
  port?: number;
  /** @default "127.0.0.1" (put a TLS proxy in front, or say 0.0.0.0) */
  host?: string;
  /** The queue's SQLite file (buffered mode). @default "relay.db" */
  storePath?: string;
  /** Events not taken by a laptop are dropped after this. @default 72 h (Norce retries ~22 h) */
  retentionMs?: number;
  /** Larger bodies get 413. @default 1 MiB */
  maxBodyBytes?: number;
  /** @default "buffered" */
  mode?: RelayMode;
  /** Events waiting per channel before ingest answers 503. @default 100 000 */
  maxWaiting?: number;
  /** The relay pings each laptop this often. @default 15 s */
  pingIntervalMs?: number;
  /** A laptop silent this long is dropped (its channel is free again). @default 30 s */
  idleTimeoutMs?: number;
  /** Live mode: answer Norce by then, whatever the laptop does. @default 4.5 s */
  liveTimeoutMs?: number;
  /** One entry per ingest, delivery, ack and connection change. */
  onLog?: (entry: RelayLogEntry) => void;
}

export interface RelayLogEntry {
  time: string;
  event:
    | "ingest"
    | "duplicate"
    | "refused"
    | "delivery"
    | "ack"
    | "answer"
    | "connect"
    | "disconnect"
    | "expired"
    | "channel";
  channel?: string;
  seq?: number;
  messageId?: string | null;
  status?: number;
  bytes?: number;
  /** Why (a refusal, a disconnect). */
  reason?: string;
  count?: number;
}

export interface RelayStatus {
  mode: RelayMode;
  channels: (ChannelStatus & { connected: boolean })[];
}

export interface Relay {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  host: string;
  mode: RelayMode;
  storePath: string | undefined;
  /** Create a channel (as `POST /channels` does). */
  createChannel(): string;
  status(): RelayStatus;
  close(): Promise<void>;
}

export const DEFAULT_RELAY_PORT = 8080;
export const DEFAULT_RELAY_RETENTION_MS = 72 * 3_600_000;
const WINDOW = 64;

interface Consumer {
  channel: string;
  ws: WebSocket;
  sentUpTo: number;
  inflight: number;
  lastHeard: number;
  ready: boolean;
}

interface LiveWait {
  resolve: (answer: { status: number; headers?: Record<string, string>; body?: string }) => void;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  if (!options.secret) {
    throw new UsageError("the relay needs a secret", {
      hint: "--secret <text> or --secret '${NORCE_RELAY_SECRET}'",
    });
  }
  const secret = options.secret;
  const mode = options.mode ?? "buffered";
  const host = options.host ?? "127.0.0.1";
  const wantedPort = options.port ?? DEFAULT_RELAY_PORT;
  const maxBody = countOption("maxBodyBytes", options.maxBodyBytes, 1024 * 1024);
  // Not a timer (expiry runs every minute at most), so any whole number of ms above 0.
  const retentionMs = countOption("retentionMs", options.retentionMs, DEFAULT_RELAY_RETENTION_MS);
  const maxWaiting = countOption("maxWaiting", options.maxWaiting, 100_000);
  const pingMs = timerOption("pingIntervalMs", options.pingIntervalMs, 15_000);
  const idleMs = timerOption("idleTimeoutMs", options.idleTimeoutMs, 30_000);
  const liveMs = timerOption("liveTimeoutMs", options.liveTimeoutMs, 4500);
  checkIdleAfterPing(idleMs, pingMs);
  const storePath = options.storePath ?? "relay.db";
  const queue = RelayQueue.open(storePath);
  const nonces = new NonceCache();
  const consumers = new Map<string, Consumer>();
  const liveWaits = new Map<number, LiveWait>();
  let liveSeq = 0;
  const log = (entry: Omit<RelayLogEntry, "time">) =>
    options.onLog?.({ time: new Date().toISOString(), ...entry });

  const expire = () => {
    try {
      const dropped = queue.expire(Date.now() - retentionMs);
      if (dropped > 0) log({ event: "expired", count: dropped });
    } catch {
      // The next round tries again; ingest reports a broken store as 503.
    }
  };
  expire();
  const expiry = setInterval(expire, Math.min(60_000, Math.max(1000, retentionMs / 10)));
  expiry.unref();

  const send = (consumer: Consumer, frame: RelayFrame) => {
    if (consumer.ws.readyState === consumer.ws.OPEN) consumer.ws.send(JSON.stringify(frame));
  };

  const pump = (consumer: Consumer) => {
    if (!consumer.ready || consumers.get(consumer.channel) !== consumer) return;
    while (consumer.inflight < WINDOW) {
      let batch: QueuedEvent[];
      try {
        batch = queue.waiting(consumer.channel, consumer.sentUpTo, WINDOW - consumer.inflight);
      } catch {
        return;
      }
      if (batch.length === 0) return;
      for (const event of batch) {
        send(consumer, deliverFrame(event.seq, event, false));
        consumer.sentUpTo = event.seq;
        consumer.inflight++;
        log({
          event: "delivery",
          channel: consumer.channel,
          seq: event.seq,
          messageId: event.messageId,
        });
      }
    }
  };

  // Group commit: events arriving in one turn of the event loop share one fsync'd transaction;
  // each is answered only after it. Under load this is many events per disk flush.
  let batch: { event: Omit<QueuedEvent, "seq">; done: (result: EnqueueResult | Error) => void }[] =
    [];
  const commitBatch = () => {
    const items = batch;
    batch = [];
    let results: EnqueueResult[];
    try {
      results = queue.enqueueMany(items.map((item) => item.event));
    } catch (error) {
      for (const item of items) item.done(error as Error);
      return;
    }
    items.forEach((item, i) => {
      item.done(results[i]!);
    });
  };
  const enqueue = (event: Omit<QueuedEvent, "seq">) =>
    new Promise<EnqueueResult>((resolve, reject) => {
      batch.push({
        event,
        done: (result) => (result instanceof Error ? reject(result) : resolve(result)),
      });
      if (batch.length === 1) setImmediate(commitBatch);
    });

  const answer = (res: ServerResponse, status: number, body: string, headers = {}) => {
    if (res.headersSent) return;
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
    res.end(body.endsWith("\n") ? body : `${body}\n`);
  };

  const ingest = async (
    req: IncomingMessage,
    res: ServerResponse,
    channel: string,
    rest: string,
  ) => {
    if (!CHANNEL_PATTERN.test(channel) || !queue.hasChannel(channel)) {
      log({ event: "refused", channel: safe(channel), status: 404, reason: "unknown channel" });
      return answer(
        res,
        404,
        "no such channel: create one with `norce-event relay channel create`",
      );
    }
    if (req.method !== "POST") {
      return answer(res, 405, "Norce posts events; use POST", { allow: "POST" });
    }
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBody) {
      log({ event: "refused", channel, status: 413, bytes: declared, reason: "too large" });
      return answer(res, 413, `body larger than ${maxBody} bytes`, { connection: "close" });
    }
    const body = await readBody(req, maxBody);
    if (!body) {
      log({ event: "refused", channel, status: 413, reason: "too large" });
      return answer(res, 413, `body larger than ${maxBody} bytes`, { connection: "close" });
    }
    const rawHeaders = req.rawHeaders;
    const messageId = headerValue(rawHeaders, "norce-event-message-id") ?? null;
    const received: Omit<QueuedEvent, "seq"> = {
      channel,
      messageId,
      method: req.method,
      path: rest || "/",
      rawHeaders,
      body,
      receivedAt: Date.now(),
      remoteAddress: req.socket.remoteAddress ?? null,
    };
    if (mode === "live") return live(res, received);
    try {
      if (queue.countWaiting(channel) >= maxWaiting) {
        log({ event: "refused", channel, status: 503, messageId, reason: "queue full" });
        return answer(res, 503, `channel holds ${maxWaiting} waiting events; try later`);
      }
      const stored = await enqueue(received);
      if (!stored.stored) {
        log({ event: "duplicate", channel, seq: stored.duplicateOf, messageId, status: 202 });
        return answer(res, 202, "accepted (already held)");
      }
      log({
        event: "ingest",
        channel,
        seq: stored.seq,
        messageId,
        status: 202,
        bytes: body.length,
      });
      answer(res, 202, "accepted");
    } catch (error) {
      log({ event: "refused", channel, status: 503, messageId, reason: (error as Error).message });
      return answer(res, 503, "cannot store the event now; retry later");
    }
    const consumer = consumers.get(channel);
    if (consumer) pump(consumer);
  };

  const live = async (res: ServerResponse, event: Omit<QueuedEvent, "seq">) => {
    const consumer = consumers.get(event.channel);
    if (!consumer?.ready) {
      log({ event: "refused", channel: event.channel, status: 503, reason: "no laptop connected" });
      return answer(res, 503, "no laptop is connected to this channel");
    }
    const seq = ++liveSeq;
    const result = await new Promise<{
      status: number;
      headers?: Record<string, string>;
      body?: string;
    }>((resolve) => {
      const timer = setTimeout(() => {
        liveWaits.delete(seq);
        resolve({ status: 504, body: "the laptop did not answer within 4.5 s" });
      }, liveMs);
      liveWaits.set(seq, {
        resolve: (value) => {
          clearTimeout(timer);
          liveWaits.delete(seq);
          resolve(value);
        },
      });
      send(consumer, deliverFrame(seq, event, true));
      log({ event: "delivery", channel: event.channel, seq, messageId: event.messageId });
    });
    log({
      event: "answer",
      channel: event.channel,
      seq,
      messageId: event.messageId,
      status: result.status,
    });
    answer(res, result.status, result.body ?? `${result.status}`, pickSafeHeaders(result.headers));
  };

  const admin = (req: IncomingMessage, res: ServerResponse, route: string) => {
    const auth = verifyAuth(secret, ADMIN_SCOPE, header(req, AUTH_HEADER), nonces);
    if (!auth.ok) {
      log({ event: "refused", status: 401, reason: AUTH_REASONS[auth.reason] });
      return answer(res, 401, AUTH_REASONS[auth.reason]);
    }
    res.setHeader("content-type", "application/json");
    if (route === "channels" && req.method === "POST") {
      const id = createChannel();
      res.writeHead(201).end(`${JSON.stringify({ channel: id })}\n`);
      return;
    }
    if (route === "status" && req.method === "GET") {
      res.writeHead(200).end(`${JSON.stringify(status())}\n`);
      return;
    }
    answer(res, 405, "use POST /channels or GET /status");
  };

  const createChannel = () => {
    const id = newChannelId();
    queue.createChannel(id);
    log({ event: "channel", channel: id });
    return id;
  };

  const status = (): RelayStatus => ({
    mode,
    channels: queue.channels().map((c) => ({ ...c, connected: consumers.has(c.id) })),
  });

  const server: Server = createServer(
    { requestTimeout: 30_000, headersTimeout: 10_000 } as Parameters<typeof createServer>[0],
    (req, res) => {
      const url = req.url ?? "/";
      const route = routeOf(url);
      const done = (work: unknown) =>
        Promise.resolve(work).catch(() => answer(res, 500, "relay error"));
      if (route.kind === "ingest") return void done(ingest(req, res, route.channel, route.rest));
      if (route.kind === "healthz") {
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(`${JSON.stringify({ ok: true, mode })}\n`);
      }
      if (route.kind === "admin") return void done(admin(req, res, route.name));
      answer(res, 404, "not found: Norce posts to /in/<channel>/<path>");
    },
  );
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBody + 64 * 1024 });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, text: string, channel?: string) => {
      log({ event: "refused", ...(channel ? { channel } : {}), status, reason: text });
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Refused"}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(text) + 1}\r\n\r\n${text}\n`,
      );
    };
    const parsed = new URL(req.url ?? "/", "http://relay");
    const match = /^\/connect\/([^/]+)$/.exec(parsed.pathname);
    if (!match) return refuse(404, "not found: laptops connect to /connect/<channel>");
    const channel = decodeURIComponent(match[1]!);
    const auth = verifyAuth(secret, channel, header(req, AUTH_HEADER), nonces);
    if (!auth.ok) return refuse(401, AUTH_REASONS[auth.reason], safe(channel));
    if (!CHANNEL_PATTERN.test(channel) || !queue.hasChannel(channel)) {
      return refuse(404, "no such channel", safe(channel));
    }
    const existing = consumers.get(channel);
    const takeover = parsed.searchParams.get("takeover") === "1";
    if (existing && !takeover && Date.now() - existing.lastHeard < idleMs) {
      return refuse(
        409,
        // The laptop's own hint names --takeover; this text is for any other client.
        "another laptop is connected to this channel (connect with ?takeover=1 to replace it)",
        channel,
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (existing) {
        consumers.delete(channel);
        // The close frame must reach it (4001: do not dial again), so no terminate() at once.
        existing.ws.close(4001, "taken over by another laptop");
        setTimeout(() => existing.ws.terminate(), 2000).unref();
      }
      const consumer: Consumer = {
        channel,
        ws,
        sentUpTo: 0,
        inflight: 0,
        lastHeard: Date.now(),
        ready: false,
      };
      consumers.set(channel, consumer);
      safeTouch(channel);
      log({ event: "connect", channel, ...(existing ? { reason: "took over" } : {}) });
      const heard = () => {
        consumer.lastHeard = Date.now();
      };
      ws.on("pong", heard);
      ws.on("ping", heard);
      ws.on("message", (data) => {
        heard();
        let frame: ClientFrame;
        try {
          frame = JSON.parse(String(data)) as ClientFrame;
        } catch {
          return;
        }
        onFrame(consumer, frame);
      });
      ws.on("close", () => {
        if (consumers.get(channel) === consumer) {
          consumers.delete(channel);
          safeTouch(channel);
          log({ event: "disconnect", channel });
        }
      });
      ws.on("error", () => ws.terminate());
    });
  });

  const onFrame = (consumer: Consumer, frame: ClientFrame) => {
    const { channel } = consumer;
    if (frame.type === "hello") {
      if (consumer.ready) return;
      consumer.ready = true;
      try {
        if (Number.isInteger(frame.lastAckedSeq) && frame.lastAckedSeq > 0) {
          queue.ack(channel, frame.lastAckedSeq, true);
        }
        const dropped = queue.takeDropped(channel);
        if (dropped > 0) send(consumer, { type: "gap", dropped });
        send(consumer, {
          type: "welcome",
          waiting: mode === "buffered" ? queue.countWaiting(channel) : 0,
          mode,
        });
      } catch {
        consumer.ws.close(1011, "relay store failed");
        return;
      }
      pump(consumer);
    } else if (frame.type === "ack" && Number.isInteger(frame.seq)) {
      consumer.inflight = Math.max(0, consumer.inflight - 1);
      try {
        if (queue.ack(channel, frame.seq) > 0) log({ event: "ack", channel, seq: frame.seq });
        queue.touch(channel);
      } catch {
        // Not acknowledged: sent again on the next connection, and dropped there as a duplicate.
      }
      pump(consumer);
    } else if (frame.type === "answer" && Number.isInteger(frame.seq)) {
      const status = Number.isInteger(frame.status) && frame.status >= 200 && frame.status <= 599;
      liveWaits.get(frame.seq)?.resolve({
        status: status ? frame.status : 502,
        ...(frame.headers ? { headers: frame.headers } : {}),
        ...(typeof frame.body === "string" ? { body: frame.body.slice(0, 64 * 1024) } : {}),
      });
    }
  };

  const safeTouch = (channel: string) => {
    try {
      queue.touch(channel);
    } catch {
      // Only the status display loses a timestamp.
    }
  };

  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const consumer of consumers.values()) {
      if (now - consumer.lastHeard > idleMs) {
        consumers.delete(consumer.channel);
        log({ event: "disconnect", channel: consumer.channel, reason: "silent" });
        consumer.ws.terminate();
      } else if (consumer.ws.readyState === consumer.ws.OPEN) consumer.ws.ping();
    }
  }, pingMs);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      queue.close();
      clearInterval(expiry);
      clearInterval(heartbeat);
      reject(
        error.code === "EADDRINUSE"
          ? new UsageError(`port ${wantedPort} on ${host} is in use`, {
              code: "NORCE_EVENT_PORT_IN_USE",
              hint: "stop the other process, or pick another --port",
            })
          : error.code === "EACCES"
            ? new UsageError(`not allowed to listen on port ${wantedPort}`, {
                hint: "use a port above 1023 behind your TLS proxy",
              })
            : error,
      );
    });
    server.listen(wantedPort, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    host,
    mode,
    storePath,
    createChannel,
    status,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(expiry);
        clearInterval(heartbeat);
        for (const wait of liveWaits.values())
          wait.resolve({ status: 503, body: "relay stopping" });
        for (const consumer of consumers.values()) consumer.ws.close(1001, "relay stopping");
        consumers.clear();
        server.close(() => {
          queue.close();
          resolve();
        });
        server.closeIdleConnections();
        setTimeout(() => {
          server.closeAllConnections();
          for (const client of wss.clients) client.terminate();
        }, 1000).unref();
      });
      return closing;
    },
  };
}

const STATUS_TEXT: Record<number, string> = {
  401: "Unauthorized",
  404: "Not Found",
  409: "Conflict",
};

function deliverFrame(seq: number, event: Omit<QueuedEvent, "seq">, live: boolean): DeliverFrame {
  return {
    type: "deliver",
    seq,
    messageId: event.messageId,
    method: event.method,
    path: event.path,
    rawHeaders: event.rawHeaders,
    bodyB64: event.body.toString("base64"),
    receivedAt: event.receivedAt,
    ...(event.remoteAddress ? { remoteAddress: event.remoteAddress } : {}),
    ...(live ? { live: true } : {}),
  };
}

type Route =
  | { kind: "ingest"; channel: string; rest: string }
  | { kind: "healthz" }
  | { kind: "admin"; name: string }
  | { kind: "other" };

function routeOf(url: string): Route {
  if (url.startsWith("/in/")) {
    const after = url.slice(4);
    const slash = after.search(/[/?]/);
    const channel = slash === -1 ? after : after.slice(0, slash);
    const rest = slash === -1 ? "/" : after.slice(slash);
    return { kind: "ingest", channel, rest: rest.startsWith("?") ? `/${rest}` : rest };
  }
  const path = url.split("?")[0];
  if (path === "/healthz") return { kind: "healthz" };
  if (path === "/channels") return { kind: "admin", name: "channels" };
  if (path === "/status") return { kind: "admin", name: "status" };
  return { kind: "other" };
}

/** A channel id from the network, fit for a log line. */
function safe(text: string): string {
  return text.slice(0, 40).replace(/[^A-Za-z0-9_-]/g, "?");
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function headerValue(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === lowerName) return raw[i + 1];
  }
  return undefined;
}

/** Live answers pass on the content type only: the rest is the laptop's business. */
function pickSafeHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const type = headers?.["content-type"];
  return type ? { "content-type": type } : {};
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      bytes += chunk.length;
      if (bytes > max) {
        done = true;
        chunks.length = 0;
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    const gone = () => {
      if (!done) resolve(undefined);
      done = true;
    };
    req.on("error", gone);
    req.on("close", gone);
  });
}
