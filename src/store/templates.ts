/**
 * Header values as written (`Bearer ${NORCE_TOKEN}`), resolved from the environment at send
 * time, so tokens stay out of files: the config keeps templates, the store keeps templates, and
 * a secret typed on the command line is never written anywhere (only its masked form).
 */
import { UsageError } from "../shared/errors.js";
import { isMasked, isSecretHeader, maskUrl, maskValue } from "../shared/secrets.js";

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Values this process took from the environment for headers: known secrets, masked wherever they
 * appear in output and the store (a receiver may echo them back).
 */
const fromEnvironment = new Set<string>();

/** What `${VAR}` references in headers resolved to so far (see `resolveTemplate`). */
export function environmentSecrets(): string[] {
  return [...fromEnvironment];
}

/**
 * Resolve `${VAR}` references (`$${` is a literal `${`). Throws naming the unset variable. Only
 * for what the user wrote (the config, the command line): text that came from the network (a
 * received event's headers) is never a template. A value resolved for a header is remembered as
 * a secret; in a URL (`kind: "url"`) only credentials are (see `knownSecrets`), so a `${HOST}`
 * does not mask the host name in every message.
 */
export function resolveTemplate(
  template: string,
  where: { file?: string; field: string; kind?: "header" | "url" },
  env: NodeJS.ProcessEnv = process.env,
): string {
  return template.replace(REFERENCE, (match, name: string | undefined) => {
    if (match === "$${") return "${";
    const value = env[name!];
    if (value && where.kind !== "url") fromEnvironment.add(value);
    if (value === undefined || value === "") {
      throw new UsageError(
        `${where.file ? `${where.file}: ` : ""}\${${name}} is not set (used in ${where.field}), so the header cannot be sent`,
        {
          code: "NORCE_EVENT_UNSET_VARIABLE",
          hint: `export ${name}=… before running, or change ${where.field}`,
        },
      );
    }
    return value;
  });
}

/** The environment variables a template refers to. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(REFERENCE)].flatMap((m) => (m[1] ? [m[1]] : []));
}

/** How a header is kept in the store. */
export interface StoredHeader {
  name: string;
  /** The value as written (may hold `${VAR}`): sent again after resolving. */
  template?: string;
  /** For a secret given literally on the command line: only its masked form is kept. */
  masked?: string;
  /**
   * A value sent as it is, never expanded: a header of a received event (text from the network,
   * where `${HOME}` must stay `${HOME}`, not become the value of an environment variable).
   */
  value?: string;
}

/** Headers as the store keeps them: templates, and masked secrets that must be given again. */
export function toStoredHeaders(headers: Readonly<Record<string, string>>): StoredHeader[] {
  return Object.entries(headers).map(([name, value]) =>
    isSecretHeader(name) && templateVariables(value).length === 0
      ? { name, masked: maskValue(value) }
      : { name, template: value },
  );
}

/**
 * Headers to send again from the store: templates resolved, and secrets that were only given on
 * the command line taken from `given` (`-H` again). Throws naming a header that cannot be restored.
 */
export function restoreHeaders(
  stored: readonly StoredHeader[],
  given: Readonly<Record<string, string>>,
  what: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const lowerGiven = new Map(
    Object.entries(given).map(([k, v]) => [k.toLowerCase(), [k, v] as const]),
  );
  for (const header of stored) {
    const again = lowerGiven.get(header.name.toLowerCase());
    if (again) continue;
    if (header.value !== undefined) {
      out[header.name] = header.value;
    } else if (header.template !== undefined) {
      out[header.name] = resolveTemplate(header.template, {
        field: `header ${header.name} of ${what}`,
      });
    } else {
      throw new UsageError(
        `header ${header.name} of ${what} cannot be restored: it was given with -H and secrets are not stored (${header.masked ?? "masked"})`,
        {
          code: "NORCE_EVENT_HEADER_NOT_RESTORED",
          hint: `pass it again: -H "${header.name}: …", or keep it in norce-event.config.json as \${VARIABLE}`,
        },
      );
    }
  }
  for (const [, [name, value]] of lowerGiven) out[name] = value;
  return out;
}

/**
 * A target URL as the store keeps it: credentials (user info, `?token=…`) masked, so they must be
 * given again (`--to`) or come from the config (where `${VAR}` keeps them out of the file).
 */
export function toStoredUrl(url: string): string {
  return maskUrl(url);
}

/**
 * The URL to send a stored delivery to again: `--to` when given, else the stored one, else the
 * config's; a stored URL whose credentials were masked is not sent (it would fail, or send `••••`
 * as a credential): the error says to give it again.
 */
export function restoreUrl(
  stored: string | undefined,
  alternatives: { to?: string | undefined; config?: (() => string | undefined) | undefined },
  what: string,
): string | undefined {
  if (alternatives.to) return alternatives.to;
  if (stored && !isMasked(stored)) return stored;
  const fromConfig = alternatives.config?.();
  if (fromConfig) return fromConfig;
  if (!stored) return undefined;
  throw new UsageError(
    `the url of ${what} cannot be restored: it had credentials and they are not stored (${stored})`,
    {
      code: "NORCE_EVENT_URL_NOT_RESTORED",
      hint: "pass it again with --to, or keep it in norce-event.config.json with ${VARIABLE} for the credential",
    },
  );
}
