/**
 * Writing to the terminal: buffered stdout that respects back-pressure (so `generate --count
 * 1000000 | gzip` keeps memory flat), stderr for people, and a quiet exit when a reader such as
 * `head` closes the pipe.
 */
import type { Writable } from "node:stream";

export interface Writer {
  /** Queue text; returns a promise only when the stream asks us to wait. */
  write(text: string): Promise<void> | undefined;
  /** Write everything queued and wait until the stream has taken it. */
  flush(): Promise<void>;
}

const CHUNK = 64 * 1024;

/**
 * Buffered output: text is gathered and written in chunks (fast under load), and whatever is
 * waiting goes out on the next turn of the event loop (so a quiet stream is never held back).
 */
export function createWriter(stream: Writable = process.stdout): Writer {
  let buffer = "";
  let scheduled = false;
  const push = (): Promise<void> | undefined => {
    scheduled = false;
    const chunk = buffer;
    buffer = "";
    if (chunk === "" || stream.destroyed) return undefined;
    if (stream.write(chunk)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("close", done);
        stream.off("error", done);
        resolve();
      };
      stream.once("drain", done);
      stream.once("close", done);
      stream.once("error", done);
    });
  };
  return {
    write(text) {
      buffer += text;
      if (buffer.length >= CHUNK) return push();
      if (!scheduled) {
        scheduled = true;
        setImmediate(push);
      }
      return undefined;
    },
    async flush() {
      await push();
    },
  };
}

let pipeGuard = false;

/** Exit quietly (status 0) when stdout's reader goes away, as `cmd | head` expects. */
export function guardBrokenPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}

/** A line to stderr (messages for people: banners, warnings, progress). */
export function say(text = ""): void {
  process.stderr.write(`${text}\n`);
}

/** A line to stdout (the command's result). */
export function print(text = ""): void {
  process.stdout.write(`${text}\n`);
}
