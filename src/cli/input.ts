/** Reading JSON the user points at: a file path, or `-` for stdin. */
import { readFile } from "node:fs/promises";
import { UsageError } from "../shared/errors.js";

/** The text of a file, or of stdin for `-`. */
export async function readInput(path: string, flag: string): Promise<string> {
  if (path === "-") {
    if (process.stdin.isTTY) {
      throw new UsageError(`${flag} - reads stdin, but stdin is a terminal`, {
        hint: `pipe JSON in, e.g. cat event.json | norce-event … ${flag} -`,
      });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT"
        ? `${flag} ${path}: no such file`
        : `${flag} ${path}: cannot read (${code})`,
      { hint: "check the path" },
    );
  }
}

/** Parse JSON, turning a syntax error into a usage error that says where. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = (error as Error).message.replace(/^Unexpected/, "unexpected");
    throw new UsageError(`${source} is not valid JSON: ${detail}`, {
      hint: "check the file with a JSON linter, or generate one with norce-event generate",
    });
  }
}

/** A JSON object from a file or stdin (`--data`). */
export async function readJsonObject(path: string, flag: string): Promise<Record<string, unknown>> {
  const source = path === "-" ? `${flag} - (stdin)` : `${flag} ${path}`;
  const value = parseJson(await readInput(path, flag), source);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${source} must hold one JSON object, not ${describe(value)}`, {
      hint: 'write properties to merge, e.g. {"OrderNo": "SO1001"}',
    });
  }
  return value as Record<string, unknown>;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return `a ${typeof value}`;
}
