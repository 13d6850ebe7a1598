/**
 * Secret header values are masked in every output and stored log unless the user asks for them
 * (`--show-secrets`). A header is secret by name: Authorization, Cookie, API keys, tokens,
 * secrets, passwords — the static credentials Norce's Admin UI lets a customer add.
 */

const SECRET_NAMES = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "api-key",
  "apikey",
  "x-functions-key",
  "ocp-apim-subscription-key",
]);

const SECRET_PATTERN = /(^|[-_])(key|token|secret|password|passwd|auth|session|signature-key)$/i;

const known = new Map<string, boolean>();

/** True for header names whose values are credentials. */
export function isSecretHeader(name: string): boolean {
  let secret = known.get(name);
  if (secret === undefined) {
    const lower = name.toLowerCase();
    secret = SECRET_NAMES.has(lower) || SECRET_PATTERN.test(lower);
    // Header names repeat from request to request: remember the answer (for a bounded number).
    if (known.size < 1000) known.set(name, secret);
  }
  return secret;
}

/**
 * Mask a secret value, keeping what helps a person tell tokens apart without revealing them:
 * the auth scheme (`Bearer`) and, for long values, the last four characters.
 */
export function maskValue(value: string): string {
  const match = /^(Bearer|Basic|Token|Digest|ApiKey|SharedAccessSignature)\s+(.*)$/i.exec(value);
  const scheme = match ? `${match[1]} ` : "";
  const secret = match ? (match[2] ?? "") : value;
  const tail = secret.length >= 16 ? secret.slice(-4) : "";
  return `${scheme}••••${tail}`;
}

/** True when any header name is a secret one (so masking has something to do). */
export function hasSecretHeader(headers: Readonly<Record<string, unknown>>): boolean {
  for (const name in headers) if (isSecretHeader(name)) return true;
  return false;
}

/** A copy of `headers` with secret values masked (unless `show`). */
export function maskHeaders<T extends Record<string, string | string[] | undefined>>(
  headers: T,
  show = false,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(", ") : value;
    out[name] = !show && isSecretHeader(name) ? maskValue(text) : text;
  }
  return out;
}

/** Mask secret values that appear inside a free text (e.g. a response excerpt or a URL). */
export function maskKnownSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 6) out = out.split(secret).join(maskValue(secret));
  }
  return out;
}
