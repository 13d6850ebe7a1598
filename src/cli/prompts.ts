/**
 * Questions for a person at a terminal, with @inquirer/prompts. Only used when stdin and stdout
 * are a TTY and something required is missing; CI never sees a prompt.
 */
import { confirm, editor, input, select } from "@inquirer/prompts";
import { parseHeader } from "../delivery/headers.js";
import { type Category, eventTypeInfos, getEventType } from "../events/catalog.js";
import { compileGenerator } from "../events/generator.js";
import { randomSeed } from "../events/rng.js";
import { validatePayload } from "../events/validator.js";
import { DEFAULT_RECEIVER_URL, parseTargetUrl } from "../shared/url.js";

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
    const header = await input({
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
    });
    if (header.trim() === "") break;
    headers.push(header);
  }
  const answers: SendAnswers = { type: info.name, to, headers };
  if (await confirm({ message: "Edit the payload before sending?", default: false })) {
    const generated = compileGenerator(info)(randomSeed());
    const text = await editor({
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
    });
    answers.payload = JSON.parse(text) as Record<string, unknown>;
  }
  return answers;
}

/** The receiver URL, checked as it is typed. */
export async function askUrl(): Promise<string> {
  return await input({
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
  const category = await select<Category>({
    message: "Category",
    choices: categories.map((c) => ({
      name: `${c} (${infos.filter((i) => i.category === c).length})`,
      value: c,
    })),
  });
  return await select({
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
