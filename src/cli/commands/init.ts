import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseHeaders } from "../../delivery/headers.js";
import { eventTypeInfos } from "../../events/catalog.js";
import { type ClientIdentity, DEFAULT_CLIENT, describeClient } from "../../events/client.js";
import type { EventTypeName } from "../../events/payloads.generated.js";
import { selectEventTypes } from "../../events/select.js";
import { UsageError } from "../../shared/errors.js";
import { isSecretHeader } from "../../shared/secrets.js";
import { DEFAULT_RECEIVER_URL, parseTargetUrl } from "../../shared/url.js";
import {
  CONFIG_FILE,
  CONFIG_SCHEMA_FILE,
  type ConfigFile,
  loadConfig,
} from "../../store/config.js";
import { templateVariables } from "../../store/templates.js";
import { type ClientFlags, resolveClient } from "../client.js";
import type { GlobalOptions } from "../globals.js";
import { print, say } from "../output.js";

export interface InitOptions extends ClientFlags {
  url?: string;
  header?: string[];
  types?: string[];
  timeScale?: number;
  force?: boolean;
}

export async function runInit(options: InitOptions, globals: GlobalOptions): Promise<number> {
  const path = resolve(globals.config ?? CONFIG_FILE);
  const shown = relative(process.cwd(), path) || path;
  if (existsSync(path) && !options.force) {
    throw new UsageError(`${shown} already exists`, {
      hint: "edit it, or add --force to write a new one over it",
    });
  }
  const given =
    options.url !== undefined || options.header !== undefined || options.types !== undefined;
  const interactive = !given && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const answers = interactive
    ? await ask()
    : { url: options.url, headers: options.header ?? [], types: options.types };

  const url = parseTargetUrl(answers.url ?? DEFAULT_RECEIVER_URL, "--url");
  // The tenant is written out (the defaults when not given), so the file says what events carry.
  const client =
    interactive && options.clientId === undefined && options.applicationId === undefined
      ? await askClient()
      : resolveClient(options, undefined).client;
  const chosen = new Set(selectEventTypes(answers.types).map((info) => info.name));
  const { headers, exports } = keepSecretsOut(parseHeaders(answers.headers));
  const config: ConfigFile = {
    $schema: schemaReference(dirname(path)),
    url,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
    client: { clientId: client.clientId, applicationIds: [...client.applicationIds] },
    events: Object.fromEntries(
      eventTypeInfos().map((info) => [info.name, { enabled: chosen.has(info.name) }]),
    ) as Partial<Record<EventTypeName, { enabled: boolean }>>,
  };
  try {
    await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`cannot write ${path} (${code})`, {
      hint:
        code === "ENOENT"
          ? "its folder does not exist: create it first, or point --config at a file in an existing folder"
          : "check the folder's permissions, or point --config elsewhere",
    });
  }
  loadConfig(path); // what we wrote must be valid; this throws if not

  const on = chosen.size;
  print(
    `wrote ${shown}: ${on} of ${eventTypeInfos().length} event types on, url ${url}, ${describeClient(client)}`,
  );
  for (const [name, variable] of exports) {
    say(
      `  ${name} is written as a \${${variable}} reference (tokens stay out of git): export ${variable}=… before sending`,
    );
  }
  const example = chosen.has("OrderConfirmedEvent") ? "OrderConfirmedEvent" : [...chosen][0];
  print(`next: norce-event send ${example}   (uses the url and headers from the file)`);
  return 0;
}

/**
 * Secret header values given literally become `${VARIABLE}` references: the file is meant for
 * git, and tokens never go to disk in plain text.
 */
function keepSecretsOut(headers: Record<string, string>): {
  headers: Record<string, string>;
  exports: [string, string][];
} {
  const out: Record<string, string> = {};
  const exports: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!isSecretHeader(name) || templateVariables(value).length > 0) {
      out[name] = value;
      continue;
    }
    const variable =
      name.toLowerCase() === "authorization"
        ? "NORCE_TOKEN"
        : `NORCE_${name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
    const scheme = /^(Bearer|Basic|Token|ApiKey)\s+/i.exec(value)?.[0] ?? "";
    out[name] = `${scheme}\${${variable}}`;
    exports.push([name, variable]);
  }
  return { headers: out, exports };
}

/** `$schema` for editors: the shipped schema, relative to the config's folder. */
function schemaReference(dir: string): string {
  const rel = relative(dir, fileURLToPath(CONFIG_SCHEMA_FILE)).split("\\").join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

async function ask(): Promise<{ url: string; headers: string[]; types: string[] }> {
  const { askInit } = await import("../prompts.js");
  return await askInit();
}

/** The tenant, asked with the defaults offered (Enter keeps them). */
async function askClient(): Promise<ClientIdentity> {
  const { input } = await import("@inquirer/prompts");
  const whole = (value: string) =>
    value.split(",").every((part) => /^\s*[1-9]\d{0,9}\s*$/.test(part)) ||
    "whole numbers, e.g. 1201,1202";
  const clientId = await input({
    message: "Your Norce ClientId (every event carries it)",
    default: String(DEFAULT_CLIENT.clientId),
    validate: whole,
  });
  const apps = await input({
    message: "Your ApplicationIds, comma-separated",
    default: DEFAULT_CLIENT.applicationIds.join(","),
    validate: whole,
  });
  return resolveClient(
    { clientId: Number(clientId), applicationId: apps.split(",").map(Number) },
    undefined,
  ).client;
}
