/**
 * The laptop half of the tunnel: one WebSocket out to the relay (no inbound port), events taken
 * in order, each acknowledged only after `onEvent` has finished with it (the CLI records it in
 * the local store first), duplicates dropped by message id.
 *
 * It never gives up on the network: a closed or silent connection (nothing heard for 30 s,
 * pings every 15 s) is dialled again with jittered backoff from 0.5 s to 30 s, and a jump of the
 * wall clock (the laptop slept) re-dials at once. It stops only when told, or when the relay
 * refuses for good (wrong secret 401, unknown channel 404, another laptop holds the channel 409,
 * or another laptop took the channel over).
 *
 * Core code: nothing is printed; every state change goes to `onState`.
 */
import { WebSocket } from "ws";
import { UsageError } from "../shared/errors.js";
import { checkIdleAfterPing, timerOption } from "../shared/limits.js";
import {
  AUTH_HEADER,
  type ClientFrame,
  type DeliverFrame,
  isLoopbackUrl,
  printable,
  type RelayFrame,
  signAuth,
} from "./protocol.js";

/** An event as Norce sent it to the relay. */
export interface RelayedEvent {
  seq: number;
  messageId: string | null;
  method: string;
  /** The path after `/in/<channel>`, e.g. `/receiver`. */
  path: string;
  /** Flat name, value pairs: names' case and order as Norce sent them. */
  rawHeaders: string[];
  body: Buffer;
  /** When the relay received it (epoch ms). */
  receivedAt: number;
  /** Who posted it to the relay (Norce, or the relay's TLS proxy). */
  remoteAddress: string | undefined;
  /** Live mode: Norce is waiting for the answer `onEvent` returns. */
  live: boolean;
}

export interface RelayAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type RelayClientState =
  | { state: "connecting"; attempt: number }
  | { state: "connected"; waiting: number; mode: "buffered" | "live" }
  | { state: "gap"; dropped: number }
  | { state: "disconnected"; reason: string; retryInMs: number }
  | { state: "duplicate"; seq: number; messageId: string | null }
  | { state: "clock-jump"; jumpedMs: number }
  | { state: "event-failed"; seq: number; reason: string }
  | { state: "failed"; status?: number; reason: string };

export interface ConnectRelayOptions {
  /** The relay's base URL: https://relay.example.com (http only on loopback). */
  url: string;
  channel: string;
  secret: string;
  /** Replace a laptop already connected to the channel. */
  takeover?: boolean;
  /**
   * Take one event (called one at a time, in order). Resolve once it is safely recorded: the
   * event is acknowledged then. In live mode, what it resolves to is Norce's answer.
   */
  onEvent(event: RelayedEvent): Promise<RelayAnswer | undefined> | RelayAnswer | undefined;
  /** Whether an event with this message id was taken before (e.g. in the local store). */
  seen?(messageId: string): boolean | Promise<boolean>;
  onState?(state: RelayClientState): void;
  /** @default 15 s */
  pingIntervalMs?: number;
  /** A connection silent this long is dropped and dialled again. @default 30 s */
  idleTimeoutMs?: number;
  /** @default 500 ms */
  minBackoffMs?: number;
  /** @default 30 s */
  maxBackoffMs?: number;
  /** How often the wall clock is compared with the monotonic one. @default 1 s */
  clockCheckMs?: number;
  /** A wall-clock jump beyond this (past the check interval) counts as waking from sleep. @default 5 s */
  clockJumpMs?: number;
  /** @internal the wall clock (tests make it jump, as a laptop waking from sleep does). */
  now?: () => number;
}

export interface RelayConnection {
  /** The last sequence number this connection acknowledged. */
  readonly lastAckedSeq: number;
  /** Settles when the connection stops: resolves after `close()`, rejects when refused for good. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/** The relay refused this laptop for good (wrong secret, unknown channel, channel taken). */
export class RelayRefusedError extends UsageError {
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, hint?: string) {
    super(message, { code: "NORCE_EVENT_RELAY_REFUSED", ...(hint ? { hint } : {}) });
    this.status = status;
  }
}

/** The relay's base URL, checked: https (or http on this machine). */
export function parseRelayUrl(text: string, flag = "--relay"): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} "${text}" is not a URL`, {
      hint: "write the relay's address, e.g. https://relay.example.com",
    });
  }
  if (url.protocol === "ws:" || url.protocol === "wss:") {
    url = new URL(text.replace(/^ws/, "http"));
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`${flag} "${text}" is not an https URL`, {
      hint: "e.g. https://relay.example.com",
    });
  }
  if (url.protocol === "http:" && !isLoopbackUrl(url)) {
    throw new UsageError(`${flag} ${url.origin} is plain http on another machine`, {
      hint: "put the relay behind TLS (see the README's Tunnel section) and use https://",
    });
  }
  if (url.username || url.password) {
    throw new UsageError(`${flag} must not carry credentials`, {
      hint: "the secret comes from --secret or NORCE_RELAY_SECRET, never the URL",
    });
  }
  url.pathname = url.pathname.replace(/\/+$/, "");
  url.search = "";
  url.hash = "";
  return url;
}

const REMEMBERED_IDS = 10_000;

export function connectRelay(options: ConnectRelayOptions): RelayConnection {
  const base = parseRelayUrl(options.url);
  if (!options.secret) {
    throw new UsageError("no relay secret", {
      hint: "export NORCE_RELAY_SECRET=… (the relay's --secret)",
    });
  }
  const pingMs = timerOption("pingIntervalMs", options.pingIntervalMs, 15_000);
  const idleMs = timerOption("idleTimeoutMs", options.idleTimeoutMs, 30_000);
  const minBackoff = timerOption("minBackoffMs", options.minBackoffMs, 500);
  const maxBackoff = timerOption("maxBackoffMs", options.maxBackoffMs, 30_000);
  const clockCheckMs = timerOption("clockCheckMs", options.clockCheckMs, 1000);
  const clockJumpMs = timerOption("clockJumpMs", options.clockJumpMs, 5000);
  checkIdleAfterPing(idleMs, pingMs);
  if (minBackoff > maxBackoff) {
    throw new UsageError(
      `minBackoffMs (${minBackoff}) must not be above maxBackoffMs (${maxBackoff})`,
    );
  }
  const emit = (state: RelayClientState) => options.onState?.(state);
  const wsUrl = `${base.protocol === "https:" ? "wss:" : "ws:"}//${base.host}${base.pathname.replace(/\/+$/, "")}/connect/${encodeURIComponent(options.channel)}`;

  let ws: WebSocket | undefined;
  let stopped = false;
  let everConnected = false;
  let failures = 0;
  let lastHeard = Date.now();
  let lastAckedSeq = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  const seenIds = new Set<string>();
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A caller that only awaits close() must not see an unhandled rejection.
  done.catch(() => {});

  const stop = (error?: Error) => {
    if (stopped) return;
    stopped = true;
    clearInterval(watch);
    clearTimeout(retryTimer);
    ws?.terminate();
    if (error) settle.reject(error);
    else settle.resolve();
  };

  const remember = (messageId: string) => {
    seenIds.add(messageId);
    if (seenIds.size > REMEMBERED_IDS) {
      const oldest = seenIds.values().next().value;
      if (oldest !== undefined) seenIds.delete(oldest);
    }
  };

  const send = (socket: WebSocket, frame: ClientFrame) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  };

  const handle = async (socket: WebSocket, frame: DeliverFrame) => {
    // Frames read before a stop are left to the next connection (they were not acknowledged).
    if (stopped) return;
    const event: RelayedEvent = {
      seq: frame.seq,
      messageId: frame.messageId,
      method: frame.method,
      path: frame.path,
      rawHeaders: frame.rawHeaders,
      body: Buffer.from(frame.bodyB64, "base64"),
      receivedAt: frame.receivedAt,
      remoteAddress: frame.remoteAddress,
      live: frame.live === true,
    };
    if (event.live) {
      let answer: RelayAnswer | undefined;
      try {
        answer = (await options.onEvent(event)) ?? { status: 202 };
      } catch (error) {
        answer = { status: 500, body: `the laptop failed: ${(error as Error).message}` };
      }
      send(socket, { type: "answer", seq: frame.seq, ...answer });
      return;
    }
    const id = event.messageId;
    if (id && (seenIds.has(id) || (await options.seen?.(id)))) {
      emit({ state: "duplicate", seq: event.seq, messageId: id });
      remember(id);
    } else {
      try {
        await options.onEvent(event);
      } catch (error) {
        // Not acknowledged: the relay sends it again on the next connection.
        emit({ state: "event-failed", seq: event.seq, reason: (error as Error).message });
        return;
      }
      if (id) remember(id);
    }
    lastAckedSeq = Math.max(lastAckedSeq, event.seq);
    send(socket, { type: "ack", seq: event.seq });
  };

  const retry = (reason: string, immediately = false) => {
    if (stopped) return;
    clearTimeout(retryTimer);
    const ceiling = Math.min(maxBackoff, minBackoff * 2 ** Math.min(failures, 16));
    const delay = immediately ? 0 : Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    failures++;
    emit({ state: "disconnected", reason, retryInMs: delay });
    retryTimer = setTimeout(dial, delay);
  };

  const dial = () => {
    if (stopped) return;
    emit({ state: "connecting", attempt: failures + 1 });
    const takeover = options.takeover || everConnected;
    const socket = new WebSocket(takeover ? `${wsUrl}?takeover=1` : wsUrl, {
      headers: { [AUTH_HEADER]: signAuth(options.secret, options.channel) },
      handshakeTimeout: idleMs,
      maxPayload: 64 * 1024 * 1024,
      perMessageDeflate: false,
    });
    ws = socket;
    let ended = false;
    const end = (reason: string, immediately = false) => {
      if (ended) return;
      ended = true;
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.terminate();
      if (ws === socket) retry(reason, immediately);
    };
    socket.on("unexpected-response", (_req, res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (text.length < 500) text += chunk;
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const why = printable(text.trim()) || `HTTP ${status}`;
        if (status === 401 || status === 404 || status === 409) {
          ended = true;
          socket.removeAllListeners();
          socket.on("error", () => {});
          socket.terminate();
          const hint =
            status === 401
              ? "check NORCE_RELAY_SECRET (the relay's --secret) and this machine's clock"
              : status === 404
                ? "create a channel with `norce-event relay channel create`"
                : "stop the other listener, or add --takeover";
          emit({ state: "failed", status, reason: why });
          stop(new RelayRefusedError(`the relay refused: ${why} (${status})`, status, hint));
        } else end(`relay answered ${status}`);
      });
      res.on("error", () => end(`relay answered ${res.statusCode}`));
    });
    socket.on("open", () => {
      lastHeard = Date.now();
      send(socket, { type: "hello", lastAckedSeq });
    });
    socket.on("ping", () => {
      lastHeard = Date.now();
    });
    socket.on("pong", () => {
      lastHeard = Date.now();
    });
    socket.on("message", (data) => {
      lastHeard = Date.now();
      let frame: RelayFrame;
      try {
        frame = JSON.parse(String(data)) as RelayFrame;
      } catch {
        return;
      }
      if (frame.type === "welcome") {
        everConnected = true;
        failures = 0;
        emit({ state: "connected", waiting: frame.waiting, mode: frame.mode });
      } else if (frame.type === "gap") {
        emit({ state: "gap", dropped: frame.dropped });
      } else if (frame.type === "deliver") {
        chain = chain.then(() => handle(socket, frame)).catch(() => {});
      }
    });
    socket.on("close", (code, reason) => {
      if (code === 4001) {
        ended = true;
        emit({ state: "failed", reason: "another laptop took the channel over" });
        stop(
          new RelayRefusedError("another laptop took this channel over (--takeover)", undefined),
        );
        return;
      }
      const text = printable(reason.toString());
      end(text ? `closed: ${text}` : code === 1006 ? "connection lost" : `closed (${code})`);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      end(
        error.code ? `relay unreachable (${error.code})` : `relay unreachable (${error.message})`,
      );
    });
    lastHeard = Date.now();
    (socket as WebSocket & { _end?: typeof end })._end = end;
  };

  let lastPing = Date.now();
  const period = Math.min(clockCheckMs, pingMs, Math.max(50, idleMs / 4));
  const wallClock = options.now ?? Date.now;
  let lastWall = wallClock();
  const watch = setInterval(() => {
    const now = Date.now();
    // Timers stop while a laptop sleeps; the wall clock does not. A gap far beyond the tick
    // means the connection under us is probably dead: dial again now, not after the timeout.
    const wall = wallClock();
    const jumped = wall - lastWall - period;
    lastWall = wall;
    const socket = ws as (WebSocket & { _end?: (r: string, i?: boolean) => void }) | undefined;
    if (jumped > clockJumpMs) {
      emit({ state: "clock-jump", jumpedMs: jumped });
      failures = 0;
      if (socket?._end) socket._end("the clock jumped (woke from sleep?)", true);
      return;
    }
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (now - lastHeard > idleMs) {
      socket._end?.(`nothing heard for ${Math.round((now - lastHeard) / 1000)}s`);
      return;
    }
    if (now - lastPing >= pingMs) {
      lastPing = now;
      socket.ping();
    }
  }, period);

  dial();

  return {
    get lastAckedSeq() {
      return lastAckedSeq;
    },
    done,
    async close() {
      stop();
      await chain;
    },
  };
}
