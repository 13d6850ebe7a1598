/**
 * Header values as written (`Bearer ${NORCE_TOKEN}`), resolved from the environment at send
 * time, so tokens stay out of files: the config keeps templates, the store keeps templates, and
 * a secret typed on the command line is never written anywhere (only its masked form).
 */
import { UsageError } from "../shared/errors.js";
import { isSecretHeader, maskValue } from "../shared/secrets.js";

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Resolve `${VAR}` references (`$${` is a literal `${`). Throws naming the unset variable. */
export function resolveTemplate(
  template: string,
  where: { file?: string; field: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  return template.replace(REFERENCE, (match, name: string | undefined) => {
    if (match === "$${") return "${";
    const value = env[name!];
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
    if (header.template !== undefined) {
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
