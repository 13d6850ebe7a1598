/**
 * Questions for a person at a terminal, with @inquirer/prompts. Only used when stdin and stdout
 * are a TTY and something required is missing; CI never sees a prompt.
 */
import { checkbox, confirm, editor, input, select } from "@inquirer/prompts";
import { parseHeader } from "../delivery/headers.js";
import { type Category, eventTypeInfos, getEventType } from "../events/catalog.js";
import { compileGenerator } from "../events/generator.js";
import { randomSeed } from "../events/rng.js";
import { validatePayload } from "../events/validator.js";
import { isSecretHeader, maskValue } from "../shared/secrets.js";
import { DEFAULT_RECEIVER_URL, parseTargetUrl } from "../shared/url.js";

/**
 * Ask one question. The prompt clears itself when done, and we print the answered line
 * ourselves, so a secret answer is shown masked (inquirer would echo it in clear) and Ctrl-C
 * leaves no half-drawn prompt behind (the error then ends the command quietly with 130).
 */
async function ask<Config extends { message: string }, Value>(
  prompt: (config: Config, context?: { clearPromptOnDone?: boolean }) => Promise<Value>,
  config: Config,
  shown: (value: Value) => string = (value) => String(value),
): Promise<Value> {
  const value = await prompt(config, { clearPromptOnDone: true });
  process.stdout.write(`✔ ${config.message} ${shown(value)}\n`);
  return value;
}

/** A `Name: value` header as typed, with a secret value masked. */
export function maskHeaderAnswer(header: string): string {
  const colon = header.indexOf(":");
  if (colon <= 0) return header;
  const name = header.slice(0, colon).trim();
  const value = header.slice(colon + 1).trim();
  return isSecretHeader(name) ? `${name}: ${maskValue(value)}` : header;
}

export interface SendAnswers {
  type: string;
  to: string;
  headers: string[];
  /** The payload, when the person chose to edit it. */
  payload?: Record<string, unknown>;
}

export async function askSend(given: { type?: string; to?: string }): Promise<SendAnswers> {
  const type = given.type ?? (await askType());
  const info = getEventType(type);
  const to = given.to ?? (await askUrl());
  const headers: string[] = [];
  for (;;) {
    const header = await ask(
      input,
      {
        message:
          headers.length === 0
            ? "Extra header (Name: value), empty for none"
            : "Another header, empty when done",
        validate: (value) => {
          if (value.trim() === "") return true;
          try {
            parseHeader(value);
            return true;
          } catch (error) {
            return (error as Error).message;
          }
        },
      },
      (value) => (value.trim() === "" ? "(none)" : maskHeaderAnswer(value)),
    );
    if (header.trim() === "") break;
    headers.push(header);
  }
  const answers: SendAnswers = { type: info.name, to, headers };
  if (
    await ask(confirm, { message: "Edit the payload before sending?", default: false }, (yes) =>
      yes ? "yes" : "no",
    )
  ) {
    const generated = compileGenerator(info)(randomSeed());
    const text = await ask(
      editor,
      {
        message: "Payload (JSON); save and close the editor to go on",
        default: `${JSON.stringify(generated, null, 2)}\n`,
        postfix: ".json",
        validate: (value) => {
          try {
            const parsed: unknown = JSON.parse(value);
            if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
              return "must be one JSON object";
            const { problems } = validatePayload(info, parsed);
            return problems.length === 0 ? true : `${problems[0]!.path} ${problems[0]!.message}`;
          } catch (error) {
            return `not valid JSON: ${(error as Error).message}`;
          }
        },
      },
      () => "edited",
    );
    answers.payload = JSON.parse(text) as Record<string, unknown>;
  }
  return answers;
}

/** The receiver URL, checked as it is typed. */
export async function askUrl(): Promise<string> {
  return await ask(input, {
    message: "Receiver URL",
    default: DEFAULT_RECEIVER_URL,
    validate: (value) => {
      try {
        parseTargetUrl(value);
        return true;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
}

async function askType(): Promise<string> {
  const infos = eventTypeInfos();
  const categories = [...new Set(infos.map((i) => i.category))];
  const category = await ask(select<Category>, {
    message: "Category",
    choices: categories.map((c) => ({
      name: `${c} (${infos.filter((i) => i.category === c).length})`,
      value: c,
    })),
  });
  return await ask(select<string>, {
    message: "Event type",
    choices: infos
      .filter((i) => i.category === category)
      .map((i) => ({
        name: `${i.name}${i.completeness === "partial" ? " (partial schema)" : ""}`,
        value: i.name,
        description: i.description ?? i.summary ?? "",
      })),
  });
}

/** `init`'s questions: the types to switch on, the URL, an Authorization value (shown masked). */
export async function askInit(): Promise<{ url: string; headers: string[]; types: string[] }> {
  const infos = eventTypeInfos();
  const types = await ask(
    checkbox<string>,
    {
      message: "Event types to switch on (as in Norce's Admin UI)",
      choices: infos.map((info) => ({
        name: `${info.name} (${info.category})`,
        value: info.name,
        checked: true,
      })),
      pageSize: 19,
      validate: (chosen: readonly unknown[]) =>
        chosen.length > 0 ? true : "switch on at least one",
    },
    (chosen) => (chosen.length === infos.length ? `all ${chosen.length}` : chosen.join(", ")),
  );
  const url = await askUrl();
  const auth = await ask(
    input,
    {
      message: "Authorization header value (empty for none; a token is stored as ${NORCE_TOKEN})",
      default: "",
    },
    (value) => (value.trim() === "" ? "(none)" : maskValue(value.trim())),
  );
  return { url, headers: auth.trim() ? [`Authorization: ${auth.trim()}`] : [], types };
}
