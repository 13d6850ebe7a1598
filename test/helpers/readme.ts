/**
 * Reading the README's examples for test/e2e/readme.test.ts (the conventions are described
 * there): code blocks and their comments, command lines split as a shell would, output
 * normalised for comparison, and the requests a `listen` example shows.
 */
import { stripAnsi } from "./cli.js";

export interface Example {
  /** The README line of the `$ norce-event` command (1-based). */
  line: number;
  command: string;
  shown: string[];
}

export interface Block {
  line: number;
  skip?: string;
  project?: string;
  files: { name: string; content: string }[];
  examples: Example[];
}

export function parseReadme(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let comments: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^(\s*)```(\S*)\s*$/.exec(line);
    if (!fence) {
      const comment = /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(line);
      if (comment) comments.push(comment[1]!);
      else if (line.trim() !== "") comments = [];
      continue;
    }
    const indent = fence[1]!.length;
    const language = fence[2]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) {
      body.push(lines[i]!.slice(Math.min(indent, lines[i]!.length - lines[i]!.trimStart().length)));
    }
    const block: Block = { line: start + 1, files: [], examples: [] };
    for (const c of comments) {
      const notRun = /^not run:\s*(.*)$/.exec(c);
      if (notRun) block.skip = notRun[1]!;
      const project = /^project:\s*(\S+)$/.exec(c);
      if (project) block.project = project[1]!;
      const file = /^file\s+([^:\s]+):\s?([\s\S]*)$/.exec(c);
      if (file) block.files.push({ name: file[1]!, content: file[2]! });
    }
    comments = [];
    if (!["", "sh", "console", "shell"].includes(language)) continue;
    let current: Example | undefined;
    body.forEach((text, k) => {
      const command = /^\$ norce-event(?:\s+(.*))?$/.exec(text);
      if (command) {
        current = { line: start + 2 + k, command: command[1] ?? "", shown: [] };
        block.examples.push(current);
      } else if (/^\$ /.test(text)) current = undefined;
      else current?.shown.push(text);
    });
    for (const example of block.examples) {
      while (example.shown.length > 0 && example.shown.at(-1)!.trim() === "") example.shown.pop();
    }
    if (block.examples.length > 0) blocks.push(block);
  }
  return blocks;
}

/** Split a command line as a POSIX shell would (quotes, `$VAR`), stopping at `|` or `#`. */
export function shellWords(
  line: string,
  env: Record<string, string>,
): { words: string[]; pipe: string | undefined } {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const expand = () => {
    const m = /^\$\{?([A-Za-z_]\w*)\}?/.exec(line.slice(i));
    if (!m) {
      word = `${word ?? ""}$`;
      i++;
      return;
    }
    word = `${word ?? ""}${env[m[1]!] ?? ""}`;
    i += m[0].length;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = `${word ?? ""}${line.slice(i + 1, end)}`;
      i = end + 1;
    } else if (c === '"') {
      i++;
      word ??= "";
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < line.length) {
          word += line[i + 1];
          i += 2;
        } else if (line[i] === "$") expand();
        else word += line[i++];
      }
      i++;
    } else if (c === "$") expand();
    else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "|" && word === undefined) {
      return { words, pipe: line.slice(i + 1).trim() };
    } else if (c === "#" && word === undefined) break;
    else {
      word = `${word ?? ""}${c}`;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return { words, pipe: undefined };
}

// Normalising output ------------------------------------------------------------------------------

export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** What changes from run to run, replaced by placeholders; runs of spaces made one. */
export function normalise(line: string): string {
  return stripAnsi(line)
    .replace(/\r/g, "")
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)/g, "<timestamp>")
    .replace(UUID, "<id>")
    .replace(/\b\d{4}-\d{2}-\d{2}\b/g, "<date>")
    .replace(/\b\d{2}:\d{2}:\d{2}(\.\d{3})?\b/g, "<time>")
    .replace(/\b(localhost|127\.0\.0\.1):\d+/g, "localhost:<port>")
    .replace(/(\/[\w.-]+)+\/\.norce-event\//g, ".norce-event/")
    .replace(/\bv1,[A-Za-z0-9+/]+=*/g, "v1,<signature>")
    .replace(/\b1[6-9]\d{8}\b/g, "<epoch seconds>")
    .replace(/\bseed \d+/g, "seed <n>")
    .replace(/\b[0-9a-f]{8}\b/g, "<id8>")
    .replace(/(^|[^+\w.])\d+(\.\d+)?(µs|ms|s)\b/g, "$1<duration>")
    .replace(/\b\d+ events\/s\b/g, "<n> events/s")
    .replace(/[ \t]+/g, " ")
    .trim();
}

/** Where the shown lines do not appear in the output: undefined when they all do. */
export function mismatch(shown: readonly string[], output: string): string | undefined {
  const actual = output.split("\n").map(normalise);
  const segments: string[][] = [[]];
  /** Each segment's first line, as an index into `shown`. */
  const starts: number[] = [0];
  shown.forEach((line, index) => {
    if (line.trim() === "…" || line.trim() === "^C") {
      segments.push([]);
      starts.push(index + 1);
    } else segments.at(-1)!.push(normalise(line));
  });
  let from = 0;
  for (const [n, segment] of segments.entries()) {
    if (segment.length === 0) continue;
    let found = -1;
    for (let at = from; at + segment.length <= actual.length && found < 0; at++) {
      if (segment.every((line, k) => actual[at + k] === line)) found = at;
    }
    if (found < 0) {
      // Name the first line of the segment that cannot be matched where the segment would start.
      const first = actual.indexOf(segment[0]!, from);
      const k = first < 0 ? 0 : segment.findIndex((line, j) => actual[first + j] !== line);
      return `line ${starts[n]! + k + 1} of the output shown: the README shows (normalised)\n    ${segment[k]}\n  ${
        first < 0
          ? "and the output has no such line"
          : `but the output has there:\n    ${actual[first + k] ?? "(nothing)"}`
      }`;
    }
    from = found + segment.length;
  }
  return undefined;
}

/** The exit code an example's output implies. */
export function impliedExit(command: string, shown: readonly string[]): number {
  if (shown.some((l) => /^error:/.test(l))) return 2;
  if (shown.some((l) => /^✗/.test(l))) return 1;
  if (/^test\b/.test(command) && shown.some((l) => /\b[1-9]\d* failed\b/.test(l))) return 1;
  return 0;
}

export interface Poke {
  type: string;
  id: string | undefined;
  path: string;
  body: string | undefined;
  timestamp: string | undefined;
}

/** The requests a `listen` example shows: one per event line, with its body and problems. */
export function pokes(shown: readonly string[]): Poke[] {
  const found: Poke[] = [];
  for (let i = 0; i < shown.length; i++) {
    const line = shown[i]!;
    const json = /^\s*\{.*"type"\s*:\s*"(\w+)"/.exec(line);
    if (json) {
      found.push({
        type: json[1]!,
        id: undefined,
        path: "/receiver",
        body: undefined,
        timestamp: undefined,
      });
      continue;
    }
    const m = /^\d{2}:\d{2}:\d{2}\.\d{3}\s+(\w+)\s+([0-9a-f]{8})\s+(\/\S*)\s+→/.exec(line);
    if (!m) continue;
    const detail: string[] = [];
    for (let k = i + 1; k < shown.length && /^\s{2,}/.test(shown[k]!); k++) detail.push(shown[k]!);
    const start = detail.findIndex((l) => l.trim() === "{");
    const end = detail.findIndex((l, k) => k > start && l.trim() === "}");
    const body = start >= 0 && end > start ? detail.slice(start, end + 1).join("\n") : undefined;
    const timestamp = detail
      .map((l) => /header Norce-Event-Timestamp "([^"]+)"/.exec(l)?.[1])
      .find(Boolean);
    found.push({ type: m[1]!, id: m[2]!, path: m[3]!, body, timestamp });
  }
  return found;
}
