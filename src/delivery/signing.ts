/**
 * Opt-in Standard Webhooks signatures (https://www.standardwebhooks.com/). Norce itself signs
 * nothing (no signature, HMAC or shared secret appears in its docs); this is for receivers that
 * sit behind a signing gateway. `webhook-signature` is `v1,` + base64 HMAC-SHA256 of
 * `${id}.${timestamp}.${body}` with the secret's bytes (the base64 after `whsec_`).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { UsageError } from "../shared/errors.js";

export function parseSigningSecret(secret: string, source = "--sign-secret"): Buffer {
  const base64 = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  const key = Buffer.from(base64, "base64");
  if (key.length < 16 || key.toString("base64").replace(/=+$/, "") !== base64.replace(/=+$/, "")) {
    throw new UsageError(`${source} is not a Standard Webhooks secret`, {
      hint: "use whsec_ followed by base64 of at least 16 random bytes, e.g. whsec_$(openssl rand -base64 24)",
    });
  }
  return key;
}

/** The three headers for one attempt, signed at `timestampSeconds`. */
export function signHeaders(
  key: Buffer,
  id: string,
  timestampSeconds: number,
  body: string,
): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${sign(key, id, timestampSeconds, body)}`,
  };
}

function sign(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
}

/** Tolerance of the receiving side: Standard Webhooks' 5 minutes. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: "missing" | "malformed" | "too-old" | "in-the-future" | "mismatch" };

/** Check a request's Standard Webhooks headers (used by `listen --sign-secret`). */
export function verifySignature(
  key: Buffer,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  now = Date.now(),
): SignatureCheck {
  const id = single(headers["webhook-id"]);
  const ts = single(headers["webhook-timestamp"]);
  const signature = single(headers["webhook-signature"]);
  if (!id || !ts || !signature) return { ok: false, reason: "missing" };
  if (!/^\d+$/.test(ts)) return { ok: false, reason: "malformed" };
  const seconds = Number(ts);
  if (now - seconds * 1000 > SIGNATURE_TOLERANCE_MS) return { ok: false, reason: "too-old" };
  if (seconds * 1000 - now > SIGNATURE_TOLERANCE_MS) return { ok: false, reason: "in-the-future" };
  const expected = Buffer.from(sign(key, id, seconds, body));
  for (const part of signature.split(" ")) {
    const [version, value] = part.split(",", 2);
    if (version !== "v1" || !value) continue;
    const given = Buffer.from(value);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: "mismatch" };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
