/**
 * Secrets: the one place that decides what is a credential and how it is hidden. Every output
 * path and the event store go through here, so a secret is masked the same way everywhere unless
 * the user asks to see it (`--show-secrets`, output only: the store never keeps one).
 *
 * What counts as a secret:
 * - a header by its name, matched case-insensitively by pattern (`*auth*`, `*token*`, `*secret*`,
 *   `*key*`, `*password*`, `*signature*`, …, and `cookie`, `set-cookie`, `proxy-authorization`):
 *   the static credentials Norce's Admin UI lets a customer add, under whatever name their API
 *   gateway wants (`X-Authorization`, `Authentication`, `Ocp-Apim-Subscription-Key`);
 * - in a URL, the user info (`https://user:pw@…`) and query parameters named by the same patterns
 *   (`?token=…`, `?code=…` for Azure Functions keys);
 * - in free text (a receiver's answer that echoes the request, an error message), every value
 *   known to be secret in this run: secret headers' values, what `${VAR}` references resolved to,
 *   the signing key. Text is masked by value, so a secret that was never known here (a session id
 *   the receiver makes up) is not recognised.
 */

/** Header names that are secret whatever their shape. */
const SECRET_NAMES = new Set(["cookie", "set-cookie", "proxy-authorization"]);

/**
 * Substrings of secret names. `auth` covers Authorization, Authentication, X-Auth-Token,
 * WWW-Authenticate; `key` covers X-Api-Key and Ocp-Apim-Subscription-Key; `session` and
 * `credential` are the other usual spellings of the same thing.
 */
const SECRET_PATTERN = /auth|token|secret|key|passw|pwd|signature|session|credential/i;

/** Query parameters that carry credentials although their names match no pattern. */
const SECRET_QUERY_NAMES = new Set(["code", "sig", "sas", "jwt"]);

const known = new Map<string, boolean>();

/** True for header names whose values are credentials (any case). */
export function isSecretHeader(name: string): boolean {
  let secret = known.get(name);
  if (secret === undefined) {
    secret = SECRET_NAMES.has(name.toLowerCase()) || SECRET_PATTERN.test(name);
    // Header names repeat from request to request: remember the answer (for a bounded number).
    if (known.size < 1000) known.set(name, secret);
  }
  return secret;
}

/** True for query parameter names whose values are credentials (`token`, `api_key`, `code`). */
export function isSecretParameter(name: string): boolean {
  return SECRET_PATTERN.test(name) || SECRET_QUERY_NAMES.has(name.toLowerCase());
}

/** What a masked secret shows; its presence in a stored value means "not stored". */
export const MASK = "••••";

/**
 * Mask a secret value, keeping what helps a person tell tokens apart without revealing them:
 * the auth scheme (`Bearer`) and, for long values, the last four characters.
 */
export function maskValue(value: string): string {
  const match = /^(Bearer|Basic|Token|Digest|ApiKey|SharedAccessSignature)\s+(.*)$/i.exec(value);
  const scheme = match ? `${match[1]} ` : "";
  const secret = match ? (match[2] ?? "") : value;
  const tail = secret.length >= 16 ? secret.slice(-4) : "";
  return `${scheme}${MASK}${tail}`;
}

/** True when a value was masked (so the real one was not kept). */
export function isMasked(value: string): boolean {
  return value.includes(MASK);
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

/** Shorter values are not searched for in text: they would mask ordinary words. */
const MIN_SECRET_LENGTH = 6;

/**
 * The secret values of a run, for `maskText`: the values of secret headers (and the token after
 * an auth scheme, which a receiver may echo alone), what `${VAR}` references resolved to, the
 * signing secret (as given and its key part), and credentials in the target URL.
 */
export function knownSecrets(from: {
  headers?: Readonly<Record<string, string>>;
  /**
   * Every header value is a secret, not only those named like one: the static headers a user
   * adds (Norce's Admin UI headers are there for credentials). Off for received requests, whose
   * `Content-Type` and `User-Agent` are no secret.
   */
  allHeaderValues?: boolean;
  /** Values that came from the environment (`${VAR}`), whatever header or URL they were in. */
  resolved?: readonly string[];
  /** `--sign-secret` as given (`whsec_…`). */
  signSecret?: string | undefined;
  urls?: readonly (string | undefined)[];
}): string[] {
  const found = new Set<string>();
  const add = (value: string | undefined) => {
    const trimmed = value?.trim();
    if (trimmed && trimmed.length >= MIN_SECRET_LENGTH) found.add(trimmed);
  };
  for (const [name, value] of Object.entries(from.headers ?? {})) {
    if (!isSecretHeader(name)) {
      if (from.allHeaderValues) add(value);
      continue;
    }
    add(value);
    add(/^\S+\s+(\S.*)$/.exec(value)?.[1]);
    // Basic credentials are echoed decoded as often as encoded.
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(value)?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      add(decoded);
      add(decoded.slice(decoded.indexOf(":") + 1));
    }
  }
  for (const value of from.resolved ?? []) add(value);
  if (from.signSecret) {
    add(from.signSecret);
    add(from.signSecret.replace(/^whsec_/, ""));
  }
  for (const url of from.urls ?? []) for (const value of urlSecrets(url)) add(value);
  // Longest first, so a secret that contains another is masked whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/**
 * Mask every known secret value wherever it appears in `text`, and credentials in URLs written
 * in it. A text cut short (a response excerpt) that ends with the start of a secret has that
 * start masked too.
 */
export function maskText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    if (out.includes(secret)) out = out.split(secret).join(maskValue(secret));
    // A secret cut at the end of an excerpt: its first characters are still a leak.
    const head = secret.slice(0, 4);
    let at = out.indexOf(head, Math.max(0, out.length - secret.length + 1));
    while (at !== -1) {
      if (secret.startsWith(out.slice(at))) {
        out = `${out.slice(0, at)}${MASK}`;
        break;
      }
      at = out.indexOf(head, at + 1);
    }
  }
  return out.includes("://") ? maskUrlsIn(out) : out;
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`]+/gi;

/** Mask credentials of every http(s) URL inside a text. */
export function maskUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => maskUrl(url));
}

/**
 * A URL with its credentials masked: the user info (`https://user:••••@host`, or `••••@host` when
 * only a user is given, often a token) and the values of query parameters named like secrets.
 * Works on the text as written (nothing re-encoded), so anything else stays as the user knows it.
 */
export function maskUrl(url: string): string {
  // Most URLs have neither user info nor a query: nothing to look at (this runs per attempt).
  if (!url.includes("@") && !url.includes("?")) return url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  let out = url;
  if (scheme) {
    const rest = url.slice(scheme[0].length);
    const authorityEnd = rest.search(/[/?#]/);
    const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
    const at = authority.lastIndexOf("@");
    if (at !== -1) {
      const info = authority.slice(0, at);
      const colon = info.indexOf(":");
      const masked = colon === -1 ? MASK : `${info.slice(0, colon)}:${MASK}`;
      out = `${scheme[0]}${masked}${rest.slice(at)}`;
    }
  }
  const query = out.indexOf("?");
  if (query === -1) return out;
  const hash = out.indexOf("#", query);
  const search = out.slice(query + 1, hash === -1 ? undefined : hash);
  const maskedSearch = maskQuery(search);
  return maskedSearch === search
    ? out
    : `${out.slice(0, query + 1)}${maskedSearch}${hash === -1 ? "" : out.slice(hash)}`;
}

/** A path with a query (`/receiver?token=…`, as a request line has it) with secrets masked. */
export function maskPath(path: string): string {
  const query = path.indexOf("?");
  if (query === -1) return path;
  const search = path.slice(query + 1);
  const masked = maskQuery(search);
  return masked === search ? path : `${path.slice(0, query + 1)}${masked}`;
}

function maskQuery(search: string): string {
  let changed = false;
  const parts = search.split("&").map((part) => {
    const eq = part.indexOf("=");
    if (eq === -1) return part;
    const name = safeDecode(part.slice(0, eq));
    const value = part.slice(eq + 1);
    if (value === "" || !isSecretParameter(name)) return part;
    changed = true;
    return `${part.slice(0, eq)}=${maskValue(safeDecode(value))}`;
  });
  return changed ? parts.join("&") : search;
}

/** The secret parts of a URL (user info, secret query values), raw and decoded. */
function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const out: string[] = [];
  if (parsed.password) out.push(parsed.password, safeDecode(parsed.password));
  else if (parsed.username) out.push(parsed.username, safeDecode(parsed.username));
  for (const [name, value] of parsed.searchParams) if (isSecretParameter(name)) out.push(value);
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}
