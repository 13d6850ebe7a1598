/** Reading JSON the user points at: a file path, or `-` for stdin. */
import { createReadStream, fstatSync, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { UsageError } from "../shared/errors.js";

/**
 * The most `--data` (or any JSON input) may hold: 16 MiB. Norce's payloads are a few kB; a limit
 * keeps `--data -` < /dev/zero from eating the machine's memory.
 */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** The text of a file, or of stdin for `-`; more than `maxBytes` is a usage error. */
export async function readInput(
  path: string,
  flag: string,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<string> {
  if (path === "-") {
    if (process.stdin.isTTY) {
      throw new UsageError(`${flag} - reads stdin, but stdin is a terminal`, {
        hint: `pipe JSON in, e.g. cat event.json | norce-event … ${flag} -`,
      });
    }
    // `< /dev/zero` makes stdin the device itself: refused as a device path is.
    const stdin = fstatSync(0);
    if (stdin.isCharacterDevice() || stdin.isBlockDevice()) {
      throw new UsageError(`${flag} - reads stdin, and stdin is a device, not JSON`, {
        hint: `pipe JSON in, e.g. cat event.json | norce-event … ${flag} -`,
      });
    }
    return await readBounded(process.stdin, `${flag} - (stdin)`, maxBytes);
  }
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (error) {
    throw cannotRead(flag, path, error);
  }
  if (stats.isDirectory()) {
    throw new UsageError(`${flag} ${path} is a folder, not a JSON file`, {
      hint: "give the path of a file, or - for stdin",
    });
  }
  if (stats.isCharacterDevice() || stats.isBlockDevice() || stats.isSocket()) {
    throw new UsageError(`${flag} ${path} is a device, not a JSON file`, {
      hint: `give the path of a file, or pipe it in with ${flag} -`,
    });
  }
  if (stats.isFile() && stats.size > maxBytes) throw tooLarge(`${flag} ${path}`, maxBytes);
  let stream: Readable;
  try {
    stream = createReadStream(path);
    return await readBounded(stream, `${flag} ${path}`, maxBytes);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw cannotRead(flag, path, error);
  }
}

/** Read a stream to its end, refusing more than `maxBytes`. */
async function readBounded(stream: Readable, source: string, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      stream.destroy();
      throw tooLarge(source, maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(source: string, maxBytes: number): UsageError {
  const mib = Math.round(maxBytes / 1024 / 1024);
  return new UsageError(`${source} is larger than the ${mib} MiB limit for JSON input`, {
    hint: "a Norce payload is a few kB: check what is being read",
  });
}

function cannotRead(flag: string, path: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  return new UsageError(
    code === "ENOENT"
      ? `${flag} ${path}: no such file`
      : code === "EACCES"
        ? `${flag} ${path}: permission denied`
        : `${flag} ${path}: cannot read (${code ?? (error as Error).message})`,
    { hint: "check the path" },
  );
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
  const value = parseJson(await readInput(path, flag, MAX_INPUT_BYTES), source);
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
