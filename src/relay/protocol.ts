/**
 * The relay's wire protocol, shared by the relay (`server.ts`) and the laptop (`client.ts`).
 *
 * Authentication: the secret is never sent. A request carries `norce-relay-auth:
 * t=<unix seconds>,n=<nonce>,s=<hex HMAC-SHA256(secret, "<scope>|<t>|<n>")>`, where the scope is
 * the channel id (the WebSocket upgrade) or `admin` (creating channels, status). The relay takes
 * it within ±60 s, once per nonce, and compares in constant time.
 *
 * Frames (JSON text over the WebSocket):
 *   relay → laptop  deliver{seq, messageId, method, path, rawHeaders, bodyB64, receivedAt,
 *                           remoteAddress?, live?}
 *                   gap{dropped}          events dropped by retention before anyone took them
 *                   welcome{waiting}      after hello: how many events are about to come
 *   laptop → relay  hello{lastAckedSeq}   first frame of a connection
 *                   ack{seq}              the event is recorded on the laptop
 *                   answer{seq, status, headers, body}   live mode: what to tell Norce
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const AUTH_HEADER = "norce-relay-auth";
/** How far a request's time may be from the relay's. */
export const AUTH_WINDOW_MS = 60_000;
export const ADMIN_SCOPE = "admin";

export interface DeliverFrame {
  type: "deliver";
  seq: number;
  messageId: string | null;
  method: string;
  path: string;
  /** Flat name, value pairs, names' case and order as received. */
  rawHeaders: string[];
  bodyB64: string;
  receivedAt: number;
  /** Who posted it to the relay. */
  remoteAddress?: string;
  /** Live mode: the relay holds Norce's request until an `answer` for this seq. */
  live?: boolean;
}

export interface GapFrame {
  type: "gap";
  dropped: number;
}

export interface WelcomeFrame {
  type: "welcome";
  waiting: number;
  mode: "buffered" | "live";
}

export interface HelloFrame {
  type: "hello";
  lastAckedSeq: number;
}

export interface AckFrame {
  type: "ack";
  seq: number;
}

export interface AnswerFrame {
  type: "answer";
  seq: number;
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type RelayFrame = DeliverFrame | GapFrame | WelcomeFrame;
export type ClientFrame = HelloFrame | AckFrame | AnswerFrame;

/** A new channel id: 128 random bits, base64url (22 characters). */
export function newChannelId(): string {
  return randomBytes(16).toString("base64url");
}

export const CHANNEL_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** The value of the auth header for `scope`, made now. */
export function signAuth(secret: string, scope: string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  const n = randomBytes(16).toString("base64url");
  return `t=${t},n=${n},s=${hmac(secret, scope, t, n)}`;
}

function hmac(secret: string, scope: string, t: number, n: string): string {
  return createHmac("sha256", secret).update(`${scope}|${t}|${n}`).digest("hex");
}

export type AuthFailure = "missing" | "malformed" | "expired" | "replayed" | "mismatch";

/** Nonces seen within the window, so a captured header cannot be used twice. */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  /** False when `nonce` was used already; remembers it until `expiresAt`. */
  claim(nonce: string, expiresAt: number, now = Date.now()): boolean {
    if (this.seen.size > 1000) {
      for (const [n, until] of this.seen) if (until < now) this.seen.delete(n);
    }
    const until = this.seen.get(nonce);
    if (until !== undefined && until >= now) return false;
    this.seen.set(nonce, expiresAt);
    return true;
  }
}

/** Check an auth header for `scope`. */
export function verifyAuth(
  secret: string,
  scope: string,
  header: string | undefined,
  nonces: NonceCache,
  now = Date.now(),
): { ok: true } | { ok: false; reason: AuthFailure } {
  if (!header) return { ok: false, reason: "missing" };
  const parts = Object.fromEntries(
    header.split(",").map((part) => {
      const eq = part.indexOf("=");
      return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    }),
  ) as Record<string, string | undefined>;
  const t = Number(parts.t);
  const { n, s } = parts;
  if (!Number.isInteger(t) || !n || !s || !/^[0-9a-f]{64}$/.test(s) || n.length > 64) {
    return { ok: false, reason: "malformed" };
  }
  if (Math.abs(now - t * 1000) > AUTH_WINDOW_MS) return { ok: false, reason: "expired" };
  const expected = Buffer.from(hmac(secret, scope, t, n), "hex");
  if (!timingSafeEqual(expected, Buffer.from(s, "hex"))) return { ok: false, reason: "mismatch" };
  // Only a correctly signed nonce is remembered: a stranger cannot fill the cache.
  if (!nonces.claim(n, t * 1000 + AUTH_WINDOW_MS + 1000, now)) {
    return { ok: false, reason: "replayed" };
  }
  return { ok: true };
}

export const AUTH_REASONS: Record<AuthFailure, string> = {
  missing: "no norce-relay-auth header",
  malformed: "malformed norce-relay-auth header",
  expired: "auth time more than 60 s from the relay's clock",
  replayed: "auth nonce already used",
  mismatch: "wrong secret",
};

/** Headers that belong to one hop, not to the event (RFC 9110 §7.6.1), and `host`. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

/**
 * The headers as Norce sent them, minus hop-by-hop ones, `host` and `content-length` (set again
 * for the body by whoever sends it on). Names keep their case; order is kept.
 */
export function endToEndHeaders(rawHeaders: readonly string[]): string[] {
  const connectionNamed = new Set<string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === "connection") {
      for (const name of rawHeaders[i + 1]!.split(","))
        connectionNamed.add(name.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || connectionNamed.has(lower)) continue;
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return out;
}

/** True for a relay URL on this machine (where plain ws:// is allowed). */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** Text from the network, safe for a terminal: control characters blanked, 200 characters. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ").slice(0, 200);
}
