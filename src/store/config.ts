/**
 * `norce-event.config.json`: a project's stand-in for Norce's Admin UI (Integrations → Events).
 * Defaults (`url`, `headers`, `timeScale`) and, per event type, `enabled` (Norce's ON/OFF),
 * `url` and static `headers` (norce-commerce-event-docs.md, "Configurations in the Admin UI").
 * Header values may refer to `${ENV_VAR}`, resolved at send time, so tokens stay out of git.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, parse, relative, resolve } from "node:path";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { eventTypeInfos } from "../events/catalog.js";
import type { EventTypeName } from "../events/payloads.generated.js";
import { toJsonPath } from "../events/validator.js";
import { ConfigError } from "../shared/errors.js";
import { readRegularFile } from "../shared/files.js";
import { closest } from "../shared/text.js";

export const CONFIG_FILE = "norce-event.config.json";
export const CONFIG_SCHEMA_FILE = new URL(
  "../../fixtures/config/norce-event.config.schema.json",
  import.meta.url,
);

/** `signSecret` is only ever a reference to an environment variable: keys stay out of files. */
const SIGN_SECRET_PATTERN = "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$";

export interface EventSettings {
  /** Norce's ON/OFF: "Norce will not track events during the time an event is off". @default true */
  enabled?: boolean;
  url?: string;
  headers?: Record<string, string>;
}

/** The Norce client (tenant) every event carries: one ClientId, a few ApplicationIds. */
export interface ClientSettings {
  clientId: number;
  applicationIds: number[];
}

export interface ConfigFile {
  $schema?: string;
  url?: string;
  client?: ClientSettings;
  headers?: Record<string, string>;
  timeScale?: number;
  /** Sign every delivery (Standard Webhooks), as `--sign-secret`: a `${VAR}` reference only. */
  signSecret?: string;
  /** Where `listen --relay` connects (written by `relay channel create`). */
  relay?: { url: string; channel: string };
  events?: Partial<Record<EventTypeName, EventSettings>>;
}

export interface LoadedConfig {
  /** Absolute path of the file. */
  path: string;
  /** The path as shown to the user (relative to the working directory when inside it). */
  shown: string;
  dir: string;
  data: ConfigFile;
}

/** What a type's settings come to: its own, over the defaults. Values are still templates. */
export interface TypeSettings {
  enabled: boolean;
  url: string | undefined;
  headers: Record<string, string>;
}

/** Walk up from `cwd` to the first `norce-event.config.json`. */
export function findConfig(cwd = process.cwd()): string | undefined {
  let dir = resolve(cwd);
  const { root } = parse(dir);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (dir === root) return undefined;
    dir = dirname(dir);
  }
}

/** Read and check a config file; a problem throws `ConfigError` naming the file and JSON path. */
export function loadConfig(path: string): LoadedConfig {
  const absolute = resolve(path);
  const shown = showPath(absolute);
  const read = readRegularFile(absolute);
  if ("problem" in read) {
    throw new ConfigError(shown, read.problem, {
      hint: "check --config, or create one with norce-event init",
    });
  }
  const text = read.text;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(shown, `$ is not valid JSON: ${(error as Error).message}`, {
      hint: "fix the JSON (a trailing comma?)",
    });
  }
  const problem = checkConfig(data);
  if (problem) throw new ConfigError(shown, problem.message, { hint: problem.hint });
  return { path: absolute, shown, dir: dirname(absolute), data: data as ConfigFile };
}

/** The settings for one type: on unless the file says off; its URL and headers over the defaults. */
export function settingsFor(config: LoadedConfig | undefined, type: EventTypeName): TypeSettings {
  const defaults = config?.data;
  const own = defaults?.events?.[type];
  return {
    enabled: own?.enabled ?? true,
    url: own?.url ?? defaults?.url,
    headers: { ...(defaults?.headers ?? {}), ...(own?.headers ?? {}) },
  };
}

let validate: ReturnType<Ajv2020["compile"]> | undefined;

function checkConfig(data: unknown): { message: string; hint: string } | undefined {
  validate ??= new Ajv2020({ allErrors: true, strict: false }).compile(
    JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, "utf8")) as object,
  );
  if (validate(data)) return undefined;
  const error = pickError(validate.errors ?? []);
  const path = toJsonPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties") {
    const extra = String(params.additionalProperty);
    if (error.instancePath === "/events") {
      const suggestion = closest(
        extra,
        eventTypeInfos().map((i) => i.name),
      );
      return {
        message: `${path}.${extra} is not one of Norce's event types${suggestion ? ` — did you mean ${suggestion}?` : ""}`,
        hint: "event type names are written as in Norce's docs, e.g. OrderConfirmedEvent",
      };
    }
    return {
      message: `${path === "$" ? "$" : path}: unknown setting "${extra}"`,
      hint:
        error.instancePath === ""
          ? "the settings are url, headers, timeScale, signSecret, client and events"
          : error.instancePath === "/client"
            ? "client has clientId and applicationIds"
            : "per event type the settings are enabled, url and headers",
    };
  }
  if (error.instancePath === "/signSecret" && error.keyword === "pattern") {
    return {
      message: "$.signSecret must be a ${VAR} reference, not the key itself",
      hint: 'write "signSecret": "${NORCE_SIGN_SECRET}" and export NORCE_SIGN_SECRET=whsec_… (the file is meant for git)',
    };
  }
  if (error.keyword === "maximum" && params.limit === Number.MAX_VALUE) {
    return {
      message: `${path} is too large to be a number (JSON reads it as infinity)`,
      hint: "write a finite number, e.g. 3600",
    };
  }
  if (error.keyword === "type") {
    return {
      message: `${path} must be ${params.type === "object" ? "an object" : params.type === "integer" ? "an integer" : `a ${String(params.type)}`}`,
      hint: "see the $schema for the shape",
    };
  }
  return {
    message: `${path} ${error.message ?? "is not valid"}`,
    hint: "see the $schema for the shape",
  };
}

/** The most useful of Ajv's errors: the deepest one. */
function pickError(errors: ErrorObject[]): ErrorObject {
  return [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0]!;
}

/** Relative to the working directory when that is short (the file itself, or a few levels up). */
function showPath(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  const ups = rel.split(/[\\/]/).filter((part) => part === "..").length;
  return rel && ups <= 3 ? rel : absolute;
}

/** The JSON Schema of the config, derived from the catalog (rendered into fixtures/config). */
export function renderConfigSchema(): string {
  const headers = {
    type: "object",
    description:
      'Static headers, as in Norce\'s Admin UI ("Only static values are allowed"). Values may refer to ${ENV_VAR}, resolved at send time; write $${ for a literal ${.',
    propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
    additionalProperties: { type: "string" },
  };
  const schema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "norce-event project config",
    description:
      "A project's stand-in for Norce's Admin UI (Integrations → Events): defaults, and per event type ON/OFF, URL and static headers. Generated from the event catalog; do not edit.",
    type: "object",
    additionalProperties: false,
    properties: {
      $schema: { type: "string" },
      url: {
        type: "string",
        description:
          "The receiver URL for every type without its own, e.g. http://localhost:3000/receiver. May use ${ENV_VAR}.",
      },
      headers: { $ref: "#/$defs/headers" },
      timeScale: {
        type: "number",
        // As --time-scale takes it: 0.000001 at least, and finite (JSON.parse reads 1e400 as
        // Infinity, which no schedule can be divided by).
        minimum: 0.000001,
        maximum: Number.MAX_VALUE,
        description:
          "Divide Norce's backoff delays by this (3600 plays 22 h in about 22 s). Default 1.",
      },
      client: {
        type: "object",
        description:
          "The Norce client every event carries, as in your Norce tenant: one ClientId and its ApplicationIds. --client-id/--application-id override it; without it norce-event uses fixed defaults.",
        additionalProperties: false,
        required: ["clientId", "applicationIds"],
        properties: {
          clientId: { type: "integer", minimum: 1, maximum: 2147483647 },
          applicationIds: {
            type: "array",
            minItems: 1,
            uniqueItems: true,
            items: { type: "integer", minimum: 1, maximum: 2147483647 },
          },
        },
      },
      signSecret: {
        type: "string",
        pattern: SIGN_SECRET_PATTERN,
        description:
          "Sign every delivery with Standard Webhooks headers, as --sign-secret (Norce itself signs nothing). Only a ${ENV_VAR} reference, e.g. ${NORCE_SIGN_SECRET}, so the key stays out of git; the variable holds whsec_….",
      },
      relay: {
        type: "object",
        description:
          "The tunnel: the relay `listen` connects to and its channel (written by `norce-event relay channel create`). The secret is never written here: NORCE_RELAY_SECRET.",
        additionalProperties: false,
        required: ["url", "channel"],
        properties: {
          url: {
            type: "string",
            description: "The relay's base URL, e.g. https://relay.example.com",
          },
          channel: {
            type: "string",
            pattern: "^[A-Za-z0-9_-]{22}$",
            description: "The channel id (128 random bits, base64url).",
          },
        },
      },
      events: {
        type: "object",
        description: "One key per event type; a type not listed uses the defaults and is on.",
        additionalProperties: false,
        properties: Object.fromEntries(
          eventTypeInfos().map((info) => [
            info.name,
            {
              $ref: "#/$defs/eventSettings",
              description: `${info.category} ${info.kind.toLowerCase()}${info.description ? `: ${info.description}` : info.summary ? `: ${info.summary}` : ""}`,
            },
          ]),
        ),
      },
    },
    $defs: {
      headers,
      eventSettings: {
        type: "object",
        additionalProperties: false,
        properties: {
          enabled: {
            type: "boolean",
            default: true,
            description: "Norce's ON/OFF. While off, Norce does not track these events at all.",
          },
          url: { type: "string", description: "This type's receiver URL (over the default)." },
          headers: { $ref: "#/$defs/headers" },
        },
      },
    },
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
