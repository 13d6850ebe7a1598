/**
 * Colour for people, through chalk: on when the terminal supports it, off with `--no-color`,
 * `NO_COLOR` (no-color.org) or when output is piped. Imported only by commands that colour.
 */
import { Chalk } from "chalk";
import type { Category } from "../events/catalog.js";
import { safeBlock } from "./render/safe.js";

const disabled = process.argv.includes("--no-color") || Boolean(process.env.NO_COLOR);

export const chalk = disabled ? new Chalk({ level: 0 }) : new Chalk();

export const bold = (text: string) => chalk.bold(text);
export const dim = (text: string) => chalk.dim(text);
export const red = (text: string) => chalk.red(text);
export const green = (text: string) => chalk.green(text);
export const yellow = (text: string) => chalk.yellow(text);
export const cyan = (text: string) => chalk.cyan(text);

/** Each of Norce's five categories has its own colour in listings. */
export function categoryColour(category: Category | undefined): (text: string) => string {
  switch (category) {
    case "Customer":
      return chalk.magenta;
    case "Order":
      return chalk.cyan;
    case "Product":
      return chalk.green;
    case "Supplier":
      return chalk.yellow;
    case "System":
      return chalk.blue;
    default:
      return chalk.white;
  }
}

/** Colour an HTTP status: 2xx green, 3xx cyan, 4xx yellow, 5xx and errors red. */
export function statusColour(status: number | undefined): (text: string) => string {
  if (status === undefined) return chalk.red;
  if (status < 300) return chalk.green;
  if (status < 400) return chalk.cyan;
  if (status < 500) return chalk.yellow;
  return chalk.red;
}

/**
 * Indented JSON with keys, strings, numbers and literals in their own colours. The text is made
 * terminal-safe before it is coloured (JSON escapes C0 controls, not C1 or bidi overrides), so
 * the colours are the only escape sequences in it.
 */
export function colourJson(value: unknown, indent = 2): string {
  const text = safeBlock(JSON.stringify(value, null, indent) ?? "undefined");
  if (chalk.level === 0) return text;
  return text.replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
    (match, str: string | undefined, colon: string | undefined, literal, num) => {
      if (str !== undefined) return colon ? chalk.blue(str) + colon : chalk.green(str);
      if (literal !== undefined) return chalk.magenta(match);
      if (num !== undefined) return chalk.yellow(match);
      return match;
    },
  );
}
